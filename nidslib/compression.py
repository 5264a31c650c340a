"""Model compression for Keras 3: pruning, quantized exports, distillation, and measuring them.

Chapter 7 (Model compression) explains every function here. The routes are the ones that
work with Keras 3 and TensorFlow 2.21 (BOOK.md §7); the ones that crash are not offered:

- **Pruning** is native: ``tensorflow-model-optimization`` refuses Keras 3 models. A mask per
  kernel is a Keras *constraint*, which the optimizer applies after every update inside the
  compiled training step, so pruned weights stay exactly zero between mask updates.
- **Quantization**: TFLite float16, dynamic-range and full-int8 exports for feed-forward
  models (:func:`export_tflite`); ONNX for everything, recurrent models included
  (:func:`export_onnx`), run by onnxruntime; Keras's own ``Model.quantize("int8")``
  (:func:`quantize_keras`), which only quantizes ``Dense`` layers.
- **Distillation** uses ``keras.distillation.Distiller`` on the *logits* of the book's softmax
  models (:func:`distill`).
- Every export runs through a runner with ``predict_scores`` (:class:`TFLiteRunner`,
  :class:`ONNXRunner`, one thread each) and is checked against the Keras model
  (:func:`check_parity`); :func:`measure` gives the row of chapter 7's table.
"""

from __future__ import annotations

from nidslib import training  # noqa: F401  (sets TF_CPP_MIN_LOG_LEVEL before TF loads)

import contextlib
import gzip
import math
import os
import sys
import tempfile
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf
from keras import layers, ops

from nidslib import evaluation

__all__ = ["FLOAT_FRONT_OPS", "ONNXRunner", "ParityError", "PruningRun", "TFLiteRunner", "check_parity", "distill",
           "export_onnx", "export_tflite", "file_sizes", "measure", "parity",
           "polynomial_sparsity", "prune_magnitude", "prune_structured", "quantize_keras",
           "sparsity", "use_one_core"]

_WEIGHTED = (layers.Dense, layers.Conv1D, layers.Conv2D)
_QUANTIZATIONS = ("float32", "float16", "dynamic", "int8")


def use_one_core() -> None:
    """Run TensorFlow on one thread, so Keras timings compare with the one-thread runners.

    Chapter 7, section "Why compression matters". Call it before TensorFlow runs anything
    (before the first model is built); afterwards TensorFlow refuses, and so does this.
    """
    try:
        tf.config.threading.set_intra_op_parallelism_threads(1)
        tf.config.threading.set_inter_op_parallelism_threads(1)
    except RuntimeError as error:
        raise RuntimeError("use_one_core() must run before TensorFlow runs anything; call it "
                           "right after the imports") from error


# --- Pruning ------------------------------------------------------------------------------


def sparsity(model: keras.Model, per_layer: bool = False):
    """Share of exactly-zero weights in the kernels of the ``Dense``/``Conv`` layers.

    Chapter 7, section "Magnitude pruning". Biases, scaling statistics and recurrent
    weights are left out: pruning never touches them. ``per_layer=True`` gives
    ``{layer name: share}`` instead of the overall share.
    """
    kernels = {layer.name: np.asarray(layer.kernel) for layer in model.layers
               if isinstance(layer, _WEIGHTED)}
    if not kernels:
        raise ValueError(f"model {model.name!r} has no Dense or Conv layer to measure")
    if per_layer:
        return {name: float(np.mean(k == 0)) for name, k in kernels.items()}
    return float(sum(int((k == 0).sum()) for k in kernels.values())
                 / sum(k.size for k in kernels.values()))


def polynomial_sparsity(step: int, *, target: float, begin_step: int, end_step: int,
                        initial: float = 0.0, power: int = 3) -> float:
    """Zhu & Gupta's gradual schedule: sparsity rises from ``initial`` to ``target`` between
    ``begin_step`` and ``end_step`` along ``target + (initial - target)(1 - t)^power``, fast
    at first, slowly at the end, when the remaining weights matter. Chapter 7, section
    "Magnitude pruning"."""
    if end_step <= begin_step:
        raise ValueError(f"end_step must exceed begin_step, got {begin_step}..{end_step}")
    t = min(max((step - begin_step) / (end_step - begin_step), 0.0), 1.0)
    return float(target + (initial - target) * (1.0 - t) ** power)


