"""Training and timing Keras models: the book's seed call, early stopping, fast inference.

Chapter 3 (CNN), section "Training" explains :func:`set_seed` and :func:`fit`; section
"Keeping score" explains :func:`predict_scores` and :func:`inference_speed`. Chapters 4 to 7
reuse them unchanged.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import keras
import numpy as np
import tensorflow as tf

__all__ = ["SEED", "TrainingRun", "call_speed", "fit", "in_batches", "inference_speed",
           "predict_labels", "predict_scores", "scores_to_labels", "set_seed", "squeeze_scores",
           "xy_arrays"]

from nidslib.reproducibility import SEED  # the book's seed: NIDSLIB_SEED, 0 by default


def set_seed(seed: int = SEED) -> None:
    """The book's one seed call: Python, NumPy and TensorFlow seeds, and op determinism.

    Chapter 3 (CNN), section "Training". ``keras.utils.set_random_seed`` seeds every random
    generator a Keras model uses (weight initialisation, dropout, shuffling);
    ``enable_op_determinism`` makes TensorFlow's kernels pick deterministic algorithms, so
    that two runs on one machine give bit-identical weights. Call it right before building
    each model: the seed then fixes that model's initial weights whatever ran before.
    Another CPU may still differ in the last bits, and training amplifies them: the chapters
    therefore check claims with margins larger than the spread over seeds
    (:func:`nidslib.reproducibility.claim`), never trained models' metrics digit by digit.
    The default seed is ``NIDSLIB_SEED`` (0 when unset).
    """
    keras.utils.set_random_seed(int(seed))
    tf.config.experimental.enable_op_determinism()
    # TensorFlow's Python-side warnings (e.g. "triggered tf.function retracing" once a
    # notebook has traced a few models) would land in cell outputs; errors still show.
    tf.get_logger().setLevel("ERROR")


@dataclass
class TrainingRun:
    """What :func:`fit` returns: the per-epoch logs and what early stopping decided.

    ``history`` maps each metric (``loss``, ``val_loss``, ...) to its per-epoch values, as
    Keras's ``History.history``; :func:`nidslib.plots.plot_learning_curves` takes a run
    directly. ``best_epoch`` (1-based) is the epoch whose weights the model now holds.
    """

    history: dict = field(repr=False)
    epochs_run: int
    best_epoch: int
    seconds: float
    monitor: str = "val_loss"

    @property
    def seconds_per_epoch(self) -> float:
        return self.seconds / max(self.epochs_run, 1)

    @property
    def best_value(self) -> float:
        return float(self.history[self.monitor][self.best_epoch - 1])


def xy_arrays(data):
    """``(x, y)`` or ``(x, y, sample_weight)``; a :class:`~nidslib.sequences.Windows` gives
    its ``(x, y)``."""
    if hasattr(data, "x") and hasattr(data, "y"):
        return data.x, data.y
    return tuple(data)


def fit(model: keras.Model, train, val, *, epochs: int = 50, patience: int = 10,
        batch_size: int = 512, class_weight: dict | None = None, monitor: str = "val_loss",
        min_delta: float = 0.0, shuffle: bool = True, callbacks=(),
        verbose: int = 0) -> TrainingRun:
    """Train ``model`` on ``train`` with early stopping on ``val``; keep the best weights.

    Chapter 3 (CNN), section "Training". ``train`` and ``val`` are ``(x, y)`` tuples (or
    ``(x, y, sample_weight)``, or :class:`~nidslib.sequences.Windows`). Training stops
    once ``monitor`` (on the validation split; never the test split) has not improved by
    ``min_delta`` for ``patience`` epochs (10 in the LSTM chapter's seed paper), at most
    after ``epochs``, and the weights of the best epoch are restored, even when the run
    never stopped early. ``class_weight`` maps integer class ids to loss weights (chapter
    2's recommendation, :func:`nidslib.balancing.class_weights`). ``verbose=0`` keeps
    notebooks free of progress bars. Call :func:`set_seed` before building the model for a
    repeatable run. The model's ``steps_per_execution`` (set when compiled, 32 in
    :mod:`nidslib.models`) is what makes small batches fast on a CPU.
    """
    x, y, *weight = xy_arrays(train)
    x_val, y_val, *weight_val = xy_arrays(val)
    # Keras decides the direction (mode "auto": lower is better for a loss, higher for
    # accuracy and AUC) and records the epoch whose weights it restores.
    stopper = keras.callbacks.EarlyStopping(monitor=monitor, patience=patience,
                                            min_delta=min_delta, restore_best_weights=True)
    start = time.perf_counter()
    history = model.fit(
        x, y, sample_weight=weight[0] if weight else None,
        validation_data=(x_val, y_val, *weight_val), epochs=epochs, batch_size=batch_size,
        class_weight=class_weight, shuffle=shuffle, callbacks=[stopper, *callbacks],
        verbose=verbose)
    seconds = time.perf_counter() - start
    logs = {k: [float(v) for v in values] for k, values in history.history.items()}
    return TrainingRun(history=logs, epochs_run=len(logs[monitor]),
                       best_epoch=stopper.best_epoch + 1, seconds=seconds, monitor=monitor)


def _serving_function(model: keras.Model):
    """``model(x, training=False)`` traced once as a ``tf.function`` (cached on the model).

    This is the direct call the book times: ``model.predict`` rebuilds its data pipeline
    on every call and costs 100 ms or more for a single flow, which says nothing about the
    model itself.
    """
    function = getattr(model, "_nidslib_serving", None)
    if function is None:
        spec = tf.TensorSpec((None, *model.input_shape[1:]), tf.float32)
        function = tf.function(lambda x: model(x, training=False), input_signature=[spec])
        # Set past Keras's attribute tracking: the function is no part of the saved model.
        object.__setattr__(model, "_nidslib_serving", function)
    return function


def in_batches(call, x, batch_size: int = 4096) -> list:
    """``call`` on successive float32 batches of ``x``; returns its outputs in order.

    Chapter 3 (CNN), section "Keeping score". The book's one inference loop: Keras models'
    traced calls (:func:`predict_scores`), the autoencoder's scores
    (:mod:`nidslib.anomaly`) and the TFLite and ONNX runners (:mod:`nidslib.export`) all
    batch through it.
    """
    x = np.asarray(x, dtype=np.float32)
    return [call(x[i:i + batch_size]) for i in range(0, len(x), batch_size)]


def squeeze_scores(scores) -> np.ndarray:
    """(n, 1) sigmoid outputs as (n,) attack probabilities; other shapes unchanged."""
    scores = np.asarray(scores)
    return scores[:, 0] if scores.ndim == 2 and scores.shape[1] == 1 else scores


def scores_to_labels(scores, threshold: float = 0.5) -> np.ndarray:
    """Integer class ids: the arg-max of (n, k) class probabilities, or ``score >=
    threshold`` for (n,) attack probabilities. Chapter 3 (CNN), section "Keeping score"."""
    scores = squeeze_scores(scores)
    if scores.ndim == 1:
        return (scores >= threshold).astype(np.int64)
    return scores.argmax(axis=1)


def predict_scores(model: keras.Model, x, batch_size: int = 4096) -> np.ndarray:
    """The model's outputs for ``x`` in batches: class probabilities, (n, k) for a softmax
    model, (n,) attack probabilities for a binary (sigmoid) one.

    Chapter 3 (CNN), section "Keeping score". Same numbers as ``model.predict``, through
    the direct call of :func:`inference_speed`.
    """
    function = _serving_function(model)
    parts = in_batches(lambda batch: function(tf.constant(batch)).numpy(), x, batch_size)
    scores = np.concatenate(parts) if parts else np.zeros((0, *model.output_shape[1:]))
    return squeeze_scores(scores)


def predict_labels(model: keras.Model, x, batch_size: int = 4096,
                   threshold: float = 0.5) -> np.ndarray:
    """Integer class ids (:func:`scores_to_labels` of :func:`predict_scores`).
    Chapter 3 (CNN), section "Keeping score"."""
    return scores_to_labels(predict_scores(model, x, batch_size), threshold)


def inference_speed(model: keras.Model, x, batch_sizes=(4096, 1), repeats: int = 5,
                    single_calls: int = 200) -> dict:
    """Throughput (flows or windows per second) of direct calls at each batch size.

    Chapter 3 (CNN), section "Keeping score"; chapter 7 compares compressed models with it.
    :func:`call_speed` of the traced call (:func:`predict_scores`'s, never
    ``model.predict``). Returns ``{"flows_per_s@4096": ..., "flows_per_s@1": ...,
    "latency_ms@1": ...}``.
    """
    function = _serving_function(model)
    return call_speed(lambda batch: function(batch).numpy(), x, batch_sizes, repeats,
                      single_calls)


def call_speed(call, x, batch_sizes=(4096, 1), repeats: int = 5,
               single_calls: int = 200) -> dict:
    """Throughput and single-flow latency of ``call``, any function from a float32 batch
    (a NumPy array) to scores.

    Chapter 3 (CNN), section "Keeping score"; the one timer of the book: a Keras model's
    traced call (:func:`inference_speed`), a TFLite or ONNX runner (chapter 7,
    :func:`nidslib.export.measure`), a scikit-learn pipeline's ``predict``
    (``benchmarks/models.py``). For each batch size ``call`` is warmed up once, then timed:
    at batch 1 as the median of ``single_calls`` calls on successive samples (also reported
    as latency in milliseconds), at larger sizes as the best of ``repeats`` calls on a
    batch of that many rows of ``x`` (repeated when ``x`` is shorter). Timings vary from
    run to run by tens of percent on a shared machine: report them, never compare them in
    a test.
    """
    x = np.asarray(x, dtype=np.float32)
    if not len(x):
        raise ValueError("x is empty: timing needs at least one input")
    result = {}
    for size in batch_sizes:
        if size == 1:
            samples = [x[i % len(x)][None] for i in range(single_calls)]
            call(samples[0])
            median = float(np.median([_timed(call, sample) for sample in samples]))
            result["flows_per_s@1"] = 1.0 / median
            result["latency_ms@1"] = 1000.0 * median
        else:
            batch = np.resize(x, (size, *x.shape[1:]))  # the first `size` rows, repeated
            call(batch)
            best = min(_timed(call, batch) for _ in range(repeats))
            result[f"flows_per_s@{size}"] = size / best
    return result


def _timed(call, batch) -> float:
    start = time.perf_counter()
    call(batch)
    return time.perf_counter() - start
