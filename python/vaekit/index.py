"""A run's gradient index (``gradients/``), read shard by shard in blocks of rows.

``gradients/manifest.json`` lists the indexed checkpoints, each with its TracIn weight η and its
shards: HDF5 files, each holding a contiguous range ``first..end-1`` of the training examples,
written by one rank. A shard holds ``/example_index`` int64 [n], ``/labels`` int64 [n] and

- ``/projected`` [n, D] (projected mode) or ``/dense`` [n, P] (dense mode), float32 or float16;
- or, in factors mode, one group per layer, ``/layers/<NNN>-<layer>``, with ``inputs``
  [n, L, a] and ``output_gradients`` [n, L, d] float32 (L draws per example; ``inputs`` ends
  with a column of ones when the layer has a bias) and attributes ``layer``, ``layout``,
  ``weight_index`` and ``bias_index``.
"""

from pathlib import Path, PurePosixPath
from typing import Iterator, NamedTuple

import h5py
import numpy as np

from .files import GRADIENT_INDEX_FORMAT, GRADIENT_SHARD_FORMAT, read_json

# The default block: at most this many rows, and fewer when a block's float32 gradients
# would take more than _BLOCK_BYTES (a dense row holds every parameter).
_DEFAULT_ROWS = 4096
_BLOCK_BYTES = 256 << 20


class Shard(NamedTuple):
    """One shard file: training examples ``first..end-1`` at one checkpoint."""

    path: Path
    first: int
    end: int
    rank: int


class LayerFactors(NamedTuple):
    """One layer's gradient factors for a block of n examples (factors mode).

    The gradient of the layer's weight for example i is Σ_l output_gradients[i, l] ⊗ inputs[i, l]
    (``layout`` says which of the two is the row side).
    """

    layer: str
    inputs: np.ndarray
    """float32 [n, L, a]: the layer's inputs (with a trailing 1 when it has a bias)."""
    output_gradients: np.ndarray
    """float32 [n, L, d]: the loss's gradient with respect to the layer's outputs."""
    layout: str
    weight_index: int
    bias_index: int


class Block(NamedTuple):
    """Rows of one shard: ``for example_index, labels, gradients in index.blocks(step)``."""

    example_index: np.ndarray
    """int64 [n]: the training examples, ascending."""
    labels: np.ndarray
    """int64 [n]: their labels."""
    gradients: object
    """float32 [n, D] in projected and dense modes; in factors mode a dict layer name →
    `LayerFactors`, in the index's layer order."""


