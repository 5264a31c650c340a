"""Balancing (nidslib.balancing) and class weights (nidslib.weighting): samplers fitted on
training rows only, targets and weights as promised, ClassWeighted a proper estimator."""

import numpy as np
import pandas as pd
import pytest
from imblearn.over_sampling import SMOTE
from imblearn.pipeline import Pipeline
from imblearn.under_sampling import RandomUnderSampler
from sklearn.base import clone
from sklearn.dummy import DummyClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold, cross_validate
from sklearn.neighbors import KNeighborsClassifier
from sklearn.preprocessing import StandardScaler
from sklearn.svm import LinearSVC
from sklearn.tree import DecisionTreeClassifier
from sklearn.utils.estimator_checks import parametrize_with_checks

from nidslib import balancing, weighting
from nidslib.features import signed_log1p

from conftest import toy_data

COUNTS = {"Benign": 600, "DoS": 200, "Bot": 20, "Heartbleed": 3}


class Recorder(DummyClassifier):
    """Remembers the labels and weights it was fitted on."""

    def fit(self, X, y, sample_weight=None):
        self.seen_y_ = np.asarray(y).copy()
        self.seen_weight_ = sample_weight
        return super().fit(X, y, sample_weight=sample_weight)


def counts_of(y) -> dict:
    return pd.Series(y).value_counts().to_dict()


# --- sampling targets ----------------------------------------------------------------------


def test_undersample_benign_cuts_benign_to_a_multiple_of_the_attacks():
    _, y = toy_data(COUNTS, 0)
    attacks = 200 + 20 + 3
    assert balancing.undersample_benign(y) == {"Benign": attacks}
    assert balancing.undersample_benign(y, ratio=2) == {"Benign": 2 * attacks}
    assert balancing.undersample_benign(y, ratio=10) == {"Benign": 600}  # never raised
    assert balancing.undersample_benign(np.where(y == "Benign", "BENIGN", y)) == {"BENIGN": attacks}


def test_undersample_benign_needs_a_benign_class_and_a_positive_ratio():
    with pytest.raises(ValueError, match="no benign class"):
        balancing.undersample_benign(np.array(["DoS", "Bot"]))
    with pytest.raises(ValueError, match="ratio"):
        balancing.undersample_benign(np.array(["Benign", "Bot"]), ratio=0)


def test_raise_to_ratio_lifts_only_classes_below_the_floor():
    _, y = toy_data(COUNTS, 0)
    assert balancing.raise_to_ratio(y, ratio=0.1) == {"Bot": 60, "Heartbleed": 60}
    assert balancing.raise_to_ratio(y, ratio=1.0) == {"DoS": 600, "Bot": 600, "Heartbleed": 600}
    assert balancing.raise_to_ratio(y, ratio=0.1, min_rows=4) == {"Bot": 60}
    for bad in (0, 1.5):
        with pytest.raises(ValueError, match="ratio"):
            balancing.raise_to_ratio(y, ratio=bad)


# --- class weights -------------------------------------------------------------------------


def test_class_weights_are_balanced_and_tempered_by_power():
    _, y = toy_data(COUNTS, 0)
    n, k = len(y), len(COUNTS)
    full = weighting.class_weights(y)
    assert full == pytest.approx({c: n / (k * m) for c, m in COUNTS.items()})
    # Balanced: every class weighs the same in total.
    totals = [full[c] * m for c, m in COUNTS.items()]
    assert np.allclose(totals, totals[0])
    half = weighting.class_weights(y, power=0.5)
    assert half == pytest.approx({c: w ** 0.5 for c, w in full.items()})
    assert set(weighting.class_weights(y, power=0).values()) == {1.0}
    with pytest.raises(ValueError, match="power"):
        weighting.class_weights(y, power=2)


def test_class_weights_keep_integer_ids_for_keras():
    weights = weighting.class_weights(np.array([0, 0, 0, 1]))
    assert list(weights) == [0, 1] and all(type(k) is int for k in weights)


def test_sample_weights_give_each_row_its_class_weight():
    _, y = toy_data(COUNTS, 0)
    rows = weighting.sample_weights(y, power=0.5)
    weights = weighting.class_weights(y, power=0.5)
    assert rows.shape == (len(y),)
    assert np.allclose(rows, [weights[v] for v in y])