class _Mask(keras.constraints.Constraint):
    """Multiplies a kernel by a fixed 0/1 mask after every optimizer update."""

    def __init__(self, shape):
        self.mask = tf.Variable(tf.ones(shape), trainable=False)

    def __call__(self, w):
        return w * ops.cast(self.mask, w.dtype)


class _Pruner(keras.callbacks.Callback):
    def __init__(self, targets, target, begin, end, frequency):
        super().__init__()
        self.targets, self.target = targets, target
        self.begin, self.end, self.frequency = begin, end, frequency
        self.masks = {layer.name: _Mask(layer.kernel.shape) for layer in targets}
        self.next_update = begin

    def _apply(self, level: float) -> None:
        for layer in self.targets:
            w = np.asarray(layer.kernel)
            # The k smallest magnitudes go; pruned weights are 0, so they stay pruned.
            order = np.argsort(np.abs(w), axis=None, kind="stable")
            mask = np.ones(w.size, dtype=np.float32)
            mask[order[:int(round(level * w.size))]] = 0.0
            mask = mask.reshape(w.shape)
            self.masks[layer.name].mask.assign(mask)
            layer.kernel.assign(w * mask)

    def on_train_begin(self, logs=None):
        for layer in self.targets:
            layer.kernel.constraint = self.masks[layer.name]

    def on_train_batch_end(self, batch, logs=None):
        step = int(self.model.optimizer.iterations.numpy())
        if step >= self.next_update and step <= self.end + self.frequency:
            self._apply(polynomial_sparsity(step, target=self.target, begin_step=self.begin,
                                            end_step=self.end))
            self.next_update = step + self.frequency

    def on_train_end(self, logs=None):
        self._apply(self.target)  # the target is reached even if training stopped early
        for layer in self.targets:
            layer.kernel.constraint = None


@dataclass
class PruningRun(training.TrainingRun):
    """A :class:`~nidslib.training.TrainingRun` of :func:`prune_magnitude`, with the masks
    (``{layer: 0/1 array}``) and the sparsity reached in each pruned layer."""

    masks: dict = field(default_factory=dict, repr=False)
    layer_sparsity: dict = field(default_factory=dict)


def _targets(model, layer_names, min_weights):
    weighted = [layer for layer in model.layers if isinstance(layer, _WEIGHTED)]
    if layer_names is None:  # the output layer is small and every weight of it counts
        return [layer for layer in weighted[:-1] if int(np.prod(layer.kernel.shape)) >= min_weights]
    known = {layer.name: layer for layer in weighted}
    unknown = [name for name in layer_names if name not in known]
    if unknown:
        raise ValueError(f"layer_names {unknown} are not Dense/Conv layers of {model.name!r}; "
                         f"expected some of {list(known)}")
    return [known[name] for name in layer_names]


def prune_magnitude(model: keras.Model, train, val, *, target_sparsity: float = 0.8,
                    epochs: int = 4, schedule_fraction: float = 0.5, frequency: int = 32,
                    batch_size: int = 512, layer_names=None, min_weights: int = 1024,
                    verbose: int = 0) -> PruningRun:
    """Fine-tune ``model`` in place while zeroing its smallest weights, gradually.

    Chapter 7, section "Magnitude pruning". The kernels of ``layer_names`` (default: every
    ``Dense``/``Conv`` layer but the output one with at least ``min_weights`` weights) lose
    their smallest-magnitude weights, per layer, following :func:`polynomial_sparsity` from 0
    to ``target_sparsity`` over the first ``schedule_fraction`` of the ``epochs``, with a new
    mask every ``frequency`` steps; the rest of the epochs fine-tune with the final masks
    fixed. There is no early stopping: restoring an earlier epoch would restore weights
    that were pruned later. ``val`` is only monitored.
    """
    if not 0.0 <= target_sparsity < 1.0:
        raise ValueError(f"target_sparsity must be in [0, 1), got {target_sparsity}")
    if not 0.0 < schedule_fraction <= 1.0:
        raise ValueError(f"schedule_fraction must be in (0, 1], got {schedule_fraction}")
    if epochs < 1 or frequency < 1:
        raise ValueError(f"epochs and frequency must be at least 1, got {epochs}, {frequency}")
    targets = _targets(model, layer_names, min_weights)
    if not targets:
        raise ValueError(f"no layer of {model.name!r} to prune (min_weights={min_weights})")
    x, y = training._xy(train)[:2]
    x_val, y_val = training._xy(val)[:2]
    begin = int(model.optimizer.iterations.numpy()) if model.optimizer.built else 0
    end = begin + max(1, int(schedule_fraction * epochs * math.ceil(len(x) / batch_size)))
    pruner = _Pruner(targets, target_sparsity, begin, end, frequency)
    model.train_function = None  # retrace: the step must apply the new constraints
    start = time.perf_counter()
    history = model.fit(x, y, validation_data=(x_val, y_val), epochs=epochs,
                        batch_size=batch_size, callbacks=[pruner], verbose=verbose)
    seconds = time.perf_counter() - start
    model.train_function = None  # and drop them again
    logs = {k: [float(v) for v in values] for k, values in history.history.items()}
    return PruningRun(history=logs, epochs_run=len(logs["loss"]), best_epoch=len(logs["loss"]),
                      seconds=seconds,
                      masks={k: np.asarray(m.mask) for k, m in pruner.masks.items()},
                      layer_sparsity={layer.name: float(np.mean(np.asarray(layer.kernel) == 0))
                                      for layer in targets})


