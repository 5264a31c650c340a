"""Model compression for Keras 3: pruning, by magnitude and by structure.

Chapter 7 (Model compression) explains every function here; :mod:`nidslib.distillation`
trains a smaller student from a teacher, :mod:`nidslib.export` and
:mod:`nidslib.deployment` hold the other half of the chapter (quantized exports, the
runtimes that run them, parity checks and measurements). The routes are the ones that work
with Keras 3 and TensorFlow 2.21:

- **Pruning** is native: ``tensorflow-model-optimization`` refuses Keras 3 models. A mask per
  kernel is a Keras *constraint*, which the optimizer applies after every update inside the
  compiled training step, so pruned weights stay exactly zero between mask updates.
  :func:`prune_structured` removes whole filters and units instead, for real speed.

Example
-------
A small network pruned both ways: structured pruning halves its layers, magnitude pruning
zeroes half of each hidden kernel while fine-tuning a copy.

>>> import numpy as np
>>> from nidslib import models
>>> rng = np.random.default_rng(0)
>>> x = rng.normal(size=(300, 8)).astype("float32")
>>> y = (x[:, 0] > 0).astype("int64") + (x[:, 1] > 0)
>>> model = models.build_dnn(8, 3, units=(32, 16))
>>> smaller = prune_structured(model, keep=0.5)
>>> [layer.units for layer in smaller.layers if isinstance(layer, keras.layers.Dense)]
[16, 8, 3]
>>> [round(polynomial_sparsity(s, target=0.8, begin_step=0, end_step=10), 3)
...  for s in (0, 5, 10)]
[0.0, 0.7, 0.8]
>>> pruned = copy_model(model)
>>> run = prune_magnitude(pruned, (x[:200], y[:200]), (x[200:], y[200:]),
...                       target_sparsity=0.5, epochs=1, batch_size=200, min_weights=1)
>>> run.layer_sparsity
{'dense_1': 0.5, 'dense_2': 0.5}
>>> sparsity(model), sparsity(pruned, per_layer=True)["class_probabilities"]
(0.0, 0.0)
"""

from __future__ import annotations

from nidslib import training

import math
import time
from dataclasses import dataclass, field

import keras
import numpy as np
import tensorflow as tf
from keras import layers, ops

__all__ = ["PruningRun", "copy_model", "polynomial_sparsity", "prune_magnitude",
           "prune_structured", "sparsity"]

_WEIGHTED = (layers.Dense, layers.Conv1D, layers.Conv2D)


def copy_model(model: keras.Model) -> keras.Model:
    """A copy of ``model`` with its weights, compiled as ``model`` was.

    ``clone_model`` carries the compile settings, with a fresh optimizer. Chapter 7 (Model
    compression), section "Magnitude pruning": :func:`prune_magnitude` changes the model it
    is given, so a chapter prunes a copy and keeps the teacher.

    Parameters
    ----------
    model : keras.Model
        The model to copy.

    Returns
    -------
    keras.Model
        A new model with the same architecture, weights and compile settings.
    """
    copy = keras.models.clone_model(model)
    copy.set_weights(model.get_weights())
    return copy


# --- Pruning ------------------------------------------------------------------------------


