"""Training and timing Keras models: the book's seed call, early stopping, fast inference.

Chapter 3 (CNN), section "Training" explains :func:`set_seed` and :func:`fit`; section
"Keeping score" explains :func:`predict_scores` and :func:`inference_speed`. Chapters 4 to 7
reuse them unchanged.

Example
-------
Two epochs of a tiny DNN on 300 random flows: what ``fit`` returns, and the shapes of the
scores and labels (no trained model's metric, which differs from machine to machine).

>>> import numpy as np
>>> from nidslib.models import build_dnn
>>> rng = np.random.default_rng(0)
>>> x, y = rng.normal(size=(300, 4)).astype("float32"), rng.integers(0, 3, 300)
>>> set_seed(0)
>>> model = build_dnn(4, 3, units=(8,))
>>> run = fit(model, (x[:200], y[:200]), (x[200:], y[200:]), epochs=2, batch_size=64)
>>> run.epochs_run, sorted(run.history)
(2, ['accuracy', 'loss', 'val_accuracy', 'val_loss'])
>>> predict_scores(model, x[:5]).shape, predict_labels(model, x[:5]).shape
((5, 3), (5,))
>>> scores_to_labels(np.array([[0.2], [0.7]])).tolist()   # (n, 1) sigmoid outputs
[0, 1]
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
    It also quiets TensorFlow's Python-side warnings (errors still show).

    Parameters
    ----------
    seed : int, default :data:`SEED`
        The seed; ``NIDSLIB_SEED`` (0 when unset) by default.
    """
    keras.utils.set_random_seed(int(seed))
    tf.config.experimental.enable_op_determinism()
    # TensorFlow's Python-side warnings (e.g. "triggered tf.function retracing" once a
    # notebook has traced a few models) would land in cell outputs; errors still show.
    tf.get_logger().setLevel("ERROR")


@dataclass
class TrainingRun:
    """What :func:`fit` returns: the per-epoch logs and what early stopping decided.

    Chapter 3 (CNN), section "Training". :func:`nidslib.plots.plot_learning_curves` takes a
    run directly.

    Parameters
    ----------
    history : dict
        Each metric (``loss``, ``val_loss``, ...) to its per-epoch values, as Keras's
        ``History.history``.
    epochs_run : int
        Epochs trained before early stopping (or the epoch cap) ended the run.
    best_epoch : int
        1-based: the epoch whose weights the model now holds.
    seconds : float
        Wall-clock time of the training.
    monitor : str, default "val_loss"
        The quantity early stopping watched.
    """

    history: dict = field(repr=False)
    epochs_run: int
    best_epoch: int
    seconds: float
    monitor: str = "val_loss"

    @property
    def seconds_per_epoch(self) -> float:
        """Training time per epoch run, in seconds.

        Returns
        -------
        float
            ``seconds / epochs_run`` (``seconds`` when no epoch ran).
        """
        return self.seconds / max(self.epochs_run, 1)

    @property
    def best_value(self) -> float:
        """The monitored quantity at the best epoch.

        Returns
        -------
        float
            ``history[monitor][best_epoch - 1]``.
        """
        return float(self.history[self.monitor][self.best_epoch - 1])


def xy_arrays(data):
    """The arrays of a training or validation argument, as a tuple.

    Parameters
    ----------
    data : tuple or Windows
        ``(x, y)``, ``(x, y, sample_weight)``, or a :class:`~nidslib.sequences.Windows`
        (anything with ``x`` and ``y`` attributes).

    Returns
    -------
    tuple
        ``(x, y)`` or ``(x, y, sample_weight)``; a ``Windows`` gives its ``(x, y)``.
    """
    if hasattr(data, "x") and hasattr(data, "y"):
        return data.x, data.y
    return tuple(data)


