"""Fixtures: a tiny real run made with the vaekit binary, once per test session.

The binary is $VAEKIT_BINARY, else `vaekit` on PATH; without either, the tests that need a run
are skipped. Making the run takes a few seconds: Fashion-MNIST prepared, 256 training images,
2 epochs, 4 checkpoints, a projected gradient index, influence of 4 test images, self-influence
and OOD scores of 16 images per set.
"""

import os
import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
CONFIG = REPO / "configs" / "fashion-mnist-mlp.yaml"

# The tiny run's sizes, which tests compare against.
EPOCHS = 2
TRAIN_COUNT = 256
TOP = 5
TESTS_EXPLAINED = 4  # test:0-3
OOD_COUNT = 16


@pytest.fixture(scope="session")
def binary():
    """The vaekit executable."""
    path = os.environ.get("VAEKIT_BINARY")
    if path:
        if not os.access(path, os.X_OK):
            raise RuntimeError(f"VAEKIT_BINARY={path} is not an executable file")
        return path
    path = shutil.which("vaekit")
    if path is None:
        pytest.skip("no vaekit binary: set VAEKIT_BINARY=.build/release/vaekit or put vaekit on PATH")
    return path


@pytest.fixture(scope="session")
def cli(binary):
    """Runs `vaekit ARGS...`, failing with the command's output when it exits non-zero."""

    def run(*args, cwd=None):
        command = [binary, *map(str, args)]
        result = subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=600)
        if result.returncode != 0:
            raise AssertionError(
                f"{' '.join(command)} exited {result.returncode}\n{result.stdout}\n{result.stderr}"
            )
        return result.stdout

    return run


@pytest.fixture(scope="session")
def tiny_run(cli, tmp_path_factory):
    """A run folder with every result file, made by the binary."""
    root = tmp_path_factory.mktemp("vaekit")
    data, run = root / "data", root / "run"
    cli("data", "prepare", "fashion-mnist", "--output", data)
    cli(
        "train", "--config", CONFIG,
        "--set", f"data.train={data}/train.h5", "--set", f"data.test={data}/test.h5",
        "--set", f"data.train_limit={TRAIN_COUNT}", "--set", "data.test_limit=64",
        "--set", f"training.epochs={EPOCHS}", "--set", "training.batch_size=64",
        "--set", "training.checkpoint_every=2", "--set", "training.evaluation_count=32",
        "--set", "evaluation.iwae_samples=5", "--set", "evaluation.count=16",
        "--run", run, "--quiet",
    )
    cli("influence", "index", "--run", run, "--samples", 2)
    cli("influence", "query", "--run", run, "--test", f"test:0-{TESTS_EXPLAINED - 1}", "--top", TOP)
    cli("influence", "query", "--run", run, "--self")
    # vflip is hard for a model this small, so the methods' AUROCs differ there.
    cli(
        "ood", "--run", run, "--ood", "noise,vflip", "--count", OOD_COUNT, "--iwae-samples", 5,
        "--steps", 2, "--resamples", 20, "--flag-at-tpr", 0.9, "--calibration", 16,
    )
    return run


@pytest.fixture(scope="session")
def factors_run(cli, tiny_run, tmp_path_factory):
    """A run folder with the tiny run's config and last checkpoint and a factors-mode index."""
    run = tmp_path_factory.mktemp("vaekit-factors") / "run"
    (run / "checkpoints").mkdir(parents=True)
    shutil.copy(tiny_run / "config.yaml", run / "config.yaml")
    last = max((tiny_run / "checkpoints").glob("checkpoint-*.h5"), key=lambda p: int(p.stem.split("-")[1]))
    shutil.copy(last, run / "checkpoints" / last.name)
    cli("influence", "index", "--run", run, "--mode", "factors", "--samples", 2)
    return run

