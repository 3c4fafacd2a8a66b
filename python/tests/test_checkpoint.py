"""Checkpoints: reading, PyTorch state dicts, and writing a checkpoint back."""

import sys

import h5py
import numpy as np
import pytest

import vaekit


@pytest.fixture(scope="module")
def checkpoint(tiny_run):
    """The tiny run's last checkpoint."""
    return vaekit.Run(tiny_run).checkpoints()[-1][1]


def numpy_mu(path, x):
    """μ of the MLP encoder computed with h5py and numpy: x [B, 784] → [B, Z]."""
    with h5py.File(path, "r") as file:
        p = {name: file["params"][name][()] for name in file["params"]}
    h = x
    for layer in ("fc1", "fc2"):
        h = np.maximum(h @ p[f"encoder.{layer}.weight"].T + p[f"encoder.{layer}.bias"], 0)
    out = h @ p["encoder.fc3.weight"].T + p["encoder.fc3.bias"]
    return out[:, : out.shape[1] // 2]


def torch_mlp_vae(state_dict):
    """A PyTorch MLP VAE whose parameter names and shapes are those of `state_dict`."""
    torch = pytest.importorskip("torch")
    nn = torch.nn

    def stack(prefix):
        module = nn.Module()
        for layer in ("fc1", "fc2", "fc3"):
            out_features, in_features = state_dict[f"{prefix}.{layer}.weight"].shape
            setattr(module, layer, nn.Linear(in_features, out_features))
        return module

    model = nn.Module()
    model.encoder, model.decoder = stack("encoder"), stack("decoder")
    model.load_state_dict(state_dict, strict=True)
    return model


def test_read_checkpoint(checkpoint):
    params, attributes = vaekit.read_checkpoint(checkpoint)
    assert attributes["format"] == "vaekit-checkpoint-1"
    assert attributes["step"] == int(checkpoint.stem.split("-")[1])
    assert "architecture: mlp" in attributes["config"]
    with h5py.File(checkpoint, "r") as file:
        assert sorted(params) == sorted(file["params"])
        for name, array in params.items():
            assert array.dtype == np.float32
            np.testing.assert_array_equal(array, file["params"][name][()])
    assert params["encoder.fc1.weight"].shape == (512, 784)  # PyTorch's [out, in]
    assert params["encoder.fc3.weight"].shape[0] == 2 * params["decoder.fc1.weight"].shape[1]  # 2Z


def test_state_dict_in_torch_gives_numpy_mu(checkpoint):
    torch = pytest.importorskip("torch")
    state_dict = vaekit.load_state_dict(checkpoint)
    assert all(isinstance(t, torch.Tensor) and t.dtype == torch.float32 for t in state_dict.values())
    model = torch_mlp_vae(state_dict)
    x = np.random.default_rng(0).random((8, 784), dtype=np.float32)
    with torch.no_grad():
        h = torch.relu(model.encoder.fc1(torch.from_numpy(x)))
        out = model.encoder.fc3(torch.relu(model.encoder.fc2(h)))
    z = out.shape[1] // 2
    expected = numpy_mu(checkpoint, x)
    assert expected.shape == (8, z)
    np.testing.assert_allclose(out[:, :z].numpy(), expected, rtol=1e-5, atol=1e-5)


def test_write_state_dict_round_trip(checkpoint, tmp_path, cli):
    torch = pytest.importorskip("torch")
    state_dict = vaekit.load_state_dict(checkpoint)
    state_dict["decoder.fc3.bias"] = state_dict["decoder.fc3.bias"] + 0.5
    out = tmp_path / "edited.h5"
    vaekit.write_state_dict(state_dict, checkpoint, out)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["edited.h5"]  # no temporary file left

    original, original_attributes = vaekit.read_checkpoint(checkpoint)
    edited, edited_attributes = vaekit.read_checkpoint(out)
    assert edited_attributes == original_attributes
    assert sorted(edited) == sorted(original)
    np.testing.assert_array_equal(edited["decoder.fc3.bias"], original["decoder.fc3.bias"] + np.float32(0.5))
    for name in original:
        if name != "decoder.fc3.bias":
            np.testing.assert_array_equal(edited[name], original[name], err_msg=name)
    with h5py.File(checkpoint, "r") as a, h5py.File(out, "r") as b:
        np.testing.assert_array_equal(a["rng"][()], b["rng"][()])
        for name in a["optimizer"]:
            for slot in a["optimizer"][name]:
                np.testing.assert_array_equal(a["optimizer"][name][slot][()], b["optimizer"][name][slot][()])
    assert torch.equal(vaekit.load_state_dict(out)["decoder.fc3.bias"], state_dict["decoder.fc3.bias"])

    # The binary loads it as one of its own.
    printed = cli("evaluate", "--checkpoint", out, "--samples", 2, "--count", 8)
    assert "ELBO" in printed


def test_write_state_dict_accepts_numpy(checkpoint, tmp_path):
    params, _ = vaekit.read_checkpoint(checkpoint)
    params = {name: array.astype(np.float64) for name, array in params.items()}
    vaekit.write_state_dict(params, checkpoint, tmp_path / "copy.h5")
    copy, _ = vaekit.read_checkpoint(tmp_path / "copy.h5")
    assert all(copy[name].dtype == np.float32 for name in copy)
    np.testing.assert_array_equal(copy["encoder.fc1.weight"], params["encoder.fc1.weight"].astype(np.float32))


@pytest.mark.parametrize(
    "change, key",
    [
        (lambda p: p.update({"encoder.fc2.bias": np.zeros(3, np.float32)}), "encoder.fc2.bias"),
        (lambda p: p.pop("decoder.fc1.weight"), "decoder.fc1.weight"),
        (lambda p: p.update({"encoder.fc9.weight": np.zeros(3, np.float32)}), "encoder.fc9.weight"),
        (lambda p: p.update({"decoder.fc2.bias": p["decoder.fc2.bias"] + 1j}), "decoder.fc2.bias"),
        (lambda p: p.update({"decoder.fc3.bias": np.full_like(p["decoder.fc3.bias"], 1e300, np.float64)}),
         "decoder.fc3.bias"),
    ],
    ids=["wrong-shape", "missing", "extra", "complex", "overflow"],
)
def test_write_state_dict_refuses(checkpoint, tmp_path, change, key):
    params, _ = vaekit.read_checkpoint(checkpoint)
    change(params)
    out = tmp_path / "refused.h5"
    with pytest.raises(ValueError, match=key.replace(".", r"\.")):
        vaekit.write_state_dict(params, checkpoint, out)
    assert list(tmp_path.iterdir()) == []  # nothing written, not even a temporary file


def test_load_state_dict_without_torch(checkpoint, monkeypatch):
    monkeypatch.setitem(sys.modules, "torch", None)  # `import torch` now raises ImportError
    with pytest.raises(ImportError, match=r"vaekit\[torch\]"):
        vaekit.load_state_dict(checkpoint)


def test_read_checkpoint_refuses_other_hdf5(tmp_path):
    path = tmp_path / "other.h5"
    with h5py.File(path, "w") as file:
        file.attrs["format"] = "vaekit-gradients-1"
        file["params/x"] = np.zeros(2, np.float32)
    with pytest.raises(ValueError, match="vaekit-checkpoint-1"):
        vaekit.read_checkpoint(path)