_PASS_THROUGH = (layers.MaxPooling1D, layers.AveragePooling1D, layers.Dropout,
                 layers.Activation, layers.ReLU)


def prune_structured(model: keras.Model, keep: float = 0.5, *, layer_names=None) -> keras.Model:
    """A smaller copy of ``model`` without the weakest filters and units (by L1 norm).

    Chapter 7, section "Structured pruning". For a chain of ``Dense``/``Conv1D`` layers, such
    as :func:`nidslib.models.build_cnn` and ``build_dnn`` build: each layer of
    ``layer_names`` (default: every such layer but the output) keeps the ``keep`` share of
    its output channels whose kernels have the largest L1 norms (Li et al., 2017), and the
    next weighted layer loses the matching inputs (through ``Flatten`` too). Unlike
    magnitude pruning, the result has smaller dense matrices, so it is faster on any
    runtime. Returns a new model, compiled as ``model`` was; fine-tune it afterwards.
    """
    if not 0.0 < keep <= 1.0:
        raise ValueError(f"keep must be in (0, 1], got {keep}")
    weighted = [layer for layer in model.layers if isinstance(layer, (layers.Dense, layers.Conv1D))]
    chosen = set(layer_names) if layer_names is not None else {l.name for l in weighted[:-1]}
    if weighted and weighted[-1].name in chosen:
        raise ValueError(f"layer_names must not include the output layer {weighted[-1].name!r}")
    config = model.get_config()
    by_name = {entry["name"]: entry["config"] for entry in config["layers"]}
    for entry in config["layers"]:
        entry.pop("build_config", None)  # stale input shapes; layers rebuild when called
    weights, kept, channels, steps = {}, None, None, None
    for layer in model.layers:
        if isinstance(layer, (layers.Dense, layers.Conv1D)):
            kernel, bias = layer.get_weights()
            if kept is not None:  # drop the inputs that the previous layer no longer makes
                rows = (kept if steps is None else
                        (np.arange(steps)[:, None] * channels + kept[None, :]).ravel())
                kernel = kernel[rows] if kernel.ndim == 2 else kernel[:, kept, :]
            kept, steps = None, None
            if layer.name in chosen:
                norms = np.abs(kernel).reshape(-1, kernel.shape[-1]).sum(axis=0)
                n = max(1, int(round(keep * kernel.shape[-1])))
                kept, channels = np.sort(np.argsort(-norms, kind="stable")[:n]), kernel.shape[-1]
                kernel, bias = kernel[..., kept], bias[kept]
                by_name[layer.name]["units" if isinstance(layer, layers.Dense) else "filters"] = n
            weights[layer.name] = [kernel, bias]
        elif isinstance(layer, layers.Flatten) and kept is not None:
            if len(layer.input.shape) != 3:
                raise ValueError(f"cannot prune through {layer.name!r}: expected (steps, channels)")
            steps = int(layer.input.shape[1])
        elif kept is not None and not isinstance(layer, _PASS_THROUGH):
            raise ValueError(f"cannot prune channels through layer {layer.name!r} "
                             f"({type(layer).__name__}); prune_structured handles chains of "
                             "Dense/Conv1D with pooling, dropout and Flatten between them")
    unknown = chosen - {layer.name for layer in weighted}
    if unknown:
        raise ValueError(f"layer_names {sorted(unknown)} are not Dense/Conv1D layers of {model.name!r}")
    smaller = keras.Model.from_config(config)
    for layer in smaller.layers:
        layer.set_weights(weights.get(layer.name, model.get_layer(layer.name).get_weights()))
    smaller.compile_from_config(model.get_compile_config())
    return smaller


