"""Class weights: no new rows, each family's errors counted by its weight instead.

Chapter 2 (Class imbalance), section "Four ways to rebalance". scikit-learn's
``"balanced"`` weights (:func:`sklearn.utils.class_weight.compute_class_weight`), raised to
a ``power`` in [0, 1] that tempers them (the book weights gradient-trained models with ``power < 1``): as a
table for Keras' ``class_weight`` (:func:`class_weights`), one weight per row
(:func:`sample_weights`), or around any scikit-learn classifier whose ``fit`` takes
``sample_weight`` (:class:`ClassWeighted`, which :func:`nidslib.balancing.make_pipeline`
uses for ``balance="class_weight"``).

Example
-------
>>> import numpy as np
>>> y = np.array(["Benign"] * 90 + ["DoS"] * 8 + ["PortScan"] * 2)
>>> {family: round(weight, 2) for family, weight in class_weights(y).items()}
{'Benign': 0.37, 'DoS': 4.17, 'PortScan': 16.67}
>>> {family: round(weight, 2) for family, weight in class_weights(y, power=0.5).items()}
{'Benign': 0.61, 'DoS': 2.04, 'PortScan': 4.08}
"""

from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, MetaEstimatorMixin, clone
from sklearn.utils import get_tags
from sklearn.utils.class_weight import compute_class_weight
from sklearn.utils.metaestimators import available_if
from sklearn.utils.validation import check_is_fitted, column_or_1d, validate_data

__all__ = ["ClassWeighted", "class_weights", "sample_weights"]


def _check_power(power: float) -> None:
    if not 0 <= power <= 1:
        raise ValueError(f"power must be in [0, 1], got {power}")


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
