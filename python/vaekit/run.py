"""A VAEKit run folder: its config, training metrics, checkpoints and analysis results.

A run folder holds ``config.yaml``, ``metrics.jsonl``, ``training.json``,
``checkpoints/checkpoint-<step>.h5`` and, once the analysis commands have run on it,
``ood.json``, ``influence.json``, ``self-influence.json`` and ``gradients/``.
"""

import json
import re
from pathlib import Path

import pandas as pd
import yaml

from .files import (
    INFLUENCE_FORMAT,
    OOD_FORMAT,
    SELF_INFLUENCE_FORMAT,
    TRAINING_FORMAT,
    number,
    read_json,
    require,
)
from .index import InfluenceIndex

# The field of an image's entry in ood.json that holds each method's score.
OOD_SCORE_FIELDS = {
    "likelihood_regret": "regret",
    "iwae_nll": "negative_log_likelihood",
    "likelihood_ratio": "likelihood_ratio",
    "input_complexity": "input_complexity",
}

_CHECKPOINT_NAME = re.compile(r"checkpoint-(\d+)\.h5")

# Column orders: these first (those present), then any others in the file's order.
_METRICS_COLUMNS = [
    "epoch", "step", "train_loss", "train_reconstruction", "train_kl", "test_neg_elbo", "learning_rate",
    "examples_per_second",
]
_TRAINING_COLUMNS = [
    "started", "wall_seconds", "ranks", "workers_per_rank", "first_step", "last_step", "examples_per_second",
    "final_train_loss", "test_negative_elbo", "host", "completed",
]
_OOD_METRICS_COLUMNS = [
    "method", "set", "auroc", "auprc", "fpr_at_80", "fpr_at_95", "auroc_lower", "auroc_upper", "auprc_lower",
    "auprc_upper", "fpr_at_95_lower", "fpr_at_95_upper", "interval_level", "resamples",
]


def _table(rows, first_columns):
    """A DataFrame of `rows` (dicts) with `first_columns` (those present) first."""
    table = pd.DataFrame(rows)
    ordered = [c for c in first_columns if c in table.columns]
    return table[ordered + [c for c in table.columns if c not in ordered]]


