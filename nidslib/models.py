"""The book's Keras models: DNN, 1-D CNN, LSTM and CNN-LSTM, built with the functional API.

Every builder returns a compiled :class:`keras.Model` with a name, as defaults the
architecture its chapter teaches (the common shape of the published models of its kind), and
every size a parameter. The models take **raw flow features** and scale them themselves, in two layers at
the bottom of the network (:func:`nidslib.layers.scaled_inputs`):

1. :class:`~nidslib.layers.SignedLog1p`, ``sign(x) * log(1 + |x|)``: flow features span ten
   orders of magnitude (bytes per second up to 1e9, flags 0 or 1) and are heavy-tailed; the
   log brings them to a few units while keeping CICFlowMeter's ``-1`` codes apart from 0;
2. a :class:`keras.layers.Normalization` whose mean and variance are *fixed* numbers
   computed by :func:`fit_scaling` on the **training split only** (evaluation rule 3 of the
   introduction) and stored in the model, so that validation, test and deployed traffic are
   scaled with training statistics and a saved model needs no separate scaler.

Sequence models skip padding: a window padded at its start
(:func:`nidslib.sequences.make_windows`) carries all-zero raw flows there, which no real
flow is. The LSTM starts with ``Masking(0.0)``, whose mask Keras passes along to the LSTMs;
the CNN-LSTM's convolutions cannot pass a mask, so it computes one
(:class:`~nidslib.layers.PaddingMask`) and hands it to its LSTM directly. Binary models
(``n_classes=2``) end in one sigmoid unit (the attack probability), multi-class models in a
softmax; both are compiled with Adam, ``steps_per_execution=32`` (1.5–2x faster on a CPU)
and no XLA. Explained in chapter 3 (CNN) for the DNN and CNN, chapter 4 (LSTM) and chapter
5 (CNN-LSTM).

Example
-------
No training: build a small CNN with the scaling fitted on 200 random training flows.

>>> import numpy as np
>>> x_train = np.random.default_rng(0).lognormal(size=(200, 6)).astype("float32")
>>> scaling = fit_scaling(x_train)
>>> len(scaling["mean"]), len(scaling["variance"])
(6, 6)
>>> model = build_cnn(6, 3, filters=(4,), dense_units=8, scaling=scaling)
>>> [layer.name for layer in model.layers]  # doctest: +NORMALIZE_WHITESPACE
['flow', 'signed_log', 'standardize', 'as_signal', 'conv_1', 'pool_1', 'flatten', 'dense',
 'dropout', 'class_probabilities']
>>> tuple(model(x_train[:5]).shape)
(5, 3)
>>> build_lstm(10, 6, 2, units=(8,)).output_shape  # binary: one attack probability
(None, 1)
"""

from __future__ import annotations

from nidslib.features import real_flows, signed_log1p
from nidslib.layers import PaddingMask, scaled_inputs

import keras
import numpy as np
from keras import layers

__all__ = ["build_cnn", "build_cnn_lstm", "build_dnn", "build_lstm", "fit_scaling", "layer_sizes"]


def fit_scaling(x_train) -> dict:
    """Per-feature mean and variance of :func:`signed_log1p` of the *training* features.

    Chapter 3 (CNN), section "Scaling inside the model". Statistics are over every axis but
    the last, skipping all-zero padded flows. Pass the result as ``scaling=`` to any
    builder; ``None`` there skips the normalisation (tests, or inputs scaled beforehand).
    Fitted on the training split only (evaluation rule 3 of the introduction).

    Parameters
    ----------
    x_train : array-like
        Raw training features, (flows, features) or (windows, length, features).

    Returns
    -------
    dict
        ``{"mean": [...], "variance": [...]}``, one float32 value per feature as plain
        lists; a constant feature gets variance 1, so it is scaled to 0.

    Raises
    ------
    ValueError
        If every flow of ``x_train`` is all zero (padding), or there is none.
    """
    x = np.asarray(x_train, dtype=np.float32)
    flows = x.reshape(-1, x.shape[-1])
    flows = flows[real_flows(flows)]
    if not len(flows):
        raise ValueError("x_train holds no flow that is not padding")
    logged = signed_log1p(flows.astype(np.float64))
    variance = logged.var(axis=0)
    return {"mean": logged.mean(axis=0).astype(np.float32).tolist(),
            # a constant feature gets variance 1, so it maps to 0 instead of dividing by 0
            "variance": np.where(variance > 1e-12, variance, 1.0).astype(np.float32).tolist()}