def fit(model: keras.Model, train, val, *, epochs: int = 50, patience: int = 10,
        batch_size: int = 512, class_weight: dict | None = None, monitor: str = "val_loss",
        min_delta: float = 0.0, shuffle: bool = True, callbacks=(),
        verbose: int = 0) -> TrainingRun:
    """Train ``model`` on ``train`` with early stopping on ``val``; keep the best weights.

    Chapter 3 (CNN), section "Training". Training stops once ``monitor`` (on the
    validation split; never the test split) has not improved by ``min_delta`` for
    ``patience`` epochs (10 by default; the chapters' small profile uses fewer), at most
    after ``epochs``, and the weights of the best epoch are restored, even when the run
    never stopped early. Call :func:`set_seed` before building the model
    for a repeatable run. The model's ``steps_per_execution`` (set when compiled, 32 in
    :mod:`nidslib.models`) is what makes small batches fast on a CPU.

    Parameters
    ----------
    model : keras.Model
        A compiled model; trained in place.
    train, val : tuple or Windows
        ``(x, y)``, ``(x, y, sample_weight)`` or a :class:`~nidslib.sequences.Windows`
        (see :func:`xy_arrays`): the training and the validation data.
    epochs : int, default 50
        The most epochs to train.
    patience : int, default 10
        Epochs without improvement before stopping.
    batch_size : int, default 512
        Rows per gradient step.
    class_weight : dict or None, default None
        Integer class id to loss weight (:func:`nidslib.weighting.class_weights`; chapter
        2 recommends none, and tempered weights, ``power<1``, where weights are used).
    monitor : str, default "val_loss"
        The validation quantity early stopping watches; Keras picks its direction (lower
        is better for a loss, higher for accuracy and AUC).
    min_delta : float, default 0.0
        The smallest change that counts as an improvement.
    shuffle : bool, default True
        Shuffle the training rows every epoch.
    callbacks : sequence of keras.callbacks.Callback, default ()
        Further callbacks, after the early stopping.
    verbose : int, default 0
        Keras's verbosity; 0 keeps notebooks free of progress bars.

    Returns
    -------
    TrainingRun
        The per-epoch logs, the epochs run, the best epoch and the time taken.

    Raises
    ------
    KeyError
        If ``monitor`` is not among the quantities Keras logs (e.g. a metric the model was
        not compiled with).
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

    Parameters
    ----------
    call : callable
        Takes a float32 array of up to ``batch_size`` rows.
    x : array-like
        The inputs, first axis the rows; converted to float32.
    batch_size : int, default 4096
        Rows per call (the last batch may be smaller).

    Returns
    -------
    list
        ``call``'s output for each batch, in order; empty when ``x`` has no rows.
    """
    x = np.asarray(x, dtype=np.float32)
    return [call(x[i:i + batch_size]) for i in range(0, len(x), batch_size)]


def squeeze_scores(scores) -> np.ndarray:
    """(n, 1) sigmoid outputs as (n,) attack probabilities; other shapes unchanged.

    Parameters
    ----------
    scores : array-like
        A model's outputs.

    Returns
    -------
    numpy.ndarray
        (n,) for (n, 1) input, otherwise ``scores`` as an array.
    """
    scores = np.asarray(scores)
    return scores[:, 0] if scores.ndim == 2 and scores.shape[1] == 1 else scores


def scores_to_labels(scores, threshold: float = 0.5) -> np.ndarray:
    """Integer class ids from a model's scores.

    The arg-max of (n, k) class probabilities, or ``score >= threshold`` for (n,) (or
    (n, 1)) attack probabilities. Chapter 3 (CNN), section "Keeping score".

    Parameters
    ----------
    scores : array-like
        (n, k) class probabilities, or (n,) or (n, 1) attack probabilities.
    threshold : float, default 0.5
        For attack probabilities: the smallest score called an attack (1).

    Returns
    -------
    numpy.ndarray
        int64 for attack probabilities (0 benign, 1 attack), the arg-max's integer type
        for class probabilities; one id per row.
    """
    scores = squeeze_scores(scores)
    if scores.ndim == 1:
        return (scores >= threshold).astype(np.int64)
    return scores.argmax(axis=1)


