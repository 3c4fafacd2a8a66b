"""InfluenceIndex: blocks against the shards read whole, and the manifest's coverage check."""

import json

import h5py
import numpy as np
import pytest

import vaekit
from conftest import TRAIN_COUNT


def read_whole(index, step, dataset):
    """A checkpoint's `dataset` read whole from each shard with h5py, shards in example order."""
    parts = []
    for shard in index.shards(step):
        with h5py.File(shard.path, "r") as file:
            parts.append(file[dataset][()])
    return np.concatenate(parts)


def test_projected_blocks_equal_shards(tiny_run):
    index = vaekit.Run(tiny_run).index()
    assert index.mode == "projected"
    assert index.train_count == TRAIN_COUNT
    assert index.steps == [2, 4, 6, 8]
    for step in index.steps:
        assert index.eta(step) > 0
        blocks = list(index.blocks(step, rows=100))  # 256 rows: blocks of 100, 100, 56
        assert [len(b.example_index) for b in blocks] == [100, 100, 56]
        example_index = np.concatenate([b.example_index for b in blocks])
        vectors = np.concatenate([b.gradients for b in blocks])
        assert example_index.dtype == np.int64 and vectors.dtype == np.float32
        assert example_index.tolist() == list(range(TRAIN_COUNT))  # every example once, in order
        np.testing.assert_array_equal(vectors, read_whole(index, step, "projected"))
        np.testing.assert_array_equal(np.concatenate([b.labels for b in blocks]), read_whole(index, step, "labels"))
        assert vectors.shape[0] == TRAIN_COUNT and np.isfinite(vectors).all() and vectors.any()


def test_factor_blocks_equal_shards(factors_run):
    index = vaekit.Run(factors_run).index()
    assert index.mode == "factors"
    (step,) = index.steps
    blocks = list(index.blocks(step, rows=64))
    assert len(blocks) == TRAIN_COUNT // 64
    assert np.concatenate([b.example_index for b in blocks]).tolist() == list(range(TRAIN_COUNT))
    layers = list(blocks[0].gradients)
    assert layers[0] == "encoder.fc1" and layers[-1] == "decoder.fc3"
    fc1 = blocks[0].gradients["encoder.fc1"]
    # The encoder runs once per example (its 2 draws share the input; Δ is their sum): one row
    # of 784 inputs and the bias column. The decoder has a row per draw.
    assert fc1.inputs.shape == (64, 1, 785)
    assert fc1.output_gradients.shape == (64, 1, 512)
    out = blocks[0].gradients["decoder.fc3"]
    assert out.inputs.shape == (64, 2, 513) and out.output_gradients.shape == (64, 2, 784)
    assert (fc1.weight_index, fc1.bias_index) == (0, 1)
    with h5py.File(index.shards(step)[0].path, "r") as file:
        for name in file["layers"]:
            group = file["layers"][name]
            layer = group.attrs["layer"]
            for part in ("inputs", "output_gradients"):
                joined = np.concatenate([getattr(b.gradients[layer], part) for b in blocks])
                np.testing.assert_array_equal(joined, group[part][()])


def write_index(run, shards, train_count, vectors, storage="float32", mode="projected"):
    """A hand-made index in `run`: `shards` is [(first, end), ...]; vectors [N, D] of all examples."""
    folder = run / "gradients" / "gen-1" / "ckpt-10"
    folder.mkdir(parents=True, exist_ok=True)
    entries = []
    for rank, (first, end) in enumerate(shards):
        name = f"rank-{rank}.h5"
        with h5py.File(folder / name, "w") as file:
            file["example_index"] = np.arange(first, end, dtype=np.int64)
            file["labels"] = np.arange(first, end, dtype=np.int64) % 10
            file[mode] = vectors[first:end].astype(np.float16 if storage == "float16" else np.float32)
            file.attrs.update({"format": "vaekit-gradients-1", "mode": mode, "checkpoint_step": 10, "eta": 0.5})
        entries.append({"file": f"gradients/gen-1/ckpt-10/{name}", "first": first, "end": end, "rank": rank})
    manifest = {
        "format": "vaekit-gradient-index-4", "mode": mode, "samples": 1, "projection_seed": 1,
        "projection_dimension": 4, "train_count": train_count, "world_size": len(shards), "storage": storage,
        "code_version": "0.1.0", "checkpoints": [{"step": 10, "eta": 0.5, "shards": entries}],
    }
    (run / "gradients" / "manifest.json").write_text(json.dumps(manifest))


@pytest.mark.parametrize("storage", ["float32", "float16"])
def test_blocks_cross_shards(tmp_path, storage):
    vectors = np.random.default_rng(1).standard_normal((23, 5)).astype(np.float32)
    write_index(tmp_path, [(0, 7), (7, 16), (16, 23)], 23, vectors, storage=storage, mode="dense")
    index = vaekit.InfluenceIndex(tmp_path)
    blocks = list(index.blocks(10, rows=4))
    assert [len(b.example_index) for b in blocks] == [4, 3, 4, 4, 1, 4, 3]  # never across a shard
    joined = np.concatenate([b.gradients for b in blocks])
    assert joined.dtype == np.float32
    expected = vectors.astype(np.float16).astype(np.float32) if storage == "float16" else vectors
    np.testing.assert_array_equal(joined, expected)
    assert np.concatenate([b.labels for b in blocks]).tolist() == [i % 10 for i in range(23)]
    assert [len(b.example_index) for b in index.blocks(10)] == [7, 9, 7]  # default: a shard a block


@pytest.mark.parametrize(
    "shards, train_count, message",
    [
        ([(0, 7), (8, 23)], 23, "covers examples 8..22 where 7.. was expected"),  # a gap
        ([(0, 8), (7, 23)], 23, "covers examples 7..22 where 8.. was expected"),  # an overlap
        ([(0, 7), (7, 20)], 23, "cover examples 0..19, the index has 23"),  # short
        ([(1, 23)], 23, "where 0.. was expected"),  # not from 0
    ],
    ids=["gap", "overlap", "short", "late-start"],
)
def test_manifest_coverage_is_checked(tmp_path, shards, train_count, message):
    write_index(tmp_path, shards, train_count, np.zeros((23, 2), np.float32))
    with pytest.raises(ValueError, match=message):
        vaekit.InfluenceIndex(tmp_path)


def test_shard_rows_are_checked(tmp_path):
    write_index(tmp_path, [(0, 5), (5, 10)], 10, np.zeros((10, 2), np.float32))
    with h5py.File(tmp_path / "gradients/gen-1/ckpt-10/rank-1.h5", "r+") as file:
        file["example_index"][0] = 4  # the shard says it holds example 4, which rank 0 holds
    index = vaekit.InfluenceIndex(tmp_path)
    with pytest.raises(ValueError, match="rank-1.h5"):
        list(index.blocks(10))


def test_unknown_checkpoint(tmp_path):
    write_index(tmp_path, [(0, 3)], 3, np.zeros((3, 2), np.float32))
    with pytest.raises(ValueError, match=r"checkpoint 11 is not indexed \(indexed: \[10\]\)"):
        list(vaekit.InfluenceIndex(tmp_path).blocks(11))
