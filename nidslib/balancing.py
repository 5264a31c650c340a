"""Balancing inside the training fold: one pipeline factory and the sampling targets it uses.

Chapter 2 (Class imbalance), section "Which effects hold, and the recommendation". Every
resampler and scaler sits in an :class:`imblearn.pipeline.Pipeline`, so it is fitted on the
rows passed to ``fit`` (the training fold) and skipped by ``predict`` (BOOK rule 3). The
sampling targets are callables of the training labels, so they are computed inside the fold
too. The target is the attack family (``category``); the benign class is found by name
("Benign", "BENIGN", "normal", see :func:`nidslib.evaluation.resolve_benign_label`).

What chapter 2 measured, and the book therefore does: no resampling by default (no
resampling method raised the test macro-F1 of the forest or the MLP on the time-blocked
split); balanced class weights for tree ensembles (``balance="class_weight"``, the one gain
that held on validation and test); never SMOTE before the split. For what a pipeline cannot
hold (windows of flows, Keras), :func:`class_weights` and :func:`oversample_indices` give
the same balancing as a weight table or row indices.
"""

from __future__ import annotations

from functools import partial

import numpy as np
import pandas as pd
from imblearn.over_sampling import SMOTE, RandomOverSampler
from imblearn.pipeline import Pipeline
from imblearn.under_sampling import RandomUnderSampler
from sklearn.base import BaseEstimator, ClassifierMixin, MetaEstimatorMixin, clone
from sklearn.preprocessing import FunctionTransformer, StandardScaler
from sklearn.utils.metaestimators import available_if
from sklearn.utils import get_tags
from sklearn.utils.class_weight import compute_class_weight
from sklearn.utils.validation import check_is_fitted, column_or_1d, has_fit_parameter, validate_data

from nidslib.evaluation import resolve_benign_label
from nidslib.features import signed_log1p

__all__ = ["BALANCE", "DEFAULT_BALANCE", "DEFAULT_RATIO", "SCALE", "ClassWeighted",
           "class_weights", "make_pipeline", "oversample_indices", "raise_to_ratio",
           "sample_weights", "undersample_benign"]

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
    """Target of a :class:`~imblearn.under_sampling.RandomUnderSampler`: benign cut to
    ``ratio`` times the number of attack rows (never raised); other classes untouched.

    Chapter 2 (Class imbalance), section "Four ways to rebalance". ``ratio=1`` is the
    common tutorial recipe (as many benign rows as attacks). Pass it as
    ``sampling_strategy=functools.partial(undersample_benign, ratio=...)`` so that it is
    evaluated on the training labels at fit time.
    """
    if ratio <= 0:
        raise ValueError(f"ratio must be positive, got {ratio}")
    counts = _counts(y)
    benign = _benign(counts, benign_label)
    attacks = int(counts.drop(benign).sum())
    return {benign: int(min(counts[benign], max(1, round(ratio * attacks))))}


def raise_to_ratio(y, ratio: float = DEFAULT_RATIO, min_rows: int = 1) -> dict:
    """Target of an over-sampler: each class below ``ratio`` times the largest class is
    raised to that size; classes with fewer than ``min_rows`` rows are left alone.

    Chapter 2 (Class imbalance), section "Four ways to rebalance". ``ratio=1`` is
    imbalanced-learn's ``"auto"`` (every class as large as the largest); the book's default
    0.1 lifts only the rare families. For SMOTE set
    ``min_rows=k_neighbors + 1``: it interpolates between a row and its neighbours of the
    same class, and a class with fewer rows has none to interpolate with.
    """
    if not 0 < ratio <= 1:
        raise ValueError(f"ratio must be in (0, 1], got {ratio}")
    counts = _counts(y)
    target = int(round(ratio * counts.max()))
    return {cls: target for cls, n in counts.items() if min_rows <= n < target}


def _check_power(power: float) -> None:
    if not 0 <= power <= 1:
        raise ValueError(f"power must be in [0, 1], got {power}")


def oversample_indices(y, ratio: float = DEFAULT_RATIO, seed: int = 0) -> np.ndarray:
    """Row indices that oversample ``y`` as ``make_pipeline(..., "oversample")`` does: every
    row once, then rows of each family below ``ratio`` times the largest drawn at random
    (with replacement) until it reaches that size.

    Chapter 2 (Class imbalance), exercise 4. For what a pipeline cannot hold: windows of
    flows, Keras models (``model.fit(X[idx], y[idx])``). Use the training labels only; the
    result is shuffled with ``seed`` so that the copies spread over batches.
    """
    y = np.asarray(y)
    sampler = RandomOverSampler(sampling_strategy=partial(raise_to_ratio, ratio=ratio),
                                random_state=seed)
    sampler.fit_resample(np.zeros((len(y), 1)), y)
    indices = sampler.sample_indices_
    return indices[np.random.default_rng(seed).permutation(len(indices))]


