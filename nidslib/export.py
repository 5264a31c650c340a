"""Exported models, the runtimes that run them, parity checks and measurements.

Chapter 7 (Model compression) explains every function here; :mod:`nidslib.compression`
makes the smaller models this module exports. The routes are the ones that work with
Keras 3 and TensorFlow 2.21; the ones that crash are not offered:

- TFLite float32, float16, dynamic-range and full-int8 exports for feed-forward models
  (:func:`export_tflite`); ONNX for everything, recurrent models included
  (:func:`export_onnx`), run by onnxruntime; Keras's own ``Model.quantize("int8")``
  (:func:`quantize_keras`), which only quantizes ``Dense`` layers.
- Every export runs through a runner with ``predict_scores`` (:class:`TFLiteRunner`,
  :class:`ONNXRunner`, one thread each) and is checked against the Keras model
  (:func:`check_parity`); :func:`measure` gives the row of chapter 7's table.

Example
-------
A tiny network exported to TFLite and checked against itself, then a broken "export" (its
score columns swapped) that the parity check catches.

>>> import os, tempfile
>>> import numpy as np
>>> from nidslib import models, training
>>> x = np.random.default_rng(0).normal(size=(300, 8)).astype("float32")
>>> model = models.build_dnn(8, 3, units=(16,))
>>> path = export_tflite(model, os.path.join(tempfile.mkdtemp(), "dnn.tflite"))
>>> runner = TFLiteRunner(path)
>>> runner.predict_scores(x).shape
(300, 3)
>>> check_parity(training.predict_scores(model, x), runner.predict_scores(x))["n"]
300
>>> sorted(file_sizes(path))
['gzip_bytes', 'size_bytes']
>>> reference = np.array([[0.9, 0.1], [0.2, 0.8], [0.6, 0.4]])
>>> parity(reference, reference[:, ::-1])
{'n': 3, 'agreement': 0.0, 'max_abs_diff': 0.8}
>>> check_parity(reference, reference[:, ::-1], name="swapped")  # doctest: +ELLIPSIS
Traceback (most recent call last):
    ...
nidslib.export.ParityError: swapped fails parity with its Keras model on 3 inputs: ...
"""

from __future__ import annotations

from nidslib import training

import contextlib
import gzip
import os
import sys
import tempfile
import warnings
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf
from keras import layers

from nidslib import evaluation
from nidslib.compression import copy_model

__all__ = ["FLOAT_FRONT_OPS", "ONNXRunner", "ParityError", "TFLiteRunner", "check_parity",
           "export_onnx", "export_tflite", "file_sizes", "measure", "parity",
           "quantize_keras", "use_one_core"]

_QUANTIZATIONS = ("float32", "float16", "dynamic", "int8")


def use_one_core() -> None:
    """Run TensorFlow on one thread, so Keras timings compare with the one-thread runners.

    Chapter 7 (Model compression), section "Why compression matters for an IDS". Call it
    before TensorFlow runs anything (before the first model is built); afterwards
    TensorFlow refuses, and so does this.

    Raises
    ------
    RuntimeError
        When TensorFlow has already been initialised (a model built, an op run).
    """
    try:
        tf.config.threading.set_intra_op_parallelism_threads(1)
        tf.config.threading.set_inter_op_parallelism_threads(1)
    except RuntimeError as error:
        raise RuntimeError("use_one_core() must run before TensorFlow runs anything; call it "
                           "right after the imports") from error


# --- Exports and their runners -------------------------------------------------------------


@contextlib.contextmanager
def _quiet():
    """Silence the converters: they print from C++ straight to file descriptors 1 and 2."""
    sys.stdout.flush(), sys.stderr.flush()
    saved = [os.dup(1), os.dup(2)]
    with open(os.devnull, "w") as null, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        os.dup2(null.fileno(), 1), os.dup2(null.fileno(), 2)
        try:
            with contextlib.redirect_stdout(null), contextlib.redirect_stderr(null):
                yield
        finally:
            os.dup2(saved[0], 1), os.dup2(saved[1], 2)
            os.close(saved[0]), os.close(saved[1])


