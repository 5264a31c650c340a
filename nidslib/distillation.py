"""Knowledge distillation: a small student learns from a large teacher's softened scores.

Chapter 7 (Model compression), section "Distillation". It uses Keras' own
``keras.distillation.Distiller`` on the *logits* of the book's softmax models: the student
matches the teacher's scores softened by a temperature, and the true labels with weight
``alpha`` (:func:`distill`). Chapter 8 (reality check) distils its CNN the same way.

Example
-------
A teacher's logits are a view on its softmax head, sharing its weights: a one-unit sigmoid
model has none, and is refused.

>>> from nidslib import models
>>> teacher, binary = models.build_dnn(8, 3, units=(16,)), models.build_dnn(8, 2, units=(4,))
>>> distill(teacher, binary, ([], []), ([], []))  # doctest: +ELLIPSIS
Traceback (most recent call last):
    ...
ValueError: student 'dnn' must end in a Dense softmax layer ...
"""

from __future__ import annotations

from nidslib import training

import keras
from keras import layers, ops

__all__ = ["distill"]


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

    Chapter 7 (Model compression), section "Distillation". Both are the book's softmax
    classifiers (e.g. :func:`nidslib.models.build_cnn` and ``build_dnn`` with
    ``n_classes >= 3``) on the same input; ``train`` and ``val`` are ``(x, y)`` with integer
    labels. The loss is
    ``alpha * CE(y, student) + (1 - alpha) * T^2 * KL(softmax(z_t / T) || softmax(z_s / T))``
    (Hinton et al., 2015), through ``keras.distillation.Distiller`` with
    ``LogitsDistillation(temperature, loss=KLDivergence())`` (with its default loss the
    student stayed at chance on the book's models).

    The softmax→logits issue: a temperature divides *logits*, and the book's models output
    probabilities. Each model is wrapped in a view that ends in its head's matrix product
    without the softmax, sharing all weights, so the student's own layers are trained and
    afterwards it predicts probabilities as before (:func:`training.predict_scores` works).
    Early stopping on the validation loss (of the same objective) restores the best epoch.
    The teacher is left unchanged.

    Parameters
    ----------
    teacher : keras.Model
        The trained model to imitate, ending in a ``Dense`` softmax layer.
    student : keras.Model
        The model to train in place, ending in a ``Dense`` softmax layer, on the same input.
    train, val : tuple
        ``(x, y)`` training and validation data, integer labels.
    temperature : float, default 4.0
        ``T``, which softens both models' probabilities; positive.
    alpha : float, default 0.1
        The weight of the student's own loss on the labels, in [0, 1].
    epochs : int, default 20
        The most epochs to train.
    patience : int, default 5
        Epochs without a better validation loss before training stops.
    batch_size : int, default 512
        The batch size.
    learning_rate : float, default 1e-3
        Adam's learning rate.
    verbose : int, default 0
        Keras's ``fit`` verbosity.

    Returns
    -------
    nidslib.training.TrainingRun
        The per-epoch logs of the distillation and the epoch restored.

    Raises
    ------
    ValueError
        When ``temperature`` is not positive, ``alpha`` is outside [0, 1], or either model
        does not end in a ``Dense`` softmax layer.
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
        x, y = training.xy_arrays(train)[:2]
        return training.fit(distiller, (x, y), training.xy_arrays(val)[:2], epochs=epochs,
                            patience=patience, batch_size=batch_size, verbose=verbose)
    finally:  # the Distiller froze the teacher
        teacher.trainable = True
        for layer in teacher.layers:
            layer.trainable = trainable[id(layer)]
