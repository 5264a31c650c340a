"""Cleaning steps on small hand-built frames with known answers, and on the genuine head."""

import re

import numpy as np
import pandas as pd
import pytest
from conftest import SHARED_DATASETS, needs_genuine

from nidslib import cleaning
from nidslib.data import canonical, schema
from nidslib.data.canonical import CleaningReport
from nidslib.data.rawcsv import DatasetFormatError
from nidslib.data.rawcsv import read_cicids2017_csv

FRIDAY_HEAD = (SHARED_DATASETS / "cicids2017" / "friday_ddos_head"
               / "Friday-WorkingHours-Afternoon-DDos.pcap_ISCX.head10k.csv")
INF, NAN = np.inf, np.nan


def canonical_frame(**columns) -> pd.DataFrame:
    """A canonical frame of len(label) flows: given columns, every other feature 1.0."""
    labels = columns.pop("label")
    base = {f: np.ones(len(labels)) for f in schema.FEATURES}
    return pd.DataFrame({**base, **columns, "label": labels})


def run(step, frame, **kwargs):
    """Run a step, check it left its input alone, return its output and record."""
    before = frame.copy(deep=True)
    report = CleaningReport()
    after = step(frame, report, **kwargs)
    pd.testing.assert_frame_equal(frame, before)
    return after, report.steps[-1]


def test_normalise_column_names_handles_the_mangled_duplicate():
    raw = pd.DataFrame(columns=[" Flow Bytes/s", " Fwd Header Length", " Fwd Header Length.1",
                                "Fwd Avg Bytes/Bulk", " Label"])
    after, record = run(canonical.normalise_column_names, raw)
    assert list(after.columns) == ["flow_bytes_per_s", "fwd_header_length",
                                   "fwd_header_length_copy", "fwd_avg_bytes_per_bulk", "label"]
    assert record.details == {"columns renamed": 5}


def test_normalise_column_names_refuses_clashing_names():
    with pytest.raises(DatasetFormatError, match="clashing canonical names.*'label'"):
        canonical.normalise_column_names(pd.DataFrame(columns=["Label", " Label "]))


def test_drop_duplicated_column_counts_differing_rows():
    frame = canonical_frame(label=["BENIGN"] * 3, fwd_header_length=[20.0, NAN, 40.0],
                  fwd_header_length_copy=[20.0, NAN, 41.0])
    after, record = run(canonical.drop_duplicated_column, frame)
    assert "fwd_header_length_copy" not in after.columns
    assert record.columns_dropped == ("fwd_header_length_copy",)
    assert record.details == {"rows differing": 1}
    same, record = run(canonical.drop_duplicated_column, after)
    assert same.equals(after) and record.why == "no copy present"


def test_repair_labels_every_form_of_the_dash():
    raw = ["Web Attack \x96 XSS", "Web Attack \u00c2\x96 XSS", "Web Attack \u2013 XSS",
           "Web Attack \ufffd XSS", " BENIGN ", "Web Attack - XSS"]
    after, record = run(canonical.repair_labels, canonical_frame(label=raw))
    assert list(after["label"]) == ["Web Attack - XSS"] * 4 + ["BENIGN", "Web Attack - XSS"]
    assert record.values_repaired == 5
    assert record.details["'Web Attack \\x96 XSS' -> 'Web Attack - XSS'"] == 1


def test_repair_labels_names_unknown_labels_counts_and_files():
    frame = canonical_frame(label=["BENIGN", "Evil", "Evil", NAN]).assign(source_file=["a", "b", "c", "d"])
    with pytest.raises(DatasetFormatError) as caught:
        canonical.repair_labels(frame)
    message = str(caught.value)
    assert "{'Evil': 2}" in message and "1 rows without a label" in message
    assert "['b', 'c', 'd']" in message


def test_repair_labels_with_another_vocabulary():
    after = canonical.repair_labels(canonical_frame(label=["Benign "]),
                                   known=schema.CSE_CIC_IDS2018_LABEL_FAMILY)
    assert list(after["label"]) == ["Benign"]


