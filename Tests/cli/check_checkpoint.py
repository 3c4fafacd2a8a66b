"""Opens a VAEKit checkpoint with h5py (an independent HDF5 reader) and checks the documented
layout: /params/<name>, /optimizer/<name>/<slot>, /rng and the attributes of DESIGN.md."""
import sys

import h5py

path, expected_params = sys.argv[1], sys.argv[2].split(",")
with h5py.File(path, "r") as f:
    attrs = {k: f.attrs[k] for k in f.attrs}
    for key in ["format", "step", "epoch", "learning_rate", "config", "world_size", "code_version"]:
        assert key in attrs, f"missing attribute {key}"
    assert attrs["format"] == "vaekit-checkpoint-1", attrs["format"]
    assert "architecture: mlp" in attrs["config"], "config attribute is not the YAML text"
    params = sorted(f["params"].keys())
    for name in expected_params:
        assert name in params, f"missing /params/{name}; have {params}"
    assert f["params/encoder.fc1.weight"].dtype == "float32"
    shape = f["params/encoder.fc1.weight"].shape
    assert len(shape) == 2, shape
    for name in params:
        slots = sorted(f["optimizer"][name].keys())
        assert slots == ["exp_avg", "exp_avg_sq"], (name, slots)
        assert f["optimizer"][name]["exp_avg"].shape == f["params"][name].shape
    assert list(f["rng"][()]) == [int(attrs["config"].split("seed: ")[1].split()[0]), int(attrs["step"])]
print(f"h5py: {path}: {len(params)} parameters, step {attrs['step']}, layout as documented")
