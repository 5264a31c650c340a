"""Train/validation/test splits: blocked by time (the book's default) and random (for contrast).

Chapter 1 (Data cleaning), section "Splitting by time" (BOOK rule 2). Each day's flows,
in their stored time order, are cut into blocks of consecutive flows, and each block is
cut chronologically: its earlier flows train, the later ones validate, the last ones test.
Every part then sees every hour of the week, and no test flow precedes the training flows
of its block. Drop exact duplicates first (BOOK rule 1,
:func:`nidslib.cleaning.drop_duplicate_rows`): a duplicate on both sides of a split leaks.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from nidslib import cleaning
from nidslib.cleaning import duplicated_rows
from nidslib.data import datasets

PARTS = ("train", "val", "test")


@dataclass
class Splits:
    """The three parts of a split, each keeping the original row order."""

    train: pd.DataFrame
    val: pd.DataFrame
    test: pd.DataFrame
    label: str = "label"

    def summary(self) -> pd.DataFrame:
        """Rows per label (index) and part (columns), with totals; most common label first."""
        counts = pd.DataFrame({part: getattr(self, part)[self.label].value_counts()
                               for part in PARTS}).fillna(0).astype("int64")
        counts["total"] = counts.sum(axis=1)
        counts = counts[counts["total"] > 0]  # unused categories of a categorical label
        counts = counts.sort_values("total", ascending=False, kind="stable")
        counts.index.name = self.label
        return counts

    @property
    def missing(self) -> dict[str, list[str]]:
        """For each part, the labels of the whole frame that it has no row of."""
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

    Chapter 1 (Data cleaning), section "Splitting by time". Adds ``block`` (numbered
    across the week), so later chapters can build windows of flows that never straddle two
    blocks, and hence never straddle two parts. A frame without ``day`` is treated as one
    day. Warns when the frame still holds exact duplicates and when a label is absent from
    a part (:attr:`Splits.missing`): rare attacks that happen within minutes may land in
    one part only.
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


def coarsest_covering_blocks(frame: pd.DataFrame, candidates=(10, 20, 30, 40, 60),
                             label: str = "category", **split_options) -> int:
    """The fewest blocks per day (from ``candidates``) that put every class in every part.

    Chapter 1 (Data cleaning), section "Splitting by time". Fewer, longer blocks leak less
    (fewer places where a training flow sits right next to a test flow) but can leave a
    short attack campaign entirely in one part. If no candidate covers every class, the
    candidate that leaves the fewest (class, part) pairs empty is returned (the coarsest
    among equals), with a warning that names each class and the parts it is missing from:
    scores of those classes cannot be measured there.
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

    Chapter 1 (Data cleaning), section "Why not a random split?": flows from one attack
    campaign land on both sides, so scores come out higher than a deployed detector would
    achieve. Exact
    per-label fractions (rounded); a label with too few rows goes to train first.
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
    """Write the three parts as ``train.parquet``, ``val.parquet``, ``test.parquet``."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for part in PARTS:
        path = folder / f"{part}.parquet"
        getattr(splits, part).to_parquet(path, index=False)
        paths.append(path)
    return paths


def load_splits(folder, label: str = "label") -> Splits:
    """Read the parts written by :func:`save_splits` (dtypes, categories included)."""
    folder = Path(folder)
    return Splits(*(pd.read_parquet(folder / f"{part}.parquet") for part in PARTS), label=label)


def load_clean_splits(dataset: str | None = None, profile: str = "small", seed: int = 0):
    """Chapter 1's result: the week cleaned and split by time, as :class:`Splits`.

    Every later chapter starts here. The pipeline is chapter 1's, step for step: load,
    :func:`nidslib.cleaning.clean`, :func:`coarsest_covering_blocks` on the
    attack families, :func:`time_blocked_split`. The parts are saved as
    Parquet in the cache (keyed on the dataset and the library's code) and read back on
    later calls, so a chapter run on its own gives the same split as after chapter 1.
    """
    dataset = datasets.resolve_dataset(dataset)
    code = datasets.library_digest()
    suffix = f"-{profile}-seed{seed}" if dataset == "twin" else ""
    folder = datasets.cache_dir() / f"splits-{dataset}{suffix}-{code}"
    if folder.is_dir():
        return load_splits(folder, label="category")
    clean, _report = cleaning.clean(datasets.load_week(dataset, profile, seed))
    n_blocks = coarsest_covering_blocks(clean, label="category")
    parts = time_blocked_split(clean, n_blocks, label="category")
    # Write next to the final folder, then rename: a chapter interrupted mid-write must not
    # leave half a split for the next one to read.
    staging = folder.with_name(folder.name + ".partial")
    save_splits(parts, staging)
    staging.replace(folder)
    return parts
