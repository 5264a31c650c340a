"""The twin against the genuine CICIDS2017 rows: a regression of the twin fails here.

The bounds sit a little below (recall) or above (KS) what the small twin, seed 0, measured
when they were set (benchmarks/README.md, "Twin fidelity", has the full tables): they catch
a twin that drifts away from real traffic, not noise. Two sets of genuine rows: the
original release's (five classes; the twin's own format and labels) and the corrected
release's samples (every class; the rows the twin's flow types were fitted to).
"""

import numpy as np
import pandas as pd
import pytest
from conftest import SHARED_DATASETS, needs_genuine

from nidslib.data import schema
from nidslib.twin import fidelity

GENUINE = SHARED_DATASETS / "cicids2017"
needs_original_rows = needs_genuine(*(GENUINE / folder for folder in fidelity.GENUINE_FOLDERS))

XSS, SQLI = "Web Attack - XSS", "Web Attack - Sql Injection"
# Against the original release's rows (the twin's own meter and labels). Measured with the
# calibrated twin: BENIGN 0.107, DDoS 0.226, PortScan 0.241, XSS 0.050, SQL injection 0.350.
MAX_MEDIAN_KS = {"BENIGN": 0.13, "DDoS": 0.25, "PortScan": 0.27, XSS: 0.08, SQLI: 0.38}
# Measured with 10,000 benign twin flows: BENIGN 0.985, DDoS 0.977, PortScan 0.821, XSS
# family 0.943 (as a label 0.239: the original XSS rows are attempts, which look like the
# web brute-force attempts). SQL injection 0.000: its 21 original rows are called benign;
# it is checked against the corrected release below.
MIN_RECALL = {"BENIGN": 0.95, "DDoS": 0.95, "PortScan": 0.79}
MIN_FAMILY_RECALL = {XSS: 0.92}


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
# The twin against the corrected release's samples, both ways, on the features both meters
# share (`benchmarks/twin_fidelity.py --corrected`; benchmarks/README.md, "Every class,
# against the corrected release"). Measured recall of the twin-trained forest on the
# genuine rows, a prediction in the right family counting; the bounds sit 0.03 below.
MEASURED_FAMILY_RECALL = {
    "BENIGN": 0.996, "FTP-Patator": 0.996, "SSH-Patator": 0.987, "DoS slowloris": 0.974,
    "DoS Slowhttptest": 0.967, "DoS Hulk": 0.999, "DoS GoldenEye": 0.953, "Heartbleed": 1.0,
    "Web Attack - Brute Force": 0.973, XSS: 0.944, SQLI: 0.923, "Infiltration": 0.833,
    "Bot": 0.969, "PortScan": 0.978, "DDoS": 1.0, "Infiltration - Portscan": 0.791}
MAX_BENIGN_FALSE_ALARMS = 0.01   # measured 0.004


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


def test_benign_separation_is_chance_for_benign_lookalikes_and_says_what_it_lacks():
    rng = np.random.default_rng(1)
    frame = pd.DataFrame({"flow_duration": rng.lognormal(5, 1, 2_000),
                          "total_fwd_packets": rng.poisson(5, 2_000),
                          "label": ["BENIGN"] * 1_500 + ["PortScan"] * 500})
    features = ["flow_duration", "total_fwd_packets"]
    assert abs(fidelity.benign_separation(frame, "PortScan", features=features) - 0.5) < 0.05
    with pytest.raises(ValueError, match="'DDoS' row"):
        fidelity.benign_separation(frame, "DDoS", features=features)


def test_benign_separation_takes_rows_by_position_not_by_index():
    rng = np.random.default_rng(0)
    benign = pd.DataFrame({"flow_duration": rng.lognormal(5, 1, 60), "label": "BENIGN"})
    attack = pd.DataFrame({"flow_duration": rng.lognormal(6, 1, 20), "label": "DDoS"})
    repeated = pd.concat([benign, attack])   # both parts indexed from 0, as two sources are
    fresh = repeated.reset_index(drop=True)
    assert fidelity.benign_separation(repeated, "DDoS", features=["flow_duration"]) == \
        fidelity.benign_separation(fresh, "DDoS", features=["flow_duration"])


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


@pytest.fixture(scope="module")
def corrected():
    """The corrected release's rows and the twin as its repaired meter writes it."""
    return fidelity.load_corrected_rows(CORRECTED), fidelity.corrected_twin("small", seed=0)


@needs_genuine(CORRECTED)
def test_every_class_of_the_twin_is_recognised_in_genuine_rows(corrected):
    genuine, twin = corrected
    table = fidelity.both_ways(twin, genuine, seed=0)
    assert set(table.index) == set(MEASURED_FAMILY_RECALL)
    recall = table["twin_to_genuine_family"]
    # Issue 13's target: 80 % of the genuine rows, or within 5 points of the genuine ceiling.
    target = np.minimum(0.8, table["ceiling"] - 0.05)
    labels = list(schema.LABELS)
    assert (recall[labels] >= target[labels]).all(), table.loc[labels]
    for label, measured in MEASURED_FAMILY_RECALL.items():
        assert recall[label] >= measured - 0.03, table.loc[label]
    assert table.loc["BENIGN", "benign_false_alarms"] < MAX_BENIGN_FALSE_ALARMS


# How unusual each class is beside the week's benign rows, on the features both meters share
# (`benchmarks/twin_fidelity.py --corrected`, "by meter"). Measured, genuine against the twin
# written by the same repaired meter: every class within 0.06 of the genuine value except
# Bot (0.705 against 0.831: the twin's bot lies closer to benign traffic). The Isolation
# Forest's own seed moves a value by up to 0.03.
MAX_SEPARATION_GAP = {"Bot": 0.16}
DEFAULT_SEPARATION_GAP = 0.09


@needs_genuine(CORRECTED)
def test_the_twins_attacks_lie_as_far_from_benign_traffic_as_the_genuine_ones(corrected):
    genuine, twin = corrected
    genuine, twin = fidelity.harmonise(genuine), fidelity.harmonise(twin)
    for label in [*schema.LABELS[1:], "Infiltration - Portscan"]:
        gap = abs(fidelity.benign_separation(twin, label, features=fidelity.COMPARABLE) -
                  fidelity.benign_separation(genuine, label, features=fidelity.COMPARABLE))
        assert gap < MAX_SEPARATION_GAP.get(label, DEFAULT_SEPARATION_GAP), (label, gap)


def test_the_original_meter_hides_ddos_among_benign_flows():
    """The same twin traffic, two meters: cut at the first FIN, a DDoS connection becomes
    fragments that look like benign ones (measured 0.638 against 0.893; chapter 6)."""
    separation = {meter: fidelity.benign_separation(
        fidelity.harmonise(fidelity.twin_flows("small", 0, meter)), "DDoS",
        features=fidelity.COMPARABLE) for meter in ("original", "repaired")}
    assert separation["repaired"] > separation["original"] + 0.15, separation
