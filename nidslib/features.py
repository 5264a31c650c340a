"""Flow features as NumPy arrays: the rules several stages share.

- :func:`signed_log1p`: the signed log that chapter 2's pipelines apply before scaling and
  that every network applies in its first layer (:class:`nidslib.layers.SignedLog1p`);
- :func:`row_hashes`: one 64-bit hash per row, the one way rows are compared (duplicates in
  chapter 1, train/test copies in chapter 8);
- :func:`real_flows`: the one padding rule, "a flow whose features are all zero is padding"
  (windows are padded so by :func:`nidslib.sequences.make_windows`; models skip such flows
  with :class:`nidslib.layers.PaddingMask` or ``Masking(0.0)``).

Kept apart from :mod:`nidslib.layers` so that the scikit-learn chapters never load
TensorFlow.

Example
-------
>>> import numpy as np
>>> signed_log1p(np.array([-1.0, 0.0, np.e - 1])).round(3).tolist()
[-0.693, 0.0, 1.0]
>>> window = np.array([[[0.0, 0.0], [3.0, 0.0], [1.0, 2.0]]])
>>> real_flows(window).tolist()
[[False, True, True]]
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["real_flows", "row_hashes", "signed_log1p"]


def signed_log1p(X):
    """``sign(x) * log(1 + |x|)``, elementwise, in NumPy.

    Chapter 2 (Class imbalance), section "Strong simple baselines". Byte counts, durations
    and rates span ten orders of magnitude; this brings them to a range a linear model or a
    network can work with, keeps zero at zero and CICFlowMeter's ``-1`` negative.
    Stateless, so it cannot leak.

    Parameters
    ----------
    X : array-like
        Any shape. Integers are converted to float64; float32 stays float32 (half the
        memory).

    Returns
    -------
    numpy.ndarray
        The same shape as ``X``.
    """
    X = np.asarray(X)
    if not np.issubdtype(X.dtype, np.floating):
        X = X.astype(np.float64)
    return np.sign(X) * np.log1p(np.abs(X))


def real_flows(x) -> np.ndarray:
    """True for real flows, False for padding: the book's one padding rule.

    Chapter 4 (LSTM), section "From flows to windows". A padded flow is all zeros, which no real
    flow is (every flow has at least one packet, so a packet count is positive).

    Parameters
    ----------
    x : array-like
        Flows as (..., features): (flows, features) or (windows, length, features).

    Returns
    -------
    numpy.ndarray of bool
        ``x.shape[:-1]``.
    """
    return (np.asarray(x) != 0).any(axis=-1)


def row_hashes(frame: pd.DataFrame, columns, chunk: int = 1 << 18) -> np.ndarray:
    """A 64-bit hash of each row over ``columns`` (pandas' ``hash_pandas_object``).

    Chapter 1 (Data cleaning), section "Find the quirks", counts duplicates with these
    hashes. Equal rows get equal hashes; two different rows share one only by collision
    (about one chance in 10^7 among 2.83 M rows). Hashed 262,144 rows at a time, which
    keeps the work in the CPU cache and takes half the time of one call on 2.83 M rows; the
    hashes do not depend on ``chunk``.

    Parameters
    ----------
    frame : pandas.DataFrame
        The rows to hash.
    columns : list of str
        The columns compared, in order.
    chunk : int
        Rows hashed per call.

    Returns
    -------
    numpy.ndarray of uint64
        One hash per row of ``frame``.
    """
    part = frame[list(columns)]
    hashes = [pd.util.hash_pandas_object(part.iloc[start:start + chunk], index=False)
              for start in range(0, len(frame), chunk)]
    return np.concatenate([h.to_numpy() for h in hashes]) if hashes else np.zeros(0, np.uint64)
