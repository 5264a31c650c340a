"""Train/validation/test splits: blocked by time (the book's default) and random (for contrast).

Chapter 1 (Data cleaning), section "Split by time" (evaluation rule 2 of the
introduction). Each day's flows, in their stored time order, are cut into blocks of
consecutive flows, and each block is cut chronologically: its earlier flows train, the later
ones validate, the last ones test. Every part then sees every hour of the week, and no test
flow precedes the training flows of its block. Drop exact duplicates first (evaluation rule
1 of the introduction, :func:`nidslib.cleaning.drop_duplicate_rows`): a duplicate on both
sides of a split leaks.

Example
-------
One day of 20 flows in two blocks of 10, each cut 6 / 2 / 2 in time order:

>>> import pandas as pd
>>> day = pd.DataFrame({"flow_duration": [float(i) for i in range(20)],
...                     "label": ["BENIGN", "DDoS"] * 10, "day": "Monday"})
>>> parts = time_blocked_split(day, n_blocks=2, val_fraction=0.2, test_fraction=0.2)
>>> parts.train.index.tolist()
[0, 1, 2, 3, 4, 5, 10, 11, 12, 13, 14, 15]
>>> parts.val.index.tolist(), parts.test.index.tolist()
([6, 7, 16, 17], [8, 9, 18, 19])
>>> parts.summary().loc["DDoS"].tolist()  # train, val, test, total
[6, 2, 2, 10]
"""

from __future__ import annotations

import os
import shutil
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from nidslib import cleaning
from nidslib.cleaning import duplicated_rows
from nidslib.data import datasets, paths

PARTS = ("train", "val", "test")


@dataclass
class Splits:
    """The three parts of a split, each keeping the original row order.

    Attributes
    ----------
    train, val, test : pandas.DataFrame
        The parts, with the index of the frame they were cut from.
    label : str
        The column whose classes :meth:`summary` and :attr:`missing` count.
    """

    train: pd.DataFrame
    val: pd.DataFrame
    test: pd.DataFrame
    label: str = "label"

    def summary(self) -> pd.DataFrame:
        """Rows per label (index) and part (columns), with totals; most common label first.

        Returns
        -------
        pandas.DataFrame
            Columns ``train``, ``val``, ``test`` and ``total`` (int64); labels with no row
            anywhere (unused categories) are left out.
        """
        counts = pd.DataFrame({part: getattr(self, part)[self.label].value_counts()
                               for part in PARTS}).fillna(0).astype("int64")
        counts["total"] = counts.sum(axis=1)
        counts = counts[counts["total"] > 0]  # unused categories of a categorical label
        counts = counts.sort_values("total", ascending=False, kind="stable")
        counts.index.name = self.label
        return counts

    @property
    def missing(self) -> dict[str, list[str]]:
        """For each part, the labels of the whole frame that it has no row of.

        Returns
        -------
        dict of str to list of str
            ``{"train": [...], "val": [...], "test": [...]}``; empty lists when every
            label is in every part.
        """
        summary = self.summary()
        return {part: [str(label) for label in summary.index[summary[part] == 0]]
                for part in PARTS}


def _cut(positions: np.ndarray, sizes: np.ndarray, val_fraction: float,
         test_fraction: float) -> np.ndarray:
    """Part (0 train, 1 val, 2 test) of each row from its position within its group."""
    test_n = np.rint(sizes * test_fraction)
    train_n = sizes - np.rint(sizes * val_fraction) - test_n
    return (positions >= train_n).astype(np.int8) + (positions >= sizes - test_n)


def _check_fractions(val_fraction: float, test_fraction: float) -> None:
    if min(val_fraction, test_fraction) < 0 or val_fraction + test_fraction >= 1:
        raise ValueError(f"need 0 <= fractions and val + test < 1, got val={val_fraction}, "
                         f"test={test_fraction}")


def _split(frame: pd.DataFrame, part: np.ndarray, label: str) -> Splits:
    return Splits(*(frame[part == i] for i in range(3)), label=label)


