"""Anomaly detection with an LSTM autoencoder: the model, its masked training, its scores.

Chapter 6 (LSTM autoencoder). The autoencoder learns to reconstruct windows of **benign**
flows only (no attack labels are needed to train it); a window it reconstructs badly is an
anomaly. Its anomaly score is the reconstruction error, computed on the model's own
*scaled* input: the model scales raw features with the same two layers as every model of
:mod:`nidslib.models` (``SignedLog1p`` and a ``Normalization`` fixed by
:func:`nidslib.models.fit_scaling`), and reconstructs what those layers output, so one
scaling defines both the network's input and its target.

Padding: a window padded at its start (:func:`nidslib.sequences.make_windows`) holds
all-zero raw flows. The encoder skips them (``Masking``), training gives them zero weight
and every error is a mean over the window's real flows only.

How a score becomes an alert (thresholds, the two-stage detector) is :mod:`nidslib.detection`.

Example
-------
An untrained autoencoder's scores have one value per window.

>>> import numpy as np
>>> windows = np.random.default_rng(0).lognormal(size=(40, 5, 3)).astype("float32")
>>> windows[0, :2] = 0.0                                   # two padded flows
>>> model = build_lstm_autoencoder(5, 3, units=(4, 2))
>>> [layer.name for layer in model.layers]  # doctest: +NORMALIZE_WHITESPACE
['window', 'padding_mask', 'signed_log', 'encoder_1', 'encoder_dropout_1', 'repeat_code',
 'decoder_1', 'decoder_dropout_1', 'reconstruction']
>>> scores = anomaly_scores(model, windows)
>>> scores.shape, bool((scores >= 0).all())
((40,), True)
"""

from __future__ import annotations

from nidslib import training
from nidslib.features import real_flows
from nidslib.layers import scaled_inputs
from nidslib.models import layer_sizes

import keras
import numpy as np
import tensorflow as tf
from keras import layers

__all__ = ["ERROR_KINDS", "anomaly_scores", "build_lstm_autoencoder", "feature_errors",
           "fit_autoencoder", "flow_errors", "reconstruction_targets"]

ERROR_KINDS = ("mae", "mse")