# --- Distillation ---------------------------------------------------------------------------


class _Logits(layers.Layer):
    """The pre-softmax output of a Dense softmax head, sharing the head's weights."""

    def __init__(self, head, **kwargs):
        super().__init__(**kwargs)
        self.head = head

    def call(self, x):
        return ops.matmul(x, self.head.kernel) + self.head.bias


def _logits_model(model: keras.Model, role: str) -> keras.Model:
    head = model.layers[-1]
    if not (isinstance(head, layers.Dense) and getattr(head.activation, "__name__", "") == "softmax"):
        raise ValueError(f"{role} {model.name!r} must end in a Dense softmax layer (a book "
                         f"classifier with n_classes >= 3), got {type(head).__name__} "
                         f"{head.name!r}")
    return keras.Model(model.inputs, _Logits(head, name="logits")(head.input),
                       name=f"{model.name}_logits")


def distill(teacher: keras.Model, student: keras.Model, train, val, *, temperature: float = 4.0,
            alpha: float = 0.1, epochs: int = 20, patience: int = 5, batch_size: int = 512,
            learning_rate: float = 1e-3, verbose: int = 0) -> training.TrainingRun:
    """Train ``student`` in place to imitate ``teacher``'s softened class probabilities.

    Chapter 7, section "Distillation". Both are the book's softmax classifiers (e.g.
    :func:`nidslib.models.build_cnn` and ``build_dnn`` with ``n_classes >= 3``) on the same
    input; ``train`` and ``val`` are ``(x, y)`` with integer labels. The loss is
    ``alpha * CE(y, student) + (1 - alpha) * T^2 * KL(softmax(z_t / T) || softmax(z_s / T))``
    (Hinton et al., 2015), through ``keras.distillation.Distiller`` with
    ``LogitsDistillation(temperature, loss=KLDivergence())`` (its default loss leaves the
    student at chance here, BOOK.md §7).

    The softmax→logits issue: a temperature divides *logits*, and the book's models output
    probabilities. Each model is wrapped in a view that ends in its head's matrix product
    without the softmax, sharing all weights, so the student's own layers are trained and
    afterwards it predicts probabilities as before (:func:`training.predict_scores` works).
    Early stopping on the validation loss (of the same objective) restores the best epoch.
    The teacher is left unchanged.
    """
    if not temperature > 0:
        raise ValueError(f"temperature must be positive, got {temperature}")
    if not 0.0 <= alpha <= 1.0:
        raise ValueError(f"alpha must be in [0, 1], got {alpha}")
    trainable = {id(layer): layer.trainable for layer in teacher.layers}
    distiller = keras.distillation.Distiller(
        teacher=_logits_model(teacher, "teacher"), student=_logits_model(student, "student"),
        distillation_losses=keras.distillation.LogitsDistillation(
            temperature=float(temperature), loss=keras.losses.KLDivergence()),
        student_loss_weight=float(alpha))
    try:
        distiller.compile(optimizer=keras.optimizers.Adam(learning_rate),
                          loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                          steps_per_execution=32, jit_compile=False)
        x, y = training._xy(train)[:2]
        return training.fit(distiller, (x, y), training._xy(val)[:2], epochs=epochs,
                            patience=patience, batch_size=batch_size, verbose=verbose)
    finally:  # the Distiller froze the teacher
        teacher.trainable = True
        for layer in teacher.layers:
            layer.trainable = trainable[id(layer)]


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


def _check_feed_forward(model):
    recurrent = [layer.name for layer in model._flatten_layers() if isinstance(layer, layers.RNN)]
    if recurrent:
        raise ValueError(f"export_tflite does not convert recurrent layers {recurrent}: with a "
                         "variable batch TFLite fails, and its batch-1 loops break int8 "
                         "calibration (BOOK.md §7); use export_onnx for recurrent models")


# The elementwise ops of the in-model scaling (SignedLog1p, Normalization): kept in float32 by
# int8 exports, since one int8 scale for raw features spanning 1e0..1e9 zeroes the small ones.
FLOAT_FRONT_OPS = ("ABS", "SIGN", "LOG", "ADD", "SUB", "MUL", "DIV", "MAXIMUM", "SQRT", "RSQRT")


