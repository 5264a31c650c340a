"""The training helper (nidslib.training): determinism, early stopping, fast inference."""

import os

import numpy as np
import pytest

from nidslib import training

import keras  # noqa: E402  (after nidslib.training: TF_CPP_MIN_LOG_LEVEL is set)

from nidslib import models  # noqa: E402


def _data(n=400, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 6)).astype("float32")
    y = (x[:, 0] + 0.5 * x[:, 1] > 0).astype("int64") + (x[:, 2] > 1)
    return x, y


def _train_once(epochs=4):
    x, y = _data()
    training.set_seed(0)
    model = models.build_dnn(6, 3, units=(16,), steps_per_execution=4)
    run = training.fit(model, (x[:300], y[:300]), (x[300:], y[300:]), epochs=epochs,
                       batch_size=32)
    return model, run


def test_tensorflow_log_level_is_set_before_import():
    assert os.environ["TF_CPP_MIN_LOG_LEVEL"] == "3"


def test_two_runs_give_identical_weights():
    first, run_a = _train_once()
    second, run_b = _train_once()
    for a, b in zip(first.get_weights(), second.get_weights()):
        np.testing.assert_array_equal(a, b)
    assert run_a.history == run_b.history


def test_fit_reports_what_early_stopping_decided():
    model, run = _train_once(epochs=3)
    assert run.epochs_run == 3 and len(run.history["loss"]) == 3
    assert set(run.history) >= {"loss", "val_loss", "accuracy", "val_accuracy"}
    assert run.best_epoch == int(np.argmin(run.history["val_loss"])) + 1
    assert run.best_value == min(run.history["val_loss"])
    assert run.seconds > 0 and run.seconds_per_epoch == pytest.approx(run.seconds / 3)


def test_early_stopping_restores_the_best_weights():
    """Stopping at patience: the model holds the best epoch's weights, not the last's."""
    x, y = _data()
    training.set_seed(0)
    model = models.build_dnn(6, 3, units=(16,), learning_rate=0.5, steps_per_execution=4)
    run = training.fit(model, (x[:300], y[:300]), (x[300:], y[300:]), epochs=30,
                       patience=2, batch_size=32)
    assert run.epochs_run == run.best_epoch + 2 < 30  # it stopped, patience 2 after the best
    val_loss = model.evaluate(x[300:], y[300:], verbose=0, return_dict=True)["loss"]
    assert val_loss == pytest.approx(run.best_value, rel=1e-4)


def test_predictions_match_keras_predict():
    model, _ = _train_once(epochs=1)
    x, _ = _data(50, seed=3)
    np.testing.assert_allclose(training.predict_scores(model, x, batch_size=16),
                               model.predict(x, verbose=0), rtol=1e-5, atol=1e-6)
    np.testing.assert_array_equal(training.predict_labels(model, x),
                                  model.predict(x, verbose=0).argmax(axis=1))


def test_binary_models_give_one_attack_score():
    training.set_seed(0)
    model = models.build_dnn(6, 2, units=(4,))
    x, _ = _data(20)
    scores = training.predict_scores(model, x)
    assert scores.shape == (20,)
    np.testing.assert_array_equal(training.predict_labels(model, x), scores >= 0.5)


def test_inference_speed_reports_both_batch_sizes():
    model, _ = _train_once(epochs=1)
    x, _ = _data(100)
    speed = training.inference_speed(model, x, batch_sizes=(256, 1), repeats=2,
                                     single_calls=10)
    assert set(speed) == {"flows_per_s@256", "flows_per_s@1", "latency_ms@1"}
    assert all(v > 0 for v in speed.values())
    assert speed["flows_per_s@1"] == pytest.approx(1000 / speed["latency_ms@1"])


def test_call_speed_times_any_function_on_batches_of_the_asked_size():
    seen = []
    x = np.arange(30, dtype=np.float32).reshape(10, 3)
    speed = training.call_speed(lambda batch: seen.append(batch.copy()), x,
                                batch_sizes=(25, 1), repeats=3, single_calls=4)
    assert set(speed) == {"flows_per_s@25", "flows_per_s@1", "latency_ms@1"}
    big = [b for b in seen if len(b) == 25]
    assert len(big) == 4  # one warm-up, three timed
    np.testing.assert_array_equal(big[0][:10], x)  # rows repeat when x is short
    np.testing.assert_array_equal(big[0][20:], x[:5])
    singles = [b for b in seen if len(b) == 1]
    assert len(singles) == 5 and all(b.dtype == np.float32 for b in singles)
    with pytest.raises(ValueError, match="empty"):
        training.call_speed(lambda batch: None, x[:0])
