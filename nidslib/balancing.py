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
hold (windows of flows, Keras), :func:`class_weights` and :func:`oversample_indices` give
the same balancing as a weight table or row indices.

Example
-------
>>> import numpy as np
>>> from sklearn.linear_model import LogisticRegression
>>> y = np.array(["Benign"] * 90 + ["DoS"] * 8 + ["PortScan"] * 2)
>>> {family: round(weight, 2) for family, weight in class_weights(y).items()}
{'Benign': 0.37, 'DoS': 4.17, 'PortScan': 16.67}
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


def _check_power(power: float) -> None:
    if not 0 <= power <= 1:
        raise ValueError(f"power must be in [0, 1], got {power}")


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

    Parameters
    ----------
    y : array-like
        The training labels, one per row.
    power : float, default 1.0
        Exponent in [0, 1] applied to scikit-learn's ``"balanced"`` weights.

    Returns
    -------
    dict
        ``{class: weight}`` (plain Python keys and floats), classes in sorted order.

    Raises
    ------
    ValueError
        If ``power`` is not in [0, 1].
    """
    classes, _codes, weights = _balanced(y, power)
    return {cls.item() if hasattr(cls, "item") else cls: float(w)
            for cls, w in zip(classes, weights)}


def sample_weights(y, power: float = 1.0) -> np.ndarray:
    """Each row's :func:`class_weights`, for ``fit(X, y, sample_weight=...)``.

    Chapter 2 (Class imbalance), section "Four ways to rebalance".

    Parameters
    ----------
    y : array-like
        The training labels, one per row.
    power : float, default 1.0
        Exponent in [0, 1], as in :func:`class_weights`.

    Returns
    -------
    numpy.ndarray
        float64, one weight per row of ``y``.

    Raises
    ------
    ValueError
        If ``power`` is not in [0, 1].
    """
    _classes, codes, weights = _balanced(y, power)
    return weights[codes].astype(np.float64)


class ClassWeighted(ClassifierMixin, MetaEstimatorMixin, BaseEstimator):
    """A classifier fitted with :func:`sample_weights` computed from the labels it is fitted on.

    Chapter 2 (Class imbalance), section "Four ways to rebalance". Unlike a weight dictionary
    computed once from the whole training set, the weights come from the rows that reach
    ``fit`` (the training fold in a cross-validation, after any resampling), and it works
    for every estimator whose ``fit`` takes ``sample_weight`` (``MLPClassifier`` has no
    ``class_weight``). Prediction is the wrapped estimator's.

    Parameters
    ----------
    estimator : scikit-learn classifier
        Cloned in ``fit``; its ``fit`` must take ``sample_weight``.
    power : float, default 1.0
        Exponent in [0, 1] of the weights, as in :func:`class_weights`.

    Attributes
    ----------
    estimator_ : classifier
        The fitted clone of ``estimator``.
    classes_ : numpy.ndarray
        The fitted estimator's classes.
    """

    def __init__(self, estimator, power: float = 1.0):
        self.estimator = estimator
        self.power = power

    def fit(self, X, y):
        """Fit a clone of ``estimator`` with :func:`sample_weights` of ``y``.

        Parameters
        ----------
        X : array-like of shape (n_rows, n_features)
            Training features (sparse or with NaN only where ``estimator`` accepts them).
        y : array-like of shape (n_rows,)
            Training labels.

        Returns
        -------
        ClassWeighted
            ``self``, fitted.

        Raises
        ------
        ValueError
            If ``y`` is None, if ``power`` is not in [0, 1], or if ``X`` and ``y`` fail
            scikit-learn's input checks.
        """
        if y is None:
            raise ValueError("ClassWeighted requires y to be passed, but the target y is None")
        X, y = validate_data(self, X, y, **self._input_options())
        y = column_or_1d(y, warn=True)
        self.estimator_ = clone(self.estimator).fit(X, y,
                                                    sample_weight=sample_weights(y, self.power))
        self.classes_ = self.estimator_.classes_
        return self

    def predict(self, X):
        """The wrapped estimator's predicted class for each row.

        Parameters
        ----------
        X : array-like of shape (n_rows, n_features)
            Features with as many columns as in ``fit``.

        Returns
        -------
        numpy.ndarray
            One class per row.

        Raises
        ------
        sklearn.exceptions.NotFittedError
            If called before ``fit``.
        ValueError
            If ``X`` fails scikit-learn's input checks (e.g. another number of columns).
        """
        check_is_fitted(self)
        return self.estimator_.predict(validate_data(self, X, reset=False, **self._input_options()))

    @available_if(lambda self: hasattr(self.estimator, "predict_proba"))
    def predict_proba(self, X):
        """The wrapped estimator's class probabilities (only if it has ``predict_proba``).

        Parameters
        ----------
        X : array-like of shape (n_rows, n_features)
            Features with as many columns as in ``fit``.

        Returns
        -------
        numpy.ndarray
            (n_rows, n_classes), columns in the order of ``classes_``.

        Raises
        ------
        sklearn.exceptions.NotFittedError
            If called before ``fit``.
        ValueError
            If ``X`` fails scikit-learn's input checks.
        """
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
