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
pytestmark = needs_genuine(*(GENUINE / folder for folder in fidelity.GENUINE_FOLDERS))

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


def test_load_genuine_rows(genuine):
    assert list(genuine.columns) == [*schema.FEATURES, "label", "category", "source_file"]
    assert genuine["label"].value_counts().to_dict() == {
        "BENIGN": 9_998, "DDoS": 1_000, "PortScan": 1_000, XSS: 652, SQLI: 21}
    assert set(genuine["category"]) == {"Benign", "DDoS", "PortScan", "Web Attack"}
    assert genuine["source_file"].str.startswith(tuple(fidelity.GENUINE_FOLDERS)).all()


def test_load_genuine_rows_says_where_it_looked(tmp_path):
    with pytest.raises(FileNotFoundError, match="friday_ddos_head"):
        fidelity.load_genuine_rows(tmp_path)


def test_the_twins_classes_look_like_the_genuine_ones(twin, genuine):
    ks = fidelity.ks_by_class(twin, genuine)
    assert set(ks.index) == set(MAX_MEDIAN_KS)
    for label, bound in MAX_MEDIAN_KS.items():
        assert ks.loc[label, "median_ks"] < bound, ks.loc[label]


def test_a_forest_trained_on_the_twin_finds_the_genuine_attacks(twin, genuine):
    benign = twin[twin["label"] == "BENIGN"].sample(10_000, random_state=0)
    train = pd.concat([benign, twin[twin["label"] != "BENIGN"]]).sort_index()
    recall = fidelity.transfer_recall(train, genuine, seed=0)
    for label, bound in MIN_RECALL.items():
        assert recall.loc[label, "recall"] > bound, recall.loc[label]
    for label, bound in MIN_FAMILY_RECALL.items():
        assert recall.loc[label, "family_recall"] > bound, recall.loc[label]
