"""Time-blocked and random splits: disjoint, complete, ordered, in the asked proportions."""

import warnings

import numpy as np
import pandas as pd
import pytest

from nidslib.data import schema
from nidslib.splits import (PARTS, Splits, load_splits, random_stratified_split, save_splits,
                            time_blocked_split)


def week(rows_per_day: int = 1000, days=("Monday", "Tuesday", "Wednesday")) -> pd.DataFrame:
    """Distinct flows in time order, labels cycling so that every block holds every label."""
    n = rows_per_day * len(days)
    frame = pd.DataFrame({f: np.zeros(n) for f in schema.FEATURES[:5]})
    frame["flow_duration"] = np.arange(n, dtype=float)  # unique: no duplicates
    frame["label"] = np.array(["BENIGN", "DDoS", "PortScan", "BENIGN"])[np.arange(n) % 4]
    frame["day"] = np.repeat(days, rows_per_day)
    return frame


@pytest.fixture(scope="module")
def blocked():
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a clean frame gives no warning
        return time_blocked_split(week(), n_blocks=10, val_fraction=0.2, test_fraction=0.1)


def test_parts_are_disjoint_complete_and_keep_the_order(blocked):
    indexes = [getattr(blocked, part).index for part in PARTS]
    everything = np.concatenate(indexes)
    assert len(everything) == 3000 and len(np.unique(everything)) == 3000
    assert all(index.is_monotonic_increasing for index in indexes)


def test_every_block_is_cut_chronologically_in_the_asked_fractions(blocked):
    assert blocked.train["block"].nunique() == 30  # 10 blocks on each of 3 days
    for block in range(30):
        parts = [getattr(blocked, p).index[getattr(blocked, p)["block"] == block] for p in PARTS]
        assert [len(p) for p in parts] == [70, 20, 10]  # 100 flows per block
        assert parts[0].max() < parts[1].min() and parts[1].max() < parts[2].min()
    block_of_row = pd.concat([getattr(blocked, p) for p in PARTS]).sort_index()["block"]
    assert block_of_row.is_monotonic_increasing  # blocks are runs of consecutive flows


def test_summary_counts_labels_per_part(blocked):
    summary = blocked.summary()
    assert list(summary.columns) == [*PARTS, "total"]
    assert summary.loc["BENIGN", "total"] == 1500 and summary.index[0] == "BENIGN"
    assert summary["train"].sum() == len(blocked.train)
    assert blocked.missing == {"train": [], "val": [], "test": []}
    categories = ["BENIGN", "DDoS", "PortScan", "Bot"]  # "Bot" is never used
    unused = blocked.train.assign(label=pd.Categorical(blocked.train["label"], categories))
    assert "Bot" not in Splits(unused, blocked.val, blocked.test).summary().index


def test_uneven_days_and_a_frame_without_days():
    frame = week(rows_per_day=7, days=("Monday",)).drop(columns="day")
    with pytest.warns(UserWarning, match="absent from a part"):
        splits = time_blocked_split(frame, n_blocks=2)
    assert sorted(np.concatenate([getattr(splits, p).index for p in PARTS])) == list(range(7))


def test_warns_about_duplicates_and_absent_labels():
    frame = week(rows_per_day=100, days=("Monday",))
    frame.loc[99, "label"] = "Heartbleed"  # one rare flow at the very end: test only
    frame = pd.concat([frame, frame.iloc[[0, 1]]], ignore_index=True)
    with pytest.warns(UserWarning) as caught:
        splits = time_blocked_split(frame, n_blocks=1)
    messages = " ".join(str(w.message) for w in caught)
    assert "2 exact duplicate rows" in messages and "Heartbleed" in messages
    assert splits.missing == {"train": ["Heartbleed"], "val": ["Heartbleed"], "test": []}


def test_bad_arguments():
    with pytest.raises(ValueError, match="val \\+ test < 1"):
        time_blocked_split(week(10), val_fraction=0.5, test_fraction=0.5)
    with pytest.raises(ValueError, match="n_blocks"):
        time_blocked_split(week(10), n_blocks=0)
    with pytest.raises(ValueError, match="fractions"):
        random_stratified_split(week(10), val_fraction=-0.1)


def test_random_stratified_split_keeps_label_proportions():
    frame = week(rows_per_day=1000, days=("Monday",))
    frame.loc[0, "label"] = "Heartbleed"  # was BENIGN: DDoS keeps its 250 rows
    splits = random_stratified_split(frame, val_fraction=0.2, test_fraction=0.1, seed=1)
    summary = splits.summary()
    assert summary.loc["DDoS", ["train", "val", "test"]].tolist() == [175, 50, 25]
    assert summary.loc["Heartbleed", ["train", "val", "test"]].tolist() == [1, 0, 0]
    assert all(getattr(splits, p).index.is_monotonic_increasing for p in PARTS)
    again = random_stratified_split(frame, val_fraction=0.2, test_fraction=0.1, seed=1)
    other = random_stratified_split(frame, val_fraction=0.2, test_fraction=0.1, seed=2)
    assert splits.test.index.equals(again.test.index)
    assert not splits.test.index.equals(other.test.index)
    assert "block" not in splits.train.columns


def test_save_and_load_keep_dtypes(tmp_path, blocked):
    parts = {p: getattr(blocked, p).assign(label=lambda f: f["label"].astype("category"),
                                           timestamp=pd.Timestamp("2017-07-07 15:56"))
             for p in PARTS}
    paths = save_splits(Splits(**parts), tmp_path / "splits")
    assert [p.name for p in paths] == ["train.parquet", "val.parquet", "test.parquet"]
    loaded = load_splits(tmp_path / "splits")
    for part in PARTS:
        pd.testing.assert_frame_equal(getattr(loaded, part),
                                      parts[part].reset_index(drop=True))
    pd.testing.assert_frame_equal(loaded.summary(), Splits(**parts).summary())
