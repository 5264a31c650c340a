"""Balancing inside the training fold: one pipeline factory and the sampling targets it uses.

Chapter 2 (Class imbalance), section "Which differences are real, and the recommendation".
Every resampler and scaler sits in an :class:`imblearn.pipeline.Pipeline`, so it is fitted on
the rows passed to ``fit`` (the training fold) and skipped by ``predict`` (evaluation rule 3
of the introduction). The sampling targets are callables of the training labels, so they are
computed inside the fold too. The target is the attack family (``category``); the benign
class is found by name ("Benign", "BENIGN", "normal", see
:func:`nidslib.evaluation.resolve_benign_label`).

What chapter 2 measured, and the book therefore does: no resampling and no class weights
by default (judged on validation, on the families that can rank and against a paired
bootstrap, no method gave a measurable gain: balancing moves the operating point, more
rare-family recall for more false alarms); weights tempered (``power<1``) where a
gradient-trained model is weighted; never SMOTE before the split. For what a pipeline cannot
hold (windows of flows, Keras), :func:`nidslib.weighting.class_weights` and
:func:`oversample_indices` give the same balancing as a weight table or row indices.

Example
-------
>>> import numpy as np
>>> from sklearn.linear_model import LogisticRegression
>>> y = np.array(["Benign"] * 90 + ["DoS"] * 8 + ["PortScan"] * 2)
>>> raise_to_ratio(y)                   # families below a tenth of the largest, raised to it
{'DoS': 9, 'PortScan': 9}
>>> len(oversample_indices(y))          # every row once, plus 1 DoS and 7 PortScan copies
108
>>> [name for name, _ in make_pipeline(LogisticRegression(), "oversample").steps]
['log', 'scale', 'oversample', 'model']
"""

from __future__ import annotations

from functools import partial

import numpy as np
import pandas as pd
from imblearn.over_sampling import SMOTE, RandomOverSampler
from imblearn.pipeline import Pipeline
from imblearn.under_sampling import RandomUnderSampler
from sklearn.base import clone
from sklearn.preprocessing import FunctionTransformer, StandardScaler
from sklearn.utils.validation import has_fit_parameter

from nidslib.evaluation import resolve_benign_label
from nidslib.features import signed_log1p
from nidslib.weighting import ClassWeighted

__all__ = ["BALANCE", "DEFAULT_BALANCE", "DEFAULT_RATIO", "SCALE", "make_pipeline",
           "oversample_indices", "raise_to_ratio", "undersample_benign"]

BALANCE = (None, "class_weight", "undersample", "oversample", "smote", "scalable")
DEFAULT_BALANCE = None  # the book's recommendation (chapter 2): resample nothing by default
DEFAULT_RATIO = 0.1  # oversamplers: raise every family below a tenth of the largest to that
SCALE = ("log", "standard", None)


def _counts(y) -> pd.Series:
    return pd.Series(np.asarray(y)).value_counts(sort=False)


def _benign(counts: pd.Series, benign_label):
    benign = resolve_benign_label(benign_label, list(counts.index))
    if benign is None:
        raise ValueError(f"no benign class among {list(counts.index)} (benign_label="
                         f"{benign_label!r})")
    return benign


def undersample_benign(y, ratio: float = 1.0, benign_label="Benign") -> dict:
    """Sampling target that cuts benign to ``ratio`` times the number of attack rows.

    The target of a :class:`~imblearn.under_sampling.RandomUnderSampler`: benign is cut to
    ``ratio`` times the attack rows (never raised); other classes are untouched.
    Chapter 2 (Class imbalance), section "Four ways to rebalance". ``ratio=1`` is the
    common tutorial recipe (as many benign rows as attacks). Pass it as
    ``sampling_strategy=functools.partial(undersample_benign, ratio=...)`` so that it is
    evaluated on the training labels at fit time.

    Parameters
    ----------
    y : array-like
        The training labels, one per row.
    ratio : float, default 1.0
        Benign rows to keep per attack row.
    benign_label : str, default "Benign"
        The benign class's name; resolved by
        :func:`nidslib.evaluation.resolve_benign_label` ("BENIGN", "normal" also match).

    Returns
    -------
    dict
        ``{benign: n}``, with ``n = min(benign rows, max(1, round(ratio * attack rows)))``.

    Raises
    ------
    ValueError
        If ``ratio`` is not positive, or if ``y`` holds no benign class.
    """
    if ratio <= 0:
        raise ValueError(f"ratio must be positive, got {ratio}")
    counts = _counts(y)
    benign = _benign(counts, benign_label)
    attacks = int(counts.drop(benign).sum())
    return {benign: int(min(counts[benign], max(1, round(ratio * attacks))))}