def test_add_category():
    after, record = run(canonical.add_category, canonical_frame(label=["DoS Hulk", "BENIGN", "DoS slowloris"]))
    assert list(after["category"]) == ["DoS", "Benign", "DoS"]
    assert record.details == {"DoS": 2, "Benign": 1}
    with pytest.raises(DatasetFormatError, match=re.escape("{'Web Attack \\x96 XSS': 1}")):
        canonical.add_category(canonical_frame(label=["Web Attack \x96 XSS"]))


def test_replace_infinite_counts_per_column():
    frame = canonical_frame(label=["BENIGN"] * 3, flow_bytes_per_s=[INF, 1.0, -INF],
                  flow_packets_per_s=[INF, 2.0, 3.0])
    after, record = run(cleaning.replace_infinite, frame)
    assert after["flow_bytes_per_s"].isna().tolist() == [True, False, True]
    assert record.details == {"flow_bytes_per_s": 2, "flow_packets_per_s": 1}
    assert record.values_repaired == 3


def test_drop_missing_counts_per_column():
    frame = canonical_frame(label=["BENIGN"] * 4, flow_bytes_per_s=[NAN, 1.0, NAN, 2.0],
                  flow_packets_per_s=[NAN, 1.0, 1.0, 1.0])
    after, record = run(cleaning.drop_missing, frame)
    assert list(after.index) == [1, 3]
    assert record.details == {"flow_bytes_per_s": 2, "flow_packets_per_s": 1}


def test_fix_negative_values_keeps_the_init_win_sentinel():
    frame = canonical_frame(label=["BENIGN"] * 5, flow_duration=[-3.0, 1.0, 1.0, 1.0, 1.0],
                  init_win_bytes_forward=[1.0, -1.0, -2.0, 1.0, 1.0],
                  fwd_header_length=[1.0, 1.0, 1.0, -40.0, 1.0])
    after, record = run(cleaning.fix_negative_values, frame)
    assert list(after.index) == [1, 4]
    assert record.details == {"flow_duration": 1, "fwd_header_length": 1,
                              "init_win_bytes_forward": 1}


def test_drop_duplicate_rows_counts_per_label_and_conflicts():
    frame = canonical_frame(label=["BENIGN", "BENIGN", "DDoS", "DDoS", "BENIGN", "Bot"],
                  flow_duration=[1.0, 1.0, 2.0, 2.0, 3.0, 3.0], day=["Mon", "Tue"] * 3)
    after, record = run(cleaning.drop_duplicate_rows, frame)
    assert list(after.index) == [0, 2, 4, 5]  # ``day`` is metadata: not compared
    assert record.details == {"BENIGN": 1, "DDoS": 1, "conflicting rows": 2,
                              "conflicting feature vectors": 1}


def test_duplicated_rows_agrees_with_pandas():
    rng = np.random.default_rng(0)
    frame = canonical_frame(label=rng.choice(["BENIGN", "DDoS"], 500),
                  flow_duration=rng.integers(0, 4, 500).astype(float),
                  flow_bytes_per_s=rng.choice([0.0, -0.0, NAN, 1.5], 500))
    expected = frame[[*schema.FEATURES, "label"]].duplicated().to_numpy()
    np.testing.assert_array_equal(cleaning.duplicated_rows(frame), expected)


def test_drop_constant_columns():
    frame = pd.DataFrame({"a": [1.0, 1.0], "b": [NAN, NAN], "c": [1.0, NAN], "d": [1.0, 2.0],
                          "proto": ["tcp", "tcp"], "label": ["BENIGN", "BENIGN"]})
    after, record = run(cleaning.drop_constant_columns, frame)
    assert list(after.columns) == ["c", "d", "label"]
    assert record.columns_dropped == ("a", "b", "proto")


def test_to_float32_halves_the_features_and_reports_memory():
    frame = canonical_frame(label=["BENIGN", "DDoS"] * 50).assign(day="Monday", category="Benign")
    after, record = run(cleaning.to_float32, frame)
    assert (after[list(schema.FEATURES)].dtypes == np.float32).all()
    assert (after[["label", "day", "category"]].dtypes == "category").all()
    assert record.details["memory MB after"] < record.details["memory MB before"]


