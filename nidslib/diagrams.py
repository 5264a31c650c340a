"""Figures of ideas: a model's layers as a diagram, and windows of flows with their labels.

Drawn from the objects the chapters build, so a diagram cannot drift from the code: a
Keras model's own layers, output shapes and settings (:func:`plot_architecture`, chapters 3
to 6), and a run of flows cut into windows (:func:`plot_windows`, chapter 4 (LSTM), section
"From flows to windows").

Example
-------
>>> import matplotlib
>>> matplotlib.use("Agg")
>>> import keras
>>> inputs = keras.Input((8,), name="flow")
>>> outputs = keras.layers.Dense(3, activation="softmax", name="class_probabilities")(inputs)
>>> ax = plot_architecture(keras.Model(inputs, outputs, name="tiny"))
>>> [t.get_text() for t in ax.texts][:4]
['Input  flow', '(8)', 'Dense 3, softmax  class_probabilities', '(3)']
>>> plt.close("all")
"""

from __future__ import annotations

import numpy as np
from matplotlib import pyplot as plt
from matplotlib.patches import FancyBboxPatch, Patch, Rectangle

__all__ = ["plot_architecture", "plot_windows"]

#: Layers that scale or mask the raw input inside the model (chapter 3 (CNN), section
#: "Scaling inside the model"), drawn in their own colour.
SCALING_LAYERS = ("Masking", "SignedLog1p", "Normalization", "PaddingMask")
_COLOURS = {"scaling": "#fde6c8", "input": "#e8e8e8", "layer": "#d6e6f5",
            "output": "#d5efd5"}


def _describe(layer) -> str:
    """A layer's type and the settings a reader needs: units, filters, kernel, rate."""
    kind = type(layer).__name__
    config = layer.get_config()
    if kind == "PaddingMask":
        return "PaddingMask (of the raw input; the LSTMs skip what it masks)"
    if kind == "TimeDistributed":
        return f"TimeDistributed({_describe(layer.layer).split('  ')[0]})"
    parts = []
    for key in ("units", "filters"):
        if key in config:
            parts.append(str(config[key]))
    for key in ("kernel_size", "pool_size"):
        if key in config:
            size = config[key]
            parts.append("×".join(str(s) for s in size) if isinstance(size, (list, tuple))
                         else str(size))
    if kind == "Dropout":
        parts.append(f"{config['rate']:g}")
    if kind == "RepeatVector":
        parts.append(f"×{config['n']}")
    activation = config.get("activation")
    if activation not in (None, "linear"):
        parts.append(str(activation))
    return kind + (" " + ", ".join(parts) if parts else "")


def _shape(layer) -> str:
    shape = tuple(layer.output.shape[1:])
    return "(" + ", ".join("·" if s is None else str(s) for s in shape) + ")"


def plot_architecture(model, ax=None, title: str | None = None):
    """Draw ``model``'s layers top to bottom: type and settings, name, and output shape.

    Chapters 3 to 6 draw the model they build with it. The scaling layers that every book
    model starts with (:data:`SCALING_LAYERS`) are shaded apart from the learned layers, so
    the figure shows where scaling happens; the shapes are per example (the batch axis
    left out). Layers are drawn in the model's order, which for the book's models is the
    order data flows through them (a mask computed from the raw input, as in the CNN-LSTM,
    is listed where it is computed).

    Parameters
    ----------
    model : keras.Model
        A built model.
    ax : matplotlib.axes.Axes or None
        Where to draw; a new figure sized to the model otherwise.
    title : str or None
        Defaults to the model's name and its parameter count.

    Returns
    -------
    matplotlib.axes.Axes
    """
    layers = list(model.layers)
    n = len(layers)
    if ax is None:
        _, ax = plt.subplots(figsize=(7, 0.42 * n + 0.7))
    for i, layer in enumerate(layers):
        y = n - 1 - i
        kind = type(layer).__name__
        role = ("input" if kind == "InputLayer" else "scaling" if kind in SCALING_LAYERS
                else "output" if i == n - 1 else "layer")
        ax.add_patch(FancyBboxPatch((0.02, y + 0.14), 0.66, 0.72, boxstyle="round,pad=0.01",
                                    facecolor=_COLOURS[role], edgecolor="0.45", lw=0.8))
        label = "Input" if role == "input" else _describe(layer)
        ax.text(0.04, y + 0.5, f"{label}  {layer.name}", va="center", fontsize=8.5)
        ax.text(0.72, y + 0.5, _shape(layer), va="center", fontsize=8.5, family="monospace")
        if i:
            ax.annotate("", (0.35, y + 0.86), (0.35, y + 1.14),
                        arrowprops={"arrowstyle": "-|>", "color": "0.45", "lw": 0.8})
    ax.set_xlim(0, 1)
    ax.set_ylim(-0.1, n)
    ax.axis("off")
    ax.text(0.72, n - 0.05, "output shape", fontsize=8, color="0.35", va="bottom")
    handles = [Patch(facecolor=_COLOURS[k], edgecolor="0.45", label=label) for k, label in
               (("scaling", "scaling inside the model"), ("layer", "learned layers"),
                ("output", "output"))]
    ax.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, 0.0), ncols=3,
              fontsize=8, frameon=False)
    ax.set_title(title or f"{model.name}: {model.count_params():,} parameters", fontsize=10,
                 pad=16)  # room for the column's header
    return ax