def _balanced(y, power: float):
    """Classes (sorted), each row's class code, and scikit-learn's ``"balanced"`` weights
    (:func:`sklearn.utils.class_weight.compute_class_weight`) raised to ``power``."""
    _check_power(power)
    classes, codes = np.unique(np.asarray(y), return_inverse=True)
    weights = compute_class_weight("balanced", classes=classes, y=np.asarray(y)) ** power
    return classes, codes, weights


def class_weights(y, power: float = 1.0) -> dict:
    """Class weights ``(n_rows / (n_classes * n_rows_of_class)) ** power``, as a dict.

    Chapter 2 (Class imbalance), section "Four ways to rebalance". ``power=1`` gives
    scikit-learn's ``class_weight="balanced"`` (every class then weighs as much in total
    as every other); ``power=0.5`` goes half way on a log scale (a class 10,000 times rarer
    weighs 100 times more per row, not 10,000); ``power=0`` weighs every row 1. Keras takes
    the result as ``model.fit(..., class_weight=...)`` when ``y`` holds the integer class
    ids. Chapter 2 measured full weights (power 1) lifting a random forest and raising an
    MLP's false alarms many-fold: for gradient-trained models, temper them (``power<1``) and
    watch the benign false-positive rate.
    """
    classes, _codes, weights = _balanced(y, power)
    return {cls.item() if hasattr(cls, "item") else cls: float(w)
            for cls, w in zip(classes, weights)}


def sample_weights(y, power: float = 1.0) -> np.ndarray:
    """Each row's :func:`class_weights`, for ``fit(X, y, sample_weight=...)``.
    Chapter 2 (Class imbalance), section "Four ways to rebalance"."""
    _classes, codes, weights = _balanced(y, power)
    return weights[codes].astype(np.float64)


class ClassWeighted(ClassifierMixin, MetaEstimatorMixin, BaseEstimator):
    """A classifier fitted with :func:`sample_weights` computed from the labels it is fitted on.

    Chapter 2 (Class imbalance), section "Four ways to rebalance". Unlike a weight dictionary
    computed once from the whole training set, the weights come from the rows that reach
    ``fit`` (the training fold in a cross-validation, after any resampling), and it works
    for every estimator whose ``fit`` takes ``sample_weight`` (``MLPClassifier`` has no
    ``class_weight``). Prediction is the wrapped estimator's.
    """

    def __init__(self, estimator, power: float = 1.0):
        self.estimator = estimator
        self.power = power

    def fit(self, X, y):
        if y is None:
            raise ValueError("ClassWeighted requires y to be passed, but the target y is None")
        X, y = validate_data(self, X, y, **self._input_options())
        y = column_or_1d(y, warn=True)
        self.estimator_ = clone(self.estimator).fit(X, y,
                                                    sample_weight=sample_weights(y, self.power))
        self.classes_ = self.estimator_.classes_
        return self

    def predict(self, X):
        check_is_fitted(self)
        return self.estimator_.predict(validate_data(self, X, reset=False, **self._input_options()))

    @available_if(lambda self: hasattr(self.estimator, "predict_proba"))
    def predict_proba(self, X):
        check_is_fitted(self)
        return self.estimator_.predict_proba(
            validate_data(self, X, reset=False, **self._input_options()))

    def _input_options(self) -> dict:
        # What the wrapped estimator accepts (sparse input, NaN), checked once here.
        tags = get_tags(self.estimator).input_tags
        return {"accept_sparse": ["csr", "csc"] if tags.sparse else False, "dtype": None,
                "ensure_all_finite": "allow-nan" if tags.allow_nan else True}

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        inner = get_tags(self.estimator).input_tags
        tags.input_tags.sparse, tags.input_tags.allow_nan = inner.sparse, inner.allow_nan
        return tags


def make_pipeline(estimator, balance: str | None = DEFAULT_BALANCE, *,
                  ratio: float = DEFAULT_RATIO, benign_ratio: float = 1.0,
                  power: float = 1.0, k_neighbors: int = 3, benign_label="Benign",
                  scale: str | None = "log", seed: int = 0) -> Pipeline:
    """Scaling, optional resampling and the estimator, as one :class:`imblearn.pipeline.Pipeline`.

    Chapter 2 (Class imbalance), section "Which effects hold, and the recommendation".
    Steps: ``log`` (with ``scale="log"``, :func:`nidslib.features.signed_log1p`) and ``scale`` (a
    ``StandardScaler``; neither with ``scale=None``), then the sampler(s)
    ``undersample``/``oversample``/``smote``, then ``model`` (a clone of ``estimator``).
    ``balance`` is one of :data:`BALANCE`:

    - ``None`` (the default, the book's recommendation): no balancing;
    - ``"class_weight"`` (the book's choice for tree ensembles): no new rows; the model is
      wrapped in :class:`ClassWeighted`, weights ``** power`` (1: scikit-learn's
      "balanced") computed from the labels that reach ``fit``;
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
    skips the samplers and applies the fitted scaling. Unknown options raise ``ValueError``.
    """
    if balance not in BALANCE:
        raise ValueError(f"balance must be one of {BALANCE}, not {balance!r}")
    if scale not in SCALE:
        raise ValueError(f"scale must be one of {SCALE}, not {scale!r}")
    _check_power(power)
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
