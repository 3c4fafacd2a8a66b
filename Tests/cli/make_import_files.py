"""Writes the HDF5 image files a user might bring (h5py, numpy) into FOLDER, for `vaekit data
import`: N×H×W uint8, N×H×W×3 float64 in [0, 1], N×3×H×W float32, an ambiguous 3×…×3 shape, and a
float file outside [0, 1]. Each has /labels. Prints nothing."""
import sys

import h5py
import numpy as np

folder = sys.argv[1]
rng = np.random.default_rng(0)
labels = np.arange(50) % 10
files = {
    "gray_nhw_uint8": rng.integers(0, 256, (50, 12, 10), dtype=np.uint8),
    "rgb_nhwc_float64": rng.random((50, 12, 10, 3)),
    "rgb_nchw_float32": rng.random((50, 3, 12, 10)).astype(np.float32),
    "ambiguous": rng.integers(0, 256, (50, 3, 12, 3), dtype=np.uint8),
    "out_of_range": (rng.random((50, 12, 10)) * 2).astype(np.float32),
}
for name, images in files.items():
    with h5py.File(f"{folder}/{name}.h5", "w") as f:
        f["images"] = images
        f["labels"] = labels
# The NHWC file's first image, channel 2, row 3, column 4, as the byte VAEKit should store.
value = files["rgb_nhwc_float64"][0, 3, 4, 2]
open(f"{folder}/expected.txt", "w").write(str(int(round(value * 255))))