def _all_layers(layer):
    """``layer`` and every layer inside it, reached through public attributes: a model's
    ``layers``, a wrapper's ``layer`` (TimeDistributed), Bidirectional's two directions."""
    yield layer
    inner = list(getattr(layer, "layers", ()))
    inner += [getattr(layer, name, None) for name in ("layer", "forward_layer", "backward_layer")]
    for child in inner:
        if isinstance(child, layers.Layer):
            yield from _all_layers(child)


def _check_feed_forward(model):
    recurrent = [layer.name for layer in _all_layers(model) if isinstance(layer, layers.RNN)]
    if recurrent:
        raise ValueError(f"export_tflite does not convert recurrent layers {recurrent}: with a "
                         "variable batch TFLite fails, and its batch-1 loops break int8 "
                         "calibration (measured with tensorflow 2.21); use export_onnx for recurrent "
                         "models")


# The elementwise ops of the in-model scaling (SignedLog1p, Normalization): kept in float32 by
# int8 exports, since one int8 scale for raw features spanning 1e0..1e9 zeroes the small ones.
FLOAT_FRONT_OPS = ("ABS", "SIGN", "LOG", "ADD", "SUB", "MUL", "DIV", "MAXIMUM", "SQRT", "RSQRT")


def export_tflite(model: keras.Model, path, quantization: str = "float32",
                  representative=None, *, float_front: bool = True,
                  calibration_samples: int = 500, seed: int = 0) -> Path:
    """Convert a feed-forward Keras model to a TFLite file; returns its path.

    Chapter 7 (Model compression), section "Quantization". ``quantization``: ``"float32"``
    (plain conversion), ``"float16"`` (weights stored in half precision), ``"dynamic"``
    (int8 weights, float activations) or ``"int8"`` (weights *and* activations in int8,
    calibrated on ``calibration_samples`` rows drawn from ``representative``, which must be
    training inputs). Inputs and outputs stay float32. With ``float_front=True`` the
    in-model scaling (the ops in :data:`FLOAT_FRONT_OPS`) stays float32 and int8 starts at
    the standardized features; ``False`` quantizes every op, the raw input included, with
    one scale for features that span nine orders of magnitude: chapter 7 shows the parity
    check catch it. The batch dimension stays variable. Recurrent models raise a ValueError
    (use :func:`export_onnx`).

    Parameters
    ----------
    model : keras.Model
        A feed-forward model (no recurrent layer).
    path : str or Path
        The ``.tflite`` file to write (replaced if it exists).
    quantization : {"float32", "float16", "dynamic", "int8"}, default "float32"
        The conversion, as above.
    representative : array_like, optional
        Training inputs to calibrate ``"int8"`` on; required for it, ignored otherwise.
    float_front : bool, default True
        For ``"int8"``: keep the in-model scaling in float32.
    calibration_samples : int, default 500
        For ``"int8"``: how many rows of ``representative`` calibrate (all if fewer).
    seed : int, default 0
        For ``"int8"``: the seed that draws the calibration rows.

    Returns
    -------
    pathlib.Path
        ``path``.

    Raises
    ------
    ValueError
        When ``quantization`` is unknown, ``"int8"`` comes without ``representative``, or
        the model has a recurrent layer.
    """
    if quantization not in _QUANTIZATIONS:
        raise ValueError(f"quantization must be one of {_QUANTIZATIONS}, got {quantization!r}")
    if quantization == "int8" and representative is None:
        raise ValueError("quantization='int8' needs representative= (training inputs) to "
                         "calibrate the activation ranges")
    _check_feed_forward(model)
    converter = tf.lite.TFLiteConverter.from_keras_model(model)
    if quantization != "float32":
        converter.optimizations = [tf.lite.Optimize.DEFAULT]
    if quantization == "float16":
        converter.target_spec.supported_types = [tf.float16]
    with _quiet():
        if quantization != "int8":
            content = converter.convert()
        else:
            sample = np.asarray(representative, dtype=np.float32)
            rows = np.random.default_rng(seed).choice(
                len(sample), min(calibration_samples, len(sample)), replace=False)
            converter.representative_dataset = lambda: ([sample[i:i + 1]] for i in rows)
            converter.inference_input_type = converter.inference_output_type = tf.float32
            if not float_front:
                converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
                content = converter.convert()
            else:  # the debugger is TFLite's way to leave chosen ops unquantized
                debugger = tf.lite.experimental.QuantizationDebugger(
                    converter=converter, debug_dataset=converter.representative_dataset,
                    debug_options=tf.lite.experimental.QuantizationDebugOptions(
                        denylisted_ops=list(FLOAT_FRONT_OPS)))
                content = debugger.get_nondebug_quantized_model()
    path = Path(path)
    path.write_bytes(content)
    return path