def build_lstm_autoencoder(window: int, n_features: int, *, units=(64, 32),
                           dropout: float = 0.0, scaling: dict | None = None,
                           mask: bool = True, learning_rate: float = 1e-3,
                           steps_per_execution: int = 32,
                           name: str = "lstm_autoencoder") -> keras.Model:
    """An LSTM autoencoder over windows of flows, compiled with MSE loss and Adam.

    Chapter 6 (LSTM autoencoder), section "The autoencoder". The defaults (LSTM 64 ->
    RepeatVector -> LSTM 32 -> TimeDistributed Dense, MSE loss, Adam) are the architecture
    chapter 6 teaches. Input: (batch, ``window``,
    ``n_features``) raw features, scaled inside (:func:`nidslib.models.fit_scaling` gives
    ``scaling``); output: the reconstruction of the *scaled* window, same shape. ``units``
    lists the LSTM sizes, the first half (rounded up) in the encoder, the rest in the
    decoder: the last encoder LSTM returns one vector per window (the code), which
    ``RepeatVector`` copies to every step for the decoder LSTMs; a ``TimeDistributed``
    ``Dense`` maps each step back to ``n_features``. ``Dropout(dropout)`` follows each
    LSTM. ``window=1`` works: a single record is a window of one (chapter 8).

    Parameters
    ----------
    window : int
        Flows per window.
    n_features : int
        Features per flow.
    units : int or sequence of int, default (64, 32)
        LSTM sizes: the first half (rounded up) encode, the rest decode.
    dropout : float, default 0.0
        Dropout rate after each LSTM, in [0, 1).
    scaling : dict or None, default None
        :func:`nidslib.models.fit_scaling` of the benign training windows; ``None`` skips
        the normalisation (then the target is the signed log of the input).
    mask : bool, default True
        Let the encoder skip all-zero (padded) flows.
    learning_rate : float, default 1e-3
        Adam's learning rate.
    steps_per_execution : int, default 32
        Batches per compiled call.
    name : str, default "lstm_autoencoder"
        The model's name.

    Returns
    -------
    keras.Model
        Compiled; its output has the input's shape.

    Raises
    ------
    ValueError
        If ``units`` is empty or holds a size below 1, ``window`` or ``n_features`` is
        below 1, or ``dropout`` is not in [0, 1).
    """
    sizes = layer_sizes(units)
    if not sizes or min(sizes) < 1:
        raise ValueError(f"units must be one or more positive sizes, got {units!r}")
    if int(window) < 1 or int(n_features) < 1:
        raise ValueError(f"window and n_features must be at least 1, got {window}, "
                         f"{n_features}")
    if not 0.0 <= dropout < 1.0:
        raise ValueError(f"dropout must be in [0, 1), got {dropout}")
    n_encoder = (len(sizes) + 1) // 2
    inputs = keras.Input((window, n_features), name="window")
    x = scaled_inputs(inputs, scaling, mask=mask)
    for i, width in enumerate(sizes[:n_encoder], 1):
        x = layers.LSTM(width, return_sequences=i < n_encoder, name=f"encoder_{i}")(x)
        x = layers.Dropout(dropout, name=f"encoder_dropout_{i}")(x)
    x = layers.RepeatVector(window, name="repeat_code")(x)
    for i, width in enumerate(sizes[n_encoder:], 1):
        x = layers.LSTM(width, return_sequences=True, name=f"decoder_{i}")(x)
        x = layers.Dropout(dropout, name=f"decoder_dropout_{i}")(x)
    outputs = layers.TimeDistributed(layers.Dense(n_features), name="reconstruction")(x)
    model = keras.Model(inputs, outputs, name=name)
    model.compile(optimizer=keras.optimizers.Adam(learning_rate), loss="mse",
                  steps_per_execution=steps_per_execution, jit_compile=False)
    return model


def _target_layer(model: keras.Model) -> str:
    names = {layer.name for layer in model.layers}
    for name in ("standardize", "signed_log"):  # the last layer of layers.scaled_inputs
        if name in names:
            return name
    raise ValueError(f"model {model.name!r} has no scaling layer ('standardize' or "
                     "'signed_log'): build it with build_lstm_autoencoder")


def _as_windows(model: keras.Model, x, argument: str = "x") -> np.ndarray:
    x = np.asarray(x, dtype=np.float32)
    expected = tuple(model.input_shape[1:])
    if x.ndim != 3 or any(e is not None and e != s for e, s in zip(expected, x.shape[1:])):
        raise ValueError(f"{argument} must be windows of shape (n, {expected[0]}, "
                         f"{expected[1]}) for model {model.name!r}, got {x.shape}")
    return x


def _check_mask(mask, x: np.ndarray) -> np.ndarray:
    if mask is None:
        return real_flows(x)
    mask = np.asarray(mask, dtype=bool)
    if mask.shape != x.shape[:2]:
        raise ValueError(f"mask must have shape {x.shape[:2]} (windows, length), got "
                         f"{mask.shape}")
    return mask


def _functions(model: keras.Model):
    """``x -> scaled x`` (the targets) and ``x -> (scaled x, reconstruction)``, traced once
    and cached on the model (set past Keras's attribute tracking, like training's)."""
    cached = getattr(model, "_nidslib_anomaly", None)
    if cached is None:
        scaled = model.get_layer(_target_layer(model)).output
        both = keras.Model(model.inputs, [scaled, model.outputs[0]])
        spec = tf.TensorSpec((None, *model.input_shape[1:]), tf.float32)
        targets = tf.function(lambda x: both(x, training=False)[0], input_signature=[spec])
        pair = tf.function(lambda x: both(x, training=False), input_signature=[spec])
        cached = (targets, pair)
        object.__setattr__(model, "_nidslib_anomaly", cached)
    return cached


