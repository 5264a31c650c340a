"""The twin against the genuine CICIDS2017 rows: a regression of the twin fails here.

The bounds sit a little below (recall) or above (KS) what the small twin, seed 0, measured
when they were set (benchmarks/README.md, "Twin fidelity", has the full table): they catch
a twin that drifts away from real traffic, not noise. SQL injection is the twin's weak spot
(20 twin flows, 21 genuine ones): its bounds are loose.
"""

import pandas as pd
import pytest
from conftest import SHARED_DATASETS, needs_genuine

from nidslib.data import schema
from nidslib.twin import fidelity

GENUINE = SHARED_DATASETS / "cicids2017"
needs_original_rows = needs_genuine(*(GENUINE / folder for folder in fidelity.GENUINE_FOLDERS))

XSS, SQLI = "Web Attack - XSS", "Web Attack - Sql Injection"
# Measured: BENIGN 0.132, DDoS 0.207, PortScan 0.081, XSS 0.050, SQL injection 0.200.
MAX_MEDIAN_KS = {"BENIGN": 0.16, "DDoS": 0.24, "PortScan": 0.11, XSS: 0.08, SQLI: 0.25}
# Measured with 10,000 benign twin flows: BENIGN 0.959, DDoS 0.995, PortScan 0.844, XSS
# family 0.933 (as a label 0.178: the twin's XSS looks like its web brute force), SQL
# injection 0.429 (9 of 21 flows).
MIN_RECALL = {"BENIGN": 0.93, "DDoS": 0.95, "PortScan": 0.8}
MIN_FAMILY_RECALL = {XSS: 0.88, SQLI: 0.25}


@pytest.fixture(scope="module")
def genuine() -> pd.DataFrame:
    return fidelity.load_genuine_rows(GENUINE)


@pytest.fixture(scope="module")
def twin(twin_frames) -> pd.DataFrame:
    return pd.concat(twin_frames.values(), ignore_index=True).rename(columns={"Label": "label"})


@needs_original_rows
def test_load_genuine_rows(genuine):
    assert list(genuine.columns) == [*schema.FEATURES, "label", "category", "source_file"]
    assert genuine["label"].value_counts().to_dict() == {
        "BENIGN": 9_998, "DDoS": 1_000, "PortScan": 1_000, XSS: 652, SQLI: 21}
    assert set(genuine["category"]) == {"Benign", "DDoS", "PortScan", "Web Attack"}
    assert genuine["source_file"].str.startswith(tuple(fidelity.GENUINE_FOLDERS)).all()


def test_load_genuine_rows_says_where_it_looked(tmp_path):
    with pytest.raises(FileNotFoundError, match="friday_ddos_head"):
        fidelity.load_genuine_rows(tmp_path)


@needs_original_rows
def test_the_twins_classes_look_like_the_genuine_ones(twin, genuine):
    ks = fidelity.ks_by_class(twin, genuine)
    assert set(ks.index) == set(MAX_MEDIAN_KS)
    for label, bound in MAX_MEDIAN_KS.items():
        assert ks.loc[label, "median_ks"] < bound, ks.loc[label]


@needs_original_rows
def test_a_forest_trained_on_the_twin_finds_the_genuine_attacks(twin, genuine):
    benign = twin[twin["label"] == "BENIGN"].sample(10_000, random_state=0)
    train = pd.concat([benign, twin[twin["label"] != "BENIGN"]]).sort_index()
    recall = fidelity.transfer_recall(train, genuine, seed=0)
    for label, bound in MIN_RECALL.items():
        assert recall.loc[label, "recall"] > bound, recall.loc[label]
    for label, bound in MIN_FAMILY_RECALL.items():
        assert recall.loc[label, "family_recall"] > bound, recall.loc[label]


