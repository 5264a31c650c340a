"""Shared fixtures: the twin's small week, written once per test session."""

import os
from pathlib import Path

import numpy as np
import pytest

from nidslib.twin import simulation

# Genuine dataset files: CI points NIDSLIB_DATA at ../shared/datasets; a developer's
# checkout finds the same folder beside the repository. Every test reads them from here.
SHARED_DATASETS = Path(os.environ.get("NIDSLIB_DATA", Path(__file__).parents[2] / "shared" / "datasets"))
# CI (.ci/run) sets NIDSLIB_REQUIRE_GENUINE=1: there a missing genuine file fails its tests
# instead of skipping them silently.
REQUIRE_GENUINE = os.environ.get("NIDSLIB_REQUIRE_GENUINE") == "1"


def needs_genuine(*paths):
    """Mark a test that reads genuine files: skipped where one is missing, failed in CI."""
    missing = [str(p) for p in paths if not Path(p).exists()]
    return pytest.mark.skipif(bool(missing) and not REQUIRE_GENUINE,
                              reason=f"genuine data not found: {', '.join(missing)}")


def genuine_or_skip(path) -> Path:
    """``path`` if it exists; else skip the calling test (fail it in CI)."""
    if not Path(path).exists() and not REQUIRE_GENUINE:
        pytest.skip(f"genuine data not found: {path}")
    return Path(path)


@pytest.fixture(scope="session")
def twin_week(tmp_path_factory) -> list[Path]:
    """The small twin week as the eight CSV files a reader would get."""
    return simulation.write_week(tmp_path_factory.mktemp("twin"), profile="small", seed=0)


@pytest.fixture(scope="session")
def twin_frames() -> dict:
    """The small twin week as in-memory frames (canonical features + ``Label``), by file."""
    return {name: frame for name, _day, frame in simulation.simulate_week("small", seed=0)}


# The one toy-data maker of the tests: a stand-in for flows with a few features spanning six
# decades, like raw flow features, and four classes; flows or windows of flows. A small CNN
# teacher trained on it is shared by chapter 7's tests.
TOY_FEATURES = 12
TOY_SCALES = np.geomspace(1.0, 1e6, TOY_FEATURES).astype("float32")


def toy_data(n, seed: int, *, window: int | None = None, pad_every: int = 0):
    """``(x, y)``: toy flows ``(n, TOY_FEATURES)`` with classes 0-3 set by the first three
    features; or, given ``window``, ``n`` windows ``(n, window, TOY_FEATURES)`` labelled by
    their last flow, every ``pad_every``-th starting with ``window // 2`` padding flows (all
    zero, as ``sequences.make_windows`` pads). ``n`` may instead map class names to row
    counts: then each class is a blob of its own along the first feature, in that order."""
    rng = np.random.default_rng(seed)
    rows = sum(n.values()) if isinstance(n, dict) else n * (window or 1)
    z = rng.normal(size=(rows, TOY_FEATURES)).astype("float32")
    if isinstance(n, dict):
        codes = np.repeat(np.arange(len(n)), list(n.values()))
        z[:, 0] += 3.0 * codes
        return z * TOY_SCALES, np.asarray(list(n))[codes]
    y = (z[:, 0] > 0).astype("int64") + (z[:, 1] > 0.5) + (z[:, 2] > 1.0)
    x = z * TOY_SCALES
    if window is None:
        return x, y
    x, y = x.reshape(n, window, TOY_FEATURES), y.reshape(n, window)[:, -1]
    if pad_every:
        x[::pad_every, : window // 2] = 0.0
    return x, y


def toy_scores(y, n_classes: int, seed: int = 0):
    """Softmax-like scores for labels ``y`` (integers): the true class usually, not always,
    wins, as a trained classifier's would."""
    rng = np.random.default_rng(seed)
    scores = rng.normal(0, 1, (len(y), n_classes))
    scores[np.arange(len(y)), y] += 2.0
    return np.exp(scores) / np.exp(scores).sum(1, keepdims=True)


@pytest.fixture(scope="session")
def splits():
    """(train, val) of the toy data, each (x, y)."""
    return toy_data(2000, 0), toy_data(400, 1)


@pytest.fixture(scope="session")
def teacher(splits):
    """A small CNN trained on the toy data: what chapter 7 compresses, in miniature."""
    from nidslib import models, training

    (x, y), val = splits
    training.set_seed(0)
    model = models.build_cnn(TOY_FEATURES, 4, filters=(8, 16), dense_units=32,
                             scaling=models.fit_scaling(x), steps_per_execution=4)
    training.fit(model, (x, y), val, epochs=6, batch_size=64)
    return model


def train_toy_autoencoder(seed: int = 0, epochs: int = 6):
    """``(model, run, x)``: a small LSTM autoencoder trained on 300 toy windows (every fifth
    padded), validated on 100 more; ``x`` holds all 400."""
    from nidslib import anomaly, models, training

    x, _ = toy_data(400, 0, window=4, pad_every=5)
    training.set_seed(seed)
    model = anomaly.build_lstm_autoencoder(4, TOY_FEATURES, units=(8, 8),
                                           scaling=models.fit_scaling(x), learning_rate=1e-2,
                                           steps_per_execution=4)
    run = anomaly.fit_autoencoder(model, x[:300], x[300:], epochs=epochs, patience=3,
                                  batch_size=32)
    return model, run, x


@pytest.fixture(scope="session")
def autoencoder():
    """What chapter 6 trains, in miniature (:func:`train_toy_autoencoder`)."""
    return train_toy_autoencoder()