def reconstruction_targets(model: keras.Model, x, batch_size: int = 4096) -> np.ndarray:
    """What the autoencoder must output for ``x``: its own scaling layers' output.

    Chapter 6 (LSTM autoencoder), section "Training on benign windows".

    Parameters
    ----------
    model : keras.Model
        An autoencoder of :func:`build_lstm_autoencoder`.
    x : array-like
        (windows, length, features) raw features.
    batch_size : int, default 4096
        Windows per call.

    Returns
    -------
    numpy.ndarray
        float32, the shape of ``x``: the output of layer ``standardize`` (or
        ``signed_log`` in a model built without ``scaling``).

    Raises
    ------
    ValueError
        If ``x`` is not windows of the model's input shape, or the model has no scaling
        layer.
    """
    x = _as_windows(model, x)
    targets, _ = _functions(model)
    parts = [t.numpy() for t in training.in_batches(targets, x, batch_size)]
    return np.concatenate(parts) if parts else np.zeros(x.shape, np.float32)


def fit_autoencoder(model: keras.Model, x_train, x_val, *, epochs: int = 50,
                    patience: int = 10, batch_size: int = 256,
                    verbose: int = 0) -> training.TrainingRun:
    """Train ``model`` to reconstruct benign windows, early-stopped on the validation loss.

    ``x_train`` (benign windows) is reconstructed, the reconstruction loss of ``x_val``
    decides when to stop, and :func:`nidslib.training.fit`'s run is returned. Chapter 6
    (LSTM autoencoder), section "Training on benign windows". The targets are the model's
    scaled inputs (:func:`reconstruction_targets`); padded flows get a sample
    weight of 0, so the loss is the MSE over real flows only. Validation windows should be
    benign too: the loss monitored is how well *normal* traffic is reconstructed.

    Parameters
    ----------
    model : keras.Model
        An autoencoder of :func:`build_lstm_autoencoder`; trained in place.
    x_train, x_val : array-like
        (windows, length, features) raw features of benign training and validation windows.
    epochs : int, default 50
        The most epochs to train.
    patience : int, default 10
        Epochs without improvement of the validation loss before stopping.
    batch_size : int, default 256
        Windows per gradient step.
    verbose : int, default 0
        Keras's verbosity.

    Returns
    -------
    nidslib.training.TrainingRun
        The run; the model holds the weights of its best epoch.

    Raises
    ------
    ValueError
        If ``x_train`` or ``x_val`` is not windows of the model's input shape or holds no
        window, or the model has no scaling layer.
    """
    x_train = _as_windows(model, x_train, "x_train")
    x_val = _as_windows(model, x_val, "x_val")
    if not len(x_train) or not len(x_val):
        raise ValueError(f"x_train and x_val must hold windows, got {len(x_train)} and "
                         f"{len(x_val)}")
    train = (x_train, reconstruction_targets(model, x_train),
             real_flows(x_train).astype(np.float32))
    val = (x_val, reconstruction_targets(model, x_val), real_flows(x_val).astype(np.float32))
    return training.fit(model, train, val, epochs=epochs, patience=patience,
                        batch_size=batch_size, verbose=verbose)


def _check_kind(kind: str) -> None:
    if kind not in ERROR_KINDS:
        raise ValueError(f"kind must be one of {ERROR_KINDS}, not {kind!r}")


