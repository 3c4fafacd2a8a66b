"""VAEKit checkpoints: HDF5 files with the model's parameters under ``/params/<name>``.

A checkpoint holds

- ``/params/<name>``: float32 arrays in PyTorch's layout under PyTorch's names, e.g.
  ``encoder.fc1.weight`` [out, in] (a Linear layer) or a convolution's weight
  [out, in, kh, kw]; the encoder's last layer outputs [B, 2Z]: μ is its first Z columns and
  log σ² the last Z;
- ``/optimizer/<name>/{exp_avg, exp_avg_sq}``: Adam's moments, shaped like the parameter;
- ``/rng``: int64 [2], the generator's seed and step;
- root attributes ``format`` (``vaekit-checkpoint-1``), ``step``, ``epoch``, ``learning_rate``,
  ``config`` (the run's YAML), ``train_count``, ``world_size``, ``code_version``, ...
"""

import os
import tempfile
from pathlib import Path
from typing import NamedTuple

import h5py
import numpy as np

from .files import CHECKPOINT_FORMAT


class CheckpointData(NamedTuple):
    """What `read_checkpoint` returns: ``params, attributes = read_checkpoint(path)``."""

    params: dict
    """Parameter name → float32 array in PyTorch's layout."""
    attributes: dict
    """Root attributes (format, step, epoch, learning_rate, config, ...) as Python values."""


def _python_value(value):
    """An HDF5 attribute as a plain Python value (bytes decoded, numpy scalars unwrapped)."""
    if isinstance(value, bytes):
        return value.decode("utf-8")
    if isinstance(value, np.generic):
        return value.item()
    return value


def _open_checkpoint(path):
    """Opens `path` read-only and checks its ``format`` attribute."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"{path} does not exist; checkpoints are made by `vaekit train`")
    file = h5py.File(path, "r")
    found = _python_value(file.attrs.get("format"))
    if found != CHECKPOINT_FORMAT or "params" not in file:
        file.close()
        raise ValueError(f"{path}: format {found!r} is not a VAEKit checkpoint ({CHECKPOINT_FORMAT!r})")
    return file


def read_checkpoint(path):
    """Reads a checkpoint's parameters and attributes.

    Returns ``CheckpointData(params, attributes)``: ``params`` maps each name under ``/params``
    (e.g. ``encoder.fc1.weight``, float32 [out, in]) to a numpy array of the stored shape;
    ``attributes`` maps the root attributes to Python values (``step`` int, ``config`` str, ...).
    """
    with _open_checkpoint(path) as file:
        params = {name: file["params"][name][()] for name in file["params"]}
        attributes = {name: _python_value(value) for name, value in file.attrs.items()}
    return CheckpointData(params, attributes)


def load_state_dict(path):
    """A checkpoint's parameters as a PyTorch state dict: name → float32 ``torch.Tensor``.

    The names and shapes are PyTorch's, so a module with the same layers loads it with
    ``module.load_state_dict(vaekit.load_state_dict(path))``. Needs PyTorch
    (``pip install 'vaekit[torch]'``).
    """
    try:
        import torch
    except ImportError as error:
        raise ImportError(
            "vaekit.load_state_dict needs PyTorch, which is not installed: pip install 'vaekit[torch]'"
        ) from error
    params, _ = read_checkpoint(path)
    return {name: torch.from_numpy(np.ascontiguousarray(array)) for name, array in params.items()}


def _as_float32(name, value, shape):
    """`value` (a tensor or array-like) as a float32 array of `shape`, or ValueError naming `name`."""
    if hasattr(value, "detach"):  # a torch.Tensor, on any device
        value = value.detach().cpu().numpy()
    try:
        array = np.asarray(value)
    except Exception as error:  # ragged lists and the like
        raise ValueError(f"parameter {name!r}: not an array ({error})") from error
    if array.dtype.kind not in "fiu":
        raise ValueError(f"parameter {name!r}: values of dtype {array.dtype} cannot be stored as float32")
    if array.shape != shape:
        raise ValueError(f"parameter {name!r}: shape {array.shape}, the checkpoint's is {shape}")
    with np.errstate(over="ignore"):
        converted = array.astype(np.float32)
    overflow = np.isinf(converted) & np.isfinite(array)
    if overflow.any():
        raise ValueError(f"parameter {name!r}: {int(overflow.sum())} value(s) exceed float32's range")
    return converted


def _copy_attributes(source, target):
    """Copies every attribute of `source` onto `target` with its exact HDF5 type."""
    for name in source.attrs:
        target.attrs.create(name, source.attrs[name], dtype=source.attrs.get_id(name).dtype)


def write_state_dict(state_dict, template_path, out_path):
    """Writes a checkpoint with the parameters of `state_dict` and everything else of a template.

    `state_dict` maps every name under the template's ``/params`` to a ``torch.Tensor`` or
    numpy array of the template's shape (PyTorch layout, e.g. [out, in]); its values are stored
    as float32. The optimizer state, ``/rng`` and all attributes are copied from the template
    checkpoint at `template_path`. Raises ValueError naming the parameter when a name is missing
    or extra, a shape differs, or values cannot be stored as float32; nothing is written then.

    The file is written next to `out_path` under a temporary name and renamed into place, so
    `out_path` never holds half a checkpoint.
    """
    out_path = Path(out_path)
    with _open_checkpoint(template_path) as template:
        names = set(template["params"])
        missing = sorted(names - set(state_dict))
        extra = sorted(set(state_dict) - names)
        if missing:
            raise ValueError(f"parameter {missing[0]!r} is missing from the state dict ({len(missing)} missing)")
        if extra:
            raise ValueError(f"parameter {extra[0]!r} is not in the checkpoint {template_path} ({len(extra)} extra)")
        arrays = {
            name: _as_float32(name, state_dict[name], template["params"][name].shape) for name in sorted(names)
        }

        descriptor, temporary = tempfile.mkstemp(prefix=f".{out_path.name}.", suffix=".tmp", dir=out_path.parent)
        os.close(descriptor)
        try:
            with h5py.File(temporary, "w", libver="latest") as out:
                _copy_attributes(template, out)
                for name in template:
                    if name != "params":
                        template.copy(template[name], out, name=name)
                params = out.create_group("params")
                _copy_attributes(template["params"], params)
                for name, array in arrays.items():
                    source = template["params"][name]
                    dataset = params.create_dataset(
                        name, data=array, chunks=source.chunks, compression=source.compression,
                        compression_opts=source.compression_opts,
                    )
                    _copy_attributes(source, dataset)
            with open(temporary, "rb") as file:
                os.fsync(file.fileno())
            umask = os.umask(0)
            os.umask(umask)
            os.chmod(temporary, 0o666 & ~umask)  # mkstemp's file is private; a checkpoint is not
            os.replace(temporary, out_path)
        except BaseException:
            if os.path.exists(temporary):
                os.unlink(temporary)
            raise