def export_onnx(model: keras.Model, path, *, opset: int | None = None) -> Path:
    """Convert a Keras model (recurrent ones included) to an ONNX file; returns its path.

    Chapter 7 (Model compression), sections "Quantization" and "Recurrent models: the ONNX
    route": the route for the LSTM models of chapters 4 to 6, which TFLite does not convert
    with a variable batch; here the batch stays variable and onnxruntime runs the graph.
    This is what
    ``model.export(path, format="onnx")`` does (tf2onnx on the traced call), plus one
    repair: tensors the model holds as constants (the book's ``Normalization`` statistics)
    come out of tf2onnx as extra graph *inputs*; they are turned back into initializers
    holding their values, so the file needs only the model's real input.

    Parameters
    ----------
    model : keras.Model
        Any Keras model with one input.
    path : str or Path
        The ``.onnx`` file to write (replaced if it exists).
    opset : int, optional
        The ONNX opset; default tf2onnx's.

    Returns
    -------
    pathlib.Path
        ``path``.
    """
    import tf2onnx
    # Keras has no public route to this patch (tf2onnx's fixes for current NumPy and
    # TensorFlow), which ``model.export(format="onnx")`` applies before converting; the
    # export above cannot be used as is (it keeps the constants as inputs), so the patch is
    # taken from keras.src, and keras is pinned in requirements.txt for it.
    from keras.src.export.tf2onnx_lib import patch_tf2onnx
    from onnx import numpy_helper

    spec = [tf.TensorSpec((None, *model.input_shape[1:]), tf.float32, name="input")]
    function = tf.function(lambda x: model(x, training=False))
    graph = function.get_concrete_function(*spec).graph
    constants = {inner.name: outer.numpy() for outer, inner in graph.captures
                 if outer.dtype != tf.resource}
    with _quiet():
        patch_tf2onnx()
        proto, _ = tf2onnx.convert.from_function(function, spec, opset=opset)
    used = {name for node in proto.graph.node for name in node.input}
    inputs = list(proto.graph.input)
    del proto.graph.input[:]
    for item in inputs:
        if item.name not in constants:
            proto.graph.input.append(item)
        elif item.name in used:
            proto.graph.initializer.append(numpy_helper.from_array(constants[item.name], item.name))
    path = Path(path)
    path.write_bytes(proto.SerializeToString())
    return path


def quantize_keras(model: keras.Model) -> keras.Model:
    """A copy of ``model`` after Keras's own ``quantize("int8")``.

    Chapter 7 (Model compression), section "Quantization". Only ``Dense`` layers are
    quantized; the copy runs in Keras and cannot be converted to TFLite. ``model`` itself
    is left unchanged.

    Parameters
    ----------
    model : keras.Model
        The model to quantize a copy of.

    Returns
    -------
    keras.Model
        The quantized copy, compiled as ``model`` was.
    """
    copy = copy_model(model)
    with _quiet():
        copy.quantize("int8")
    return copy