def plot_windows(is_attack, length: int, *, stride: int = 1, show: int = 4, ax=None):
    """Draw a run of flows and the first windows cut from it, each with its label.

    Chapter 4 (LSTM), section "From flows to windows". Windows of ``length`` flows start every
    ``stride`` flows and are padded at the start of the run, so that every flow ends exactly
    one window (with ``stride=1``). Each window gets two labels: its **last** flow's (the
    book's default) and **any** (an attack if any real flow in it is one).

    Parameters
    ----------
    is_attack : sequence of bool
        The run's flows in time order, True for an attack flow.
    length : int
        Flows per window.
    stride : int, default 1
        Flows between the ends of consecutive windows.
    show : int, default 4
        How many windows to draw, spread over the run: the first, and ones ending on each
        change between benign and attack.
    ax : matplotlib.axes.Axes or None
        Where to draw; a new figure otherwise.

    Returns
    -------
    matplotlib.axes.Axes
    """
    flags = np.asarray(is_attack, dtype=bool)
    n = len(flags)
    ends = np.arange(0, n, stride)
    changes = [e for e in ends[1:] if flags[e] != flags[e - 1]]
    chosen = sorted({int(ends[0]), *changes[: max(show - 2, 0)], int(ends[-1])})[:show]
    if ax is None:
        _, ax = plt.subplots(figsize=(7, 1.1 + 0.45 * len(chosen)))
    colours = np.where(flags, "#d62728", "#9ecae1")
    top = len(chosen) + 0.6
    for i in range(n):
        ax.add_patch(Rectangle((i, top), 0.9, 0.6, facecolor=colours[i], edgecolor="white"))
    ax.text(-0.6, top + 0.3, "flows", ha="right", va="center", fontsize=8.5)
    for row, end in enumerate(chosen):
        y = len(chosen) - 1 - row
        start = end - length + 1
        padded = max(-start, 0)
        for j in range(length):
            i = start + j
            colour = "white" if i < 0 else colours[i]
            ax.add_patch(Rectangle((i, y + 0.1), 0.9, 0.5, facecolor=colour, edgecolor="0.6",
                                   hatch="///" if i < 0 else None, lw=0.6))
        real = flags[max(start, 0):end + 1]
        last = "attack" if flags[end] else "benign"
        any_ = "attack" if real.any() else "benign"
        ax.text(end + 1.4, y + 0.35, f"last: {last} · any: {any_}"
                + (f" · {padded} padded" if padded else ""), va="center", fontsize=8)
    ax.set_xlim(-length - 0.5, n + 11)
    ax.set_ylim(-0.2, top + 1.2)
    ax.axis("off")
    ax.legend(handles=[Patch(facecolor="#9ecae1", label="benign flow"),
                       Patch(facecolor="#d62728", label="attack flow"),
                       Patch(facecolor="white", edgecolor="0.6", hatch="///",
                             label="padding")],
              loc="upper center", bbox_to_anchor=(0.45, 0.0), ncols=3, fontsize=8,
              frameon=False)
    ax.set_title(f"Windows of {length} flows, stride {stride}: each labelled by its last "
                 f"flow (or by any attack in it)", fontsize=10)
    return ax
