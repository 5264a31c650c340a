"""Tests of nidslib.evaluation: hand-computed metrics, the benign FPR, scores."""

import numpy as np
import pytest

from nidslib.evaluation import (
    benign_fpr,
    classification_report_frame,
    decode_labels,
    default_labels,
    resolve_benign_label,
    summary_metrics,
)

# Any warning (UndefinedMetricWarning, pandas deprecations) fails the test.
pytestmark = pytest.mark.filterwarnings("error")

# 6 benign, 3 DoS, 1 Bot. Confusion matrix (rows true, columns predicted: BENIGN, Bot, DoS):
#   BENIGN  5 0 1
#   Bot     1 0 0     <- Bot is never predicted
#   DoS     1 0 2
Y_TRUE = ["BENIGN"] * 6 + ["DoS"] * 3 + ["Bot"]
Y_PRED = ["BENIGN"] * 5 + ["DoS"] + ["DoS", "DoS", "BENIGN"] + ["BENIGN"]


def test_known_confusion_matrix_gives_hand_computed_numbers():
    report = classification_report_frame(Y_TRUE, Y_PRED)
    assert list(report.index) == ["BENIGN", "Bot", "DoS"]
    assert list(report.columns) == ["precision", "recall", "f1", "support"]
    assert report.loc["BENIGN", "precision"] == pytest.approx(5 / 7)
    assert report.loc["BENIGN", "recall"] == pytest.approx(5 / 6)
    assert report.loc["BENIGN", "f1"] == pytest.approx(10 / 13)  # 2PR/(P+R) = 2*5/(7+6)
    assert report.loc["DoS", ["precision", "recall", "f1"]].tolist() == pytest.approx([2 / 3] * 3)
    assert report.loc["Bot", ["precision", "recall", "f1"]].tolist() == [0.0, 0.0, 0.0]
    assert report["support"].tolist() == [6, 1, 3]
    s = report.attrs["summary"]
    assert s["accuracy"] == pytest.approx(7 / 10)
    assert s["macro_f1"] == pytest.approx((10 / 13 + 2 / 3 + 0) / 3)
    assert s["weighted_f1"] == pytest.approx((6 * 10 / 13 + 3 * 2 / 3 + 1 * 0) / 10)
    assert s["macro_recall"] == pytest.approx((5 / 6 + 2 / 3 + 0) / 3)
    assert s["benign_fpr"] == pytest.approx(1 / 6)  # one benign flow called DoS
    assert s["attack_detection_rate"] == pytest.approx(2 / 4)  # 2 of 4 attacks flagged
    assert s["n_samples"] == 10
    assert summary_metrics(Y_TRUE, Y_PRED) == s


def test_benign_fpr_by_hand():
    y_true = ["BENIGN"] * 8 + ["DDoS"] * 2
    y_pred = ["BENIGN"] * 5 + ["DDoS", "PortScan", "DDoS"] + ["BENIGN", "DDoS"]
    assert benign_fpr(y_true, y_pred) == pytest.approx(3 / 8)  # any attack name is an alarm
    assert np.isnan(benign_fpr(["DDoS", "DDoS"], ["BENIGN", "DDoS"]))  # no benign flow
    # Families ("Benign") and NSL-KDD ("normal") are found from the default label.
    assert benign_fpr(["Benign", "Benign", "DoS"], ["Benign", "DoS", "DoS"]) == 0.5
    assert benign_fpr(["normal", "dos"], ["dos", "dos"]) == 1.0


def test_class_predicted_but_absent_and_class_absent_everywhere():
    y_true = ["BENIGN", "BENIGN", "DoS", "DoS"]
    y_pred = ["BENIGN", "PortScan", "DoS", "DoS"]
    report = classification_report_frame(
        y_true, y_pred, labels=["BENIGN", "DoS", "PortScan", "Heartbleed"])
    assert list(report.index) == ["BENIGN", "DoS", "PortScan", "Heartbleed"]
    # A false-alarm class (support 0): precision 0, recall and F1 not measurable.
    assert report.loc["PortScan"].fillna(-1).tolist() == [0, -1, -1, 0]
    # A class absent everywhere: nothing is measurable.
    assert report.loc["Heartbleed"].fillna(-1).tolist() == [-1, -1, -1, 0]
    # Macro-F1 covers classes seen in y_true or y_pred (PortScan counts, Heartbleed not).
    assert report.attrs["summary"]["macro_f1"] == pytest.approx((2 / 3 + 1 + 0) / 3)
    assert report.attrs["summary"]["benign_fpr"] == 0.5


def test_binary_zero_is_benign():
    y_true = np.array([0, 0, 0, 0, 1, 1, 1, 1, 1, 1])
    y_pred = np.array([0, 0, 0, 1, 1, 1, 1, 1, 0, 0])
    report = classification_report_frame(y_true, y_pred)
    assert list(report.index) == [0, 1]
    assert report.loc[1, "recall"] == pytest.approx(4 / 6)
    assert report.loc[1, "precision"] == pytest.approx(4 / 5)
    s = report.attrs["summary"]
    assert s["benign_fpr"] == pytest.approx(1 / 4)
    assert s["attack_detection_rate"] == pytest.approx(4 / 6)
    assert s["accuracy"] == pytest.approx(7 / 10)


