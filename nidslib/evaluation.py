"""Evaluation: per-class reports and the summary metrics every model is judged by.

Every model is judged by per-class recall (detection rate), precision and F1, macro-F1, the
false-positive rate on benign traffic and the confusion matrix, never by accuracy alone
(evaluation rule 4 of the introduction). Accuracy is reported too, so the reader can watch
it flatter a model that misses every rare attack. All numbers come from scikit-learn's
metrics; this module only arranges them. Explained in chapter 2 (Class imbalance), section
"Measuring what matters". The running table the chapters collect these reports in is
:mod:`nidslib.results`.

Example
-------
A model that catches most benign flows and misses the one bot: accuracy looks fine,
macro-F1 does not.

>>> y_true = ["Benign"] * 6 + ["DoS"] * 3 + ["Bot"]
>>> y_pred = ["Benign"] * 5 + ["DoS"] * 3 + ["Benign"] * 2
>>> report = classification_report_frame(y_true, y_pred)
>>> report["recall"].round(3).to_dict(), report["support"].to_dict()
({'Benign': 0.833, 'Bot': 0.0, 'DoS': 0.667}, {'Benign': 6, 'Bot': 1, 'DoS': 3})
>>> summary = report.attrs["summary"]
>>> [round(summary[k], 3) for k in ("accuracy", "macro_f1", "benign_fpr")]
[0.7, 0.479, 0.167]
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.metrics import (accuracy_score, average_precision_score, f1_score,
                             precision_recall_fscore_support, precision_score, recall_score,
                             roc_auc_score)
from sklearn.utils.multiclass import unique_labels

__all__ = ["benign_fpr", "classification_report_frame", "decode_labels",
           "default_labels", "resolve_benign_label", "summary_metrics"]

# Names that mean "benign" in the datasets the book uses (CICIDS2017 labels and families,
# NSL-KDD / KDD Cup 99 / UNSW-NB15 "normal"), matched case-insensitively.
_BENIGN_ALIASES = ("benign", "normal")


# --- Label helpers ----------------------------------------------------------------------


def _as_1d(y) -> np.ndarray:
    arr = np.asarray(y)
    if arr.ndim == 2 and arr.shape[1] == 1:
        arr = arr.ravel()
    if arr.ndim != 1:
        raise ValueError(f"expected a 1-D array of class labels, got shape {arr.shape}; pass "
                         "class ids (e.g. scores.argmax(axis=1)), not one-hot rows or scores")
    return arr


def _is_integer_like(values) -> bool:
    arr = np.asarray(values)
    return arr.size > 0 and (np.issubdtype(arr.dtype, np.integer) or arr.dtype == bool)


def decode_labels(y, classes=None) -> np.ndarray:
    """Turn integer class ids into class names when ``classes`` holds names.

    Keras models predict ids (``proba.argmax(axis=1)``) while reports read best with names;
    ``classes`` is the list behind the ids (e.g. ``LabelEncoder().classes_``). Labels that
    already are names, or ``classes=None``, pass through unchanged. Explained in chapter 3
    (CNN), sections "The data" (the targets become integer family ids) and "Two baselines,
    and a decision about rebalancing" (reports name them again through ``classes``).

    Parameters
    ----------
    y : array_like
        Class labels, 1-D (a column vector of shape (n, 1) is accepted): integer ids or names.
    classes : sequence, optional
        The class names in id order; ``None`` leaves ``y`` as it is.

    Returns
    -------
    numpy.ndarray
        The labels as names when ``y`` holds integer ids and ``classes`` holds names (ids
        that already are among ``classes`` are kept); otherwise ``y`` as a 1-D array.

    Raises
    ------
    ValueError
        When ``y`` is not 1-D (one-hot rows or a score matrix), or when an id falls outside
        ``0 .. len(classes) - 1``.
    """
    arr = _as_1d(y)
    if classes is None or not _is_integer_like(arr):
        return arr
    names = np.asarray(classes)
    if _is_integer_like(names) or np.isin(arr, names).all():
        return arr
    if arr.size and (arr.min() < 0 or arr.max() >= len(names)):
        raise ValueError(f"class ids span {arr.min()}..{arr.max()} but {len(names)} classes given")
    return names[arr]


def resolve_benign_label(benign_label, labels):
    """Find the benign class among ``labels``; ``None`` when there is none.

    Tries ``benign_label`` exactly, then case-insensitively together with the aliases
    "benign"/"normal" (so "BENIGN", the family "Benign" and NSL-KDD's "normal" all work),
    then, for integer labels, ``0`` (the book's binary convention, and what a
    ``LabelEncoder`` gives "BENIGN"/"Benign", which sort first). Explained in chapter 2
    (Class imbalance), section "Measuring what matters".

    Parameters
    ----------
    benign_label : str, int or None
        The name (or id) the caller uses for benign traffic; ``None`` means "no benign
        class" and returns ``None`` at once.
    labels : iterable
        The labels to search, names or integer ids.

    Returns
    -------
    object or None
        The element of ``labels`` that is the benign class, or ``None`` if none matches.
    """
    if benign_label is None:
        return None
    labels = list(labels)
    for lab in labels:
        if isinstance(lab, str) == isinstance(benign_label, str) and lab == benign_label:
            return lab
    if isinstance(benign_label, str):
        wanted = {benign_label.lower(), *_BENIGN_ALIASES}
        for lab in labels:
            if isinstance(lab, str) and lab.lower() in wanted:
                return lab
        if labels and _is_integer_like(labels) and 0 in labels:
            return labels[labels.index(0)]
    return None


def benign_fpr(y_true, y_pred, benign_label="Benign") -> float:
    """Share of truly benign flows predicted as anything else (the false-alarm rate).

    The number a security team pays for: at a million benign flows a day, 1 % is ten
    thousand alerts. NaN without benign flows. Explained in chapter 2 (Class imbalance),
    section "Measuring what matters".

    Parameters
    ----------
    y_true, y_pred : array_like
        True and predicted labels, 1-D, of equal length.
    benign_label : str or int, default "Benign"
        The benign class, found as :func:`resolve_benign_label` finds it.

    Returns
    -------
    float
        The false-positive rate on benign flows, in [0, 1]; NaN when there is no benign
        class or no truly benign flow.

    Raises
    ------
    ValueError
        When ``y_true`` or ``y_pred`` is not 1-D.
    """
    y_true, y_pred = _as_1d(y_true), _as_1d(y_pred)
    benign = resolve_benign_label(benign_label, unique_labels(y_true, y_pred))
    if benign is None:
        return float("nan")
    is_benign = y_true == benign
    if not is_benign.any():
        return float("nan")
    return float(np.mean(y_pred[is_benign] != benign))


def default_labels(y_true, y_pred, classes=None, benign_label="Benign") -> list:
    """Row order of reports and confusion matrices, benign first.

    ``classes`` if given, then any other label seen, sorted; the benign class always first.
    Explained in chapter 2 (Class imbalance), section "Measuring what matters".

    Parameters
    ----------
    y_true, y_pred : array_like
        True and predicted labels.
    classes : sequence, optional
        The model's classes, kept in their order even when absent from both label arrays.
    benign_label : str or int, default "Benign"
        The benign class, moved to the front (see :func:`resolve_benign_label`).

    Returns
    -------
    list
        Every label, each once, in display order.
    """
    seen = list(unique_labels(y_true, y_pred))
    labels = seen if classes is None else [*np.asarray(classes).tolist(), *seen]
    labels = list(dict.fromkeys(labels))
    benign = resolve_benign_label(benign_label, labels)
    if benign is not None:
        labels.remove(benign)
        labels.insert(0, benign)
    return labels


# --- Scores -------------------------------------------------------------------------------


def score_matrix(y_score, classes, labels, benign):
    """Scores as an (n, k) matrix in ``classes`` order, and the attack column if binary.

    A binary problem (1-D attack scores, or two columns one of which is benign) is judged
    by its attack column, so a sigmoid and a two-way softmax give the same summary. Used by
    :func:`classification_report_frame` and the curves of :mod:`nidslib.plots`.

    Parameters
    ----------
    y_score : array_like
        An (n, k) score matrix whose columns are ``classes``, or for a binary problem the
        attack score as a 1-D array (or an (n, 1) column).
    classes : sequence or None
        The classes behind the score columns, in order; ``None`` takes ``labels``.
    labels : sequence
        The labels of the report, used when ``classes`` is ``None``.
    benign : object or None
        The benign class (as :func:`resolve_benign_label` returns it), or ``None``.

    Returns
    -------
    scores : numpy.ndarray
        The (n, k) float matrix; 1-D attack scores become ``[1 - s, s]``.
    classes : list
        The classes of the columns; for 1-D scores, benign first.
    attack : int or None
        The column of the attack class in a binary problem with a benign class, else
        ``None``.

    Raises
    ------
    ValueError
        When 1-D scores come with other than two classes, or when the number of score
        columns differs from the number of classes.
    """
    scores = np.asarray(y_score, dtype=float)
    if scores.ndim == 2 and scores.shape[1] == 1:
        scores = scores.ravel()
    if classes is None:
        classes = list(labels)
    classes = list(classes)
    if scores.ndim == 1:  # binary: the score of the attack (positive) class
        if len(classes) != 2:
            raise ValueError(f"1-D scores need exactly two classes, got {classes}; "
                             "pass classes=[benign, attack]")
        if benign is not None and benign == classes[1]:
            classes = classes[::-1]
        return np.column_stack([1.0 - scores, scores]), classes, 1
    if scores.shape[1] != len(classes):
        raise ValueError(f"y_score has {scores.shape[1]} columns but there are {len(classes)} "
                         f"classes {classes}; pass classes= naming the score columns in order")
    attack = None
    if len(classes) == 2 and benign is not None and benign in classes:
        attack = 1 - classes.index(benign)
    return scores, classes, attack


def _one_vs_rest(y_true, scores, classes) -> pd.DataFrame:
    """Per-class ROC-AUC and average precision, one class against the rest."""
    rows = {}
    for j, cls in enumerate(classes):
        positive = y_true == cls
        n_pos = int(positive.sum())
        if n_pos == 0:  # undefined without positives; skipped rather than warned about
            rows[cls] = (np.nan, np.nan)
            continue
        ap = average_precision_score(positive, scores[:, j])
        auc = roc_auc_score(positive, scores[:, j]) if n_pos < len(positive) else np.nan
        rows[cls] = (float(auc), float(ap))
    return pd.DataFrame.from_dict(rows, orient="index", columns=["roc_auc", "average_precision"])


def _nanmean(values) -> float:
    values = np.asarray(values, dtype=float)[~np.isnan(np.asarray(values, dtype=float))]
    return float(values.mean()) if values.size else float("nan")


# --- The report ---------------------------------------------------------------------------


def _report(y_true, y_pred, labels, benign_label, y_score, classes):
    y_true = decode_labels(y_true, classes)
    y_pred = decode_labels(y_pred, classes)
    if len(y_true) != len(y_pred):
        raise ValueError(f"y_true has {len(y_true)} labels, y_pred {len(y_pred)}")
    seen = list(unique_labels(y_true, y_pred))
    if labels is None:  # the model's classes, even those absent from this split
        labels = default_labels(y_true, y_pred, classes, benign_label)
    labels = list(dict.fromkeys(labels))
    present = [lab for lab in labels if lab in set(seen)]
    benign = resolve_benign_label(benign_label, list(dict.fromkeys([*labels, *seen])))

    precision, recall, f1, support = precision_recall_fscore_support(
        y_true, y_pred, labels=labels, zero_division=0)
    frame = pd.DataFrame(
        {"precision": precision, "recall": recall, "f1": f1, "support": support.astype(int)},
        index=pd.Index(labels, name="class"),
    )
    # A class with no flows in y_true has no recall to measure (not 0: nothing was missed),
    # and, if it was never predicted either, no precision. Its F1 is then undefined too.
    predicted = pd.Series(y_pred).value_counts().reindex(labels, fill_value=0).to_numpy()
    absent = frame["support"].to_numpy() == 0
    frame.loc[absent, ["recall", "f1"]] = np.nan
    frame.loc[absent & (predicted == 0), "precision"] = np.nan
    kw = {"labels": present, "average": "macro", "zero_division": 0}
    nan = float("nan")
    summary = {
        "accuracy": float(accuracy_score(y_true, y_pred)),
        "macro_precision": float(precision_score(y_true, y_pred, **kw)) if present else nan,
        "macro_recall": float(recall_score(y_true, y_pred, **kw)) if present else nan,
        "macro_f1": float(f1_score(y_true, y_pred, **kw)) if present else nan,
        "weighted_f1": float(f1_score(y_true, y_pred, labels=labels, average="weighted",
                                      zero_division=0)) if labels else nan,
        "benign_fpr": nan,
        "attack_detection_rate": nan,
    }
    if benign is not None:
        summary["benign_fpr"] = benign_fpr(y_true, y_pred, benign)
        attack = y_true != benign
        if attack.any():
            summary["attack_detection_rate"] = float(np.mean(y_pred[attack] != benign))
    if y_score is not None:
        scores, score_classes, attack = score_matrix(y_score, classes, labels, benign)
        if len(scores) != len(y_true):
            raise ValueError(f"y_score has {len(scores)} rows, y_true {len(y_true)}")
        ovr = _one_vs_rest(y_true, scores, score_classes)
        frame = frame.join(ovr, how="left")
        if attack is not None:  # binary: the attack class's curve is the one that matters
            summary["roc_auc"], summary["average_precision"] = ovr.iloc[attack].tolist()
        else:
            summary["roc_auc"] = _nanmean(ovr["roc_auc"])
            summary["average_precision"] = _nanmean(ovr["average_precision"])
    summary["n_samples"] = int(len(y_true))
    return frame, summary


def classification_report_frame(y_true, y_pred, *, labels=None, benign_label="Benign",
                                y_score=None, classes=None) -> pd.DataFrame:
    """Per-class precision, recall (detection rate), F1 and support, as a tidy DataFrame.

    One row per class (index ``class``), in ``labels`` order (default: :func:`default_labels`,
    benign first); classes never predicted get zeros, not warnings, and classes absent from
    ``y_true`` get NaN recall and F1 ("not measurable", never a fake 0). With
    ``y_score`` (an (n, k) matrix whose columns are ``classes``, or for a binary problem
    the attack score as a 1-D array) the rows also carry one-vs-rest ``roc_auc`` and
    ``average_precision``. Integer ids are turned into names when ``classes`` holds names.

    The summary is in ``report.attrs["summary"]`` (the same dict :func:`summary_metrics`
    returns): ``accuracy``, ``macro_precision``, ``macro_recall``, ``macro_f1``,
    ``weighted_f1``, ``benign_fpr``, ``attack_detection_rate`` (share of attacks flagged as
    some attack), with scores ``roc_auc`` and ``average_precision`` (binary: of the attack
    class; multi-class: macro over classes present in ``y_true``) and ``n_samples``.
    Macro averages cover the classes seen in ``y_true`` or ``y_pred``. Show it with
    ``pd.Series(report.attrs["summary"])``. Explained in chapter 2 (Class imbalance),
    section "Measuring what matters".

    Parameters
    ----------
    y_true, y_pred : array_like
        True and predicted labels, 1-D, of equal length: names, or integer ids named by
        ``classes``.
    labels : sequence, optional
        The rows and their order; default :func:`default_labels` (the model's classes,
        even those absent from this split, benign first).
    benign_label : str or int, default "Benign"
        The benign class, for ``benign_fpr`` and ``attack_detection_rate``; found as
        :func:`resolve_benign_label` finds it.
    y_score : array_like, optional
        Scores for the ROC-AUC and average-precision columns, shaped as above.
    classes : sequence, optional
        The class names in id order: they name integer labels and the score columns.

    Returns
    -------
    pandas.DataFrame
        Columns ``precision``, ``recall``, ``f1``, ``support`` (and with ``y_score``
        ``roc_auc``, ``average_precision``), indexed by class, with the summary dict in
        ``attrs["summary"]``.

    Raises
    ------
    ValueError
        When a label array is not 1-D, an id falls outside ``classes``, ``y_true`` and
        ``y_pred`` (or ``y_score``) differ in length, or ``y_score`` does not match
        ``classes`` (see :func:`score_matrix`).
    """
    frame, summary = _report(y_true, y_pred, labels, benign_label, y_score, classes)
    frame.attrs["summary"] = summary
    return frame


def summary_metrics(y_true, y_pred, *, labels=None, benign_label="Benign", y_score=None,
                    classes=None) -> dict:
    """The one-number summaries of :func:`classification_report_frame`, as a dict.

    For assertion cells and the results table, where the per-class rows are not needed.
    Explained in chapter 2 (Class imbalance), section "Measuring what matters".

    Parameters
    ----------
    y_true, y_pred, labels, benign_label, y_score, classes
        As in :func:`classification_report_frame`.

    Returns
    -------
    dict
        ``accuracy``, ``macro_precision``, ``macro_recall``, ``macro_f1``, ``weighted_f1``,
        ``benign_fpr``, ``attack_detection_rate``, ``n_samples``, and with ``y_score``
        ``roc_auc`` and ``average_precision``.

    Raises
    ------
    ValueError
        As :func:`classification_report_frame`.
    """
    return _report(y_true, y_pred, labels, benign_label, y_score, classes)[1]
