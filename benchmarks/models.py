"""Training time per epoch and inference throughput of every model of chapters 2 to 5.

Usage (from the repository root):

    .venv/bin/python benchmarks/models.py            # writes nidslib/recorded/models.csv
    .venv/bin/python benchmarks/models.py --epochs 5 --out /tmp/models.csv

Each model is built as its chapter builds it and trained on the chapters' training rows (the
small-profile twin, benign training rows thinned to 20 %, windows of 10 flows for the LSTM
and the CNN-LSTM). Networks train ``--epochs`` epochs after one warm-up epoch (which pays
for tracing) and report the median seconds per epoch; the classical models of chapter 2
report their whole ``fit``. Inference is timed on the test split: networks through
``nidslib.training.inference_speed`` (a traced direct call, never ``model.predict``),
classical models through ``predict`` on the same batches; at batch 1 the median of 200
single-flow calls, at batch 4,096 the best of 5. The machine is shared: expect ±50 %.
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import subprocess
import time
from pathlib import Path

import numpy as np
import pandas as pd

from nidslib import (balancing, cleaning, models, reproducibility, sequences, splits, training,
                     weighting)

import keras  # noqa: E402
from sklearn.ensemble import RandomForestClassifier  # noqa: E402
from sklearn.linear_model import LogisticRegression  # noqa: E402
from sklearn.neural_network import MLPClassifier  # noqa: E402

RESULTS = reproducibility.RECORDED / "models.csv"  # chapter 5 plots it


class EpochTimer(keras.callbacks.Callback):
    def on_train_begin(self, logs=None):
        self.seconds = []

    def on_epoch_begin(self, epoch, logs=None):
        self.start = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        self.seconds.append(time.perf_counter() - self.start)


def machine() -> str:
    try:
        name = subprocess.run(["lscpu"], capture_output=True, text=True).stdout
        name = next(line.split(":", 1)[1].strip() for line in name.splitlines()
                    if line.startswith("Model name"))
    except (OSError, StopIteration):
        name = platform.processor() or "unknown CPU"
    return f"{os.cpu_count()} vCPUs, {name}"


def data(benign_keep: float = 0.2, length: int = 10):
    """The chapters' training and test arrays: flows and windows."""
    parts = splits.load_clean_splits()
    features = cleaning.feature_columns(parts.train)
    windows = {name: sequences.windows_from_frame(getattr(parts, name), features, "category",
                                                  length=length, pad=True)
               for name in ("train", "test")}
    y_all = windows["train"].y
    keep = (y_all != 0) | (np.random.default_rng(0).random(len(y_all)) < benign_keep)
    return {"flows": (windows["train"].x[keep, -1], y_all[keep], windows["test"].x[:, -1]),
            "windows": (windows["train"].x[keep], y_all[keep], windows["test"].x),
            "all flows": (parts.train[features].to_numpy(np.float32),
                          parts.train["category"].astype(str).to_numpy(),
                          parts.test[features].to_numpy(np.float32)),
            "n_features": len(features), "n_classes": len(parts.train["category"].cat.categories)}


def keras_row(name, build, x, y, x_test, batch_size, epochs):
    training.set_seed()
    model = build()
    timer = EpochTimer()
    model.fit(x, y, epochs=1 + epochs, batch_size=batch_size, verbose=0, callbacks=[timer])
    speed = training.inference_speed(model, x_test, batch_sizes=(4096, 1))
    return {"model": name, "kind": "keras", "parameters": int(model.count_params()),
            "train_rows": len(y), "batch_size": batch_size,
            "train_s_per_epoch": float(np.median(timer.seconds[1:])),
            "fit_seconds": float(np.sum(timer.seconds[1:])), **speed}


def sklearn_parameters(estimator) -> int:
    if hasattr(estimator, "coefs_"):
        return int(sum(w.size for w in estimator.coefs_ + estimator.intercepts_))
    if hasattr(estimator, "coef_"):
        return int(estimator.coef_.size + estimator.intercept_.size)
    return int(sum(tree.tree_.node_count for tree in estimator.estimators_))  # forest: nodes


def sklearn_row(name, estimator, x, y, x_test):
    pipeline = balancing.make_pipeline(estimator)  # chapter 2's recommended pipeline
    start = time.perf_counter()
    pipeline.fit(x, y)
    fit_seconds = time.perf_counter() - start
    fitted = pipeline[-1]
    if isinstance(fitted, weighting.ClassWeighted):  # the pipeline's class-weight wrapper
        fitted = fitted.estimator_
    speed = training.call_speed(pipeline.predict, x_test, batch_sizes=(4096, 1))
    return {"model": name, "kind": "scikit-learn",
            "parameters": sklearn_parameters(fitted),
            "train_rows": len(y), "batch_size": np.nan, "train_s_per_epoch": np.nan,
            "fit_seconds": fit_seconds, **speed}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--epochs", type=int, default=3, help="timed epochs per network")
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args()
    d = data()
    f, k = d["n_features"], d["n_classes"]
    x_flows, y_flows, test_flows = d["flows"]
    x_windows, y_windows, test_windows = d["windows"]
    scaling = models.fit_scaling(x_flows)
    window_scaling = models.fit_scaling(x_windows)
    rows = []
    x_all, y_all, test_all = d["all flows"]
    for name, estimator in [
            ("Logistic regression", LogisticRegression(max_iter=1000, tol=1e-3)),
            ("Random forest", RandomForestClassifier(n_estimators=30, n_jobs=2, random_state=0)),
            ("MLP", MLPClassifier(hidden_layer_sizes=(64, 32), batch_size=256,
                                  early_stopping=True, n_iter_no_change=5, random_state=0))]:
        rows.append(sklearn_row(name, estimator, x_all, y_all, test_all))
        print(rows[-1], flush=True)
    for name, build, x, y, x_test, batch in [
            ("DNN", lambda: models.build_dnn(f, k, scaling=scaling, learning_rate=3e-3),
             x_flows, y_flows, test_flows, 512),
            ("CNN", lambda: models.build_cnn(f, k, scaling=scaling, learning_rate=3e-3),
             x_flows, y_flows, test_flows, 512),
            ("LSTM", lambda: models.build_lstm(10, f, k, scaling=window_scaling,
                                               learning_rate=3e-3),
             x_windows, y_windows, test_windows, 256),
            ("CNN-LSTM", lambda: models.build_cnn_lstm(10, f, k, scaling=window_scaling,
                                                       learning_rate=3e-3),
             x_windows, y_windows, test_windows, 256)]:
        rows.append(keras_row(name, build, x, y, x_test, batch, args.epochs))
        print(rows[-1], flush=True)
    table = pd.DataFrame(rows)
    table["machine"] = machine()
    table["date"] = datetime.date.today().isoformat()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    table.round(4).to_csv(args.out, index=False)
    print(table.drop(columns=["machine", "date"]).round(2).to_string(index=False))


if __name__ == "__main__":
    main()