def _head(x, n_classes: int):
    if n_classes < 2:
        raise ValueError(f"n_classes must be at least 2, got {n_classes}")
    if n_classes == 2:
        return layers.Dense(1, activation="sigmoid", name="attack_probability")(x)
    return layers.Dense(n_classes, activation="softmax", name="class_probabilities")(x)


def _compiled(inputs, outputs, name: str, n_classes: int, learning_rate: float,
              steps_per_execution: int) -> keras.Model:
    model = keras.Model(inputs, outputs, name=name)
    loss = "binary_crossentropy" if n_classes == 2 else "sparse_categorical_crossentropy"
    model.compile(optimizer=keras.optimizers.Adam(learning_rate), loss=loss,
                  metrics=["accuracy"], steps_per_execution=steps_per_execution,
                  jit_compile=False)
    return model


def layer_sizes(value) -> tuple[int, ...]:
    """A layer-size argument as a tuple of ints: ``64`` -> ``(64,)``, ``[64, 32]`` -> ``(64, 32)``.

    Lets every builder take one size or a list of sizes (``units``, ``filters``).

    Parameters
    ----------
    value : int or sequence of int
        One size, or one size per layer.

    Returns
    -------
    tuple of int
        One size per layer.
    """
    return (int(value),) if np.ndim(value) == 0 else tuple(int(v) for v in value)


def build_dnn(n_features: int, n_classes: int, *, units=(128, 64), dropout: float = 0.2,
              scaling: dict | None = None, learning_rate: float = 1e-3,
              steps_per_execution: int = 32, name: str = "dnn") -> keras.Model:
    """A fully connected network (MLP) on single flows: the deep baseline.

    Chapter 3 (CNN), section "Two baselines, and a decision about rebalancing". ``units``
    gives one ReLU ``Dense`` layer per entry, each followed by ``Dropout(dropout)``. Input:
    (batch, ``n_features``) raw features.

    Parameters
    ----------
    n_features : int
        Features per flow.
    n_classes : int
        2 for a binary model (one sigmoid unit, the attack probability), more for a softmax
        over the classes.
    units : int or sequence of int, default (128, 64)
        Width of each hidden ``Dense`` layer.
    dropout : float, default 0.2
        Dropout rate after each hidden layer.
    scaling : dict or None, default None
        :func:`fit_scaling` of the training features; ``None`` skips the normalisation.
    learning_rate : float, default 1e-3
        Adam's learning rate.
    steps_per_execution : int, default 32
        Batches per compiled call (fast small batches on a CPU).
    name : str, default "dnn"
        The model's name.

    Returns
    -------
    keras.Model
        Compiled with Adam, binary or sparse categorical cross-entropy, and accuracy.

    Raises
    ------
    ValueError
        If ``n_classes`` is below 2.
    """
    inputs = keras.Input((n_features,), name="flow")
    x = scaled_inputs(inputs, scaling, mask=False)
    for i, width in enumerate(layer_sizes(units), 1):
        x = layers.Dense(width, activation="relu", name=f"dense_{i}")(x)
        x = layers.Dropout(dropout, name=f"dropout_{i}")(x)
    return _compiled(inputs, _head(x, n_classes), name, n_classes, learning_rate,
                     steps_per_execution)


def _conv_stack(x, filters, kernel_size: int, pool_size: int, prefix: str = ""):
    """Conv1D (ReLU, 'same' padding) + max-pooling per entry of ``filters``."""
    for i, width in enumerate(layer_sizes(filters), 1):
        x = layers.Conv1D(width, kernel_size, padding="same", activation="relu",
                          name=f"{prefix}conv_{i}")(x)
        x = layers.MaxPooling1D(pool_size, padding="same", name=f"{prefix}pool_{i}")(x)
    return x