def test_clean_runs_every_step_and_reports_a_tidy_table():
    raw = canonical_frame(label=["BENIGN", "BENIGN", "Web Attack \x96 XSS", "BENIGN", "DDoS"],
                flow_bytes_per_s=[1.0, 1.0, INF, 2.0, 3.0], flow_duration=[1.0, 1.0, 1.0, -1, 5])
    raw = raw.assign(fwd_header_length_copy=raw["fwd_header_length"])
    raw.columns = [" " + c.replace("_", " ") for c in raw.columns]  # raw-looking names
    raw = raw.rename(columns={" fwd header length copy": " Fwd Header Length.1",
                              " fwd header length": " Fwd Header Length"})
    cleaned, report = cleaning.clean(raw)
    table = report.to_frame()
    assert list(table["step"]) == [step.__name__ for step in cleaning.STEPS]
    assert list(table.columns) == ["step", "rows_before", "rows_after", "rows_dropped",
                                   "columns_dropped", "values_repaired", "details", "why"]
    assert list(table["rows_dropped"]) == [0, 0, 0, 0, 0, 1, 1, 0, 1, 0]
    assert list(cleaned["label"]) == ["BENIGN", "DDoS"]
    assert list(cleaned.columns) == ["flow_duration", "flow_bytes_per_s", "label", "category"]
    assert "<table" in report._repr_html_() and report["drop_missing"].rows_after == 4
    with pytest.raises(KeyError, match="no step 'nothing'"):
        report["nothing"]


@needs_genuine(FRIDAY_HEAD)
def test_clean_on_the_genuine_friday_head():
    cleaned, report = cleaning.clean(read_cicids2017_csv(FRIDAY_HEAD))
    assert report["drop_duplicated_column"].details == {"rows differing": 0}
    assert report["replace_infinite"].details == {"flow_bytes_per_s": 6, "flow_packets_per_s": 7}
    assert report["drop_missing"].rows_before - report["drop_missing"].rows_after == 7
    assert report["fix_negative_values"].details == {"flow_iat_min": 9}
    assert report["drop_duplicate_rows"].details["BENIGN"] == 73
    assert set(schema.ALWAYS_ZERO_FEATURES) <= set(report["drop_constant_columns"].columns_dropped)
    assert len(cleaned) == 9_909 and cleaned.index.equals(pd.RangeIndex(9_909))


def test_clean_judges_duplicates_on_the_float32_values_models_see():
    raw = canonical_frame(label=["BENIGN", "BENIGN"], flow_duration=[1.0, 1.0 + 1e-12])
    cleaned, report = cleaning.clean(raw)
    assert len(cleaned) == 1 and report["drop_duplicate_rows"].details["BENIGN"] == 1


def test_clean_equals_the_steps_one_by_one(twin_frames):
    """clean() only marks rows and copies once; its result and report must be exactly those
    of running the steps one after another, each copying the rows it keeps."""
    raw = pd.concat([frame.assign(day=name.split("-")[0]) for name, frame in twin_frames.items()],
                    ignore_index=True).drop(columns="start_hour")
    # A label whose only rows are all dropped by drop_missing: no category may be left of it.
    raw.loc[raw["Label"] == "Heartbleed", "flow_bytes_per_s"] = NAN
    report = CleaningReport()
    frame = raw
    for step in cleaning.STEPS:
        frame = step(frame, report)
    one_call, one_report = cleaning.clean(raw)
    pd.testing.assert_frame_equal(one_call, frame.reset_index(drop=True), check_exact=True)
    assert one_report.steps == report.steps
    assert "Heartbleed" not in one_call["label"].cat.categories
    dropped = {r.step: r.rows_before - r.rows_after for r in report.steps}
    assert dropped["drop_missing"] > 11 and dropped["fix_negative_values"] > 0
    assert dropped["drop_duplicate_rows"] > 0


def test_to_float32_twice_and_on_an_empty_frame():
    frame = canonical_frame(label=["BENIGN", "DDoS"]).assign(day="Monday")
    once = cleaning.to_float32(frame)
    pd.testing.assert_frame_equal(cleaning.to_float32(once), once)
    empty, _ = cleaning.clean(frame.iloc[:0])
    assert len(empty) == 0
