"""The LSTM autoencoder and its detectors (nidslib.anomaly): shapes, scores, thresholds,
the two-stage detector, determinism."""

import numpy as np
import pytest

from nidslib import anomaly, models, training
from nidslib.features import real_flows

from conftest import TOY_FEATURES, toy_data

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


def _trained(seed=0, epochs=6):
    x, _ = toy_data(400, 0, window=4, pad_every=5)
    training.set_seed(seed)
    model = anomaly.build_lstm_autoencoder(4, TOY_FEATURES, units=(8, 8), scaling=models.fit_scaling(x),
                                           learning_rate=1e-2, steps_per_execution=4)
    run = anomaly.fit_autoencoder(model, x[:300], x[300:], epochs=epochs, patience=3,
                                  batch_size=32)
    return model, run, x


@pytest.fixture(scope="module")
def trained():
    return _trained()


def test_training_lowers_the_reconstruction_loss(trained):
    _, run, _ = trained
    assert run.history["val_loss"][run.best_epoch - 1] < run.history["val_loss"][0]


def test_scores_are_non_negative_and_larger_on_a_planted_anomaly(trained):
    model, _, x = trained
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


def test_errors_skip_padded_flows(trained):
    model, _, x = trained
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


def test_training_is_deterministic(trained):
    first, run_a, x = trained
    second, run_b, _ = _trained()
    assert run_a.history == run_b.history
    np.testing.assert_array_equal(anomaly.anomaly_scores(first, x),
                                  anomaly.anomaly_scores(second, x))


# --- thresholds: chosen on validation scores, never on test scores -------------------------

def _val_test_scores():
    rng = np.random.default_rng(0)
    val_benign, val_attack = rng.normal(1.0, 0.2, 1000), rng.normal(2.0, 0.3, 100)
    # a test split whose benign traffic is noisier: a threshold fitted on it would differ
    test_benign, test_attack = rng.normal(1.3, 0.4, 1000), rng.normal(2.5, 0.3, 100)
    return val_benign, val_attack, test_benign, test_attack


def test_fpr_threshold_uses_only_benign_validation_scores():
    val_benign, val_attack, test_benign, _ = _val_test_scores()
    threshold = anomaly.threshold_for_fpr(val_benign, fpr=0.01)
    assert np.mean(val_benign > threshold) <= 0.01
    assert np.mean(val_benign >= threshold) > 0.01  # the smallest such threshold
    assert threshold in set(val_benign)  # a validation score, not a test or attack score
    leaked = anomaly.threshold_for_fpr(np.concatenate([val_benign, test_benign]), fpr=0.01)
    assert threshold != leaked  # so the test above would fail if test scores leaked in
    assert np.mean(test_benign > threshold) > 0.05  # the test FPR is measured, not promised
    assert anomaly.threshold_for_fpr(val_benign, fpr=0.0) == val_benign.max()


def test_best_f1_threshold_maximises_validation_f1_only():
    val_benign, val_attack, test_benign, test_attack = _val_test_scores()
    scores = np.concatenate([val_benign, val_attack])
    is_attack = np.r_[np.zeros(len(val_benign), bool), np.ones(len(val_attack), bool)]
    threshold = anomaly.threshold_best_f1(scores, is_attack)

    def f1(s, y, t):
        flagged = s > t
        tp = np.sum(flagged & y)
        return 2 * tp / (flagged.sum() + y.sum())

    best = f1(scores, is_attack, threshold)
    assert all(f1(scores, is_attack, t) <= best + 1e-12 for t in np.unique(scores))
    test_scores = np.concatenate([test_benign, test_attack])
    test_threshold = anomaly.threshold_best_f1(test_scores, is_attack)
    assert threshold != test_threshold and threshold in set(scores)
    with pytest.raises(ValueError, match="no attack"):
        anomaly.threshold_best_f1(scores, np.zeros(len(scores), bool))


def test_threshold_arguments_are_checked():
    with pytest.raises(ValueError, match="fpr"):
        anomaly.threshold_for_fpr([1.0, 2.0], fpr=1.0)
    with pytest.raises(ValueError, match="benign_val_scores"):
        anomaly.threshold_for_fpr([])
    with pytest.raises(ValueError, match="NaN"):
        anomaly.threshold_for_fpr([1.0, np.nan])
    with pytest.raises(ValueError, match="one entry per score"):
        anomaly.threshold_best_f1([1.0, 2.0], [True])
    assert anomaly.FIXED_THRESHOLD == 0.1


# --- the two-stage detector --------------------------------------------------------------

class _ByFeature:
    """A stand-in classifier: names a flow by its feature 0 (a sklearn-like predict)."""

    def predict(self, flows):
        return np.where(flows[:, 0] > 100, "DoS", np.where(flows[:, 0] > 50, "PortScan",
                                                           "Benign"))


def test_two_stage_detector_classes(trained):
    model, _, x = trained
    normal = x[300:320].copy()
    attack = normal.copy()
    attack[:, :, 2] *= 1000.0  # anomalous windows...
    attack[:10, -1, 0] = 500.0  # ...the classifier names half of them DoS,
    attack[10:, -1, 0] = 1.0  # the other half it calls benign
    windows = np.concatenate([normal, attack])
    scores = anomaly.anomaly_scores(model, windows)
    threshold = float(scores[:20].max())  # every normal window at or below
    detector = anomaly.TwoStageDetector(model, _ByFeature(), threshold,
                                        classes=["Benign", "DoS", "PortScan"])
    predicted = detector.predict(windows)
    assert predicted[:20].tolist() == ["Benign"] * 20
    assert predicted[20:30].tolist() == ["DoS"] * 10
    assert predicted[30:].tolist() == ["Unknown attack"] * 10
    assert set(predicted) <= set(detector.classes_)
    np.testing.assert_array_equal(detector.flag(windows), scores > threshold)
    # a classifier that predicts integer ids is decoded through classes
    ids = anomaly.TwoStageDetector(model, _Ids(), threshold, classes=["Benign", "DoS"])
    assert ids.predict(windows)[20:].tolist() == ["DoS"] * 20


class _Ids:
    def predict(self, flows):
        return np.ones(len(flows), dtype=np.int64)


def test_two_stage_detector_checks_its_arguments(trained):
    model, _, _ = trained
    with pytest.raises(ValueError, match="benign_label"):
        anomaly.TwoStageDetector(model, _ByFeature(), 1.0, classes=["DoS", "PortScan"])
    with pytest.raises(ValueError, match="unknown_label"):
        anomaly.TwoStageDetector(model, _ByFeature(), 1.0, classes=["Benign", "DoS"],
                                 unknown_label="DoS")
    with pytest.raises(ValueError, match="predict"):
        anomaly.TwoStageDetector(model, object(), 1.0, classes=["Benign", "DoS"])