def time_blocked_split(frame: pd.DataFrame, n_blocks: int = 20, val_fraction: float = 0.15,
                       test_fraction: float = 0.15, label: str = "label") -> Splits:
    """Split each day into ``n_blocks`` blocks of consecutive flows, each block by time.

    Chapter 1 (Data cleaning), section "Split by time". Adds ``block`` (numbered across the
    week), so later chapters can build windows of flows that never straddle two blocks, and
    hence never straddle two parts.

    Parameters
    ----------
    frame : pandas.DataFrame
        Flows in time order within each day, with ``label`` and, usually, ``day``; a frame
        without ``day`` is treated as one day.
    n_blocks : int
        Blocks per day, at least 1.
    val_fraction, test_fraction : float
        The share of each block that validates and tests (rounded per block); the rest,
        the earliest flows, trains.
    label : str
        The column whose classes are checked for in every part.

    Returns
    -------
    Splits
        The three parts, each with a ``block`` column.

    Raises
    ------
    ValueError
        A fraction is negative, the two add up to 1 or more, or ``n_blocks`` is below 1.

    Warns
    -----
    UserWarning
        The frame still holds exact duplicates, or a label is absent from a part
        (:attr:`Splits.missing`): rare attacks that happen within minutes may land in one
        part only.
    """
    _check_fractions(val_fraction, test_fraction)
    if n_blocks < 1:
        raise ValueError(f"n_blocks must be at least 1, got {n_blocks}")
    duplicates = int(duplicated_rows(frame).sum())
    if duplicates:
        warnings.warn(f"the frame holds {duplicates:,} exact duplicate rows; drop them before "
                      "splitting (nidslib.cleaning.drop_duplicate_rows), or copies of one "
                      "flow land in train and test", UserWarning, stacklevel=2)
    days = frame["day"] if "day" in frame.columns else pd.Series(0, index=frame.index)
    day_codes = pd.factorize(days)[0]
    block = np.empty(len(frame), dtype=np.int32)
    part = np.empty(len(frame), dtype=np.int8)
    for day in range(day_codes.max(initial=-1) + 1):
        rows = np.flatnonzero(day_codes == day)
        position = np.arange(len(rows))
        day_block = position * n_blocks // len(rows)
        sizes = np.bincount(day_block, minlength=n_blocks)
        starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])
        part[rows] = _cut(position - starts[day_block], sizes[day_block],
                          val_fraction, test_fraction)
        block[rows] = day * n_blocks + day_block
    splits = _split(frame.assign(block=block), part, label)
    missing = {p: labels for p, labels in splits.missing.items() if labels}
    if missing:
        warnings.warn(f"labels absent from a part: {missing}", UserWarning, stacklevel=2)
    return splits


# Blocks per day that chapter 1 tries, fewest first. The finer ones exist for the rarest
# family: the eleven Heartbleed flows of one twenty-minute campaign reach every part only
# when a block boundary falls inside the campaign at the right place.
BLOCK_CANDIDATES = (10, 20, 30, 40, 60, 80, 120)


def coarsest_covering_blocks(frame: pd.DataFrame, candidates=BLOCK_CANDIDATES,
                             label: str = "category", **split_options) -> int:
    """The fewest blocks per day (from ``candidates``) that put every class in every part.

    Chapter 1 (Data cleaning), section "Split by time". Fewer, longer blocks leak less
    (fewer places where a training flow sits right next to a test flow) but can leave a
    short attack campaign entirely in one part.

    Parameters
    ----------
    frame : pandas.DataFrame
        The frame to split, as for :func:`time_blocked_split`.
    candidates : iterable of int
        The block counts to try, tried from the fewest up.
    label : str
        The column whose classes must be in every part (the attack family by default).
    **split_options
        ``val_fraction`` and ``test_fraction``, passed to :func:`time_blocked_split`.

    Returns
    -------
    int
        The first candidate that covers every class; if none does, the one that leaves the
        fewest (class, part) pairs empty (the coarsest among equals).

    Raises
    ------
    ValueError
        As for :func:`time_blocked_split`.

    Warns
    -----
    UserWarning
        No candidate covers every class; the message names each class and the parts it is
        missing from, where its scores cannot be measured.
    """
    best = None
    for n_blocks in sorted(candidates):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            splits = time_blocked_split(frame, n_blocks, label=label, **split_options)
        gaps = sum(len(missing) for missing in splits.missing.values())
        if gaps == 0:
            return n_blocks
        if best is None or gaps < best[0]:
            best = (gaps, n_blocks, splits.missing)
    gaps, n_blocks, missing = best
    where = "; ".join(f"{part}: {', '.join(map(str, classes))}"
                      for part, classes in missing.items() if len(classes))
    warnings.warn(f"no block count in {sorted(candidates)} puts every {label} in every part; "
                  f"using {n_blocks}, which leaves the fewest gaps ({where}): these classes "
                  f"cannot be scored on those parts", UserWarning, stacklevel=2)
    return n_blocks


