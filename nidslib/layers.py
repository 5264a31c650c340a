"""Scaling and padding inside a model: the layers every network of the book starts with.

The book's networks take **raw flow features** and scale them themselves, so that a saved
model needs no separate scaler (chapter 3, section "Scaling inside the model"):

1. :class:`SignedLog1p`, ``sign(x) * log(1 + |x|)`` (:func:`nidslib.features.signed_log1p`
   is its NumPy twin, used by chapter 2's pipelines and by
   :func:`nidslib.models.fit_scaling`);
2. a ``keras.layers.Normalization`` whose mean and variance are fixed numbers from the
   training split (:func:`nidslib.models.fit_scaling`).

:func:`scaled_inputs` stacks both on a model's input. Windows of flows are padded at their
start with all-zero raw flows (:func:`nidslib.sequences.make_windows`): the one padding
rule is "a flow whose features are all zero is padding", :func:`nidslib.features.real_flows`
in NumPy and :class:`PaddingMask` (or ``Masking(0.0)``) inside a model.

Example
-------
>>> import numpy as np
>>> from nidslib.features import signed_log1p
>>> window = np.array([[[0.0, 0.0], [3.0, 0.0], [np.e - 1, -1.0]]], dtype="float32")
>>> PaddingMask()(window).numpy().tolist()
[[False, True, True]]
>>> np.allclose(SignedLog1p()(window).numpy(), signed_log1p(window))
True
"""

from __future__ import annotations

import keras
from keras import layers, ops

__all__ = ["PaddingMask", "SignedLog1p", "scaled_inputs"]


@keras.saving.register_keras_serializable(package="nidslib")
class SignedLog1p(layers.Layer):
    """``sign(x) * log(1 + |x|)``, elementwise; passes a mask through.

    Chapter 3 (CNN), section "Scaling inside the model". Written with ``log`` (not
    ``log1p``) so that every export format of chapter 7 has the op. It has no weights:
    raw flow features span ten orders of magnitude, and the log brings them to a few units
    while keeping CICFlowMeter's ``-1`` codes apart from 0.

    Parameters
    ----------
    **kwargs
        Passed to :class:`keras.layers.Layer` (``name``, ``dtype``, ...).
    """

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True

    def call(self, x):
        """Apply ``sign(x) * log(1 + |x|)`` elementwise.

        Parameters
        ----------
        x : tensor
            Raw features, any shape.

        Returns
        -------
        tensor
            Same shape and dtype as ``x``.
        """
        return ops.sign(x) * ops.log(1.0 + ops.abs(x))

    def compute_output_shape(self, input_shape):
        """The output shape: the input's.

        Parameters
        ----------
        input_shape : tuple
            The input's shape.

        Returns
        -------
        tuple
            ``input_shape``, unchanged.
        """
        return input_shape


@keras.saving.register_keras_serializable(package="nidslib")
class PaddingMask(layers.Layer):
    """True for the real flows of a window, False for padding, inside a model.

    The in-model twin of :func:`nidslib.features.real_flows`: a flow whose raw features are
    all zero is padding. Chapter 5 (CNN-LSTM), section "The hybrid". The explicit form of
    ``Masking(0.0)``, for models whose middle layers (convolutions) do not pass a Keras mask
    along: the mask is computed from the raw input and handed to the LSTM directly.

    Parameters
    ----------
    **kwargs
        Passed to :class:`keras.layers.Layer` (``name``, ``dtype``, ...).
    """

    def call(self, x):
        """The mask of real flows.

        Parameters
        ----------
        x : tensor
            (batch, window, features) raw features, padded flows all zero.

        Returns
        -------
        tensor
            (batch, window) bool, True where a flow has a non-zero feature.
        """
        return ops.any(ops.not_equal(x, 0.0), axis=-1)

    def compute_output_shape(self, input_shape):
        """The output shape: the input's without its last (feature) axis.

        Parameters
        ----------
        input_shape : tuple
            (batch, window, features).

        Returns
        -------
        tuple
            (batch, window).
        """
        return input_shape[:-1]


def scaled_inputs(inputs, scaling: dict | None, mask: bool):
    """The scaling layers on a model's raw input: masking, signed log, fixed normalisation.

    Chapter 3 (CNN), section "Scaling inside the model". The masking is optional, the
    signed log (:class:`SignedLog1p`) always there, and the normalisation is a
    ``keras.layers.Normalization`` whose mean and variance are fixed numbers from the
    training split (evaluation rule 3 of the introduction), so that a saved model needs no
    separate scaler.

    Parameters
    ----------
    inputs : keras tensor
        The model's ``keras.Input`` of raw features.
    scaling : dict or None
        ``{"mean": ..., "variance": ...}`` from :func:`nidslib.models.fit_scaling`; ``None``
        skips the normalisation (tests, or inputs scaled beforehand).
    mask : bool
        Start with ``Masking(0.0)`` (layer ``padding_mask``), so that recurrent layers skip
        padded flows.

    Returns
    -------
    keras tensor
        The output of layer ``standardize`` (or ``signed_log`` without ``scaling``).
    """
    x = layers.Masking(0.0, name="padding_mask")(inputs) if mask else inputs
    x = SignedLog1p(name="signed_log")(x)
    if scaling is not None:
        x = layers.Normalization(mean=scaling["mean"], variance=scaling["variance"],
                                 name="standardize")(x)
    return x
