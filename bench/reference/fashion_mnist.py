"""Debian's Fashion-MNIST IDX files, read with numpy alone (shared by the PyTorch and JAX references)."""

import gzip
import os
import struct

import numpy as np

DATA_DIR = "/usr/share/datasets/fashion-mnist"


def read_idx_images(path):
    """A gzipped IDX3 image file as uint8 [N, rows, cols]."""
    with gzip.open(path, "rb") as f:
        raw = f.read()
    magic, n, rows, cols = struct.unpack(">IIII", raw[:16])
    if magic != 2051:
        raise ValueError(f"{path}: bad IDX3 magic {magic}")
    return np.frombuffer(raw[16:], dtype=np.uint8).reshape(n, rows, cols)


def split_path(split):
    """The image file of `split` ('train' or 't10k')."""
    return os.path.join(DATA_DIR, f"{split}-images-idx3-ubyte.gz")