class TFLiteRunner:
    """Runs a TFLite file with ``tf.lite.Interpreter`` on ``num_threads`` threads.

    One thread (the default) is one core. Chapter 7 (Model compression), section
    "Quantization". ``predict_scores(x)`` gives what the Keras model's
    :func:`training.predict_scores` gives.

    Parameters
    ----------
    path : str or Path
        A file written by :func:`export_tflite`.
    num_threads : int, default 1
        The interpreter's threads.
    """

    def __init__(self, path, num_threads: int = 1):
        self.path = Path(path)
        with _quiet():  # the interpreter warns it is deprecated in favour of ai_edge_litert
            self.interpreter = tf.lite.Interpreter(model_path=str(self.path),
                                                   num_threads=int(num_threads))
        self._input = self.interpreter.get_input_details()[0]
        self._output = self.interpreter.get_output_details()[0]
        self._shape = None

    def run_batch(self, batch):
        """The model's raw output for one float32 batch (what :func:`measure` times).

        Parameters
        ----------
        batch : numpy.ndarray
            float32 inputs, batch first; the input tensor is resized when the shape
            changes.

        Returns
        -------
        numpy.ndarray
            The model's output for ``batch``.
        """
        if self._shape != batch.shape:  # resizing costs, so only when the batch changes
            self.interpreter.resize_tensor_input(self._input["index"], batch.shape)
            with _quiet():  # the first allocation announces the XNNPACK delegate
                self.interpreter.allocate_tensors()
                self.interpreter.set_tensor(self._input["index"], batch)
                self.interpreter.invoke()
            self._shape = batch.shape
        self.interpreter.set_tensor(self._input["index"], batch)
        self.interpreter.invoke()
        return self.interpreter.get_tensor(self._output["index"])

    def predict_scores(self, x, batch_size: int = 4096) -> np.ndarray:
        """Class scores for ``x``, as :func:`training.predict_scores` gives them.

        Parameters
        ----------
        x : array_like
            The model's inputs, batch first.
        batch_size : int, default 4096
            Rows per call of :meth:`run_batch`.

        Returns
        -------
        numpy.ndarray
            (n, k) class probabilities, or a 1-D attack score for a one-unit sigmoid head.
        """
        parts = training.in_batches(self.run_batch, x, batch_size)
        return training.squeeze_scores(np.concatenate(parts))


class ONNXRunner:
    """Runs an ONNX file with onnxruntime on ``num_threads`` threads (1: one core).

    Chapter 7 (Model compression), sections "Quantization" and "Recurrent models: the ONNX
    route"; same ``predict_scores`` as :class:`TFLiteRunner`.

    Parameters
    ----------
    path : str or Path
        A file written by :func:`export_onnx`.
    num_threads : int, default 1
        onnxruntime's intra- and inter-op threads.
    """

    def __init__(self, path, num_threads: int = 1):
        import onnxruntime

        self.path = Path(path)
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = options.inter_op_num_threads = int(num_threads)
        options.log_severity_level = 3
        self.session = onnxruntime.InferenceSession(str(self.path), options,
                                                    providers=["CPUExecutionProvider"])
        self._name = self.session.get_inputs()[0].name

    def run_batch(self, batch):
        """The model's raw output for one float32 batch (what :func:`measure` times).

        Parameters
        ----------
        batch : numpy.ndarray
            float32 inputs, batch first.

        Returns
        -------
        numpy.ndarray
            The model's output for ``batch``.
        """
        return self.session.run(None, {self._name: batch})[0]

    def predict_scores(self, x, batch_size: int = 4096) -> np.ndarray:
        """Class scores for ``x``, as :func:`training.predict_scores` gives them.

        Parameters
        ----------
        x : array_like
            The model's inputs, batch first.
        batch_size : int, default 4096
            Rows per call of :meth:`run_batch`.

        Returns
        -------
        numpy.ndarray
            (n, k) class probabilities, or a 1-D attack score for a one-unit sigmoid head.
        """
        parts = training.in_batches(self.run_batch, x, batch_size)
        return training.squeeze_scores(np.concatenate(parts))


