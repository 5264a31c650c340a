"""The genuine-rows week: the corrected-release samples written as MachineLearningCVE files."""

import pytest

from conftest import SHARED_DATASETS, needs_genuine
from genuine_week import build
from nidslib import cleaning
from nidslib.data import datasets, schema

SAMPLES = SHARED_DATASETS / "cicids2017" / "improved_rnd2500"
pytestmark = needs_genuine(SAMPLES)


@pytest.fixture(scope="module")
def week(tmp_path_factory):
    folder = tmp_path_factory.mktemp("genuine")
    files = build(SAMPLES, folder)
    return files, datasets.load_cicids2017(folder / "cicids2017" / "MachineLearningCVE")


def test_every_sampled_row_lands_in_its_day(week):
    files, frame = week
    assert [p.name for p in files] == [name for name, *_ in schema.WEEK_FILES]
    assert len(frame) == 25_127  # every row of the 16 sample files
    assert set(frame["label"]) == set(schema.LABELS)  # the original release's 15 labels
    by_day = frame.groupby("label", observed=True)["day"].agg(lambda d: set(d))
    for name, day, _rows, labels in schema.WEEK_FILES:
        for label in labels:
            if label != schema.BENIGN:
                assert by_day[label] == {day}, (label, by_day[label])


def test_the_raw_files_have_the_original_quirks(week):
    files, frame = week
    thursday = files[3].read_bytes()
    assert thursday.startswith(b" Destination Port, Flow Duration,")
    assert b"Web Attack \x96 XSS" in thursday and b"\r\n" in thursday
    # the infiltration port scan is labelled benign, as in the original CSVs
    assert (frame.loc[frame["day"] == "Thursday", "label"] == "BENIGN").sum() > 2_500


def test_cleaning_reports_what_it_drops(week):
    _files, frame = week
    with pytest.warns(UserWarning, match="Heartbleed"):
        clean, report = cleaning.clean(frame)
    assert report.to_frame().set_index("step").loc["fix_negative_values", "rows_dropped"] > 0
    assert (clean["label"] == "Heartbleed").sum() >= 8
