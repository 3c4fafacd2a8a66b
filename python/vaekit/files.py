"""The file formats this package reads, and the checks every read goes through.

Each JSON file VAEKit writes has a ``format`` string; a file with another one is refused rather
than half understood. A missing file is reported with the vaekit command that makes it.
"""

import json
import math
from pathlib import Path

# The `format` string of each file this package reads.
OOD_FORMAT = "vaekit-ood-3"
INFLUENCE_FORMAT = "vaekit-influence-2"
SELF_INFLUENCE_FORMAT = "vaekit-self-influence-2"
TRAINING_FORMAT = "vaekit-training-2"
GRADIENT_INDEX_FORMAT = "vaekit-gradient-index-4"
REPORT_FORMAT = "vaekit-report-2"
# HDF5 files (the `format` attribute of the root group).
CHECKPOINT_FORMAT = "vaekit-checkpoint-1"
GRADIENT_SHARD_FORMAT = "vaekit-gradients-1"

# Non-finite numbers are written as these strings (JSON has no NaN or infinity).
_NON_FINITE = {"nan": math.nan, "inf": math.inf, "-inf": -math.inf}


def missing(path, command):
    """A FileNotFoundError naming `path` and the vaekit `command` that makes it."""
    return FileNotFoundError(f"{path} does not exist; it is made by `{command}`")


def require(path, command):
    """Returns `path` as a Path, or raises `missing(path, command)` when there is no such file."""
    path = Path(path)
    if not path.exists():
        raise missing(path, command)
    return path


def read_json(path, expected_format, command):
    """Reads a VAEKit JSON file, checking its ``format`` string.

    Raises FileNotFoundError (naming `command`) when the file is missing and ValueError naming
    the file, the format found and `expected_format` when they differ.
    """
    path = require(path, command)
    with open(path, encoding="utf-8") as file:
        data = json.load(file)
    found = data.get("format") if isinstance(data, dict) else None
    if found != expected_format:
        raise ValueError(
            f"{path}: format {found!r} is not the one this package reads ({expected_format!r}); "
            f"read it with the vaekit package of the same release as the binary that wrote it"
        )
    return data


def number(value):
    """A JSON number, with VAEKit's strings "nan", "inf" and "-inf" turned back into floats."""
    if isinstance(value, str):
        return _NON_FINITE.get(value, value)
    return value