# --- Parity and measurement -----------------------------------------------------------------


class ParityError(AssertionError):
    """An exported model disagrees with the Keras model it came from.

    Raised by :func:`check_parity`; an ``AssertionError``, so a chapter's check fails like
    an assertion. Chapter 7 (Model compression), section "Quantization".
    """


def parity(reference_scores, scores) -> dict:
    """How closely an export's scores follow the Keras model's on the same inputs.

    Chapter 7 (Model compression), section "Quantization". Returns ``agreement`` (share of
    inputs with the same predicted class), ``max_abs_diff`` (largest absolute difference of
    any score) and ``n``.

    Parameters
    ----------
    reference_scores : array_like
        The Keras model's scores (:func:`training.predict_scores`).
    scores : array_like
        The export's scores on the same inputs, of the same shape.

    Returns
    -------
    dict
        ``n``, ``agreement`` and ``max_abs_diff``.

    Raises
    ------
    ValueError
        When the shapes differ or there are no scores.
    """
    reference, scores = np.asarray(reference_scores), np.asarray(scores)
    if reference.shape != scores.shape:
        raise ValueError(f"scores have shape {scores.shape}, reference_scores {reference.shape}; "
                         "expected both from the same inputs")
    if not len(reference):
        raise ValueError("reference_scores is empty; parity needs real test inputs")
    return {"n": int(len(reference)),
            "agreement": float(np.mean(training.scores_to_labels(reference)
                                       == training.scores_to_labels(scores))),
            "max_abs_diff": float(np.max(np.abs(reference.astype(np.float64) - scores)))}


def check_parity(reference_scores, scores, *, min_agreement: float = 0.99,
                 max_abs_diff: float = 0.05, name: str = "export") -> dict:
    """:func:`parity`, raising :class:`ParityError` when the export is off.

    Off means agreement below ``min_agreement`` or a score off by more than
    ``max_abs_diff``. Chapter 7 (Model compression), section "Quantization". Float exports
    match to about 1e-6; int8 ones need looser bounds.

    Parameters
    ----------
    reference_scores, scores : array_like
        As in :func:`parity`.
    min_agreement : float, default 0.99
        The smallest share of inputs with the same predicted class.
    max_abs_diff : float, default 0.05
        The largest absolute score difference allowed.
    name : str, default "export"
        The export's name, for the error message.

    Returns
    -------
    dict
        :func:`parity`'s result, when within the bounds.

    Raises
    ------
    ParityError
        When the agreement or the largest score difference is out of bounds.
    ValueError
        As :func:`parity`.
    """
    result = parity(reference_scores, scores)
    if result["agreement"] < min_agreement or result["max_abs_diff"] > max_abs_diff:
        raise ParityError(f"{name} fails parity with its Keras model on {result['n']} inputs: "
                          f"agreement {result['agreement']:.4f} (at least {min_agreement} "
                          f"expected), max |score difference| {result['max_abs_diff']:.3g} "
                          f"(at most {max_abs_diff} expected)")
    return result


def file_sizes(path) -> dict:
    """``size_bytes`` of a file and ``gzip_bytes``, its size gzipped (level 9).

    Zeros left by pruning cost as much as any weight on disk and almost nothing gzipped.
    Chapter 7 (Model compression), section "The comparison".

    Parameters
    ----------
    path : str or Path
        The file to measure.

    Returns
    -------
    dict
        ``{"size_bytes": int, "gzip_bytes": int}``.

    Raises
    ------
    FileNotFoundError
        When ``path`` does not exist.
    """
    content = Path(path).read_bytes()
    return {"size_bytes": len(content), "gzip_bytes": len(gzip.compress(content, 9, mtime=0))}