def raise_to_ratio(y, ratio: float = DEFAULT_RATIO, min_rows: int = 1) -> dict:
    """Sampling target that raises each class below ``ratio`` times the largest to that size.

    The target of an over-sampler; classes with fewer than ``min_rows`` rows are left
    alone. Chapter 2 (Class imbalance), section "Four ways to rebalance". ``ratio=1`` is
    imbalanced-learn's ``"auto"`` (every class as large as the largest); the book's default
    0.1 lifts only the rare families. For SMOTE set
    ``min_rows=k_neighbors + 1``: it interpolates between a row and its neighbours of the
    same class, and a class with fewer rows has none to interpolate with.

    Parameters
    ----------
    y : array-like
        The training labels, one per row.
    ratio : float, default :data:`DEFAULT_RATIO` (0.1)
        The target size as a share of the largest class, in (0, 1].
    min_rows : int, default 1
        Classes with fewer rows are not raised.

    Returns
    -------
    dict
        ``{class: round(ratio * largest)}`` for every class with at least ``min_rows`` and
        fewer than that many rows; classes not listed are left as they are.

    Raises
    ------
    ValueError
        If ``ratio`` is not in (0, 1].
    """
    if not 0 < ratio <= 1:
        raise ValueError(f"ratio must be in (0, 1], got {ratio}")
    counts = _counts(y)
    target = int(round(ratio * counts.max()))
    return {cls: target for cls, n in counts.items() if min_rows <= n < target}


def oversample_indices(y, ratio: float = DEFAULT_RATIO, seed: int = 0) -> np.ndarray:
    """Row indices that oversample ``y`` as ``make_pipeline(..., "oversample")`` does.

    Every row once, then rows of each family below ``ratio`` times the largest drawn at
    random (with replacement) until it reaches that size.
    Chapter 3 (CNN), section "Two baselines, and a decision about rebalancing" uses it;
    chapter 2 (Class imbalance), exercise 4, explains why windows are repeated rather than
    SMOTEd. For what a pipeline cannot hold: windows of flows, Keras models
    (``model.fit(X[idx], y[idx])``). Use the training labels only; the result is shuffled
    with ``seed`` so that the copies spread over batches.

    Parameters
    ----------
    y : array-like
        The training labels (of flows or windows), one per row.
    ratio : float, default :data:`DEFAULT_RATIO` (0.1)
        Families below this share of the largest are raised to it (:func:`raise_to_ratio`).
    seed : int, default 0
        Seed of the draw and of the shuffle.

    Returns
    -------
    numpy.ndarray
        Row positions into ``y``, shuffled: every row once, plus the added copies.

    Raises
    ------
    ValueError
        If ``ratio`` is not in (0, 1].
    """
    y = np.asarray(y)
    sampler = RandomOverSampler(sampling_strategy=partial(raise_to_ratio, ratio=ratio),
                                random_state=seed)
    sampler.fit_resample(np.zeros((len(y), 1)), y)
    indices = sampler.sample_indices_
    return indices[np.random.default_rng(seed).permutation(len(indices))]