CORRECTED = GENUINE / "improved_rnd2500"
# The twin against the corrected release's samples, on the features both meters share,
# measured with `benchmarks/twin_fidelity.py --corrected` (benchmarks/README.md, "Every
# class, against the corrected release"): the twin-trained forest recalls benign 0.982,
# FTP-Patator 1.000, SSH-Patator 0.992, DDoS 1.000 of the genuine rows, and calls 1.8 % of
# genuine benign rows an attack. The bounds catch a twin that gets worse; issue 13 raises them.
MIN_TWIN_TO_GENUINE = {"BENIGN": 0.95, "FTP-Patator": 0.95, "SSH-Patator": 0.95, "DDoS": 0.95}
MAX_BENIGN_FALSE_ALARMS = 0.03


def test_both_ways_on_separable_classes():
    twin = pd.DataFrame({"flow_duration": [1.0, 2.0, 3.0, 4.0, 50.0, 60.0, 70.0, 80.0],
                         "init_win_bytes_forward": [-1] * 8,
                         "label": ["BENIGN"] * 4 + ["DDoS"] * 4})
    genuine = twin.assign(flow_duration=[2.0, 3.0, 5.0, 6.0, 55.0, 65.0, 75.0, 85.0],
                          init_win_bytes_forward=0)
    table = fidelity.both_ways(twin, genuine, features=["flow_duration", "init_win_bytes_forward"],
                               folds=2)
    assert table[["twin_to_genuine", "genuine_to_twin", "ceiling"]].to_numpy().min() == 1.0
    assert table.loc["BENIGN", "benign_false_alarms"] == 0.0
    assert table["genuine_rows"].tolist() == [4, 4]


def test_both_ways_reports_a_class_the_twin_lacks():
    genuine = pd.DataFrame({"flow_duration": [1.0, 2.0, 50.0, 60.0],
                            "label": ["BENIGN", "BENIGN", "Bot", "Bot"]})
    twin = genuine[genuine["label"] == "BENIGN"]
    table = fidelity.both_ways(twin, genuine, features=["flow_duration"], folds=2)
    assert table.loc["Bot", "twin_rows"] == 0
    assert pd.isna(table.loc["Bot", "genuine_to_twin"])
    assert table.loc["Bot", "most_often_called"] == "BENIGN"


def test_harmonise_writes_no_window_as_zero_for_both_meters():
    frame = pd.DataFrame({"init_win_bytes_forward": [-1, 0, 29200],
                          "init_win_bytes_backward": [-1, 235, 0]})
    assert fidelity.harmonise(frame).to_numpy().tolist() == [[0, 0], [0, 235], [29200, 0]]
    assert not set(fidelity.METER_SPECIFIC) & set(fidelity.COMPARABLE)


@needs_genuine(CORRECTED)
def test_load_corrected_rows():
    rows = fidelity.load_corrected_rows(CORRECTED)
    assert len(rows) == 25_127
    assert set(rows["label"]) == {*schema.LABELS, "Infiltration - Portscan"}
    assert rows[list(schema.FEATURES)].notna().all().all()


def test_load_corrected_rows_says_where_it_looked(tmp_path):
    with pytest.raises(ValueError, match=str(tmp_path)):
        fidelity.load_corrected_rows(tmp_path)


@needs_genuine(CORRECTED)
def test_the_twin_transfers_both_ways_where_it_did(twin):
    genuine = fidelity.load_corrected_rows(CORRECTED)
    genuine = genuine[genuine["label"].isin(schema.LABELS)]
    table = fidelity.both_ways(twin, genuine, seed=0)
    assert set(table.index) == set(schema.LABELS)
    for label, bound in MIN_TWIN_TO_GENUINE.items():
        assert table.loc[label, "twin_to_genuine"] > bound, table.loc[label]
    assert table.loc["BENIGN", "benign_false_alarms"] < MAX_BENIGN_FALSE_ALARMS
    assert (table["ceiling"] >= 0.6).all(), table["ceiling"]  # the genuine rows are separable