def _keras_file_sizes(model) -> dict:
    """Sizes of the ``.keras`` file of an uncompiled copy: what ships has no optimizer state
    (Adam's two moments would triple the file)."""
    try:
        copy = type(model).from_config(model.get_config())  # clone_model would compile it
        copy.set_weights(model.get_weights())
    except (TypeError, ValueError):  # a model that cannot be cloned is saved as it is
        copy = model
    with tempfile.TemporaryDirectory() as folder:
        copy.save(Path(folder) / "model.keras")
        return file_sizes(Path(folder) / "model.keras")


def measure(model, x, y, *, classes, benign_label="Benign", batch_size: int = 4096,
            repeats: int = 3, single_calls: int = 200) -> dict:
    """One row of chapter 7's comparison for a Keras model or a runner.

    Chapter 7 (Model compression), section "The comparison". ``model`` is a ``keras.Model``
    (timed through :func:`training.inference_speed`'s traced call; its file is a ``.keras``
    file saved for the purpose) or a :class:`TFLiteRunner`/:class:`ONNXRunner` (its own
    file). Returns ``size_bytes``, ``gzip_bytes``, ``latency_ms@1`` (median of
    ``single_calls`` single-flow calls), ``flows_per_s@<batch_size>`` (best of
    ``repeats``), ``macro_f1`` and one ``recall[<family>]`` per class on ``(x, y)``. The
    thread count is the runner's (1) or TensorFlow's setting for Keras models.

    Parameters
    ----------
    model : keras.Model, TFLiteRunner or ONNXRunner
        What to measure.
    x : array_like
        Test inputs.
    y : array_like
        Their true labels (integer ids named by ``classes``, or names).
    classes : sequence
        The class names in score-column order.
    benign_label : str, default "Benign"
        The benign class.
    batch_size : int, default 4096
        The batch size of the throughput measurement.
    repeats : int, default 3
        Throughput runs; the best counts.
    single_calls : int, default 200
        Single-flow calls for the latency median.

    Returns
    -------
    dict
        ``size_bytes``, ``gzip_bytes``, ``latency_ms@1``, ``flows_per_s@<batch_size>``,
        ``macro_f1`` and ``recall[<class>]`` per class.

    Raises
    ------
    ValueError
        When ``x`` and ``y`` are empty or differ in length, or ``model`` is none of the
        three kinds.
    """
    if len(x) != len(y) or not len(x):
        raise ValueError(f"x and y must be non-empty and of equal length, got {len(x)}, {len(y)}")
    if isinstance(model, keras.Model):
        scores = training.predict_scores(model, x)
        speed = training.inference_speed(model, x, batch_sizes=(batch_size, 1),
                                         repeats=repeats, single_calls=single_calls)
        speed.pop("flows_per_s@1")
        sizes = _keras_file_sizes(model)
    elif hasattr(model, "predict_scores") and hasattr(model, "path"):
        scores = model.predict_scores(x)
        speed = training.call_speed(model.run_batch, x, (batch_size, 1), repeats, single_calls)
        sizes = file_sizes(model.path)
    else:
        raise ValueError(f"model must be a keras.Model, a TFLiteRunner or an ONNXRunner, "
                         f"got {type(model).__name__}")
    report = evaluation.classification_report_frame(y, training.scores_to_labels(scores),
                                                    classes=classes, benign_label=benign_label)
    row = {**sizes, "latency_ms@1": speed["latency_ms@1"],
           f"flows_per_s@{batch_size}": speed[f"flows_per_s@{batch_size}"],
           "macro_f1": report.attrs["summary"]["macro_f1"]}
    row.update({f"recall[{name}]": float(value) for name, value in report["recall"].items()})
    return row
