"""The book's Keras models: DNN, 1-D CNN, LSTM and CNN-LSTM, built with the functional API.

Every builder returns a compiled :class:`keras.Model` with a name, its seed paper's
architecture as defaults and every size a parameter. The models take **raw flow features**
and scale them themselves, in two layers at the bottom of the network
(:func:`nidslib.layers.scaled_inputs`):

1. :class:`~nidslib.layers.SignedLog1p`, ``sign(x) * log(1 + |x|)``: flow features span ten orders of
   magnitude (bytes per second up to 1e9, flags 0 or 1) and are heavy-tailed; the log
   brings them to a few units while keeping CICFlowMeter's ``-1`` codes apart from 0;
2. a :class:`keras.layers.Normalization` whose mean and variance are *fixed* numbers
   computed by :func:`fit_scaling` on the **training split only** (BOOK rule 3) and stored
   in the model, so that validation, test and deployed traffic are scaled with training
   statistics and a saved model needs no separate scaler.

Sequence models skip padding: a window padded at its start
(:func:`nidslib.sequences.make_windows`) carries all-zero raw flows there, which no real
flow is. The LSTM starts with ``Masking(0.0)``, whose mask Keras passes along to the LSTMs;
the CNN-LSTM's convolutions cannot pass a mask, so it computes one (:class:`~nidslib.layers.PaddingMask`)
and hands it to its LSTM directly. Binary models (``n_classes=2``) end in
one sigmoid unit (the attack probability), multi-class models in a softmax; both are
compiled with Adam, ``steps_per_execution=32`` (1.5–2x faster on a CPU) and no XLA.
Explained in chapter 3 (CNN) for the DNN and CNN, chapter 4 (LSTM) and chapter 5
(CNN-LSTM).
"""

from __future__ import annotations

from nidslib.features import real_flows, signed_log1p
from nidslib.layers import PaddingMask, scaled_inputs

import keras
import numpy as np
from keras import layers, ops

__all__ = ["build_cnn", "build_cnn_lstm", "build_dnn", "build_lstm", "fit_scaling", "layer_sizes"]


def fit_scaling(x_train) -> dict:
    """Per-feature mean and variance of :func:`signed_log1p` of the *training* features.

    Chapter 3 (CNN), section "Scaling inside the model". ``x_train`` is (flows, features) or
    (windows, length, features); statistics are over every axis but the last, skipping
    all-zero padded flows. Pass the result as ``scaling=`` to any builder; ``None`` there
    skips the normalisation (tests, or inputs scaled beforehand).
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
    return (int(value),) if np.ndim(value) == 0 else tuple(int(v) for v in value)


def build_dnn(n_features: int, n_classes: int, *, units=(128, 64), dropout: float = 0.2,
              scaling: dict | None = None, learning_rate: float = 1e-3,
              steps_per_execution: int = 32, name: str = "dnn") -> keras.Model:
    """A fully connected network (MLP) on single flows: the deep baseline.

    Chapter 3 (CNN), section "Two baselines". ``units`` gives one ReLU ``Dense`` layer per
    entry, each followed by ``Dropout(dropout)``. Input: (batch, ``n_features``) raw
    features.
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
    CICFlowMeter's CSV header and nothing more (the chapter measures that). Input:
    (batch, ``n_features``) raw features.
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
    """A stacked LSTM across the flows of a window (seed: LSTM 64 -> 32, dropout 0.2).

    Chapter 4 (LSTM), section "The LSTM". One ``LSTM`` layer per entry of ``units`` (all
    but the last return sequences), each followed by ``Dropout(dropout)``, then the output.
    Input: (batch, ``window``, ``n_features``) raw features of consecutive flows
    (:func:`nidslib.sequences.make_windows`); ``window=None`` accepts any length.
    ``mask=True`` skips all-zero (padded) flows.
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
    flows are skipped by the LSTMs (:class:`PaddingMask`).
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