def test_class_weighted_fits_with_weights_from_its_own_labels():
    X, y = toy_data(COUNTS, 0)
    model = weighting.ClassWeighted(Recorder(), power=1.0).fit(X[:400], y[:400])
    expected = weighting.sample_weights(y[:400], power=1.0)
    assert np.allclose(model.estimator_.seen_weight_, expected)
    assert list(model.classes_) == sorted(set(y[:400]))
    assert hasattr(weighting.ClassWeighted(LogisticRegression()), "predict_proba")
    assert not hasattr(weighting.ClassWeighted(LinearSVC()), "predict_proba")


# --- the pipeline factory ------------------------------------------------------------------


def test_make_pipeline_steps_for_each_balance():
    model = DummyClassifier()
    steps = {b: [name for name, _ in balancing.make_pipeline(model, b).steps]
             for b in balancing.BALANCE}
    assert steps[None] == ["log", "scale", "model"]
    assert steps["class_weight"] == ["log", "scale", "model"]
    assert steps["undersample"] == ["log", "scale", "undersample", "model"]
    assert steps["oversample"] == ["log", "scale", "oversample", "model"]
    assert steps["smote"] == ["log", "scale", "smote", "model"]
    assert steps["scalable"] == ["log", "scale", "undersample", "smote", "model"]
    pipeline = balancing.make_pipeline(model, "smote", scale="standard")
    assert isinstance(pipeline, Pipeline) and isinstance(pipeline["scale"], StandardScaler)
    assert isinstance(pipeline["smote"], SMOTE) and "log" not in pipeline.named_steps
    assert [n for n, _ in balancing.make_pipeline(model, None, scale=None).steps] == ["model"]
    assert isinstance(balancing.make_pipeline(model, "undersample")["undersample"],
                      RandomUnderSampler)


def test_the_default_is_the_book_recommendation():
    assert balancing.DEFAULT_BALANCE is None
    pipeline = balancing.make_pipeline(DummyClassifier())
    assert [name for name, _ in pipeline.steps] == ["log", "scale", "model"]
    X, y = toy_data(COUNTS, 0)
    _, resampled = balancing.make_pipeline(DummyClassifier(), "oversample")[:-1].fit_resample(X, y)
    assert counts_of(resampled) == {"Benign": 600, "DoS": 200, "Bot": 60, "Heartbleed": 60}


def test_make_pipeline_clones_the_estimator():
    model = LogisticRegression()
    pipeline = balancing.make_pipeline(model, None)
    assert pipeline["model"] is not model
    X, y = toy_data(COUNTS, 0)
    pipeline.fit(X, y)
    assert not hasattr(model, "coef_")


@pytest.mark.parametrize("options, message", [
    ({"balance": "smote-all"}, "balance must be one of"),
    ({"balance": "SMOTE"}, "balance must be one of"),
    ({"scale": "minmax"}, "scale must be one of"),
    ({"ratio": 0}, "ratio"),
    ({"ratio": 2}, "ratio"),
    ({"benign_ratio": -1}, "benign_ratio"),
    ({"power": 1.5}, "power"),
    ({"k_neighbors": 0}, "k_neighbors"),
])
def test_make_pipeline_refuses_unknown_options(options, message):
    with pytest.raises(ValueError, match=message):
        balancing.make_pipeline(DummyClassifier(), **options)


def test_class_weight_needs_an_estimator_that_takes_sample_weight():
    with pytest.raises(ValueError, match="sample_weight"):
        balancing.make_pipeline(KNeighborsClassifier(), "class_weight")


@pytest.mark.parametrize("balance, options, expected", [
    ("undersample", {}, {"Benign": 223, "DoS": 200, "Bot": 20, "Heartbleed": 3}),
    ("oversample", {"ratio": 0.5}, {"Benign": 600, "DoS": 300, "Bot": 300, "Heartbleed": 300}),
    ("smote", {"ratio": 0.5}, {"Benign": 600, "DoS": 300, "Bot": 300, "Heartbleed": 3}),
    ("smote", {"ratio": 0.5, "k_neighbors": 2}, {"Benign": 600, "DoS": 300, "Bot": 300,
                                                 "Heartbleed": 300}),
    ("scalable", {"benign_ratio": 2, "ratio": 0.25},
     {"Benign": 446, "DoS": 200, "Bot": 112, "Heartbleed": 3}),
])
def test_resampled_counts_are_what_the_strategy_says(balance, options, expected):
    X, y = toy_data(COUNTS, 0)
    pipeline = balancing.make_pipeline(Recorder(), balance, **options).fit(X, y)
    assert counts_of(pipeline["model"].seen_y_) == expected