def build_cnn(n_features: int, n_classes: int, *, filters=(16, 32), kernel_size: int = 3,
              pool_size: int = 2, dense_units: int = 64, dropout: float = 0.2,
              scaling: dict | None = None, learning_rate: float = 1e-3,
              steps_per_execution: int = 32, name: str = "cnn") -> keras.Model:
    """A 1-D CNN over one flow's feature vector, read as a signal of ``n_features`` steps.

    Chapter 3 (CNN), section "A convolution over a feature vector". Per entry of
    ``filters``: ``Conv1D(filters, kernel_size, padding="same")`` + ReLU, then
    ``MaxPooling1D(pool_size)``; then ``Flatten``, ``Dense(dense_units)`` + ReLU,
    ``Dropout(dropout)`` and the output. A kernel sees ``kernel_size`` *neighbouring
    columns*, so what it can learn depends on the column order, which is the order of
    CICFlowMeter's CSV header and nothing more (chapter 3 (CNN), section "Does the column
    order matter?", measures that). Input: (batch, ``n_features``) raw features.

    Parameters
    ----------
    n_features : int
        Features per flow (the length of the signal).
    n_classes : int
        2 for a binary model (one sigmoid unit, the attack probability), more for a softmax
        over the classes.
    filters : int or sequence of int, default (16, 32)
        Kernels of each ``Conv1D`` layer.
    kernel_size : int, default 3
        Width of each kernel, in neighbouring columns.
    pool_size : int, default 2
        Window of each ``MaxPooling1D``.
    dense_units : int, default 64
        Width of the dense layer after ``Flatten``.
    dropout : float, default 0.2
        Dropout rate after the dense layer.
    scaling : dict or None, default None
        :func:`fit_scaling` of the training features; ``None`` skips the normalisation.
    learning_rate : float, default 1e-3
        Adam's learning rate.
    steps_per_execution : int, default 32
        Batches per compiled call (fast small batches on a CPU).
    name : str, default "cnn"
        The model's name.

    Returns
    -------
    keras.Model
        Compiled with Adam, binary or sparse categorical cross-entropy, and accuracy.

    Raises
    ------
    ValueError
        If ``n_classes`` is below 2.
    """
    inputs = keras.Input((n_features,), name="flow")
    x = scaled_inputs(inputs, scaling, mask=False)
    x = layers.Reshape((n_features, 1), name="as_signal")(x)
    x = _conv_stack(x, filters, kernel_size, pool_size)
    x = layers.Flatten(name="flatten")(x)
    x = layers.Dense(dense_units, activation="relu", name="dense")(x)
    x = layers.Dropout(dropout, name="dropout")(x)
    return _compiled(inputs, _head(x, n_classes), name, n_classes, learning_rate,
                     steps_per_execution)


def _recurrent(x, units, dropout: float, mask=None):
    """Stacked LSTMs; ``mask`` (batch, steps) is given to each explicitly when the layers
    in front cannot carry a Keras mask (the CNN-LSTM's convolutions)."""
    sizes = layer_sizes(units)
    for i, width in enumerate(sizes, 1):
        last = i == len(sizes)
        lstm = layers.LSTM(width, return_sequences=not last, name=f"lstm_{i}")
        x = lstm(x) if mask is None else lstm(x, mask=mask)
        x = layers.Dropout(dropout, name=f"lstm_dropout_{i}")(x)
    return x


def build_lstm(window: int, n_features: int, n_classes: int, *, units=(64, 32),
               dropout: float = 0.2, mask: bool = True, scaling: dict | None = None,
               learning_rate: float = 1e-3, steps_per_execution: int = 32,
               name: str = "lstm") -> keras.Model:
    """A stacked LSTM across the flows of a window.

    Chapter 4 (LSTM), section "The LSTM". The defaults (LSTM 64 -> LSTM 32, dropout 0.2)
    are the architecture chapter 4 teaches. One ``LSTM``
    layer per entry of ``units`` (all but the last return sequences), each followed by
    ``Dropout(dropout)``, then the output. Input: (batch, ``window``, ``n_features``) raw
    features of consecutive flows (:func:`nidslib.sequences.make_windows`).

    Parameters
    ----------
    window : int or None
        Flows per window; ``None`` accepts any length.
    n_features : int
        Features per flow.
    n_classes : int
        2 for a binary model (one sigmoid unit, the attack probability), more for a softmax
        over the classes.
    units : int or sequence of int, default (64, 32)
        Units of each ``LSTM`` layer.
    dropout : float, default 0.2
        Dropout rate after each LSTM.
    mask : bool, default True
        Start with ``Masking(0.0)``, so that the LSTMs skip all-zero (padded) flows.
    scaling : dict or None, default None
        :func:`fit_scaling` of the training features; ``None`` skips the normalisation.
    learning_rate : float, default 1e-3
        Adam's learning rate.
    steps_per_execution : int, default 32
        Batches per compiled call (fast small batches on a CPU).
    name : str, default "lstm"
        The model's name.

    Returns
    -------
    keras.Model
        Compiled with Adam, binary or sparse categorical cross-entropy, and accuracy.

    Raises
    ------
    ValueError
        If ``n_classes`` is below 2.
    """
    inputs = keras.Input((window, n_features), name="window")
    x = scaled_inputs(inputs, scaling, mask=mask)
    x = _recurrent(x, units, dropout)
    return _compiled(inputs, _head(x, n_classes), name, n_classes, learning_rate,
                     steps_per_execution)