def export_tflite(model: keras.Model, path, quantization: str = "float32",
                  representative=None, *, float_front: bool = True,
                  calibration_samples: int = 500, seed: int = 0) -> Path:
    """Convert a feed-forward Keras model to a TFLite file; returns its path.

    Chapter 7, section "Quantization". ``quantization``: ``"float32"`` (plain conversion),
    ``"float16"`` (weights stored in half precision), ``"dynamic"`` (int8 weights, float
    activations) or ``"int8"`` (weights *and* activations in int8, calibrated on
    ``calibration_samples`` rows drawn from ``representative``, which must be training
    inputs). Inputs and outputs stay float32. With ``float_front=True`` the in-model scaling
    (the ops in :data:`FLOAT_FRONT_OPS`) stays float32 and int8 starts at the standardized
    features; ``False`` quantizes every op, the raw input included, with one scale for
    features that span nine orders of magnitude: chapter 7 shows the parity check catch
    it. The batch dimension stays variable. Recurrent models raise a ValueError (use
    :func:`export_onnx`).
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

    Chapter 7, section "Quantization", and the route for the LSTM models of chapters 4 to 6
    (BOOK.md §7): the batch stays variable and onnxruntime runs the graph. This is what
    ``model.export(path, format="onnx")`` does (tf2onnx on the traced call), plus one
    repair: tensors the model holds as constants (the book's ``Normalization`` statistics)
    come out of tf2onnx as extra graph *inputs*; they are turned back into initializers
    holding their values, so the file needs only the model's real input.
    """
    import tf2onnx
    from keras.src.export.tf2onnx_lib import patch_tf2onnx  # what model.export applies
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
    """A copy of ``model`` after Keras's own ``quantize("int8")``. Chapter 7, section
    "Quantization". Only ``Dense`` layers are quantized (BOOK.md §7); the copy runs in
    Keras and cannot be converted to TFLite. ``model`` itself is left unchanged."""
    copy = keras.models.clone_model(model)
    copy.set_weights(model.get_weights())
    with _quiet():
        copy.quantize("int8")
    return copy


def _batches(x, batch_size):
    x = np.asarray(x, dtype=np.float32)
    return [x[i:i + batch_size] for i in range(0, len(x), batch_size)]


def _squeeze(scores):
    return scores[:, 0] if scores.ndim == 2 and scores.shape[1] == 1 else scores


class TFLiteRunner:
    """Runs a TFLite file with ``tf.lite.Interpreter`` on ``num_threads`` threads (1: one
    core). Chapter 7, section "Quantization". ``predict_scores(x)`` gives what the Keras
    model's :func:`training.predict_scores` gives."""

    def __init__(self, path, num_threads: int = 1):
        self.path = Path(path)
        with _quiet():  # the interpreter warns it is deprecated in favour of ai_edge_litert
            self.interpreter = tf.lite.Interpreter(model_path=str(self.path),
                                                   num_threads=int(num_threads))
        self._input = self.interpreter.get_input_details()[0]
        self._output = self.interpreter.get_output_details()[0]
        self._shape = None

    def _run(self, batch):
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
        return _squeeze(np.concatenate([self._run(b) for b in _batches(x, batch_size)]))


class ONNXRunner:
    """Runs an ONNX file with onnxruntime on ``num_threads`` threads (1: one core).
    Chapter 7, section "Quantization"; same ``predict_scores`` as :class:`TFLiteRunner`."""

    def __init__(self, path, num_threads: int = 1):
        import onnxruntime

        self.path = Path(path)
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = options.inter_op_num_threads = int(num_threads)
        options.log_severity_level = 3
        self.session = onnxruntime.InferenceSession(str(self.path), options,
                                                    providers=["CPUExecutionProvider"])
        self._name = self.session.get_inputs()[0].name

    def _run(self, batch):
        return self.session.run(None, {self._name: batch})[0]

    def predict_scores(self, x, batch_size: int = 4096) -> np.ndarray:
        return _squeeze(np.concatenate([self._run(b) for b in _batches(x, batch_size)]))


# --- Parity and measurement -----------------------------------------------------------------


class ParityError(AssertionError):
    """An exported model disagrees with the Keras model it came from."""


