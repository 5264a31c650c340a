"""Exported models and the runtimes that run them.

Chapter 7 (Model compression) explains every function here; :mod:`nidslib.compression`
makes the smaller models this module exports, and :mod:`nidslib.deployment` checks and
measures what it exports. The routes are the ones that work with Keras 3 and TensorFlow
2.21; the ones that crash are not offered:

- TFLite float32, float16, dynamic-range and full-int8 exports for feed-forward models
  (:func:`export_tflite`); ONNX for everything, recurrent models included
  (:func:`export_onnx`), run by onnxruntime; Keras's own ``Model.quantize("int8")``
  (:func:`quantize_keras`), which only quantizes ``Dense`` layers.
- Every export runs through a runner with ``predict_scores`` (:class:`TFLiteRunner`,
  :class:`ONNXRunner`, one thread each), so it can stand wherever a Keras model's scores do.

Example
-------
A tiny network exported to TFLite gives the Keras model's scores.

>>> import os, tempfile
>>> import numpy as np
>>> from nidslib import models, training
>>> x = np.random.default_rng(0).normal(size=(300, 8)).astype("float32")
>>> model = models.build_dnn(8, 3, units=(16,))
>>> path = export_tflite(model, os.path.join(tempfile.mkdtemp(), "dnn.tflite"))
>>> runner = TFLiteRunner(path)
>>> runner.predict_scores(x).shape
(300, 3)
>>> bool(np.allclose(runner.predict_scores(x), training.predict_scores(model, x), atol=1e-5))
True
"""

from __future__ import annotations

from nidslib import training

import contextlib
import os
import sys
import warnings
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf
from keras import layers

from nidslib.compression import copy_model

__all__ = ["FLOAT_FRONT_OPS", "ONNXRunner", "TFLiteRunner", "export_onnx", "export_tflite",
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
