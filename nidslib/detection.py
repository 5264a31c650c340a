"""From anomaly scores to alerts: thresholds chosen on validation, and a two-stage detector.

Chapter 6 (LSTM autoencoder). A score becomes an alert through a threshold chosen on the
**validation** split (evaluation rule 5 of the introduction), by one of three rules the
chapter compares: a target false-positive rate on benign validation windows
(:func:`threshold_for_fpr`), the best F1 on validation (:func:`threshold_best_f1`), or a
fixed value chosen without looking at the data (:data:`FIXED_THRESHOLD`), to show what such a
number means. A window is flagged when its score is **strictly above** the
threshold. Chapter 8 (reality check) applies the same rules to NSL-KDD.

:class:`TwoStageDetector` puts the autoencoder (:mod:`nidslib.anomaly`) in front of a
supervised classifier: the autoencoder flags, the classifier names the attack family of the
flagged windows.

Example
-------
>>> import numpy as np
>>> threshold_for_fpr(np.arange(100) / 100, fpr=0.05)   # 5 of 100 benign scores above it
0.94
>>> threshold_best_f1([0.1, 0.2, 0.3, 0.8, 0.9], [0, 0, 0, 1, 1])   # flag scores above 0.3
0.3
"""

from __future__ import annotations

from nidslib.anomaly import ERROR_KINDS, anomaly_scores
from nidslib.evaluation import decode_labels

import keras
import numpy as np
from sklearn.metrics import precision_recall_curve

__all__ = ["FIXED_THRESHOLD", "TwoStageDetector", "threshold_best_f1", "threshold_for_fpr"]

FIXED_THRESHOLD = 0.1  # chapter 6's hard-coded threshold: one number, whatever the data and scaling


def _scores_1d(values, argument: str) -> np.ndarray:
    values = np.asarray(values, dtype=np.float64)
    if values.ndim != 1 or not len(values):
        raise ValueError(f"{argument} must be a non-empty 1-D array of scores, got shape "
                         f"{values.shape}")
    if not np.isfinite(values).all():
        raise ValueError(f"{argument} holds {int((~np.isfinite(values)).sum())} NaN or "
                         "infinite scores")
    return values


def threshold_for_fpr(benign_val_scores, fpr: float = 0.01) -> float:
    """The smallest threshold that flags at most ``fpr`` of the benign *validation* windows.

    Chapter 6 (LSTM autoencoder), section "Choosing the threshold". It is one of the
    benign scores (the empirical ``1 - fpr`` quantile, rounded up); a window is flagged
    when its score is above it. The operator states the false-alarm rate they can afford;
    the test split then measures what they actually get.

    Parameters
    ----------
    benign_val_scores : array-like
        1-D anomaly scores of benign validation windows.
    fpr : float, default 0.01
        The share of them that may be flagged, in [0, 1).

    Returns
    -------
    float
        The threshold.

    Raises
    ------
    ValueError
        If the scores are not a non-empty 1-D array of finite numbers, or ``fpr`` is not
        in [0, 1).
    """
    scores = np.sort(_scores_1d(benign_val_scores, "benign_val_scores"))
    if not 0.0 <= fpr < 1.0:
        raise ValueError(f"fpr must be in [0, 1), got {fpr}")
    allowed = int(np.floor(fpr * len(scores) + 1e-9))  # benign windows that may lie above
    # At most `allowed` scores lie strictly above this one (ties only lower the count), and
    # any smaller score would leave at least allowed + 1 above it.
    return float(scores[len(scores) - 1 - allowed])


def threshold_best_f1(val_scores, val_is_attack) -> float:
    """The threshold with the best F1 for "attack" on the *validation* windows.

    Chapter 6 (LSTM autoencoder), section "Choosing the threshold". F1 at every distinct
    validation score comes from :func:`sklearn.metrics.precision_recall_curve` (which flags
    scores at or above a threshold); the threshold returned is the distinct score just
    below the best one, so that the book's rule (flag scores strictly above) flags the same
    windows, or one just below the smallest score when flagging everything is best. Among
    equal F1s the highest threshold (fewest alerts) wins. It uses the attack labels of the
    validation split, which the purely unsupervised setting does not have.

    Parameters
    ----------
    val_scores : array-like
        1-D anomaly scores of the validation windows.
    val_is_attack : array-like
        One truth value per score: True (or 1) for attack windows.

    Returns
    -------
    float
        The threshold.

    Raises
    ------
    ValueError
        If the scores are not a non-empty 1-D array of finite numbers, ``val_is_attack``
        has another shape, or it holds no attack window.
    """
    scores = _scores_1d(val_scores, "val_scores")
    positive = np.asarray(val_is_attack).astype(bool)
    if positive.shape != scores.shape:
        raise ValueError(f"val_is_attack must have one entry per score ({len(scores)}), "
                         f"got shape {positive.shape}")
    if not positive.any():
        raise ValueError("val_is_attack has no attack window: F1 is undefined")
    precision, recall, thresholds = precision_recall_curve(positive, scores)
    precision, recall = precision[:-1], recall[:-1]  # the curve's last point has no threshold
    f1 = np.divide(2 * precision * recall, precision + recall,
                   out=np.zeros_like(precision), where=precision + recall > 0)
    best = np.flatnonzero(f1 >= f1.max() - 1e-12)[-1]
    return float(thresholds[best - 1] if best else np.nextafter(thresholds[0], -np.inf))


def _last_flow(x: np.ndarray) -> np.ndarray:
    return x[:, -1, :]


