"""How sure a comparison is: bootstrap intervals over test flows, and rare families counted.

A difference between two models is a finding only if it is larger than the noise: the
spread over training seeds (measured by ``benchmarks/seed_sweep.py``) and the spread over
which flows happen to be in the test part (measured here, by a paired bootstrap). Families
with fewer than :data:`MIN_FLOWS` flows in a part cannot rank models: one flow moves their
recall by 5 points or more. They are reported as "caught k of n" and kept out of the
macro-F1 that ranks models (:func:`ranking_macro_f1`), with the full macro-F1 beside it.

Explained in chapter 2 (Class imbalance), section "Which differences are real, and the
recommendation" (evaluation rules 4 and 6 of the introduction); chapters 3 to 8 use it for
every comparison they make.

Example
-------
>>> y = np.array([0] * 50 + [1] * 50 + [2] * 3)
>>> a = y.copy(); a[:5] = 1                      # five false alarms
>>> caught_of(y, a, min_flows=20)
{2: '3 of 3'}
>>> round(ranking_macro_f1(y, a, min_flows=20), 3)   # families 0 and 1 only
0.95
>>> low, high = paired_bootstrap(y, a, y, seed=0)["interval"]
>>> bool(low < 0 and high <= 0)                  # the perfect model is measurably better
True
"""

from __future__ import annotations

import numpy as np
from scipy.stats import bootstrap

__all__ = ["MIN_FLOWS", "caught_of", "macro_f1", "paired_bootstrap", "ranking_macro_f1",
           "verdict"]

#: Families with fewer flows than this in a part are counted, never ranked (evaluation rule 4
#: of the introduction).
MIN_FLOWS = 20


def _codes(*arrays):
    """Integer codes shared by several label arrays (names or ids)."""
    stacked = np.concatenate([np.asarray(a) for a in arrays])
    classes, codes = np.unique(stacked, return_inverse=True)
    bounds = np.cumsum([len(a) for a in arrays])[:-1]
    return classes, np.split(codes, bounds)


def macro_f1(y_true, y_pred, classes=None) -> float:
    """Macro-F1 over the classes present in ``y_true`` or ``y_pred`` (or over ``classes``).

    The same number as scikit-learn's ``f1_score(average="macro")`` on the classes seen,
    computed from one ``bincount``; written by hand because the bootstrap calls it a
    thousand times per comparison, where ``f1_score`` costs about 3 ms a call.

    Parameters
    ----------
    y_true, y_pred : array-like of int
        Class codes.
    classes : array-like of int, optional
        The classes to average over; default: those present in either array.

    Returns
    -------
    float
    """
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    k = int(max(y_true.max(initial=0), y_pred.max(initial=0))) + 1
    confusion = np.bincount(y_true * k + y_pred, minlength=k * k).reshape(k, k)
    hits = np.diag(confusion).astype(float)
    true, pred = confusion.sum(axis=1), confusion.sum(axis=0)
    denominator = true + pred
    f1 = np.divide(2 * hits, denominator, out=np.zeros(k), where=denominator > 0)
    if classes is None:
        classes = np.flatnonzero(denominator > 0)
    return float(f1[np.asarray(classes, dtype=int)].mean())


def ranking_macro_f1(y_true, y_pred, min_flows: int = MIN_FLOWS) -> float:
    """Macro-F1 over the families with at least ``min_flows`` flows in ``y_true``.

    The number that ranks models: a family of 2 test flows cannot decide between them.

    Parameters
    ----------
    y_true, y_pred : array-like
        True and predicted labels (names or ids).
    min_flows : int
        The smallest family that counts.

    Returns
    -------
    float
    """
    _, (true, pred) = _codes(y_true, y_pred)
    counts = np.bincount(true)
    return macro_f1(true, pred, classes=np.flatnonzero(counts >= min_flows))


def caught_of(y_true, y_pred, min_flows: int = MIN_FLOWS) -> dict:
    """``{family: "caught k of n"}`` for the families with fewer than ``min_flows`` flows.

    Parameters
    ----------
    y_true, y_pred : array-like
        True and predicted labels (names or ids).
    min_flows : int
        Families smaller than this are listed.

    Returns
    -------
    dict
        Family (as in ``y_true``) to ``"k of n"``, in the order of ``np.unique``.
    """
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    families, counts = np.unique(y_true, return_counts=True)
    return {family.item() if hasattr(family, "item") else family:
            f"{int(np.sum((y_true == family) & (y_pred == family)))} of {int(n)}"
            for family, n in zip(families, counts) if n < min_flows}


def paired_bootstrap(y_true, pred_a, pred_b, *, min_flows: int = MIN_FLOWS,
                     n_resamples: int = 1000, confidence: float = 0.9, seed: int = 0) -> dict:
    """Interval of ``ranking_macro_f1(a) - ranking_macro_f1(b)`` over resampled test flows.

    Both models are scored on the same resampled flows (a paired bootstrap, through
    ``scipy.stats.bootstrap``), so the interval shows how much of a difference is owed to
    which flows the test part happens to hold. It does not show the spread over training
    seeds: for networks, compare against ``benchmarks/seed_sweep.py`` too.

    Parameters
    ----------
    y_true, pred_a, pred_b : array-like
        True labels and the two models' predictions (names or ids), one per flow.
    min_flows : int
        Families with fewer flows in ``y_true`` are left out, as in :func:`ranking_macro_f1`.
    n_resamples : int
        Bootstrap resamples.
    confidence : float
        Coverage of the percentile interval.
    seed : int
        Seed of the resampling (fixed: the interval is a fact about the data).

    Returns
    -------
    dict
        ``difference`` (on all flows), ``interval`` ``(low, high)`` and ``verdict``
        (see :func:`verdict`).
    """
    _, (true, a, b) = _codes(y_true, pred_a, pred_b)
    kept = np.flatnonzero(np.bincount(true) >= min_flows)

    def difference(t, pa, pb):
        return macro_f1(t, pa, kept) - macro_f1(t, pb, kept)

    result = bootstrap((true, a, b), difference, paired=True, vectorized=False,
                       n_resamples=n_resamples, confidence_level=confidence,
                       method="percentile", random_state=np.random.default_rng(seed))
    interval = (float(result.confidence_interval.low), float(result.confidence_interval.high))
    return {"difference": difference(true, a, b), "interval": interval,
            "verdict": verdict(interval)}


def verdict(interval) -> str:
    """``"A better"``, ``"B better"`` or ``"no measurable difference"`` for an interval of A - B.

    Parameters
    ----------
    interval : tuple of float
        ``(low, high)`` of the difference A - B.

    Returns
    -------
    str
    """
    low, high = interval
    if low > 0:
        return "A better"
    if high < 0:
        return "B better"
    return "no measurable difference"
