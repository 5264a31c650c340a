"""Windows of consecutive flows, in time order, that never straddle two blocks or two splits.

Chapter 4 (LSTM), section "From flows to windows" (evaluation rule 2 of the introduction:
split by time, so a model is never tested on the minutes it learned from). A sequence model
reads ``length`` consecutive flows and predicts one label for the window. The windows are
built **inside one split at a time** and inside one *run* of its rows, a run being
consecutive rows with the same ``block`` (:func:`nidslib.splits.time_blocked_split`): the
training part of a block is one run, its validation part another, so no window mixes
training and test flows, nor flows from two blocks hours apart.

Within a run of ``n`` flows, windows end at the positions ``e`` with ``e = length - 1 +
k * stride`` (k = 0, 1, ...), ``e <= n - 1``: consecutive windows share ``length -
stride`` flows (the *overlap*; ``stride=length`` gives disjoint windows). A run shorter than
``length`` gives no window. With ``pad=True`` the grid is extended backwards to the run's
first flows (``e >= 0``), and those windows are *padded* at their start with all-zero flows
and a mask; with ``stride=1`` that is one window ending at every flow, so a window model is
scored on exactly the same flows as a single-flow model (chapter 5's comparison).

The window's label is defined by ``label_rule``:

- ``"last"``: the label of its last (most recent) flow: "what is this flow, given the
  flows before it?"; the book's default;
- ``"any"``: benign only if every real flow in it is benign, otherwise the label of its
  most recent attack flow: "did an attack happen in these ``length`` flows?". For a binary
  target (0 benign, 1 attack) this is the maximum.

Example
-------
Six flows in two runs (blocks 0 and 1), one attack flow (label 1), windows of three:

>>> import numpy as np
>>> x = np.arange(12, dtype="float32").reshape(6, 2) + 1
>>> y = np.array([0, 0, 1, 0, 0, 0])
>>> block = np.array([0, 0, 0, 0, 1, 1])
>>> windows = make_windows(x, y, block, length=3, pad=True)
>>> windows.index.tolist()                 # row positions, -1 for padding
[[-1, -1, 0], [-1, 0, 1], [0, 1, 2], [1, 2, 3], [-1, -1, 4], [-1, 4, 5]]
>>> windows.y.tolist(), windows.summary()["padded"]
([0, 0, 1, 0, 0, 0], 4)
>>> make_windows(x, y, block, length=3, label_rule="any").y.tolist()   # no padding
[1, 1]
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

__all__ = ["LABEL_RULES", "Windows", "make_windows", "run_starts", "window_count",
           "windows_from_frame"]

LABEL_RULES = ("last", "any")


@dataclass
class Windows:
    """A stack of windows and what they came from.

    Chapter 4 (LSTM), section "From flows to windows". Made by :func:`make_windows`;
    :func:`nidslib.training.fit` takes it as ``(x, y)``.

    Parameters
    ----------
    x : numpy.ndarray
        (windows, length, features) float32; padded flows are all zero.
    y : numpy.ndarray
        One label per window (``label_rule``).
    mask : numpy.ndarray
        (windows, length) bool, True for real flows.
    index : numpy.ndarray
        (windows, length) row positions in the source array, ``-1`` for padding.
    length : int
        Flows per window.
    stride : int
        Flows between the ends of consecutive windows of a run.
    label_rule : str
        ``"last"`` or ``"any"`` (see the module docstring).
    """

    x: np.ndarray
    y: np.ndarray
    mask: np.ndarray
    index: np.ndarray
    length: int
    stride: int
    label_rule: str

    @property
    def end(self) -> np.ndarray:
        """The row position of each window's last flow (``index[:, -1]``).

        That is the flow a ``"last"`` window is labelled by and scored on.

        Returns
        -------
        numpy.ndarray
            One row position per window.
        """
        return self.index[:, -1]

    @property
    def padded(self) -> np.ndarray:
        """True for windows that hold at least one padded flow.

        Returns
        -------
        numpy.ndarray
            bool, one entry per window.
        """
        return ~self.mask.all(axis=1)

    def __len__(self) -> int:
        return len(self.y)

    def summary(self) -> dict:
        """Counts for a chapter's printout: windows, padded windows, shape, overlap.

        Returns
        -------
        dict
            ``windows``, ``padded``, ``shape`` (of ``x``), ``length``, ``stride``,
            ``overlap`` (``length - stride``, at least 0) and ``label_rule``.
        """
        return {"windows": len(self), "padded": int(self.padded.sum()),
                "shape": tuple(self.x.shape), "length": self.length, "stride": self.stride,
                "overlap": max(self.length - self.stride, 0), "label_rule": self.label_rule}


def run_starts(groups) -> np.ndarray:
    """Positions where a run of equal consecutive ``groups`` values begins (the first is 0).

    Chapter 4 (LSTM), section "From flows to windows". Rows of one block that are not
    adjacent (which a split never produces) still form two runs, so a window can never join
    them.

    Parameters
    ----------
    groups : array-like
        The run key of each row, in row order (normally the split's ``block`` column).

    Returns
    -------
    numpy.ndarray
        int64 start positions, increasing; empty for empty ``groups``.
    """
    groups = np.asarray(groups)
    if not len(groups):
        return np.zeros(0, dtype=np.int64)
    return np.concatenate([[0], np.flatnonzero(groups[1:] != groups[:-1]) + 1])


def window_count(n: int, length: int, stride: int = 1, pad: bool = False) -> int:
    """How many windows a run of ``n`` flows gives.

    ``floor((n - length) / stride) + 1`` full windows (0 if ``n < length``); with ``pad``
    also the padded ones on the same grid, ``floor((n - 1 - r) / stride) + 1`` in all,
    ``r = (length - 1) mod stride`` (0 if ``n <= r``).

    Parameters
    ----------
    n : int
        Flows in the run.
    length : int
        Flows per window.
    stride : int, default 1
        Flows between the ends of consecutive windows.
    pad : bool, default False
        Count the padded windows at the run's start too.

    Returns
    -------
    int
        The number of windows :func:`make_windows` makes from such a run.

    Raises
    ------
    ValueError
        If ``length`` or ``stride`` is below 1.
    """
    _check(length, stride)
    if pad:
        first = (length - 1) % stride
        return 0 if n <= first else (n - 1 - first) // stride + 1
    return 0 if n < length else (n - length) // stride + 1


def _check(length: int, stride: int) -> None:
    if length < 1 or stride < 1:
        raise ValueError(f"length and stride must be at least 1, got {length}, {stride}")


def _ends(starts: np.ndarray, n_rows: int, length: int, stride: int, pad: bool):
    """Row positions of each window's last flow, and its run's first row."""
    stops = np.append(starts[1:], n_rows)
    ends, firsts = [], []
    for start, stop in zip(starts, stops):
        first_end = start + ((length - 1) % stride if pad else length - 1)
        run_ends = np.arange(first_end, stop, stride)
        ends.append(run_ends)
        firsts.append(np.full(len(run_ends), start))
    if not ends:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    return np.concatenate(ends).astype(np.int64), np.concatenate(firsts).astype(np.int64)


def make_windows(x, y, groups=None, *, length: int = 10, stride: int = 1,
                 label_rule: str = "last", pad: bool = False, benign=0) -> Windows:
    """Windows of ``length`` consecutive rows of ``x``, never across a change of ``groups``.

    Chapter 4 (LSTM), section "From flows to windows"; the rules are in the module
    docstring. The rows of ``x`` are in time order. Call it on each split separately.

    Parameters
    ----------
    x : array-like
        (rows, features), rows in time order; converted to float32.
    y : array-like
        One label per row: integers (0 = benign by default) or names (with
        ``benign="Benign"``).
    groups : array-like, optional
        The run key per row, normally the split's ``block`` column; ``None``: one run.
    length : int, default 10
        Flows per window.
    stride : int, default 1
        Flows between the ends of consecutive windows of a run.
    label_rule : {"last", "any"}, default "last"
        How a window's label is defined (see the module docstring).
    pad : bool, default False
        Also make the windows that end at a run's first ``length - 1`` flows, padded at
        their start with all-zero flows.
    benign : int or str, default 0
        The benign label, for ``label_rule="any"``.

    Returns
    -------
    Windows
        The windows, in row order of their last flow.

    Raises
    ------
    ValueError
        If ``length`` or ``stride`` is below 1, ``label_rule`` is not one of
        :data:`LABEL_RULES`, ``x`` is not 2-D with one label per row, or ``groups`` has
        another length than ``x``.
    """
    _check(length, stride)
    if label_rule not in LABEL_RULES:
        raise ValueError(f"label_rule must be one of {LABEL_RULES}, not {label_rule!r}")
    x = np.asarray(x, dtype=np.float32)
    y = np.asarray(y)
    if x.ndim != 2 or len(x) != len(y):
        raise ValueError(f"x must be (rows, features) with one label per row; got x "
                         f"{x.shape}, y {y.shape}")
    starts = run_starts(np.zeros(len(x)) if groups is None else groups)
    if groups is not None and len(groups) != len(x):
        raise ValueError(f"groups has {len(groups)} rows, x {len(x)}")
    ends, firsts = _ends(starts, len(x), length, stride, pad)
    index = ends[:, None] - (length - 1) + np.arange(length)[None, :]
    mask = index >= firsts[:, None]
    index = np.where(mask, index, -1)
    windows = x[np.maximum(index, 0)]
    windows[~mask] = 0.0
    if label_rule == "last":
        labels = y[ends]
    else:
        is_attack = (y[np.maximum(index, 0)] != benign) & mask
        # the most recent attack flow of each window, if any
        last_attack = length - 1 - np.argmax(is_attack[:, ::-1], axis=1)
        labels = np.where(is_attack.any(axis=1),
                          y[index[np.arange(len(index)), last_attack]], y[ends])
    return Windows(x=windows, y=labels, mask=mask, index=index, length=length,
                   stride=stride, label_rule=label_rule)


def windows_from_frame(frame: pd.DataFrame, features, target="category", *,
                       length: int = 10, stride: int = 1, label_rule: str = "last",
                       pad: bool = False, benign="Benign", codes: bool = True) -> Windows:
    """:func:`make_windows` on one split's frame, its runs taken from ``frame["block"]``.

    Chapter 4 (LSTM), section "From flows to windows". A frame without a ``block``
    column is one run.

    Parameters
    ----------
    frame : pandas.DataFrame
        One split (training, validation or test), rows in time order.
    features : list of str
        The feature columns, in the order the model reads them.
    target : str or array-like, default "category"
        A column name (a categorical column gives integer codes when ``codes=True``, so
        benign is its code) or an array with one label per row (e.g. a binary attack flag,
        with ``benign=0``).
    length, stride, label_rule, pad
        As in :func:`make_windows`.
    benign : int or str, default "Benign"
        The benign label (a category name when ``target`` is a categorical column; then
        a name that is not a category matches no code).
    codes : bool, default True
        Turn a categorical ``target`` column into its integer codes.

    Returns
    -------
    Windows
        The windows of the split, never across a change of ``block``.

    Raises
    ------
    KeyError
        If a feature or the ``target`` column is not in ``frame``.
    ValueError
        As :func:`make_windows`.
    """
    if isinstance(target, str):
        column = frame[target]
        if codes and isinstance(column.dtype, pd.CategoricalDtype):
            categories = list(column.cat.categories)
            benign = categories.index(benign) if benign in categories else -1
            labels = column.cat.codes.to_numpy()
        else:
            labels = column.to_numpy()
    else:
        labels = np.asarray(target)
    groups = frame["block"].to_numpy() if "block" in frame.columns else None
    return make_windows(frame[list(features)].to_numpy(np.float32), labels, groups,
                        length=length, stride=stride, label_rule=label_rule, pad=pad,
                        benign=benign)
