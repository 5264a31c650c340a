"""The LSTM autoencoder (nidslib.anomaly): shapes, masked training, scores, determinism."""

import numpy as np
import pytest

from nidslib import anomaly
from nidslib.features import real_flows

from conftest import train_toy_autoencoder

import keras  # noqa: E402  (after nidslib: TF_CPP_MIN_LOG_LEVEL is set)


def _lstm_sizes(model, prefix):
    return [layer.units for layer in model.layers
            if isinstance(layer, keras.layers.LSTM) and layer.name.startswith(prefix)]


def test_seed_architecture_and_shapes():
    model = anomaly.build_lstm_autoencoder(10, 65)
    assert model.name == "lstm_autoencoder"
    assert model.input_shape == (None, 10, 65) and model.output_shape == (None, 10, 65)
    assert _lstm_sizes(model, "encoder") == [64] and _lstm_sizes(model, "decoder") == [32]
    assert isinstance(model.get_layer("repeat_code"), keras.layers.RepeatVector)
    assert isinstance(model.get_layer("reconstruction"), keras.layers.TimeDistributed)
    assert model.loss == "mse" and model.steps_per_execution == 32
    lstm = lambda units, inputs: 4 * (units * (inputs + units) + units)  # noqa: E731
    assert model.count_params() == lstm(64, 65) + lstm(32, 64) + (32 * 65 + 65)


def test_units_split_between_encoder_and_decoder_and_window_of_one():
    model = anomaly.build_lstm_autoencoder(1, 3, units=(8, 6, 4), name="ae")
    assert _lstm_sizes(model, "encoder") == [8, 6] and _lstm_sizes(model, "decoder") == [4]
    assert model(np.ones((2, 1, 3), "float32")).shape == (2, 1, 3)
    with pytest.raises(ValueError, match="units"):
        anomaly.build_lstm_autoencoder(4, 3, units=(8, 0))
    with pytest.raises(ValueError, match="dropout"):
        anomaly.build_lstm_autoencoder(4, 3, dropout=1.0)


def test_training_lowers_the_reconstruction_loss(autoencoder):
    _, run, _ = autoencoder
    assert run.history["val_loss"][run.best_epoch - 1] < run.history["val_loss"][0]


def test_scores_are_non_negative_and_larger_on_a_planted_anomaly(autoencoder):
    model, _, x = autoencoder
    normal = x[300:].copy()
    planted = normal.copy()
    planted[:, :, 2] *= 1000.0  # one feature three orders of magnitude off
    for kind in anomaly.ERROR_KINDS:
        s_normal = anomaly.anomaly_scores(model, normal, kind=kind)
        s_planted = anomaly.anomaly_scores(model, planted, kind=kind)
        assert s_normal.shape == (100,) and (s_normal >= 0).all()
        assert (s_planted > s_normal).all()
    errors = anomaly.feature_errors(model, planted) - anomaly.feature_errors(model, normal)
    assert (errors.mean(axis=0).argmax()) == 2  # the explanation names the planted feature


def test_errors_skip_padded_flows(autoencoder):
    model, _, x = autoencoder
    window = x[300:301].copy()
    window[0, :2] = 0.0  # two padded flows
    mask = real_flows(window)
    assert mask.tolist() == [[False, False, True, True]]
    errors = anomaly.feature_errors(model, window)
    np.testing.assert_allclose(errors, anomaly.feature_errors(model, window, mask=mask))
    # the padded steps' reconstruction does not count: the full-mask score differs
    full = anomaly.feature_errors(model, window, mask=np.ones((1, 4), bool))
    assert not np.allclose(errors, full)
    targets = anomaly.reconstruction_targets(model, window)
    recon = model(window).numpy()
    np.testing.assert_allclose(errors[0], np.abs(recon - targets)[0, 2:].mean(axis=0),
                               rtol=1e-5)
    with pytest.raises(ValueError, match="mask"):
        anomaly.feature_errors(model, window, mask=np.ones((1, 3), bool))
    with pytest.raises(ValueError, match="kind"):
        anomaly.anomaly_scores(model, window, kind="rmse")
    with pytest.raises(ValueError, match="x must be windows"):
        anomaly.anomaly_scores(model, window[0])


def test_flow_errors_are_each_flows_error_and_average_to_the_score(autoencoder):
    model, _, x = autoencoder
    windows = x[290:310].copy()
    windows[0, :2] = 0.0  # two padded flows
    mask = real_flows(windows)
    per_flow = anomaly.flow_errors(model, windows)
    assert per_flow.shape == windows.shape[:2]
    recon = model(windows).numpy()
    targets = anomaly.reconstruction_targets(model, windows)
    np.testing.assert_allclose(per_flow, np.abs(recon - targets).mean(axis=2), rtol=1e-5)
    masked_mean = (per_flow * mask).sum(axis=1) / mask.sum(axis=1)
    np.testing.assert_allclose(masked_mean, anomaly.anomaly_scores(model, windows, mask),
                               rtol=1e-9)
    with pytest.raises(ValueError, match="kind"):
        anomaly.flow_errors(model, windows, kind="rmse")


def test_training_is_deterministic(autoencoder):
    first, run_a, x = autoencoder
    second, run_b, _ = train_toy_autoencoder()
    assert run_a.history == run_b.history
    np.testing.assert_array_equal(anomaly.anomaly_scores(first, x),
                                  anomaly.anomaly_scores(second, x))