def feature_errors(model: keras.Model, x, mask=None, kind: str = "mae",
                   batch_size: int = 4096) -> np.ndarray:
    """Per-window, per-feature reconstruction error: (windows, features).

    Chapter 6 (LSTM autoencoder), section "Which features give an attack away". The
    absolute (``kind="mae"``) or squared (``"mse"``) difference between the scaled window
    and its reconstruction, averaged over the window's real flows; ``mask`` (windows,
    length) marks them, default: every flow that is not all zeros
    (:func:`nidslib.features.real_flows`). Errors are in units of the training standard
    deviation of each (log-scaled) feature.

    Parameters
    ----------
    model : keras.Model
        An autoencoder of :func:`build_lstm_autoencoder`.
    x : array-like
        (windows, length, features) raw features.
    mask : array-like or None, default None
        (windows, length) bool, True for real flows; ``None``: every flow that is not all
        zeros.
    kind : {"mae", "mse"}, default "mae"
        Absolute or squared error.
    batch_size : int, default 4096
        Windows per call.

    Returns
    -------
    numpy.ndarray
        float64, (windows, features); a window with no real flow scores 0.

    Raises
    ------
    ValueError
        If ``kind`` is not one of :data:`ERROR_KINDS`, ``x`` is not windows of the model's
        input shape, ``mask`` has another shape than (windows, length), or the model has
        no scaling layer.
    """
    _check_kind(kind)
    x = _as_windows(model, x)
    mask = _check_mask(mask, x)
    out = np.zeros((len(x), x.shape[-1]), np.float64)
    for start, diff in _errors(model, x, kind, batch_size):
        weight = mask[start:start + len(diff)].astype(np.float64)
        # a window with no real flow (never made by make_windows) scores 0, not NaN
        out[start:start + len(diff)] = ((diff * weight[..., None]).sum(axis=1)
                                        / np.maximum(weight.sum(axis=1), 1.0)[:, None])
    return out


def _errors(model: keras.Model, x: np.ndarray, kind: str, batch_size: int):
    """(first window, errors) per batch: the absolute or squared difference between each
    flow's scaled features and their reconstruction, (windows, length, features)."""
    _, pair = _functions(model)
    for start, (target, recon) in zip(range(0, len(x), batch_size),
                                      training.in_batches(pair, x, batch_size)):
        diff = recon.numpy().astype(np.float64) - target.numpy()
        yield start, np.abs(diff) if kind == "mae" else diff * diff


def flow_errors(model: keras.Model, x, kind: str = "mae", batch_size: int = 4096) -> np.ndarray:
    """Per-window, per-flow reconstruction error: (windows, length).

    The mean over features of each flow's absolute (``kind="mae"``) or squared (``"mse"``)
    difference between its scaled features and their reconstruction; padded flows get a
    value too, so mask them before use. Chapter 6 (LSTM autoencoder), section "At the same
    false-alarm rate", scores a window by its last flow or its worst flow with it; the
    masked mean over flows equals :func:`anomaly_scores`.

    Parameters
    ----------
    model : keras.Model
        An autoencoder of :func:`build_lstm_autoencoder`.
    x : array-like
        (windows, length, features) raw features.
    kind : {"mae", "mse"}, default "mae"
        Absolute or squared error.
    batch_size : int, default 4096
        Windows per call.

    Returns
    -------
    numpy.ndarray
        float64, (windows, length).

    Raises
    ------
    ValueError
        As :func:`feature_errors`.
    """
    _check_kind(kind)
    x = _as_windows(model, x)
    out = np.zeros(x.shape[:2], np.float64)
    for start, diff in _errors(model, x, kind, batch_size):
        out[start:start + len(diff)] = diff.mean(axis=2)
    return out


def anomaly_scores(model: keras.Model, x, mask=None, kind: str = "mae",
                   batch_size: int = 4096) -> np.ndarray:
    """One anomaly score per window: the mean of :func:`feature_errors` over features.

    Chapter 6 (LSTM autoencoder), section "Scores". Never negative; 0 is a perfect
    reconstruction.

    Parameters
    ----------
    model : keras.Model
        An autoencoder of :func:`build_lstm_autoencoder`.
    x : array-like
        (windows, length, features) raw features.
    mask : array-like or None, default None
        (windows, length) bool, True for real flows; ``None``: every flow that is not all
        zeros.
    kind : {"mae", "mse"}, default "mae"
        Absolute or squared error.
    batch_size : int, default 4096
        Windows per call.

    Returns
    -------
    numpy.ndarray
        float64, one score per window.

    Raises
    ------
    ValueError
        As :func:`feature_errors`.
    """
    return feature_errors(model, x, mask, kind, batch_size).mean(axis=1)