def test_samplers_act_in_fit_only_never_at_predict_time(monkeypatch):
    X, y = toy_data(COUNTS, 0)
    calls = []
    for sampler in (SMOTE, RandomUnderSampler):
        original = sampler.fit_resample

        def spy(self, X, y, _original=original, **kw):
            calls.append(len(y))
            return _original(self, X, y, **kw)

        monkeypatch.setattr(sampler, "fit_resample", spy)
    pipeline = balancing.make_pipeline(Recorder(), "scalable", ratio=0.3).fit(X, y)
    assert calls == [len(y), 223 + 200 + 20 + 3]  # undersampler, then SMOTE, both in fit
    predicted = pipeline.predict(X[:50])
    assert len(predicted) == 50 and len(calls) == 2  # predict resamples nothing


def test_sampler_and_scaler_are_fitted_inside_each_training_fold():
    X, y = toy_data(COUNTS, 0)
    pipeline = balancing.make_pipeline(Recorder(), "oversample", ratio=0.5)
    folds = list(StratifiedKFold(3, shuffle=True, random_state=0).split(X, y))
    fitted = cross_validate(pipeline, X, y, cv=folds, return_estimator=True)["estimator"]
    for model, (train, _test) in zip(fitted, folds):
        logged = signed_log1p(X[train])
        assert np.allclose(model["scale"].mean_, logged.mean(axis=0, dtype=np.float64))
        expected = dict(pd.Series(y[train]).value_counts())
        expected.update(balancing.raise_to_ratio(y[train], ratio=0.5))
        assert counts_of(model["model"].seen_y_) == expected


def test_class_weight_pipeline_weights_from_the_training_labels():
    X, y = toy_data(COUNTS, 0)
    pipeline = balancing.make_pipeline(Recorder(), "class_weight", power=0.5).fit(X, y)
    seen = pipeline["model"].estimator_.seen_weight_
    assert np.allclose(seen, weighting.sample_weights(y, power=0.5))
    assert len(seen) == len(y)  # no rows added


def test_pipelines_are_deterministic_and_clonable():
    X, y = toy_data(COUNTS, 0)
    first = balancing.make_pipeline(DecisionTreeClassifier(random_state=0), "smote", ratio=0.5)
    second = clone(first)
    assert (first.fit(X, y).predict(X) == second.fit(X, y).predict(X)).all()


def test_signed_log1p_keeps_sign_zero_and_float32():
    values = np.array([[-1.0, 0.0, 1e9]], dtype=np.float32)
    out = signed_log1p(values)
    assert out.dtype == np.float32
    assert out[0, 0] == pytest.approx(-np.log(2)) and out[0, 1] == 0
    assert out[0, 2] == pytest.approx(np.log1p(1e9), rel=1e-6)
    assert signed_log1p(np.array([[3]])).dtype == np.float64


def test_oversample_indices_match_the_pipeline_and_keep_every_row():
    _, y = toy_data(COUNTS, 0)
    idx = balancing.oversample_indices(y, seed=0)
    assert set(range(len(y))) <= set(idx.tolist())
    assert counts_of(y[idx]) == {"Benign": 600, "DoS": 200, "Bot": 60, "Heartbleed": 60}
    assert not (np.diff(idx) == 1).all()  # shuffled, so the copies spread over batches
    assert (idx == balancing.oversample_indices(y, seed=0)).all()


@parametrize_with_checks([weighting.ClassWeighted(LogisticRegression(max_iter=200)),
                          weighting.ClassWeighted(DecisionTreeClassifier(random_state=0))])
def test_class_weighted_passes_scikit_learn_estimator_checks(estimator, check):
    check(estimator)