def build_cnn_lstm(window: int, n_features: int, n_classes: int, *, filters=(16, 32),
                   kernel_size: int = 3, pool_size: int = 2, units=(64,),
                   dropout: float = 0.2, mask: bool = True, scaling: dict | None = None,
                   learning_rate: float = 1e-3, steps_per_execution: int = 32,
                   name: str = "cnn_lstm") -> keras.Model:
    """The DL-IDS design: a CNN reads each flow, an LSTM reads the flows of a window.

    Chapter 5 (CNN-LSTM), section "The hybrid". A convolution stack like
    :func:`build_cnn`'s (``filters``, ``kernel_size``, ``pool_size``) runs along the
    features of every flow of the window with the same weights, and ends in a max-pooling
    over the features: one vector of ``filters[-1]`` numbers per flow (the "spatial"
    features). Then one ``LSTM`` per entry of ``units`` runs across the flows (the
    "temporal" features), each followed by ``Dropout(dropout)``, and the output. The
    per-flow convolutions are ``Conv2D`` layers with ``(1, kernel_size)`` kernels over the
    (flows, features) grid: the same computation as ``TimeDistributed(Conv1D)``, in one
    operation instead of Keras's loop over the window (about twice as fast on a CPU). Input:
    (batch, ``window``, ``n_features``) raw features; with ``mask=True`` all-zero (padded)
    flows are skipped by the LSTMs (:class:`~nidslib.layers.PaddingMask`).

    Parameters
    ----------
    window : int or None
        Flows per window; ``None`` accepts any length.
    n_features : int
        Features per flow.
    n_classes : int
        2 for a binary model (one sigmoid unit, the attack probability), more for a softmax
        over the classes.
    filters : int or sequence of int, default (16, 32)
        Kernels of each per-flow convolution.
    kernel_size : int, default 3
        Width of each kernel, in neighbouring features.
    pool_size : int, default 2
        Max-pooling window between convolutions (the last is pooled over all features).
    units : int or sequence of int, default (64,)
        Units of each ``LSTM`` layer across the flows.
    dropout : float, default 0.2
        Dropout rate after each LSTM.
    mask : bool, default True
        Compute a :class:`~nidslib.layers.PaddingMask` from the raw input and give it to the
        LSTMs, so that they skip padded flows.
    scaling : dict or None, default None
        :func:`fit_scaling` of the training features; ``None`` skips the normalisation.
    learning_rate : float, default 1e-3
        Adam's learning rate.
    steps_per_execution : int, default 32
        Batches per compiled call (fast small batches on a CPU).
    name : str, default "cnn_lstm"
        The model's name.

    Returns
    -------
    keras.Model
        Compiled with Adam, binary or sparse categorical cross-entropy, and accuracy.

    Raises
    ------
    ValueError
        If ``n_classes`` is below 2.
    """
    inputs = keras.Input((window, n_features), name="window")
    padding = PaddingMask(name="padding_mask")(inputs) if mask else None
    x = scaled_inputs(inputs, scaling, mask=False)
    x = layers.Reshape((-1, n_features, 1), name="as_signals")(x)
    sizes = layer_sizes(filters)
    for i, width in enumerate(sizes, 1):
        x = layers.Conv2D(width, (1, kernel_size), padding="same", activation="relu",
                          name=f"conv_{i}")(x)
        if i < len(sizes):
            x = layers.MaxPooling2D((1, pool_size), padding="same", name=f"pool_{i}")(x)
    x = layers.MaxPooling2D((1, x.shape[2]), name="flow_features")(x)
    x = layers.Reshape((-1, sizes[-1]), name="one_vector_per_flow")(x)
    x = _recurrent(x, units, dropout, mask=padding)
    return _compiled(inputs, _head(x, n_classes), name, n_classes, learning_rate,
                     steps_per_execution)
