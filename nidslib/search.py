"""Random search of hyperparameters with a fixed trial budget, judged on the validation split.

Chapter 3 (CNN), section "A small random search". Random search (Bergstra and Bengio, 2012)
samples ``n_trials`` settings from the given distributions; with the same budget it covers
each single hyperparameter better than a grid does. Every trial builds a fresh model with
the book's seed, trains it with early stopping on the validation split and is scored on the
validation split; the test split is never passed in, so it cannot influence the choice
(evaluation rule 5 of the introduction). Sampling is scikit-learn's
:class:`~sklearn.model_selection.ParameterSampler`.

Example
-------
One trial of one epoch on 300 random flows (a real search runs several): the table of
trials, whose scores depend on the machine, so only its columns are shown.

>>> import functools
>>> import numpy as np
>>> from nidslib.models import build_dnn
>>> rng = np.random.default_rng(0)
>>> x, y = rng.normal(size=(300, 4)).astype("float32"), rng.integers(0, 2, 300)
>>> build = functools.partial(build_dnn, 4, 2, units=(8,))
>>> result = random_search(build, {"dropout": [0.0, 0.3]}, (x[:200], y[:200]),
...                        (x[200:], y[200:]), n_trials=1, fit_options={"epochs": 1})
>>> result.trials.columns.tolist()
['dropout', 'val_macro_f1', 'val_loss', 'epochs', 'best_epoch', 'seconds']
>>> len(result.trials), list(result.best_params), result.best_run.epochs_run
(1, ['dropout'], 1)
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from sklearn.metrics import f1_score
from sklearn.model_selection import ParameterSampler

from nidslib import training

__all__ = ["SearchResult", "random_search"]

FIT_PARAMETERS = ("batch_size",)  # sampled, but given to fit() rather than to the builder


@dataclass
class SearchResult:
    """The trials (one row each, in sampling order) and the best one.

    Chapter 3 (CNN), section "A small random search". What :func:`random_search` returns.

    Parameters
    ----------
    trials : pandas.DataFrame
        Indexed by ``trial``: the sampled parameters, ``val_macro_f1`` (the score), the
        monitored quantity at the best epoch (``val_loss`` by default), ``epochs``,
        ``best_epoch`` and ``seconds``.
    best_params : dict
        The parameters of the best trial (ties go to the earlier trial).
    best_model : keras.Model
        The trained model of the best trial, so it need not be trained again.
    best_run : nidslib.training.TrainingRun
        The best trial's training run.
    """

    trials: pd.DataFrame
    best_params: dict
    best_model: object = field(repr=False)
    best_run: training.TrainingRun = field(repr=False)

    @property
    def best_score(self) -> float:
        """The best trial's validation score.

        Returns
        -------
        float
            The largest ``val_macro_f1`` of ``trials``.
        """
        return float(self.trials["val_macro_f1"].max())


def _plain(value):
    """NumPy scalars and tuples as plain Python values (for tables and glue)."""
    if isinstance(value, np.generic):
        return value.item()
    return value


def random_search(build, space: dict, train, val, *, n_trials: int = 6, seed: int = 0,
                  fit_options: dict | None = None, score=None) -> SearchResult:
    """Try ``n_trials`` settings sampled from ``space``; keep the best on validation.

    Chapter 3 (CNN), section "A small random search". Exactly ``n_trials`` models are
    built and trained, each right after :func:`nidslib.training.set_seed` with ``seed``.

    Parameters
    ----------
    build : callable
        ``build(**params)`` returns a compiled model (e.g.
        ``functools.partial(models.build_cnn, n_features, n_classes, scaling=...)``).
    space : dict
        Parameter names to lists (sampled uniformly) or SciPy distributions (e.g.
        ``scipy.stats.loguniform(1e-4, 1e-2)``); ``batch_size``, if in ``space``, goes to
        :func:`nidslib.training.fit` instead of the builder.
    train, val : tuple or Windows
        ``(x, y)`` pairs (or :class:`~nidslib.sequences.Windows`): the training and the
        validation data. Never the test split.
    n_trials : int, default 6
        The budget: settings sampled and models trained.
    seed : int, default 0
        Seed of the sampling and of every trial's model.
    fit_options : dict or None, default None
        Passed to :func:`~nidslib.training.fit` (keep ``epochs`` small: the budget is
        ``n_trials`` trainings).
    score : callable or None, default None
        ``score(y_true, y_pred)`` on the validation split; higher is better. Default:
        macro-F1.

    Returns
    -------
    SearchResult
        Every trial, and the best one's parameters, model and run.

    Raises
    ------
    ValueError
        If ``n_trials`` is below 1.
    """
    if n_trials < 1:
        raise ValueError(f"n_trials must be at least 1, got {n_trials}")
    score = score or (lambda t, p: f1_score(t, p, average="macro", zero_division=0))
    fit_options = dict(fit_options or {})
    x_val, y_val = training.xy_arrays(val)[:2]
    sampler = ParameterSampler(space, n_iter=n_trials, random_state=seed)
    rows, best = [], None
    for trial, params in enumerate(sampler):
        params = {k: _plain(v) for k, v in params.items()}
        model_params = {k: v for k, v in params.items() if k not in FIT_PARAMETERS}
        options = {**fit_options, **{k: params[k] for k in FIT_PARAMETERS if k in params}}
        training.set_seed(seed)
        model = build(**model_params)
        run = training.fit(model, train, val, **options)
        value = float(score(y_val, training.predict_labels(model, x_val)))
        rows.append({"trial": trial, **params, "val_macro_f1": value,
                     run.monitor: run.best_value, "epochs": run.epochs_run,
                     "best_epoch": run.best_epoch, "seconds": run.seconds})
        if best is None or value > best[0]:
            best = (value, params, model, run)
    return SearchResult(trials=pd.DataFrame(rows).set_index("trial"), best_params=best[1],
                        best_model=best[2], best_run=best[3])
