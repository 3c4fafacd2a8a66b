"""Compares the parameters of two VAEKit checkpoints with h5py; fails when the largest absolute
difference exceeds the tolerance given."""
import sys

import h5py
import numpy as np

first, second, tolerance = sys.argv[1], sys.argv[2], float(sys.argv[3])
with h5py.File(first, "r") as a, h5py.File(second, "r") as b:
    assert sorted(a["params"]) == sorted(b["params"]), "different parameter names"
    worst = max(float(np.abs(a["params"][k][()] - b["params"][k][()]).max()) for k in a["params"])
    moved = max(float(np.abs(a["params"][k][()]).max()) for k in a["params"])
print(f"max |difference| {worst:.3g} (tolerance {tolerance:.3g}; largest parameter {moved:.3g})")
sys.exit(0 if worst <= tolerance else 1)
