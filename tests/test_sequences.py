"""Windows of consecutive flows (nidslib.sequences): straddling, labels, masks, arithmetic."""

import numpy as np
import pandas as pd
import pytest

from nidslib import sequences


def _rows(n, features=3):
    """Row i has every feature equal to i + 1 (never 0, so padding is recognisable)."""
    return np.repeat(np.arange(1, n + 1, dtype=np.float32)[:, None], features, axis=1)


@pytest.mark.parametrize("n,length,stride", [(25, 10, 1), (25, 10, 3), (25, 10, 10),
                                             (9, 10, 1), (10, 10, 1), (30, 4, 7)])
@pytest.mark.parametrize("pad", [False, True])
def test_window_count_matches_the_windows_made(n, length, stride, pad):
    windows = sequences.make_windows(_rows(n), np.zeros(n, int), length=length,
                                     stride=stride, pad=pad)
    assert len(windows) == sequences.window_count(n, length, stride, pad)
    assert windows.x.shape == (len(windows), length, 3)


def test_stride_and_overlap_arithmetic():
    windows = sequences.make_windows(_rows(25), np.zeros(25, int), length=10, stride=3)
    # ends at 9, 12, ..., 24: floor((25 - 10) / 3) + 1 = 6 windows
    assert windows.end.tolist() == [9, 12, 15, 18, 21, 24]
    assert len(windows) == (25 - 10) // 3 + 1
    first, second = windows.index[0], windows.index[1]
    assert len(set(first) & set(second)) == 10 - 3  # overlap = length - stride
    assert windows.summary()["overlap"] == 7
    disjoint = sequences.make_windows(_rows(30), np.zeros(30, int), length=10, stride=10)
    assert not set(disjoint.index[0]) & set(disjoint.index[1])


def test_windows_are_consecutive_rows_in_time_order():
    windows = sequences.make_windows(_rows(20), np.zeros(20, int), length=5, stride=2)
    assert (np.diff(windows.index, axis=1) == 1).all()
    np.testing.assert_array_equal(windows.x[:, :, 0], windows.index + 1)


def test_no_window_straddles_two_groups():
    groups = np.array([0] * 12 + [1] * 7 + [2] * 15 + [0] * 11)  # block 0 again, not adjacent
    x = _rows(len(groups))
    for pad in (False, True):
        windows = sequences.make_windows(x, np.zeros(len(x), int), groups, length=5, pad=pad)
        real = np.where(windows.mask, windows.index, windows.end[:, None])
        run_of_row = np.cumsum(np.r_[0, groups[1:] != groups[:-1]])
        assert (run_of_row[real] == run_of_row[windows.end][:, None]).all()
    # without padding: n - length + 1 windows per run
    full = sequences.make_windows(x, np.zeros(len(x), int), groups, length=5)
    assert len(full) == (12 - 4) + (7 - 4) + (15 - 4) + (11 - 4)


def test_a_run_shorter_than_the_window_gives_none_unless_padded():
    groups = np.array([0] * 3 + [1] * 10)
    x = _rows(13)
    assert len(sequences.make_windows(x, np.zeros(13, int), groups, length=5)) == 6
    padded = sequences.make_windows(x, np.zeros(13, int), groups, length=5, pad=True)
    assert len(padded) == 13 and sorted(padded.end.tolist()) == list(range(13))


def test_padding_is_zero_at_the_start_and_masked():
    windows = sequences.make_windows(_rows(6), np.zeros(6, int), length=4, pad=True)
    assert windows.end.tolist() == [0, 1, 2, 3, 4, 5]
    assert windows.mask.sum(axis=1).tolist() == [1, 2, 3, 4, 4, 4]
    assert windows.padded.tolist() == [True, True, True, False, False, False]
    first = windows.x[0]
    assert (first[:3] == 0).all() and (first[3] == 1).all()  # padding first, then the flow
    assert (windows.index[~windows.mask] == -1).all()
    assert (windows.x[~windows.mask] == 0).all() and (windows.x[windows.mask] != 0).all()


def test_padding_only_where_needed():
    windows = sequences.make_windows(_rows(40), np.zeros(40, int), length=10, stride=1,
                                     pad=True)
    assert windows.padded.sum() == 9
    unpadded = sequences.make_windows(_rows(40), np.zeros(40, int), length=10)
    assert not unpadded.padded.any() and unpadded.mask.all()
    # with stride = length the grid needs no padding at all
    grid = sequences.make_windows(_rows(40), np.zeros(40, int), length=10, stride=10, pad=True)
    assert not grid.padded.any() and len(grid) == 4


def test_label_rules():
    y = np.array([0, 0, 3, 0, 0, 5, 0, 0])
    last = sequences.make_windows(_rows(8), y, length=3, label_rule="last")
    assert last.y.tolist() == [3, 0, 0, 5, 0, 0]  # windows ending at 2..7
    any_ = sequences.make_windows(_rows(8), y, length=3, label_rule="any")
    # the most recent attack in each window: [0,0,3] [0,3,0] [3,0,0] [0,0,5] [0,5,0] [5,0,0]
    assert any_.y.tolist() == [3, 3, 3, 5, 5, 5]
    two = sequences.make_windows(_rows(8), np.array([0, 3, 5, 0, 0, 0, 0, 0]), length=3,
                                 label_rule="any")
    assert two.y[0] == 5  # [0, 3, 5]: the last attack flow wins
    binary = sequences.make_windows(_rows(8), (y > 0).astype(int), length=3, label_rule="any")
    np.testing.assert_array_equal(binary.y, binary.y.clip(0, 1))
    assert binary.y.tolist() == [1, 1, 1, 1, 1, 1]


def test_any_ignores_padding_and_accepts_names():
    y = np.array(["Benign", "DoS", "Benign", "Benign"])
    windows = sequences.make_windows(_rows(4), y, length=3, pad=True, label_rule="any",
                                     benign="Benign")
    assert windows.y.tolist() == ["Benign", "DoS", "DoS", "DoS"]


def test_windows_from_frame_uses_blocks_and_category_codes():
    frame = pd.DataFrame({"a": np.arange(1, 13, dtype=np.float32),
                          "b": np.arange(1, 13, dtype=np.float32),
                          "category": pd.Categorical(["Benign"] * 5 + ["DoS"] + ["Benign"] * 6,
                                                     categories=["Benign", "DoS"]),
                          "block": [0] * 6 + [1] * 6})
    windows = sequences.windows_from_frame(frame, ["a", "b"], length=3, label_rule="any")
    assert len(windows) == 8
    assert windows.y.tolist() == [0, 0, 0, 1, 0, 0, 0, 0]  # DoS is row 5, block 0's last
    assert windows.x.dtype == np.float32


def test_invalid_arguments():
    with pytest.raises(ValueError, match="label_rule"):
        sequences.make_windows(_rows(5), np.zeros(5), label_rule="first")
    with pytest.raises(ValueError, match="at least 1"):
        sequences.make_windows(_rows(5), np.zeros(5), stride=0)
    with pytest.raises(ValueError, match="one label per row"):
        sequences.make_windows(_rows(5), np.zeros(4))
