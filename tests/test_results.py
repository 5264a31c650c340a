"""Tests of nidslib.results: the running table's columns, round trips and replacements."""

import pandas as pd
import pytest

from nidslib.evaluation import classification_report_frame
from nidslib.results import ResultsTable

from test_evaluation import Y_PRED, Y_TRUE

pytestmark = pytest.mark.filterwarnings("error")



def _table():
    table = ResultsTable()
    table.add("Random forest", classification_report_frame(Y_TRUE, Y_PRED), chapter=3,
              parameters=12_345, train_seconds=1.25, flows_per_second=1e5, notes="baseline")
    table.add("CNN", classification_report_frame(Y_TRUE, Y_TRUE), chapter="03",
              size_bytes=86_824)
    table.add("NA", {"macro_f1": 0.5, "accuracy": 0.9}, split="validation", tag="no report")
    return table


def test_results_table_columns_and_values():
    frame = _table().to_frame()
    assert list(frame.columns) == [
        "model", "dataset", "split", "chapter", "accuracy", "macro_f1", "weighted_f1",
        "benign_fpr", "attack_detection_rate", "roc_auc", "average_precision",
        "recall[BENIGN]", "recall[Bot]", "recall[DoS]", "parameters", "train_seconds",
        "flows_per_second", "n_samples", "notes", "size_bytes", "tag"]
    rf = frame.iloc[0]
    assert rf["macro_f1"] == pytest.approx((10 / 13 + 2 / 3) / 3)
    assert rf["benign_fpr"] == pytest.approx(1 / 6)
    assert rf["recall[DoS]"] == pytest.approx(2 / 3)
    assert rf["parameters"] == 12_345 and rf["n_samples"] == 10
    assert frame["chapter"].tolist() == ["3", "03", ""]


@pytest.mark.parametrize("suffix", [".parquet", ".csv"])
def test_results_table_round_trips_exactly(tmp_path, suffix):
    table = _table()
    path = table.save(tmp_path / "sub" / f"results{suffix}")
    loaded = ResultsTable.load(path)
    pd.testing.assert_frame_equal(loaded.to_frame(), table.to_frame(), check_exact=True)
    # ...and again, after adding to the loaded table (a later chapter).
    loaded.add("LSTM", {"macro_f1": 0.123456789012345}, notes="")
    loaded.save(path)
    pd.testing.assert_frame_equal(ResultsTable.load(path).to_frame(), loaded.to_frame(),
                                  check_exact=True)


def test_re_adding_a_model_replaces_its_row_in_place():
    table = _table()
    table.add("Random forest", {"macro_f1": 0.99}, chapter=3)
    frame = table.to_frame()
    assert len(table) == 3 and frame["model"].tolist() == ["Random forest", "CNN", "NA"]
    assert frame.loc[0, "macro_f1"] == 0.99
    assert pd.isna(frame.loc[0, "parameters"])  # the row is replaced, not merged
    table.add("Random forest", {"macro_f1": 0.8}, split="validation")  # another split: new row
    assert len(table) == 4


def test_results_table_load_missing_and_bad_report(tmp_path):
    assert len(ResultsTable.load(tmp_path / "none.parquet", missing_ok=True)) == 0
    with pytest.raises(FileNotFoundError):
        ResultsTable.load(tmp_path / "none.parquet")
    with pytest.raises(ValueError, match="summary"):
        ResultsTable().add("m", pd.DataFrame({"recall": [1.0]}))
    with pytest.raises(ValueError, match="named arguments"):
        ResultsTable().add("m", {}, macro_f1=1.0)
