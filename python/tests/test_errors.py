"""Errors name the missing file and the command that makes it, or the formats found and expected."""

import json
import re

import pytest

import vaekit


@pytest.fixture
def empty_run(tmp_path):
    """A run folder with nothing in it."""
    return vaekit.Run(tmp_path)


@pytest.mark.parametrize(
    "read, file, command",
    [
        (lambda run: run.ood_scores(), "ood.json", "vaekit ood --run {}"),
        (lambda run: run.ood_metrics(), "ood.json", "vaekit ood --run {}"),
        (lambda run: run.influence(), "influence.json", "vaekit influence query --run {} --test"),
        (lambda run: run.self_influence(), "self-influence.json", "vaekit influence query --run {} --self"),
        (lambda run: run.index(), "gradients/manifest.json", "vaekit influence index --run {}"),
        (lambda run: run.metrics(), "metrics.jsonl", "vaekit train --config CONFIG --run {}"),
        (lambda run: run.training(), "training.json", "vaekit train"),
        (lambda run: run.config, "config.yaml", "vaekit train"),
    ],
    ids=["ood_scores", "ood_metrics", "influence", "self_influence", "index", "metrics", "training", "config"],
)
def test_missing_file_names_command(empty_run, read, file, command):
    with pytest.raises(FileNotFoundError) as caught:
        read(empty_run)
    message = str(caught.value)
    assert str(empty_run.path / file) in message
    assert command.format(empty_run.path) in message


@pytest.mark.parametrize(
    "read, file, expected",
    [
        (lambda run: run.ood_metrics(), "ood.json", "vaekit-ood-3"),
        (lambda run: run.influence(), "influence.json", "vaekit-influence-2"),
        (lambda run: run.self_influence(), "self-influence.json", "vaekit-self-influence-2"),
        (lambda run: run.training(), "training.json", "vaekit-training-2"),
        (lambda run: run.index(), "gradients/manifest.json", "vaekit-gradient-index-4"),
    ],
    ids=["ood", "influence", "self-influence", "training", "manifest"],
)
def test_wrong_format_names_found_and_expected(empty_run, read, file, expected):
    path = empty_run.path / file
    path.parent.mkdir(parents=True, exist_ok=True)
    found = re.sub(r"\d+$", lambda m: str(int(m.group()) - 1), expected)  # the format before
    path.write_text(json.dumps({"format": found}))
    with pytest.raises(ValueError) as caught:
        read(empty_run)
    message = str(caught.value)
    assert str(path) in message
    assert repr(found) in message and repr(expected) in message


def test_run_must_be_a_folder(tmp_path):
    with pytest.raises(FileNotFoundError, match="not a run folder"):
        vaekit.Run(tmp_path / "nowhere")


def test_missing_checkpoint(tmp_path):
    with pytest.raises(FileNotFoundError, match="checkpoint-9.h5"):
        vaekit.read_checkpoint(tmp_path / "checkpoint-9.h5")