def random_stratified_split(frame: pd.DataFrame, val_fraction: float = 0.15,
                            test_fraction: float = 0.15, seed: int = 0,
                            label: str = "label") -> Splits:
    """Random split with the same label proportions in every part, for comparison only.

    Chapter 1 (Data cleaning), section "Split by time", says why the book does not split at
    random: flows from one attack campaign land on both sides, so scores come out higher
    than a deployed detector would achieve.

    Parameters
    ----------
    frame : pandas.DataFrame
        The frame to split.
    val_fraction, test_fraction : float
        The share of each label's rows that validates and tests (rounded per label); a
        label with too few rows goes to train first.
    seed : int
        Seed of the shuffle.
    label : str
        The column to stratify on.

    Returns
    -------
    Splits
        The three parts, each in the original row order.

    Raises
    ------
    ValueError
        A fraction is negative, or the two add up to 1 or more.
    """
    _check_fractions(val_fraction, test_fraction)
    codes = pd.factorize(frame[label])[0]
    shuffled = np.random.default_rng(seed).permutation(len(frame))
    order = shuffled[np.argsort(codes[shuffled], kind="stable")]
    sizes = np.bincount(codes)
    starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    rank = np.empty(len(frame), dtype=np.int64)
    rank[order] = np.arange(len(frame)) - starts[codes[order]]
    part = _cut(rank, sizes[codes], val_fraction, test_fraction)
    return _split(frame, part, label)


def save_splits(splits: Splits, folder) -> list[Path]:
    """Write the three parts as ``train.parquet``, ``val.parquet``, ``test.parquet``.

    Parameters
    ----------
    splits : Splits
        The parts to write (their index is not written).
    folder : str or pathlib.Path
        Created when missing; files already there are overwritten.

    Returns
    -------
    list of pathlib.Path
        The three files, in the order train, val, test.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for part in PARTS:
        path = folder / f"{part}.parquet"
        getattr(splits, part).to_parquet(path, index=False)
        paths.append(path)
    return paths


def load_splits(folder, label: str = "label") -> Splits:
    """Read the parts written by :func:`save_splits` (dtypes, categories included).

    Parameters
    ----------
    folder : str or pathlib.Path
        The folder of ``train.parquet``, ``val.parquet`` and ``test.parquet``.
    label : str
        The label column of the returned :class:`Splits`.

    Returns
    -------
    Splits
        The three parts, with a fresh index.

    Raises
    ------
    FileNotFoundError
        A part is missing from ``folder``.
    """
    folder = Path(folder)
    return Splits(*(pd.read_parquet(folder / f"{part}.parquet") for part in PARTS), label=label)


def load_clean_splits(dataset: str | None = None, profile: str = "small", seed: int = 0):
    """Chapter 1's result: the week cleaned and split by time, as :class:`Splits`.

    Chapter 1 (Data cleaning), section "Save the split for the next chapters". Every later
    chapter starts here. The pipeline is chapter 1's, step for step: load,
    :func:`nidslib.cleaning.clean`, :func:`coarsest_covering_blocks` on the attack families,
    :func:`time_blocked_split`. The parts are saved as Parquet in the cache (keyed on the
    dataset and the library's code) and read back on later calls, so a chapter run on its
    own gives the same split as after chapter 1.

    Parameters
    ----------
    dataset : str, optional
        One of :data:`nidslib.data.datasets.DATASETS`; ``None`` reads ``$NIDSLIB_DATASET``
        (default ``"twin"``).
    profile : {"small", "full"}
        The twin's size; ignored for real data.
    seed : int
        The twin's random seed; ignored for real data.

    Returns
    -------
    Splits
        The parts, with ``category`` (the attack family) as their label.

    Raises
    ------
    ValueError
        ``dataset`` or ``profile`` is unknown.
    FileNotFoundError
        The real files are not in the data home.
    """
    dataset = datasets.resolve_dataset(dataset)
    code = paths.library_digest()
    suffix = f"-{profile}-seed{seed}" if dataset == "twin" else ""
    folder = paths.cache_dir() / f"splits-{dataset}{suffix}-{code}"
    if folder.is_dir():
        return load_splits(folder, label="category")
    clean, _report = cleaning.clean(datasets.load_week(dataset, profile, seed))
    n_blocks = coarsest_covering_blocks(clean, label="category")
    parts = time_blocked_split(clean, n_blocks, label="category")
    # Write next to the final folder, then rename: a chapter interrupted mid-write must not
    # leave half a split for the next one to read. Each process writes its own staging
    # folder; where another one (a chapter run beside this one) renamed the same split into
    # place first, its copy stays and this one is removed.
    staging = folder.with_name(f"{folder.name}.partial-{os.getpid()}")
    save_splits(parts, staging)
    try:
        staging.replace(folder)
    except OSError:
        if not folder.is_dir():
            raise
        shutil.rmtree(staging)
    return parts