class InfluenceIndex:
    """The gradient index of a run folder, checked against its manifest when opened.

    Attributes: ``manifest`` (the manifest as a dict), ``mode`` (``projected``, ``dense`` or
    ``factors``), ``train_count`` (N) and ``steps`` (the indexed checkpoints' steps, ascending).
    """

    def __init__(self, run_path):
        self.run_path = Path(run_path)
        self.manifest_path = self.run_path / "gradients" / "manifest.json"
        self.manifest = read_json(
            self.manifest_path, GRADIENT_INDEX_FORMAT, f"vaekit influence index --run {self.run_path}"
        )
        self.mode = self.manifest["mode"]
        if self.mode not in ("projected", "dense", "factors"):
            raise ValueError(f"{self.manifest_path}: mode {self.mode!r} is not projected, dense or factors")
        self.train_count = int(self.manifest["train_count"])
        self._checkpoints = {}
        for checkpoint in self.manifest["checkpoints"]:
            step = int(checkpoint["step"])
            self._checkpoints[step] = (float(checkpoint["eta"]), self._check_shards(step, checkpoint["shards"]))
        self.steps = sorted(self._checkpoints)

    def _check_shards(self, step, entries):
        """The checkpoint's shards in example order, checked to cover 0..N-1 exactly once."""
        shards = []
        for entry in entries:
            relative = PurePosixPath(entry["file"])
            if relative.is_absolute() or ".." in relative.parts or relative.parts[:1] != ("gradients",):
                raise ValueError(f"{self.manifest_path}: shard {entry['file']!r} is not inside gradients/")
            shards.append(Shard(self.run_path / relative, int(entry["first"]), int(entry["end"]), int(entry["rank"])))
        shards.sort(key=lambda shard: shard.first)
        covered = 0
        for shard in shards:
            if shard.first != covered or shard.end < shard.first:
                raise ValueError(
                    f"{self.manifest_path}: checkpoint {step}: shard {shard.path.name} of rank {shard.rank} covers "
                    f"examples {shard.first}..{shard.end - 1} where {covered}.. was expected (the shards must "
                    f"cover 0..{self.train_count - 1} exactly once)"
                )
            covered = shard.end
        if covered != self.train_count:
            raise ValueError(
                f"{self.manifest_path}: checkpoint {step}: the shards cover examples 0..{covered - 1}, "
                f"the index has {self.train_count}"
            )
        return shards

    def _checkpoint(self, step):
        if step not in self._checkpoints:
            raise ValueError(f"{self.manifest_path}: checkpoint {step} is not indexed (indexed: {self.steps})")
        return self._checkpoints[step]

    def eta(self, step):
        """The TracIn weight η of checkpoint `step`."""
        return self._checkpoint(step)[0]

    def shards(self, step):
        """The shards of checkpoint `step`, in example order."""
        return list(self._checkpoint(step)[1])

    def blocks(self, step, rows=None) -> Iterator[Block]:
        """Every training example's gradients at checkpoint `step`, as `Block`s in example order.

        Each block holds at most `rows` examples of one shard (default: 4096, fewer when a
        block's gradients would take more than 256 MiB as float32, as dense rows do). Float16
        storage is returned as float32. Raises ValueError for a step not in the index, and while
        iterating when a shard does not hold what the manifest says (its checkpoint, mode or
        examples).
        """
        shards = self._checkpoint(step)[1]
        if rows is not None and rows < 1:
            raise ValueError(f"rows must be at least 1, not {rows}")
        return (block for shard in shards for block in self._shard_blocks(step, shard, rows))

    def _shard_blocks(self, step, shard, rows):
        with h5py.File(shard.path, "r") as file:
            found = _text(file.attrs.get("format"))
            if found != GRADIENT_SHARD_FORMAT:
                raise ValueError(f"{shard.path}: format {found!r}, expected {GRADIENT_SHARD_FORMAT!r}")
            found_step, found_mode = int(file.attrs["checkpoint_step"]), _text(file.attrs["mode"])
            if found_step != step or found_mode != self.mode:
                raise ValueError(
                    f"{shard.path}: holds checkpoint {found_step} in mode {found_mode!r}; "
                    f"the manifest says checkpoint {step}, mode {self.mode!r}"
                )
            count = file["example_index"].shape[0]
            if count != shard.end - shard.first:
                raise ValueError(
                    f"{shard.path}: holds {count} examples; the manifest says {shard.first}..{shard.end - 1}"
                )
            if self.mode == "factors":
                groups = [file["layers"][name] for name in sorted(file["layers"])]
                row_bytes = sum(4 * (g["inputs"][0].size + g["output_gradients"][0].size) for g in groups)
            else:
                vectors = file[self.mode]
                row_bytes = 4 * vectors.shape[1]
            size = rows or max(1, min(_DEFAULT_ROWS, _BLOCK_BYTES // max(row_bytes, 1)))
            for start in range(0, count, size):
                stop = min(count, start + size)
                example_index = file["example_index"][start:stop].astype(np.int64, copy=False)
                expected = np.arange(shard.first + start, shard.first + stop, dtype=np.int64)
                if not np.array_equal(example_index, expected):
                    raise ValueError(
                        f"{shard.path}: rows {start}..{stop - 1} do not hold examples "
                        f"{expected[0]}..{expected[-1]}, the manifest's"
                    )
                labels = file["labels"][start:stop].astype(np.int64, copy=False)
                if self.mode == "factors":
                    gradients = {}
                    for group in groups:
                        layer = _text(group.attrs["layer"])
                        gradients[layer] = LayerFactors(
                            layer=layer,
                            inputs=group["inputs"][start:stop].astype(np.float32, copy=False),
                            output_gradients=group["output_gradients"][start:stop].astype(np.float32, copy=False),
                            layout=_text(group.attrs["layout"]),
                            weight_index=int(group.attrs["weight_index"]),
                            bias_index=int(group.attrs["bias_index"]),
                        )
                else:
                    gradients = vectors[start:stop].astype(np.float32, copy=False)
                yield Block(example_index, labels, gradients)


def _text(value):
    """An HDF5 string attribute as str (h5py gives bytes for some string types)."""
    return value.decode("utf-8") if isinstance(value, bytes) else str(value)