def _labels(scores):
    scores = np.asarray(scores)
    return scores.argmax(axis=1) if scores.ndim == 2 else (scores >= 0.5).astype(int)


def parity(reference_scores, scores) -> dict:
    """How closely an export's scores follow the Keras model's on the same inputs.

    Chapter 7, section "Parity". Returns ``agreement`` (share of inputs with the same
    predicted class), ``max_abs_diff`` (largest absolute difference of any score) and ``n``.
    """
    reference, scores = np.asarray(reference_scores), np.asarray(scores)
    if reference.shape != scores.shape:
        raise ValueError(f"scores have shape {scores.shape}, reference_scores {reference.shape}; "
                         "expected both from the same inputs")
    if not len(reference):
        raise ValueError("reference_scores is empty; parity needs real test inputs")
    return {"n": int(len(reference)),
            "agreement": float(np.mean(_labels(reference) == _labels(scores))),
            "max_abs_diff": float(np.max(np.abs(reference.astype(np.float64) - scores)))}


def check_parity(reference_scores, scores, *, min_agreement: float = 0.99,
                 max_abs_diff: float = 0.05, name: str = "export") -> dict:
    """:func:`parity`, raising :class:`ParityError` when the export is off: agreement below
    ``min_agreement`` or a score off by more than ``max_abs_diff``. Chapter 7, section
    "Parity". Float exports match to about 1e-6; int8 ones need looser bounds."""
    result = parity(reference_scores, scores)
    if result["agreement"] < min_agreement or result["max_abs_diff"] > max_abs_diff:
        raise ParityError(f"{name} fails parity with its Keras model on {result['n']} inputs: "
                          f"agreement {result['agreement']:.4f} (at least {min_agreement} "
                          f"expected), max |score difference| {result['max_abs_diff']:.3g} "
                          f"(at most {max_abs_diff} expected)")
    return result


def file_sizes(path) -> dict:
    """``size_bytes`` of a file and ``gzip_bytes``, its size gzipped (level 9): zeros left
    by pruning cost as much as any weight on disk and almost nothing gzipped. Chapter 7."""
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


def measure(model, x, y, *, classes, path=None, benign_label="Benign", batch_size: int = 4096,
            repeats: int = 3, single_calls: int = 200) -> dict:
    """One row of chapter 7's comparison for a Keras model or a runner.

    Chapter 7, section "The comparison". ``model`` is a ``keras.Model`` (timed through
    :func:`training.inference_speed`'s traced call; its file is ``path`` or, when ``None``,
    a ``.keras`` file saved for the purpose) or a :class:`TFLiteRunner`/:class:`ONNXRunner`
    (its own file). Returns ``size_bytes``, ``gzip_bytes``, ``latency_ms@1`` (median of
    ``single_calls`` single-flow calls), ``flows_per_s@<batch_size>`` (best of
    ``repeats``), ``macro_f1`` and one ``recall[<family>]`` per class on ``(x, y)``. The
    thread count is the runner's (1) or TensorFlow's setting for Keras models.
    """
    if len(x) != len(y) or not len(x):
        raise ValueError(f"x and y must be non-empty and of equal length, got {len(x)}, {len(y)}")
    if isinstance(model, keras.Model):
        scores = training.predict_scores(model, x)
        speed = training.inference_speed(model, x, batch_sizes=(batch_size, 1),
                                         repeats=repeats, single_calls=single_calls)
        speed.pop("flows_per_s@1")
        if path is None:
            sizes = _keras_file_sizes(model)
        else:
            sizes = file_sizes(path)
    elif hasattr(model, "predict_scores") and hasattr(model, "path"):
        scores = model.predict_scores(x)
        speed = training.call_speed(model._run, x, (batch_size, 1), repeats, single_calls)
        sizes = file_sizes(path or model.path)
    else:
        raise ValueError(f"model must be a keras.Model, a TFLiteRunner or an ONNXRunner, "
                         f"got {type(model).__name__}")
    report = evaluation.classification_report_frame(y, _labels(scores), classes=classes,
                                                    benign_label=benign_label)
    row = {**sizes, "latency_ms@1": speed["latency_ms@1"],
           f"flows_per_s@{batch_size}": speed[f"flows_per_s@{batch_size}"],
           "macro_f1": report.attrs["summary"]["macro_f1"]}
    row.update({f"recall[{name}]": float(value) for name, value in report["recall"].items()})
    return row