def sparsity(model: keras.Model, per_layer: bool = False):
    """Share of exactly-zero weights in the kernels of the ``Dense``/``Conv`` layers.

    Chapter 7 (Model compression), section "Magnitude pruning". Biases, scaling statistics
    and recurrent weights are left out: pruning never touches them. ``per_layer=True`` gives
    ``{layer name: share}`` instead of the overall share.

    Parameters
    ----------
    model : keras.Model
        The model to measure.
    per_layer : bool, default False
        Give the share of each layer instead of the overall one.

    Returns
    -------
    float or dict
        The share of zero kernel weights over all ``Dense``/``Conv`` layers, or
        ``{layer name: share}`` with ``per_layer=True``.

    Raises
    ------
    ValueError
        When the model has no ``Dense``, ``Conv1D`` or ``Conv2D`` layer.
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
    """Zhu & Gupta's gradual pruning schedule: the sparsity to reach at ``step``.

    Sparsity rises from ``initial`` to ``target`` between ``begin_step`` and ``end_step``
    along ``target + (initial - target)(1 - t)^power``, fast at first, slowly at the end,
    when the remaining weights matter. Chapter 7 (Model compression), section "Magnitude
    pruning".

    Parameters
    ----------
    step : int
        The optimizer step.
    target : float
        The final sparsity.
    begin_step, end_step : int
        The steps where the schedule starts and reaches ``target``.
    initial : float, default 0.0
        The sparsity at ``begin_step``.
    power : int, default 3
        The exponent of the curve.

    Returns
    -------
    float
        ``initial`` before ``begin_step``, ``target`` from ``end_step`` on, the curve
        between.

    Raises
    ------
    ValueError
        When ``end_step`` is not greater than ``begin_step``.
    """
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
    """A :class:`~nidslib.training.TrainingRun` of :func:`prune_magnitude`, with its masks.

    Chapter 7 (Model compression), section "Magnitude pruning".

    Attributes
    ----------
    masks : dict
        ``{layer name: 0/1 array}``, the final mask of each pruned kernel.
    layer_sparsity : dict
        ``{layer name: share}``, the share of zero weights reached in each pruned kernel.
    """

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

    Chapter 7 (Model compression), section "Magnitude pruning". The kernels of
    ``layer_names`` (default: every
    ``Dense``/``Conv`` layer but the output one with at least ``min_weights`` weights) lose
    their smallest-magnitude weights, per layer, following :func:`polynomial_sparsity` from 0
    to ``target_sparsity`` over the first ``schedule_fraction`` of the ``epochs``, with a new
    mask every ``frequency`` steps; the rest of the epochs fine-tune with the final masks
    fixed. There is no early stopping: restoring an earlier epoch would restore weights
    that were pruned later. ``val`` is only monitored.

    Parameters
    ----------
    model : keras.Model
        A compiled model, changed in place (prune a :func:`copy_model` to keep the original).
    train, val : tuple or Windows
        ``(x, y)`` training and validation data (see :func:`nidslib.training.xy_arrays`).
    target_sparsity : float, default 0.8
        The share of weights each pruned kernel ends with at zero, in [0, 1).
    epochs : int, default 4
        Epochs of fine-tuning, all run.
    schedule_fraction : float, default 0.5
        The share of the training steps over which sparsity rises, in (0, 1].
    frequency : int, default 32
        Steps between mask updates.
    batch_size : int, default 512
        The batch size.
    layer_names : sequence of str, optional
        The ``Dense``/``Conv`` layers to prune; default as described above.
    min_weights : int, default 1024
        The smallest kernel pruned by default (ignored with ``layer_names``).
    verbose : int, default 0
        Keras's ``fit`` verbosity.

    Returns
    -------
    PruningRun
        The per-epoch logs, the time taken, the masks and the sparsity of each pruned layer.

    Raises
    ------
    ValueError
        When ``target_sparsity``, ``schedule_fraction``, ``epochs`` or ``frequency`` is out
        of range, ``layer_names`` names a layer that is not ``Dense``/``Conv``, or no layer
        is left to prune.
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
    x, y = training.xy_arrays(train)[:2]
    x_val, y_val = training.xy_arrays(val)[:2]
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

    Chapter 7 (Model compression), section "Structured pruning". For a chain of
    ``Dense``/``Conv1D`` layers, such as :func:`nidslib.models.build_cnn` and ``build_dnn``
    build: each layer of ``layer_names`` (default: every such layer but the output) keeps
    the ``keep`` share of its output channels whose kernels have the largest L1 norms (Li et
    al., 2017), and the next weighted layer loses the matching inputs (through ``Flatten``
    too). Unlike magnitude pruning, the result has smaller dense matrices, so it is faster on any
    runtime. Returns a new model, compiled as ``model`` was; fine-tune it afterwards.

    Parameters
    ----------
    model : keras.Model
        A functional model made of a chain of ``Dense``/``Conv1D`` layers, with pooling,
        dropout, activations and ``Flatten`` between them; left unchanged.
    keep : float, default 0.5
        The share of output channels kept in each pruned layer, in (0, 1] (at least one).
    layer_names : sequence of str, optional
        The layers to prune; default every ``Dense``/``Conv1D`` layer but the output.

    Returns
    -------
    keras.Model
        The smaller model, with the kept weights, compiled as ``model`` was.

    Raises
    ------
    ValueError
        When ``keep`` is out of range, ``layer_names`` includes the output layer or a layer
        that is not ``Dense``/``Conv1D``, or channels would have to pass through a layer
        other than pooling, dropout, activation or a ``Flatten`` of (steps, channels).
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