def test_binary_string_labels_put_benign_first():
    report = classification_report_frame(["Attack", "BENIGN", "BENIGN"],
                                         ["Attack", "Attack", "BENIGN"])
    assert list(report.index) == ["BENIGN", "Attack"]
    assert report.attrs["summary"]["benign_fpr"] == 0.5


def test_resolve_benign_label():
    assert resolve_benign_label("BENIGN", ["BENIGN", "DoS"]) == "BENIGN"
    assert resolve_benign_label("BENIGN", ["Benign", "DoS"]) == "Benign"
    assert resolve_benign_label("BENIGN", np.array([0, 1])) == 0
    assert resolve_benign_label("BENIGN", ["DoS", "Bot"]) is None
    assert resolve_benign_label(None, ["BENIGN"]) is None
    assert resolve_benign_label(2, [0, 1, 2]) == 2


def test_integer_ids_are_named_by_classes():
    classes = np.array(["BENIGN", "Bot", "DoS"])
    assert decode_labels([2, 0], classes).tolist() == ["DoS", "BENIGN"]
    assert decode_labels(["DoS"], classes).tolist() == ["DoS"]  # names pass through
    report = classification_report_frame([0, 0, 2, 1], [0, 2, 2, 1], classes=classes)
    assert list(report.index) == ["BENIGN", "Bot", "DoS"]
    assert report.attrs["summary"]["benign_fpr"] == 0.5
    # The model's classes get rows even when this split has none of them.
    report = classification_report_frame([0, 2], [0, 2], classes=classes)
    assert report.loc["Bot", "support"] == 0 and np.isnan(report.loc["Bot", "recall"])
    with pytest.raises(ValueError, match="class ids"):
        decode_labels([3], classes)
    assert default_labels(["DoS", "normal"], ["DoS", "DoS"]) == ["normal", "DoS"]


def test_perfect_scores_give_auc_and_ap_of_one():
    rng = np.random.default_rng(0)
    y = rng.integers(0, 4, 400)
    scores = np.eye(4)[y] * 0.9 + 0.025  # the true class always scores highest
    classes = ["BENIGN", "Bot", "DoS", "PortScan"]
    report = classification_report_frame(y, scores.argmax(1), y_score=scores, classes=classes)
    assert report["roc_auc"].tolist() == [1.0] * 4
    assert report["average_precision"].tolist() == [1.0] * 4
    assert report.attrs["summary"]["roc_auc"] == 1.0
    assert report.attrs["summary"]["average_precision"] == 1.0


def test_random_scores_give_auc_near_half():
    rng = np.random.default_rng(1)
    y = np.array(["BENIGN", "DoS", "Bot"])[rng.integers(0, 3, 6000)]
    scores = rng.dirichlet(np.ones(3), 6000)
    s = summary_metrics(y, y, y_score=scores, classes=["BENIGN", "Bot", "DoS"])
    assert s["roc_auc"] == pytest.approx(0.5, abs=0.03)
    assert s["average_precision"] == pytest.approx(1 / 3, abs=0.03)  # AP of chance = prevalence
    # Binary, 1-D attack scores.
    yb = rng.integers(0, 2, 4000)
    s = summary_metrics(yb, yb, y_score=rng.random(4000))
    assert s["roc_auc"] == pytest.approx(0.5, abs=0.03)
    s = summary_metrics(yb, yb, y_score=yb * 0.5 + 0.25)
    assert (s["roc_auc"], s["average_precision"]) == (1.0, 1.0)


def test_scores_for_a_class_missing_from_y_true_are_nan_not_warnings():
    y = ["BENIGN", "BENIGN", "DoS", "DoS"]
    scores = np.array([[0.8, 0.1, 0.1], [0.7, 0.2, 0.1], [0.1, 0.1, 0.8], [0.2, 0.2, 0.6]])
    report = classification_report_frame(y, y, y_score=scores, classes=["BENIGN", "Bot", "DoS"])
    assert report.loc["Bot", ["roc_auc", "average_precision"]].isna().all()
    assert report.attrs["summary"]["roc_auc"] == 1.0  # macro over the classes present


def test_bad_inputs_raise_clear_errors():
    with pytest.raises(ValueError, match="1-D"):
        summary_metrics(np.eye(3), np.eye(3))
    with pytest.raises(ValueError, match="columns"):
        summary_metrics(["BENIGN", "DoS"], ["BENIGN", "DoS"], y_score=np.ones((2, 3)))


def test_sigmoid_and_two_way_softmax_give_the_same_summary():
    rng = np.random.default_rng(2)
    y = rng.integers(0, 2, 500)
    attack = np.clip(0.3 * y + 0.7 * rng.random(500), 0, 1)
    one = summary_metrics(y, attack > 0.5, y_score=attack)
    two = summary_metrics(y, attack > 0.5, y_score=np.column_stack([1 - attack, attack]))
    assert one == pytest.approx(two)
    assert one["average_precision"] == pytest.approx(
        classification_report_frame(y, y, y_score=attack).loc[1, "average_precision"])
