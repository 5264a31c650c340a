"""Bootstrap intervals and rare-family counts against scikit-learn and hand counts."""

import numpy as np
import pytest
from sklearn.metrics import f1_score

from nidslib import uncertainty


@pytest.fixture
def labels():
    rng = np.random.default_rng(0)
    y = rng.choice(4, size=3000, p=[0.7, 0.2, 0.095, 0.005])
    noisy = np.where(rng.random(len(y)) < 0.9, y, rng.integers(0, 4, len(y)))
    return y, noisy


def test_macro_f1_equals_scikit_learn(labels):
    y, pred = labels
    assert uncertainty.macro_f1(y, pred) == pytest.approx(f1_score(y, pred, average="macro"))
    assert uncertainty.macro_f1(y, pred, classes=[0, 1]) == pytest.approx(
        f1_score(y, pred, labels=[0, 1], average="macro"))


def test_rare_families_are_counted_not_ranked(labels):
    y, pred = labels
    rare = int(np.argmin(np.bincount(y)))
    assert list(uncertainty.caught_of(y, pred)) == [rare]
    n = int(np.sum(y == rare))
    assert uncertainty.caught_of(y, pred)[rare].endswith(f"of {n}")
    common = [c for c in range(4) if c != rare]
    assert uncertainty.ranking_macro_f1(y, pred) == pytest.approx(
        f1_score(y, pred, labels=common, average="macro"))
    names = np.array(["Benign", "DoS", "PortScan", "Heartbleed"])
    assert list(uncertainty.caught_of(names[y], names[pred])) == [names[rare]]


def test_paired_bootstrap_tells_noise_from_a_difference(labels):
    y, pred = labels
    same = uncertainty.paired_bootstrap(y, pred, pred.copy())
    assert same["difference"] == 0 and same["verdict"] == "no measurable difference"
    better = uncertainty.paired_bootstrap(y, y, pred)
    low, high = better["interval"]
    assert 0 < low <= better["difference"] <= high and better["verdict"] == "A better"
    # One flow changed: far inside the noise.
    nudged = pred.copy()
    nudged[np.flatnonzero(nudged != y)[0]] = y[np.flatnonzero(nudged != y)[0]]
    assert uncertainty.paired_bootstrap(y, nudged, pred)["verdict"] == "no measurable difference"
    assert uncertainty.verdict((-0.2, -0.1)) == "B better"
