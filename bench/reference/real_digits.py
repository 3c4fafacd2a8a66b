#!/usr/bin/env -S /usr/bin/python3
"""Real handwritten digits VAEKit did not make, in MNIST's format, as a VAEKit dataset file.

The UCI optical-recognition digits (1,797 images of 8x8 pixels, 17 grey levels, written by 43
people) as scikit-learn ships them (sklearn/datasets/data/digits.csv.gz, read from the wheel
without installing it).  Each image is normalized as MNIST was: scaled up (bilinear, aspect
kept) so that its ink's bounding box fills a 20x20 box, placed in a 28x28 image with its centre
of mass at the centre, and stretched to 255.  Written as /images (uint8, N x 1 x 28 x 28),
/labels and the attributes of VAEKit's dataset layout.

    /usr/bin/python3 bench/reference/real_digits.py WHEEL OUTPUT.h5
"""
import gzip
import io
import sys
import zipfile

import h5py
import numpy as np
import torch
import torch.nn.functional as F


def load(wheel):
    with zipfile.ZipFile(wheel) as z:
        raw = z.read("sklearn/datasets/data/digits.csv.gz")
    rows = np.loadtxt(io.TextIOWrapper(gzip.GzipFile(fileobj=io.BytesIO(raw))), delimiter=",")
    return rows[:, :64].reshape(-1, 8, 8) / 16.0, rows[:, 64].astype(np.int64)


def mnist_style(image):
    ys, xs = np.nonzero(image > 0)
    crop = image[ys.min():ys.max() + 1, xs.min():xs.max() + 1]
    h, w = crop.shape
    scale = 20.0 / max(h, w)
    size = (max(1, round(h * scale)), max(1, round(w * scale)))
    big = F.interpolate(torch.tensor(crop)[None, None].float(), size=size, mode="bilinear",
                        align_corners=False)[0, 0].clamp(min=0).numpy()
    mass = big.sum()
    cy = (big.sum(1) * (np.arange(size[0]) + 0.5)).sum() / mass
    cx = (big.sum(0) * (np.arange(size[1]) + 0.5)).sum() / mass
    top = min(max(0, round(14 - cy)), 28 - size[0])
    left = min(max(0, round(14 - cx)), 28 - size[1])
    out = np.zeros((28, 28))
    out[top:top + size[0], left:left + size[1]] = big
    return np.clip(np.rint(out / out.max() * 255), 0, 255).astype(np.uint8)


def main():
    wheel, output = sys.argv[1], sys.argv[2]
    images, labels = load(wheel)
    pixels = np.stack([mnist_style(x) for x in images])[:, None]
    with h5py.File(output, "w", libver="latest") as f:
        f.create_dataset("images", data=pixels)
        f.create_dataset("labels", data=labels)
        f.attrs["format"] = "vaekit-dataset-1"
        f.attrs["source"] = "uci-optdigits"
        f.attrs["split"] = "test"
    print(f"wrote {output}: {len(labels)} images, mean intensity {pixels.mean() / 255:.3f}")


if __name__ == "__main__":
    main()
