"""From scores to alerts (nidslib.detection): thresholds chosen on validation scores only,
and the two-stage detector."""

import numpy as np
import pytest

from nidslib import anomaly, detection

# --- thresholds: chosen on validation scores, never on test scores -------------------------

def _val_test_scores():
    rng = np.random.default_rng(0)
    val_benign, val_attack = rng.normal(1.0, 0.2, 1000), rng.normal(2.0, 0.3, 100)
    # a test split whose benign traffic is noisier: a threshold fitted on it would differ
    test_benign, test_attack = rng.normal(1.3, 0.4, 1000), rng.normal(2.5, 0.3, 100)
    return val_benign, val_attack, test_benign, test_attack


def test_fpr_threshold_uses_only_benign_validation_scores():
    val_benign, val_attack, test_benign, _ = _val_test_scores()
    threshold = detection.threshold_for_fpr(val_benign, fpr=0.01)
    assert np.mean(val_benign > threshold) <= 0.01
    assert np.mean(val_benign >= threshold) > 0.01  # the smallest such threshold
    assert threshold in set(val_benign)  # a validation score, not a test or attack score
    leaked = detection.threshold_for_fpr(np.concatenate([val_benign, test_benign]), fpr=0.01)
    assert threshold != leaked  # so the test above would fail if test scores leaked in
    assert np.mean(test_benign > threshold) > 0.05  # the test FPR is measured, not promised
    assert detection.threshold_for_fpr(val_benign, fpr=0.0) == val_benign.max()


def test_best_f1_threshold_maximises_validation_f1_only():
    val_benign, val_attack, test_benign, test_attack = _val_test_scores()
    scores = np.concatenate([val_benign, val_attack])
    is_attack = np.r_[np.zeros(len(val_benign), bool), np.ones(len(val_attack), bool)]
    threshold = detection.threshold_best_f1(scores, is_attack)

    def f1(s, y, t):
        flagged = s > t
        tp = np.sum(flagged & y)
        return 2 * tp / (flagged.sum() + y.sum())

    best = f1(scores, is_attack, threshold)
    assert all(f1(scores, is_attack, t) <= best + 1e-12 for t in np.unique(scores))
    test_scores = np.concatenate([test_benign, test_attack])
    test_threshold = detection.threshold_best_f1(test_scores, is_attack)
    assert threshold != test_threshold and threshold in set(scores)
    with pytest.raises(ValueError, match="no attack"):
        detection.threshold_best_f1(scores, np.zeros(len(scores), bool))


def test_threshold_arguments_are_checked():
    with pytest.raises(ValueError, match="fpr"):
        detection.threshold_for_fpr([1.0, 2.0], fpr=1.0)
    with pytest.raises(ValueError, match="benign_val_scores"):
        detection.threshold_for_fpr([])
    with pytest.raises(ValueError, match="NaN"):
        detection.threshold_for_fpr([1.0, np.nan])
    with pytest.raises(ValueError, match="one entry per score"):
        detection.threshold_best_f1([1.0, 2.0], [True])
    assert detection.FIXED_THRESHOLD == 0.1


# --- the two-stage detector --------------------------------------------------------------

class _ByFeature:
    """A stand-in classifier: names a flow by its feature 0 (a sklearn-like predict)."""

    def predict(self, flows):
        return np.where(flows[:, 0] > 100, "DoS", np.where(flows[:, 0] > 50, "PortScan",
                                                           "Benign"))


def test_two_stage_detector_classes(autoencoder):
    model, _, x = autoencoder
    normal = x[300:320].copy()
    attack = normal.copy()
    attack[:, :, 2] *= 1000.0  # anomalous windows...
    attack[:10, -1, 0] = 500.0  # ...the classifier names half of them DoS,
    attack[10:, -1, 0] = 1.0  # the other half it calls benign
    windows = np.concatenate([normal, attack])
    scores = anomaly.anomaly_scores(model, windows)
    threshold = float(scores[:20].max())  # every normal window at or below
    detector = detection.TwoStageDetector(model, _ByFeature(), threshold,
                                          classes=["Benign", "DoS", "PortScan"])
    predicted = detector.predict(windows)
    assert predicted[:20].tolist() == ["Benign"] * 20
    assert predicted[20:30].tolist() == ["DoS"] * 10
    assert predicted[30:].tolist() == ["Unknown attack"] * 10
    assert set(predicted) <= set(detector.classes_)
    np.testing.assert_array_equal(detector.flag(windows), scores > threshold)
    # a classifier that predicts integer ids is decoded through classes
    ids = detection.TwoStageDetector(model, _Ids(), threshold, classes=["Benign", "DoS"])
    assert ids.predict(windows)[20:].tolist() == ["DoS"] * 20


class _Ids:
    def predict(self, flows):
        return np.ones(len(flows), dtype=np.int64)


def test_two_stage_detector_checks_its_arguments(autoencoder):
    model, _, _ = autoencoder
    with pytest.raises(ValueError, match="benign_label"):
        detection.TwoStageDetector(model, _ByFeature(), 1.0, classes=["DoS", "PortScan"])
    with pytest.raises(ValueError, match="unknown_label"):
        detection.TwoStageDetector(model, _ByFeature(), 1.0, classes=["Benign", "DoS"],
                                   unknown_label="DoS")
    with pytest.raises(ValueError, match="predict"):
        detection.TwoStageDetector(model, object(), 1.0, classes=["Benign", "DoS"])