def make_pipeline(estimator, balance: str | None = DEFAULT_BALANCE, *,
                  ratio: float = DEFAULT_RATIO, benign_ratio: float = 1.0,
                  power: float = 1.0, k_neighbors: int = 3, benign_label="Benign",
                  scale: str | None = "log", seed: int = 0) -> Pipeline:
    """Scaling, optional resampling and the estimator, as one imbalanced-learn pipeline.

    Chapter 2 (Class imbalance), section "Which differences are real, and the
    recommendation". The result is an :class:`imblearn.pipeline.Pipeline`. Steps: ``log``
    (with ``scale="log"``, :func:`nidslib.features.signed_log1p`) and ``scale`` (a
    ``StandardScaler``; neither with ``scale=None``), then the sampler(s)
    ``undersample``/``oversample``/``smote``, then ``model`` (a clone of ``estimator``).
    ``balance`` is one of :data:`BALANCE`:

    - ``None`` (the default, the book's recommendation): no balancing;
    - ``"class_weight"``: no new rows; the model is wrapped in :class:`ClassWeighted`,
      weights ``** power`` (1: scikit-learn's "balanced") computed from the labels that
      reach ``fit``;
    - ``"undersample"``: benign cut at random to ``benign_ratio`` times the attack rows
      (``benign_ratio=1``: as many benign rows as attacks);
    - ``"oversample"``: rows of the classes below ``ratio`` times the largest (0.1 by
      default) repeated at random up to that size;
    - ``"smote"``: synthetic rows (SMOTE, ``k_neighbors``) up to ``ratio`` times the
      largest class;
    - ``"scalable"``: a recipe for millions of rows: benign undersampled first
      (``benign_ratio``), then SMOTE only on the classes still below ``ratio`` times the
      largest.

    Samplers and scalers are fitted in ``fit`` on the training rows only; ``predict``
    skips the samplers and applies the fitted scaling.

    Parameters
    ----------
    estimator : scikit-learn classifier
        The model; cloned, never fitted in place.
    balance : str or None, default :data:`DEFAULT_BALANCE` (None)
        One of :data:`BALANCE`, as listed above.
    ratio : float, default :data:`DEFAULT_RATIO` (0.1)
        For ``"oversample"``, ``"smote"`` and ``"scalable"``: raise the classes below this
        share of the largest to it; in (0, 1].
    benign_ratio : float, default 1.0
        For ``"undersample"`` and ``"scalable"``: benign rows kept per attack row.
    power : float, default 1.0
        For ``"class_weight"``: exponent in [0, 1] of the balanced weights.
    k_neighbors : int, default 3
        For ``"smote"`` and ``"scalable"``: SMOTE's neighbours; classes with at most this
        many rows are left as they are.
    benign_label : str, default "Benign"
        The benign class's name, for the undersampler.
    scale : {"log", "standard", None}, default "log"
        Signed log then standardisation, standardisation alone, or no scaling.
    seed : int, default 0
        ``random_state`` of the samplers.

    Returns
    -------
    imblearn.pipeline.Pipeline
        Unfitted; its last step is named ``model``.

    Raises
    ------
    ValueError
        If ``balance`` or ``scale`` is not one of the options, ``power`` not in [0, 1],
        ``ratio`` not in (0, 1], ``benign_ratio`` not positive, ``k_neighbors`` not a
        positive integer, or if ``balance="class_weight"`` and ``estimator.fit`` takes no
        ``sample_weight``.
    """
    if balance not in BALANCE:
        raise ValueError(f"balance must be one of {BALANCE}, not {balance!r}")
    if scale not in SCALE:
        raise ValueError(f"scale must be one of {SCALE}, not {scale!r}")
    if not 0 <= power <= 1:
        raise ValueError(f"power must be in [0, 1], got {power}")
    if not 0 < ratio <= 1:
        raise ValueError(f"ratio must be in (0, 1], got {ratio}")
    if benign_ratio <= 0:
        raise ValueError(f"benign_ratio must be positive, got {benign_ratio}")
    if int(k_neighbors) != k_neighbors or k_neighbors < 1:
        raise ValueError(f"k_neighbors must be a positive integer, got {k_neighbors}")
    model = clone(estimator)
    log = FunctionTransformer(signed_log1p, feature_names_out="one-to-one")
    steps = [("log", log)] if scale == "log" else []
    steps += [("scale", StandardScaler())] if scale else []
    under = partial(undersample_benign, ratio=benign_ratio, benign_label=benign_label)
    if balance == "class_weight":
        if not has_fit_parameter(model, "sample_weight"):
            raise ValueError(f"{type(model).__name__}.fit takes no sample_weight, so it "
                             f"cannot be class-weighted; choose a resampling balance")
        model = ClassWeighted(model, power=power)
    elif balance == "undersample":
        steps.append(("undersample", RandomUnderSampler(sampling_strategy=under,
                                                        random_state=seed)))
    elif balance == "oversample":
        steps.append(("oversample", RandomOverSampler(
            sampling_strategy=partial(raise_to_ratio, ratio=ratio), random_state=seed)))
    elif balance in ("smote", "scalable"):
        if balance == "scalable":
            steps.append(("undersample", RandomUnderSampler(sampling_strategy=under,
                                                            random_state=seed)))
        steps.append(("smote", SMOTE(
            sampling_strategy=partial(raise_to_ratio, ratio=ratio, min_rows=k_neighbors + 1),
            k_neighbors=k_neighbors, random_state=seed)))
    return Pipeline([*steps, ("model", model)])
