"""Random search (nidslib.search): the trial budget, validation-only scoring, the best model."""

from functools import partial

import numpy as np
import pytest
from scipy.stats import loguniform

from nidslib import models, search


def _data(n, seed):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 5)).astype("float32")
    return x, (x[:, 0] > 0).astype("int64") + (x[:, 1] > 0.8)


def test_budget_is_the_number_of_trials_and_batch_size_goes_to_fit(monkeypatch):
    built, fitted = [], []
    original_fit = search.training.fit

    def counting_fit(model, train, val, **options):
        fitted.append(options)
        return original_fit(model, train, val, **options)

    monkeypatch.setattr(search.training, "fit", counting_fit)

    def build(**params):
        built.append(params)
        return models.build_dnn(5, 3, steps_per_execution=4, **params)

    space = {"units": [(4,), (8,)], "dropout": [0.0, 0.2],
             "learning_rate": loguniform(1e-3, 1e-2), "batch_size": [32, 64]}
    result = search.random_search(build, space, _data(200, 0), _data(80, 1), n_trials=3,
                                  fit_options={"epochs": 1})
    assert len(built) == len(fitted) == len(result.trials) == 3
    assert all("batch_size" not in params for params in built)
    assert [o["batch_size"] for o in fitted] == result.trials["batch_size"].tolist()
    assert all(o["epochs"] == 1 for o in fitted)
    assert set(result.trials.columns) >= {"units", "dropout", "learning_rate", "batch_size",
                                          "val_macro_f1", "val_loss", "epochs", "seconds"}


def test_the_best_trial_is_the_best_validation_score():
    build = partial(models.build_dnn, 5, 3, steps_per_execution=4)
    val = _data(80, 1)
    result = search.random_search(build, {"units": [(2,), (16,)], "learning_rate": [1e-3, 3e-2]},
                                  _data(300, 0), val, n_trials=3, fit_options={"epochs": 2})
    best = result.trials["val_macro_f1"].idxmax()
    assert result.best_score == result.trials.loc[best, "val_macro_f1"]
    assert result.best_params == {k: result.trials.loc[best, k] for k in result.best_params}
    from sklearn.metrics import f1_score

    from nidslib.training import predict_labels

    again = f1_score(val[1], predict_labels(result.best_model, val[0]), average="macro")
    assert again == pytest.approx(result.best_score)


def test_sampling_is_repeatable():
    space = {"units": [(2,), (3,), (4,), (5,)], "dropout": [0.0, 0.1, 0.2]}
    build = partial(models.build_dnn, 5, 3, steps_per_execution=4)
    runs = [search.random_search(build, space, _data(60, 0), _data(30, 1), n_trials=2,
                                 fit_options={"epochs": 1}).trials for _ in range(2)]
    assert runs[0][["units", "dropout", "val_macro_f1"]].equals(
        runs[1][["units", "dropout", "val_macro_f1"]])


def test_the_budget_must_be_positive():
    with pytest.raises(ValueError, match="n_trials"):
        search.random_search(lambda: None, {}, _data(10, 0), _data(10, 1), n_trials=0)