def predict_scores(model: keras.Model, x, batch_size: int = 4096) -> np.ndarray:
    """The model's outputs for ``x``, computed in batches.

    Class probabilities, (n, k) for a softmax model, (n,) attack probabilities for a binary
    (sigmoid) one. Chapter 3 (CNN), section "Keeping score". Same numbers as
    ``model.predict``, through the direct call of :func:`inference_speed` (a ``tf.function``
    traced once and cached on the model).

    Parameters
    ----------
    model : keras.Model
        A classifier of :mod:`nidslib.models` (or any single-input model).
    x : array-like
        Raw inputs, first axis the rows; converted to float32.
    batch_size : int, default 4096
        Rows per call.

    Returns
    -------
    numpy.ndarray
        (n, k) class probabilities, or (n,) attack probabilities for a sigmoid model.
    """
    function = _serving_function(model)
    parts = in_batches(lambda batch: function(tf.constant(batch)).numpy(), x, batch_size)
    scores = np.concatenate(parts) if parts else np.zeros((0, *model.output_shape[1:]))
    return squeeze_scores(scores)


def predict_labels(model: keras.Model, x, batch_size: int = 4096,
                   threshold: float = 0.5) -> np.ndarray:
    """Integer class ids (:func:`scores_to_labels` of :func:`predict_scores`).

    Chapter 3 (CNN), section "Keeping score".

    Parameters
    ----------
    model : keras.Model
        A classifier of :mod:`nidslib.models`.
    x : array-like
        Raw inputs, first axis the rows.
    batch_size : int, default 4096
        Rows per call.
    threshold : float, default 0.5
        For a binary (sigmoid) model: the smallest attack probability flagged.

    Returns
    -------
    numpy.ndarray
        One integer class id per row.
    """
    return scores_to_labels(predict_scores(model, x, batch_size), threshold)


def inference_speed(model: keras.Model, x, batch_sizes=(4096, 1), repeats: int = 5,
                    single_calls: int = 200) -> dict:
    """Throughput (flows or windows per second) of direct calls at each batch size.

    Chapter 3 (CNN), section "Keeping score"; chapter 7 compares compressed models with it.
    :func:`call_speed` of the traced call (:func:`predict_scores`'s, never
    ``model.predict``).

    Parameters
    ----------
    model : keras.Model
        The model to time.
    x : array-like
        Sample inputs (rows are repeated or cycled as needed).
    batch_sizes : sequence of int, default (4096, 1)
        The batch sizes to time.
    repeats : int, default 5
        Timed calls per batch size above 1 (the best counts).
    single_calls : int, default 200
        Timed calls at batch size 1 (the median counts).

    Returns
    -------
    dict
        ``{"flows_per_s@4096": ..., "flows_per_s@1": ..., "latency_ms@1": ...}`` (one
        ``flows_per_s@<size>`` per batch size; the latency only with size 1).

    Raises
    ------
    ValueError
        If ``x`` is empty.
    """
    function = _serving_function(model)
    return call_speed(lambda batch: function(batch).numpy(), x, batch_sizes, repeats,
                      single_calls)


def call_speed(call, x, batch_sizes=(4096, 1), repeats: int = 5,
               single_calls: int = 200) -> dict:
    """Throughput and single-flow latency of ``call``.

    ``call`` is any function from a float32 batch (a NumPy array) to scores. Chapter 3
    (CNN), section "Keeping score"; the one timer of the book: a Keras model's traced call
    (:func:`inference_speed`), a TFLite or ONNX runner (chapter 7,
    :func:`nidslib.deployment.measure`), a scikit-learn pipeline's ``predict``
    (``benchmarks/models.py``). For each batch size ``call`` is warmed up once, then timed:
    at batch 1 as the median of ``single_calls`` calls on successive samples (also reported
    as latency in milliseconds), at larger sizes as the best of ``repeats`` calls on a
    batch of that many rows of ``x`` (repeated when ``x`` is shorter). Timings vary from
    run to run by tens of percent on a shared machine: report them, never compare them in
    a test.

    Parameters
    ----------
    call : callable
        Takes a float32 NumPy batch, returns scores.
    x : array-like
        Sample inputs, first axis the rows; converted to float32.
    batch_sizes : sequence of int, default (4096, 1)
        The batch sizes to time.
    repeats : int, default 5
        Timed calls per batch size above 1 (the best counts).
    single_calls : int, default 200
        Timed calls at batch size 1 (the median counts).

    Returns
    -------
    dict
        ``flows_per_s@<size>`` for each batch size, and ``latency_ms@1`` when 1 is among
        them.

    Raises
    ------
    ValueError
        If ``x`` is empty.
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
