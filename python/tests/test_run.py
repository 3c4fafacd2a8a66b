"""Run: the tables read from the tiny run's files, checked against what made them."""

import json

import numpy as np
import pandas as pd
import pytest

import vaekit
from conftest import EPOCHS, OOD_COUNT, TESTS_EXPLAINED, TOP, TRAIN_COUNT


@pytest.fixture(scope="module")
def run(tiny_run):
    return vaekit.Run(tiny_run)


def auroc(in_distribution, out_of_distribution):
    """AUROC with OOD as positives, by the Mann–Whitney statistic: the share of (in, out) pairs
    where the OOD score is higher, ties counted half."""
    a = np.asarray(in_distribution, dtype=float)[:, None]
    b = np.asarray(out_of_distribution, dtype=float)[None, :]
    return ((b > a).sum() + 0.5 * (b == a).sum()) / (a.size * b.size)


def test_auroc_helper():
    assert auroc([1, 2], [3, 4]) == 1.0
    assert auroc([3, 4], [1, 2]) == 0.0
    assert auroc([1, 1], [1, 1]) == 0.5
    assert auroc([1, 3], [2, 4]) == 0.75


def test_config(run):
    config = run.config
    assert config["model"]["architecture"] == "mlp"
    assert config["training"]["epochs"] == EPOCHS
    assert config["data"]["train_limit"] == TRAIN_COUNT


def test_metrics(run):
    metrics = run.metrics()
    assert len(metrics) == EPOCHS
    assert list(metrics.columns[:8]) == [
        "epoch", "step", "train_loss", "train_reconstruction", "train_kl", "test_neg_elbo", "learning_rate",
        "examples_per_second",
    ]
    assert metrics["epoch"].tolist() == list(range(1, EPOCHS + 1))
    assert metrics["step"].is_monotonic_increasing
    np.testing.assert_allclose(metrics["train_loss"], metrics["train_reconstruction"] + metrics["train_kl"], rtol=1e-6)


def test_checkpoints(run):
    checkpoints = run.checkpoints()
    assert [step for step, _ in checkpoints] == [2, 4, 6, 8]  # every 2 of 8 steps
    assert all(path.name == f"checkpoint-{step}.h5" and path.exists() for step, path in checkpoints)


def test_training(run):
    training = run.training()
    assert len(training) == 1
    session = training.iloc[0]
    assert session["first_step"] == 0
    assert session["last_step"] == run.metrics()["step"].iloc[-1]
    assert session["examples_per_second"] > 0
    assert session["test_negative_elbo"] == pytest.approx(run.metrics()["test_neg_elbo"].iloc[-1])


def test_ood_scores(run):
    scores = run.ood_scores()
    assert list(scores.columns) == ["set", "in_distribution", "index", "label", "method", "score", "flagged"]
    assert list(pd.unique(scores["set"])) == ["test", "noise", "vflip"]
    assert scores.loc[scores["in_distribution"], "set"].unique().tolist() == ["test"]
    # A Bernoulli model has no input complexity, and there was no background model.
    assert sorted(scores["method"].unique()) == ["iwae_nll", "likelihood_regret"]
    counts = scores.groupby(["set", "method"]).size()
    assert (counts == OOD_COUNT).all()
    for _, rows in scores.groupby(["set", "method"]):
        assert sorted(rows["index"]) == list(range(OOD_COUNT))
    assert (scores.loc[scores["set"] == "noise", "label"] == -1).all()
    assert scores["score"].notna().all()


def test_ood_flags_follow_thresholds(run):
    """flagged is the method's own verdict: its score above its threshold."""
    scores = run.ood_scores()
    thresholds = json.loads((run.path / "ood.json").read_text())["calibration"]["thresholds"]
    assert not scores["flagged"].isna().any()
    for method, rows in scores.groupby("method"):
        assert (rows["flagged"].astype(bool) == (rows["score"] > thresholds[method])).all(), method


def test_ood_metrics_match_scores(run):
    """Each method's AUROC in the file, recomputed from the scores the package reports for it."""
    metrics = run.ood_metrics()
    scores = run.ood_scores()
    assert list(metrics.columns[:6]) == ["method", "set", "auroc", "auprc", "fpr_at_80", "fpr_at_95"]
    for column in ["auroc_lower", "auroc_upper", "auprc_lower", "auprc_upper", "fpr_at_95_lower", "fpr_at_95_upper"]:
        assert column in metrics.columns
    assert sorted(zip(metrics["method"], metrics["set"])) == [
        (m, s) for m in ("iwae_nll", "likelihood_regret") for s in ("noise", "vflip")
    ]
    for row in metrics.itertuples():
        of = scores[scores["method"] == row.method]
        expected = auroc(of.loc[of["in_distribution"], "score"], of.loc[of["set"] == row.set, "score"])
        assert row.auroc == pytest.approx(expected, abs=1e-12), (row.method, row.set)
        assert row.auroc_lower <= row.auroc_upper
    # The check can tell the methods apart: on vflip their AUROCs differ.
    vflip = metrics[metrics["set"] == "vflip"].set_index("method")["auroc"]
    assert vflip["iwae_nll"] != vflip["likelihood_regret"]


def test_influence(run):
    influence = run.influence()
    assert len(influence) == TESTS_EXPLAINED * 2 * TOP
    sizes = influence.groupby(["test_index", "kind"]).size()
    assert sizes.to_dict() == {(t, k): TOP for t in range(TESTS_EXPLAINED) for k in ("opponent", "proponent")}
    for (_, kind), rows in influence.groupby(["test_index", "kind"]):
        assert rows["rank"].tolist() == list(range(1, TOP + 1))
        scores = rows["score"].to_numpy()
        # Proponents strongest (highest) first, opponents most negative first.
        assert (np.diff(scores) <= 0).all() if kind == "proponent" else (np.diff(scores) >= 0).all()
    assert influence["train_index"].between(0, TRAIN_COUNT - 1).all()
    assert (influence["test_split"] == "test").all()


def test_self_influence(run):
    values = run.self_influence()
    assert len(values) == TRAIN_COUNT
    assert values.index.tolist() == list(range(TRAIN_COUNT))
    assert np.isfinite(values).all() and (values >= 0).all()  # ⟨g, g⟩ summed over checkpoints


def test_class_names(tiny_run):
    """Fashion-MNIST's ten names, stored by `vaekit data prepare fashion-mnist`, in label order."""
    names = vaekit.Run(tiny_run).class_names()
    assert len(names) == 10 and names[0] == "T-shirt/top" and names[9] == "Ankle boot"