class Run:
    """A run folder written by ``vaekit train`` and the commands that analyse it.

    Every reader opens its file when called, so a run still being written is read as it is now.
    """

    def __init__(self, path):
        self.path = Path(path)
        if not self.path.is_dir():
            raise FileNotFoundError(f"{self.path} is not a run folder; runs are made by `vaekit train --run DIR`")

    def __repr__(self):
        return f"Run({str(self.path)!r})"

    def _train_command(self):
        return f"vaekit train --config CONFIG --run {self.path}"

    def class_names(self):
        """Label l's name is ``class_names()[l]``: the training file's ``/class_names``, or ``[]``
        when it names no classes (labels are then shown as numbers)."""
        import h5py

        path = Path(self.config["data"]["train"])
        with h5py.File(path, "r") as file:
            if "class_names" not in file:
                return []
            return [n.decode() if isinstance(n, bytes) else str(n) for n in file["class_names"][()]]

    @property
    def config(self):
        """The run's resolved config (``config.yaml``) as nested dicts, e.g. ``config["model"]["latent"]``."""
        path = require(self.path / "config.yaml", self._train_command())
        with open(path, encoding="utf-8") as file:
            return yaml.safe_load(file)

    def metrics(self):
        """``metrics.jsonl``: one row per evaluation, in the order written.

        Columns as in the file: epoch, step, train_loss, train_reconstruction, train_kl,
        test_neg_elbo, learning_rate, examples_per_second.
        """
        path = require(self.path / "metrics.jsonl", self._train_command())
        with open(path, encoding="utf-8") as file:
            rows = [json.loads(line) for line in file if line.strip()]
        return _table([{key: number(value) for key, value in row.items()} for row in rows], _METRICS_COLUMNS)

    def training(self):
        """``training.json``: one row per ``vaekit train`` invocation on the run.

        Columns: started, wall_seconds, ranks, workers_per_rank, first_step, last_step,
        examples_per_second, final_train_loss, test_negative_elbo, host, and those written only
        by some versions (completed, compute_seconds, all_reduce_seconds, blas_core).
        """
        data = read_json(self.path / "training.json", TRAINING_FORMAT, self._train_command())
        sessions = [{key: number(value) for key, value in session.items()} for session in data["sessions"]]
        return _table(sessions, _TRAINING_COLUMNS)

    def checkpoints(self):
        """The run's checkpoints as ``[(step, path), ...]``, ascending by step."""
        folder = require(self.path / "checkpoints", self._train_command())
        found = []
        for path in folder.iterdir():
            match = _CHECKPOINT_NAME.fullmatch(path.name)
            if match:
                found.append((int(match.group(1)), path))
        return sorted(found)

    def _ood(self):
        return read_json(self.path / "ood.json", OOD_FORMAT, f"vaekit ood --run {self.path}")

    def ood_scores(self):
        """``ood.json``'s per-image scores as a long table: one row per image and method.

        Columns: set (the set's name, sets in the file's order), in_distribution (bool: the set
        is the in-distribution one), index (the image's index in its set), label (-1 when the set
        has none), method (likelihood_regret, iwae_nll, likelihood_ratio, input_complexity),
        score (higher means more OOD; nats, bits for input complexity) and flagged (bool, NA
        without ``vaekit ood --flag-at-tpr``). Methods not computed for an image have no row.
        """
        data = self._ood()
        rows = []
        for set_name in data.get("order") or list(data["scores"]):
            for image in data["scores"].get(set_name, []):
                flagged = image.get("flagged") or {}
                for method, field in OOD_SCORE_FIELDS.items():
                    if image.get(field) is None:
                        continue
                    rows.append({
                        "set": set_name,
                        "in_distribution": set_name == data["in_distribution"],
                        "index": image["index"],
                        "label": image.get("label", -1),
                        "method": method,
                        "score": number(image[field]),
                        "flagged": flagged.get(method, pd.NA),
                    })
        columns = ["set", "in_distribution", "index", "label", "method", "score", "flagged"]
        table = pd.DataFrame(rows, columns=columns)
        table["score"] = table["score"].astype(float)
        table["flagged"] = table["flagged"].astype("boolean")
        return table

    def ood_metrics(self):
        """``ood.json``'s detection metrics: one row per method and OOD set.

        Columns: method, set, auroc, auprc, fpr_at_80, fpr_at_95 (OOD images are the positives),
        and, when the file has bootstrap intervals, auroc_lower, auroc_upper, auprc_lower,
        auprc_upper, fpr_at_95_lower, fpr_at_95_upper, interval_level and resamples.
        """
        data = self._ood()
        intervals = data.get("intervals") or {}
        rows = []
        for method, sets in data["metrics"].items():
            for set_name, metrics in sets.items():
                row = {"method": method, "set": set_name}
                row.update({key: float(number(value)) for key, value in metrics.items()})
                for key, value in (intervals.get(method) or {}).get(set_name, {}).items():
                    if isinstance(value, dict):
                        row[f"{key}_lower"] = float(number(value["lower"]))
                        row[f"{key}_upper"] = float(number(value["upper"]))
                    else:
                        row["interval_level" if key == "level" else key] = number(value)
                rows.append(row)
        return _table(rows, _OOD_METRICS_COLUMNS)

    def influence(self):
        """``influence.json``: the top proponents and opponents of each explained example.

        One row per (test example, kind, rank). Columns: test_split (``test`` or ``train``),
        test_index, test_label, kind (``proponent`` or ``opponent``), rank (1 = the strongest),
        train_index, train_label, score (by the file's score, e.g. cosine).
        """
        data = read_json(
            self.path / "influence.json", INFLUENCE_FORMAT,
            f"vaekit influence query --run {self.path} --test test:0-9",
        )
        rows = []
        for test in data["tests"]:
            for kind, entries in (("proponent", test["proponents"]), ("opponent", test["opponents"])):
                for rank, entry in enumerate(entries, start=1):
                    rows.append({
                        "test_split": test["split"],
                        "test_index": test["index"],
                        "test_label": test["label"],
                        "kind": kind,
                        "rank": rank,
                        "train_index": entry["index"],
                        "train_label": entry["label"],
                        "score": number(entry["score"]),
                    })
        columns = ["test_split", "test_index", "test_label", "kind", "rank", "train_index", "train_label", "score"]
        return pd.DataFrame(rows, columns=columns)

    def self_influence(self):
        """``self-influence.json``: each training example's self-influence, a Series indexed by
        training index 0..N-1 (named ``score``)."""
        data = read_json(
            self.path / "self-influence.json", SELF_INFLUENCE_FORMAT,
            f"vaekit influence query --run {self.path} --self",
        )
        values = [number(value) for value in data["values"]]
        return pd.Series(values, index=pd.RangeIndex(len(values), name="train_index"), name="score", dtype=float)

    def index(self):
        """The run's gradient index (``gradients/manifest.json``) as an `InfluenceIndex`."""
        return InfluenceIndex(self.path)
