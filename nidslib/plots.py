"""Figures every chapter reuses: confusion matrices, learning curves, PR/ROC curves, model bars.

All figures are sized for the book's text width (about 7 inches), carry a title and
labelled axes, accept ``ax=`` to draw into a panel of a larger figure, and return what they
drew on. A class or attack family keeps the same colour in every chapter through
:func:`nidslib.palette.family_colors`. Explained where first used: chapter 2 (Class imbalance), section
"Measuring what matters" (confusion matrix, PR/ROC curves), chapter 3 (CNN), section
"Training" (learning curves), chapter 5 (CNN-LSTM), section "All models on one split"
(model comparison).

Example
-------
>>> import matplotlib
>>> matplotlib.use("Agg")
>>> y_true = ["Benign"] * 6 + ["DoS"] * 3 + ["Bot"]
>>> y_pred = ["Benign"] * 5 + ["DoS"] * 3 + ["Benign"] * 2
>>> ax = plot_confusion_matrix(y_true, y_pred)
>>> ax.get_title()
'Confusion matrix (% of true class)'
>>> [label.get_text() for label in ax.get_yticklabels()]
['Benign (n=6)', 'Bot (n=1)', 'DoS (n=3)']
>>> ax = plot_learning_curves({"loss": [0.9, 0.5, 0.4], "val_loss": [1.0, 0.6, 0.7]})
>>> ax.get_legend_handles_labels()[1]
['training', 'validation', 'best epoch (2)']
>>> plt.close("all")
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib import colors as mcolors
from matplotlib import pyplot as plt
from matplotlib.ticker import MaxNLocator
from sklearn.metrics import (ConfusionMatrixDisplay, PrecisionRecallDisplay, RocCurveDisplay,
                             confusion_matrix)
from sklearn.utils.multiclass import unique_labels

from nidslib.evaluation import decode_labels, default_labels, resolve_benign_label, score_matrix
from nidslib.palette import family_colors

__all__ = [
    "plot_confusion_matrix",
    "plot_learning_curves",
    "plot_model_comparison",
    "plot_pr_curves",
    "plot_roc_curves",
]

BOOK_WIDTH = 7.0  # inches

def _new_axes(ax, size):
    if ax is not None:
        return ax.figure, ax
    fig, ax = plt.subplots(figsize=size, layout="constrained")
    return fig, ax


def _font_size(n: int) -> float:
    return 10 if n <= 6 else 8.5 if n <= 10 else 7.5


# --- Confusion matrix ---------------------------------------------------------------------


def _cell_text(value: float, normalized: bool) -> str:
    if value == 0:
        return ""
    if normalized:  # value is a percentage
        return "<1" if value < 1 else f"{value:.0f}"
    if value >= 1e6:
        return f"{value / 1e6:.1f}M"
    return f"{value / 1e3:.0f}k" if value >= 1e4 else f"{value:.0f}"


def plot_confusion_matrix(y_true, y_pred, labels=None, normalize="true", ax=None,
                          title="Confusion matrix", classes=None):
    """Confusion matrix with class names, per-class support and annotated cells.

    ``normalize="true"`` (the default) shows each row as the percentage of that true class,
    so the diagonal is each class's recall and rare classes are as visible as benign; the
    row labels carry the class sizes ("Heartbleed (n=3)") so 100 % of three flows is not
    mistaken for 100 % of thousands. ``None`` shows counts on a log colour scale (benign
    would otherwise wash out everything). Empty cells stay blank so the errors stand out.
    Readable up to about 15 classes at book width. Integer ids are named by ``classes``.
    Explained in chapter 2 (Class imbalance), section "Measuring what matters".

    Parameters
    ----------
    y_true, y_pred : array_like
        True and predicted labels, 1-D: names, or integer ids named by ``classes``.
    labels : sequence, optional
        The rows and columns, in order; default
        :func:`~nidslib.evaluation.default_labels` (benign first).
    normalize : {"true", "pred", "all"} or None, default "true"
        As scikit-learn's ``confusion_matrix``: percentages of each true class, of each
        predicted class or of all flows; ``None`` shows counts.
    ax : matplotlib.axes.Axes, optional
        The axes to draw into; default a new figure at book width.
    title : str, default "Confusion matrix"
        The title; the scale ("% of true class", "flow counts") is appended.
    classes : sequence, optional
        The class names in id order, for integer labels.

    Returns
    -------
    matplotlib.axes.Axes
        The axes drawn on.

    Raises
    ------
    ValueError
        When a label array is not 1-D, or an id falls outside ``classes``.
    """
    y_true, y_pred = decode_labels(y_true, classes), decode_labels(y_pred, classes)
    if labels is None:
        labels = default_labels(y_true, y_pred, classes)
    labels = list(labels)
    counts = confusion_matrix(y_true, y_pred, labels=labels)
    normalized = normalize is not None
    matrix = 100 * confusion_matrix(y_true, y_pred, labels=labels, normalize=normalize) \
        if normalized else counts
    n = len(labels)
    side = min(BOOK_WIDTH - 1.0, max(3.4, 2.4 + 0.4 * n))
    fig, ax = _new_axes(ax, (min(BOOK_WIDTH, side + 1.8), side))
    if normalized:
        norm, label = mcolors.Normalize(0, 100), {
            "true": "% of true class", "pred": "% of predicted class"}.get(normalize, "% of flows")
        heading = label
    else:
        norm, label = mcolors.LogNorm(1, max(counts.max(), 10)), "flows (log scale)"
        heading = "flow counts"
    # scikit-learn draws the matrix; the book sets the colour scale, the cell texts (blank
    # for 0, "<1" for under 1 %) and the row names with their class sizes.
    shown = np.ma.masked_equal(matrix, 0) if not normalized else matrix
    display = ConfusionMatrixDisplay(shown, display_labels=[str(lab) for lab in labels])
    display.plot(ax=ax, include_values=False, cmap="Blues", colorbar=False,
                 im_kw={"norm": norm})
    ax.set_facecolor("white")
    fig.colorbar(display.im_, ax=ax, shrink=0.8, label=label)
    size = _font_size(n)
    for (i, j), value in np.ndenumerate(matrix):
        text = _cell_text(value, normalized)
        if text:
            dark = norm(value) > 0.6
            ax.text(j, i, text, ha="center", va="center", fontsize=size,
                    color="white" if dark else "black")
    names = [str(lab) for lab in labels]
    rows = [f"{name} (n={c:,})" for name, c in zip(names, counts.sum(axis=1))]
    tilt = n > 3 or max(map(len, names)) > 10
    ax.set_xticks(range(n), names, rotation=45 if tilt else 0, ha="right" if tilt else "center",
                  rotation_mode="anchor", fontsize=size)
    ax.set_yticks(range(n), rows, fontsize=size)
    ax.set_xlabel("Predicted class")
    ax.set_ylabel("True class")
    ax.set_title(f"{title} ({heading})" if title else title)
    ax.tick_params(length=0)
    for spine in ax.spines.values():
        spine.set_visible(False)
    return ax


# --- Learning curves ----------------------------------------------------------------------

_HIGHER_IS_BETTER = ("acc", "auc", "precision", "recall", "f1")


def plot_learning_curves(history, metrics=("loss",), ax=None, monitor="val_loss",
                         title="Learning curves"):
    """Training vs validation curves per epoch, with the best epoch marked.

    ``history`` is a :class:`~nidslib.training.TrainingRun` (its ``best_epoch`` is marked:
    the weights ``EarlyStopping(restore_best_weights=True)`` kept), a Keras ``History`` or
    its ``.history`` dict (then the best epoch is the minimum of ``monitor``, maximum for
    accuracy/AUC-like names); the gap between the two curves is
    the overfitting the chapter discusses. One panel per metric: returns an Axes for one
    metric, an array of Axes for several (``ax`` then is a matching sequence). Explained
    in chapter 3 (CNN), section "Training".

    Parameters
    ----------
    history : keras.callbacks.History or dict
        Per-epoch values by metric name, with ``val_<metric>`` for the validation curve.
    metrics : str or sequence of str, default ("loss",)
        The metrics to plot, one panel each.
    ax : matplotlib.axes.Axes or sequence of Axes, optional
        One axes per metric; default a new figure.
    monitor : str, default "val_loss"
        The metric whose best epoch is marked (no mark when it is not in ``history``).
    title : str, default "Learning curves"
        The title; with several metrics, each panel adds its metric's name.

    Returns
    -------
    matplotlib.axes.Axes or numpy.ndarray of Axes
        The axes drawn on: one for a single metric, an array for several.

    Raises
    ------
    KeyError
        When a metric is not in ``history``.
    ValueError
        When ``ax`` holds a different number of axes than ``metrics``.
    """
    logs = getattr(history, "history", history)
    metrics = [metrics] if isinstance(metrics, str) else list(metrics)
    missing = [m for m in metrics if m not in logs]
    if missing:
        raise KeyError(f"{missing} not in history; it has {sorted(logs)}")
    if ax is None:
        width = BOOK_WIDTH if len(metrics) > 1 else 5.5
        fig, axes = plt.subplots(1, len(metrics), figsize=(width, 3.6), layout="constrained",
                                 squeeze=False)
        axes = axes[0]
    else:
        axes = np.atleast_1d(np.asarray(ax, dtype=object))
        if len(axes) != len(metrics):
            raise ValueError(f"{len(metrics)} metrics need {len(metrics)} axes, got {len(axes)}")
    best = None
    if hasattr(history, "best_epoch") and getattr(history, "monitor", None) == monitor:
        best = int(history.best_epoch)  # a TrainingRun: the epoch EarlyStopping restored
    elif monitor in logs and len(logs[monitor]):
        values = np.asarray(logs[monitor], dtype=float)
        higher = any(k in monitor for k in _HIGHER_IS_BETTER)
        best = int(np.nanargmax(values) if higher else np.nanargmin(values)) + 1
    for axis, metric in zip(axes, metrics):
        train = np.asarray(logs[metric], dtype=float)
        epochs = np.arange(1, len(train) + 1)
        axis.plot(epochs, train, color="#1f77b4", lw=1.8, label="training")
        val = logs.get(f"val_{metric}")
        if val is not None:
            axis.plot(epochs[: len(val)], val, color="#ff7f0e", lw=1.8, ls="--",
                      label="validation")
        if best is not None:
            axis.axvline(best, color="0.3", lw=1, ls=":", label=f"best epoch ({best})")
            if val is not None and best <= len(val):
                axis.plot(best, val[best - 1], "o", color="#ff7f0e", ms=6, zorder=3)
        axis.set_xlabel("Epoch")
        axis.set_ylabel(metric.replace("_", " "))
        axis.xaxis.set_major_locator(MaxNLocator(integer=True))
        axis.grid(alpha=0.3)
        axis.legend(fontsize=8.5)
        axis.set_title(f"{title}: {metric}" if len(metrics) > 1 else title)
    return axes[0] if len(metrics) == 1 else axes


# --- PR and ROC curves --------------------------------------------------------------------


def _curves(kind, y_true, y_score, classes, ax, title, benign_label, log_fpr=False):
    y_true = decode_labels(y_true, classes)
    labels = list(unique_labels(y_true)) if classes is None else list(classes)
    benign = resolve_benign_label(benign_label, labels)
    scores, classes, attack = score_matrix(y_score, classes, labels, benign)
    binary = attack is not None
    shown = [attack] if binary else range(len(classes))
    palette = family_colors(classes)
    many = len(shown) > 6
    fig, ax = _new_axes(ax, (BOOK_WIDTH if many else 5.5, 4.6))
    summaries = []
    curve = "Precision-recall" if kind == "pr" else "ROC"
    if title is None:
        title = f"{curve} curve (attack vs benign)" if binary else f"{curve} curves (one vs rest)"
    for j in shown:
        name = classes[j]
        if binary and not isinstance(name, str):
            name = f"attack ({name})"
        positive = y_true == classes[j]
        if not positive.any() or positive.all():
            continue  # undefined: no positives (or no negatives) in this split
        # scikit-learn draws the curve and computes AP or AUC; the book picks the colours.
        curve_kwargs = {"color": palette[classes[j]], "lw": 1.6}
        if kind == "pr":
            display = PrecisionRecallDisplay.from_predictions(
                positive, scores[:, j], ax=ax, name=name, curve_kwargs=curve_kwargs)
            value = display.average_precision
            display.line_.set_label(f"{name} (AP {value:.3f})")
        else:
            display = RocCurveDisplay.from_predictions(
                positive, scores[:, j], ax=ax, name=name, curve_kwargs=curve_kwargs)
            value = display.roc_auc
            display.line_.set_label(f"{name} (AUC {value:.3f})")
        summaries.append(value)
    ax.set_aspect("auto")  # the displays make the axes square; the book's figures are wide
    if kind == "pr":
        if binary and summaries:
            prevalence = float(np.mean(y_true == classes[attack]))
            ax.axhline(prevalence, color="0.5", lw=1, ls=":", label=f"chance ({prevalence:.3f})")
        ax.set_xlabel("Recall (detection rate)")
        ax.set_ylabel("Precision")
        ax.set_xlim(0, 1.01)
    else:
        if log_fpr:
            ax.set_xscale("log")
            ax.set_xlim(1e-4, 1)
        else:
            grid = np.linspace(0, 1, 101)
            ax.plot(grid, grid, color="0.5", lw=1, ls=":", label="chance")
            ax.set_xlim(-0.01, 1.01)
        ax.set_xlabel("False-positive rate" + (" (log scale)" if log_fpr else ""))
        ax.set_ylabel("True-positive rate (detection rate)")
    ax.set_ylim(0, 1.02)
    ax.grid(alpha=0.3)
    name = "AP" if kind == "pr" else "AUC"
    heading = None
    if len(summaries) > 1:
        heading = f"macro {name} {np.mean(summaries):.3f}"
    legend_kw = {"fontsize": 8 if many else 9, "title": heading, "title_fontsize": 8.5}
    if many:
        ax.legend(loc="upper left", bbox_to_anchor=(1.02, 1.0), borderaxespad=0, **legend_kw)
    else:
        ax.legend(loc="lower left" if kind == "pr" else "lower right", **legend_kw)
    ax.set_title(title)
    return ax


def plot_pr_curves(y_true, y_score, classes=None, ax=None,
                   title=None, benign_label="Benign"):
    """One-vs-rest precision-recall curves, with each class's average precision (AP).

    ``y_score`` is an (n, k) matrix whose columns are ``classes``, or for a binary problem
    the attack score as a 1-D array; a binary problem shows one curve, the attack class's,
    with the chance line at its prevalence. PR curves, unlike ROC, show how rare attacks
    drown in false alarms. Classes absent from ``y_true`` are left out. Explained in
    chapter 2 (Class imbalance), section "Measuring what matters", and chapter 6 (LSTM-AE),
    section "Choosing the threshold".

    Parameters
    ----------
    y_true : array_like
        True labels, 1-D: names, or integer ids named by ``classes``.
    y_score : array_like
        Scores: an (n, k) matrix, or the 1-D attack score of a binary problem.
    classes : sequence, optional
        The classes behind the score columns, in order; default the sorted labels of
        ``y_true``.
    ax : matplotlib.axes.Axes, optional
        The axes to draw into; default a new figure.
    title : str, optional
        The title; default names the curve and whether it is binary or one vs rest.
    benign_label : str or int, default "Benign"
        The benign class, which makes a two-class problem binary.

    Returns
    -------
    matplotlib.axes.Axes
        The axes drawn on.

    Raises
    ------
    ValueError
        When ``y_true`` is not 1-D, an id falls outside ``classes``, or ``y_score`` does
        not match ``classes`` (see :func:`~nidslib.evaluation.score_matrix`).
    """
    return _curves("pr", y_true, y_score, classes, ax, title, benign_label)


def plot_roc_curves(y_true, y_score, classes=None, ax=None,
                    title=None, benign_label="Benign", log_fpr=False):
    """One-vs-rest ROC curves with each class's AUC; ``log_fpr`` zooms on low FPR.

    Same inputs as :func:`plot_pr_curves`. An IDS operates at false-positive rates far
    below 1 %, where a log-scaled x axis shows what a linear one hides. Explained in
    chapter 6 (LSTM-AE), section "Choosing the threshold".

    Parameters
    ----------
    y_true, y_score, classes, ax, title, benign_label
        As in :func:`plot_pr_curves`.
    log_fpr : bool, default False
        Draw the false-positive rate on a log scale from 1e-4 to 1 (without the chance
        diagonal).

    Returns
    -------
    matplotlib.axes.Axes
        The axes drawn on.

    Raises
    ------
    ValueError
        As :func:`plot_pr_curves`.
    """
    return _curves("roc", y_true, y_score, classes, ax, title, benign_label, log_fpr)


# --- Model comparison ---------------------------------------------------------------------

_METRIC_NAMES = {"macro_f1": "macro-F1", "weighted_f1": "weighted-F1", "accuracy": "accuracy",
                 "benign_fpr": "FPR on benign", "attack_detection_rate": "attack detection rate",
                 "roc_auc": "ROC-AUC", "average_precision": "average precision"}
_METRIC_COLORS = {"macro_f1": "#1f77b4", "weighted_f1": "#aec7e8", "accuracy": "#c7c7c7",
                  "benign_fpr": "#d62728", "attack_detection_rate": "#2ca02c",
                  "roc_auc": "#9467bd", "average_precision": "#ff7f0e"}


def plot_model_comparison(results_frame, metrics=("macro_f1", "weighted_f1", "accuracy"),
                          ax=None, title="Models on the same test split"):
    """Grouped horizontal bars: one group per model, one bar per metric, values printed.

    ``results_frame`` is :meth:`ResultsTable.to_frame` (or the table itself) filtered to
    one dataset and split, as comparing across splits is meaningless. Models are listed
    in the frame's order. Accuracy beside macro-F1 shows how little accuracy says on
    imbalanced traffic. Explained in chapter 5 (CNN-LSTM), section "All models on one
    split".

    Parameters
    ----------
    results_frame : pandas.DataFrame or ResultsTable
        One row per model, with a ``model`` column and the ``metrics`` columns.
    metrics : str or sequence of str, default ("macro_f1", "weighted_f1", "accuracy")
        The columns to draw, one bar each per model.
    ax : matplotlib.axes.Axes, optional
        The axes to draw into; default a new figure at book width.
    title : str, default "Models on the same test split"
        The title.

    Returns
    -------
    matplotlib.axes.Axes
        The axes drawn on.

    Raises
    ------
    KeyError
        When a metric is not a column of the frame.
    ValueError
        When the frame holds more than one (dataset, split).
    """
    frame = results_frame.to_frame() if hasattr(results_frame, "to_frame") else results_frame
    metrics = [metrics] if isinstance(metrics, str) else list(metrics)
    missing = [m for m in metrics if m not in frame.columns]
    if missing:
        raise KeyError(f"{missing} not in the results frame")
    splits = [c for c in ("dataset", "split") if c in frame.columns]
    if splits and len(frame[splits].drop_duplicates()) > 1:
        raise ValueError("the frame mixes datasets/splits; filter it to one first")
    models = frame["model"].astype(str).tolist()
    n_models, n_metrics = len(models), len(metrics)
    height = min(9.0, 1.3 + n_models * (0.17 * n_metrics + 0.15))
    fig, ax = _new_axes(ax, (BOOK_WIDTH, height))
    bar = 0.8 / n_metrics
    y = np.arange(n_models)
    fallback = iter(plt.get_cmap("Set2").colors)
    for k, metric in enumerate(metrics):
        values = pd.to_numeric(frame[metric], errors="coerce").to_numpy(float, na_value=np.nan)
        color = _METRIC_COLORS.get(metric) or next(fallback)
        pos = y - 0.4 + bar * (k + 0.5)
        bars = ax.barh(pos, np.nan_to_num(values), height=bar * 0.92, color=color,
                       label=_METRIC_NAMES.get(metric, metric.replace("_", " ")))
        labels = ["n/a" if np.isnan(v) else f"{v:.3f}" for v in values]
        ax.bar_label(bars, labels=labels, padding=2, fontsize=7.5 if n_metrics > 2 else 8.5)
    ax.set_yticks(y, models)
    ax.invert_yaxis()  # first model on top
    values = frame[metrics].apply(pd.to_numeric, errors="coerce").to_numpy(float, na_value=np.nan)
    top = np.max(values[~np.isnan(values)], initial=1.0)
    ax.set_xlim(0, float(top) * 1.12)
    ax.set_xlabel("Score (higher is better" + (", except FPR)" if "benign_fpr" in metrics else ")"))
    ax.set_ylabel("Model")
    ax.grid(axis="x", alpha=0.3)
    ax.legend(loc="lower left", bbox_to_anchor=(0, 1.0), ncols=min(n_metrics, 4),
              fontsize=8.5, frameon=False, borderaxespad=0.2)
    ax.set_title(title, pad=24)
    return ax