class TwoStageDetector:
    """The autoencoder flags anomalous windows; a supervised classifier names the family.

    Chapter 6 (LSTM autoencoder), section "A two-stage detector". ``classifier`` is
    anything with ``predict`` returning class names (or integer ids into ``classes``): a
    scikit-learn pipeline over single flows such as
    ``nidslib.balancing.make_pipeline(RandomForestClassifier(...))`` (chapter 2's
    recommended forest, the one chapter 6 uses). ``predict`` returns, per window:
    ``benign_label`` when the score is not above ``threshold``; otherwise the classifier's
    family, or ``unknown_label`` when the classifier calls the flagged window benign (an
    anomaly it has no name for, e.g. an attack family it never saw).

    Parameters
    ----------
    autoencoder : keras.Model
        A trained autoencoder of :func:`build_lstm_autoencoder`.
    classifier : object
        Anything with ``predict`` returning class names or integer ids into ``classes``.
    threshold : float
        Windows scoring strictly above it are flagged (chosen on validation).
    classes : sequence
        The classifier's class names, in the order of its integer ids.
    benign_label : str, default "Benign"
        The benign class; one of ``classes``.
    unknown_label : str, default "Unknown attack"
        The label of a flagged window the classifier calls benign; none of ``classes``.
    classifier_input : callable or None, default None
        Turns windows into what the classifier reads; ``None``: the last flow of each
        window, ``x[:, -1, :]`` (the flow a window is labelled by); pass ``lambda x: x``
        for a window model.
    kind : {"mae", "mse"}, default "mae"
        The autoencoder's error, as in :func:`anomaly_scores`.

    Raises
    ------
    ValueError
        If ``classifier`` has no ``predict``, ``threshold`` is not finite, ``benign_label``
        is not among ``classes``, ``unknown_label`` is, or ``kind`` is not one of
        :data:`ERROR_KINDS`.
    """

    def __init__(self, autoencoder: keras.Model, classifier, threshold: float, *, classes,
                 benign_label="Benign", unknown_label="Unknown attack",
                 classifier_input=None, kind: str = "mae"):
        if not hasattr(classifier, "predict"):
            raise ValueError(f"classifier must have a predict method, got "
                             f"{type(classifier).__name__}")
        if not np.isfinite(threshold):
            raise ValueError(f"threshold must be a finite number, got {threshold}")
        self.classes = list(classes)
        if benign_label not in self.classes:
            raise ValueError(f"benign_label {benign_label!r} is not among classes "
                             f"{self.classes}")
        if unknown_label in self.classes:
            raise ValueError(f"unknown_label {unknown_label!r} must differ from every class")
        if kind not in ERROR_KINDS:
            raise ValueError(f"kind must be one of {ERROR_KINDS}, not {kind!r}")
        self.autoencoder, self.classifier = autoencoder, classifier
        self.threshold, self.kind = float(threshold), kind
        self.benign_label, self.unknown_label = benign_label, unknown_label
        self.classifier_input = classifier_input or _last_flow

    @property
    def classes_(self) -> list:
        """Every label ``predict`` can return: ``classes`` then ``unknown_label``.

        Returns
        -------
        list
            ``[*classes, unknown_label]``.
        """
        return [*self.classes, self.unknown_label]

    def scores(self, x, mask=None) -> np.ndarray:
        """The autoencoder's anomaly score of each window (:func:`anomaly_scores`).

        Parameters
        ----------
        x : array-like
            (windows, length, features) raw features.
        mask : array-like or None, default None
            (windows, length), True for real flows; ``None``: flows that are not all zeros.

        Returns
        -------
        numpy.ndarray
            One score per window.

        Raises
        ------
        ValueError
            As :func:`anomaly_scores`.
        """
        return anomaly_scores(self.autoencoder, x, mask, self.kind)

    def flag(self, x, mask=None) -> np.ndarray:
        """True for windows whose score is above the threshold (stage one).

        Parameters
        ----------
        x : array-like
            (windows, length, features) raw features.
        mask : array-like or None, default None
            As in :meth:`scores`.

        Returns
        -------
        numpy.ndarray
            bool, one entry per window.

        Raises
        ------
        ValueError
            As :func:`anomaly_scores`.
        """
        return self.scores(x, mask) > self.threshold

    def name(self, x) -> np.ndarray:
        """Stage two alone: the classifier's class name for each window.

        Parameters
        ----------
        x : array-like
            (windows, length, features) raw features.

        Returns
        -------
        numpy.ndarray
            object, one class name per window (empty for no window).
        """
        x = np.asarray(x, dtype=np.float32)
        if not len(x):
            return np.zeros(0, dtype=object)
        names = decode_labels(self.classifier.predict(self.classifier_input(x)), self.classes)
        return np.asarray(names, dtype=object)

    def predict(self, x, mask=None) -> np.ndarray:
        """Class names per window: benign, an attack family, or ``unknown_label``.

        The classifier sees the flagged windows only.

        Parameters
        ----------
        x : array-like
            (windows, length, features) raw features.
        mask : array-like or None, default None
            As in :meth:`scores`.

        Returns
        -------
        numpy.ndarray
            object, one label of ``classes_`` per window.

        Raises
        ------
        ValueError
            As :func:`anomaly_scores`.
        """
        x = np.asarray(x, dtype=np.float32)
        flagged = self.flag(x, mask)
        out = np.full(len(x), self.benign_label, dtype=object)
        names = self.name(x[flagged])  # the classifier sees flagged windows only
        out[flagged] = np.where(names == self.benign_label, self.unknown_label, names)
        return out
