"""Data home, cache, the canonical CICIDS2017 / CSE-CIC-IDS2018 / UNSW-NB15 frames, load_week."""

import sys
import types
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import SHARED_DATASETS, genuine_or_skip, needs_genuine

import nidslib.twin
from nidslib import splits
from nidslib.data import datasets, paths, schema
from nidslib.data.datasets import (DatasetFormatError, load_cicids2017, load_cse_cic_ids2018,
                                   load_unsw_nb15, load_week)
from nidslib.data.paths import cache_dir, data_home

REPO = Path(__file__).parents[1]
GENUINE = SHARED_DATASETS
CIC = GENUINE / "cicids2017"
WEEK = [name for name, *_ in schema.WEEK_FILES]
ML_HEADER = ",".join(schema.MACHINE_LEARNING_CVE_HEADER)


def link(folder: Path, links: dict[str, Path]) -> Path:
    """A week folder whose files are links to genuine files: nothing is copied."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, target in links.items():
        (folder / name).symlink_to(target)
    return folder


def write_ml_file(path: Path, labels: list[str]) -> None:
    rows = [",".join(["1"] * 78 + [label]) for label in labels]
    path.write_bytes("\r\n".join([ML_HEADER, *rows, ""]).encode("cp1252"))


# --- data home and cache ------------------------------------------------------------------

def test_data_home_defaults_to_repo_data(monkeypatch):
    monkeypatch.delenv("NIDSLIB_DATA", raising=False)
    assert data_home() == REPO / "data"


def test_data_home_relative_setting_is_taken_from_the_repo_root(monkeypatch, tmp_path):
    monkeypatch.setenv("NIDSLIB_DATA", "../shared/datasets")
    monkeypatch.chdir(tmp_path)  # a notebook executing in chapters/ must find the same folder
    assert data_home() == REPO / ".." / "shared" / "datasets"
    monkeypatch.setenv("NIDSLIB_DATA", str(tmp_path))
    assert data_home() == tmp_path


def test_cache_dir_is_created_on_demand(monkeypatch, tmp_path):
    monkeypatch.setenv("NIDSLIB_CACHE", str(tmp_path / "cache" / "deep"))
    assert cache_dir().is_dir()
    monkeypatch.delenv("NIDSLIB_CACHE")
    assert cache_dir() == REPO / "data" / "cache"


# --- CICIDS2017 ---------------------------------------------------------------------------

@needs_genuine(GENUINE)
def test_genuine_friday_head_as_canonical_frame(tmp_path):
    head = CIC / "friday_ddos_head" / "Friday-WorkingHours-Afternoon-DDos.pcap_ISCX.head10k.csv"
    frame = load_cicids2017(link(tmp_path / "week", {WEEK[-1]: head}))
    assert list(frame.columns) == [*schema.FEATURES, "label", "category", "day", "source_file"]
    assert len(frame) == 9_998 and set(frame["label"]) == {"BENIGN"}
    assert set(frame["category"]) == {"Benign"} and set(frame["day"]) == {"Friday"}
    assert np.isposinf(frame["flow_bytes_per_s"]).sum() == 6
    report = frame.attrs["load_report"]
    assert report["loaded"] == [WEEK[-1]] and report["missing"] == WEEK[:-1]
    assert report["rows"] == {WEEK[-1]: 9_998}
    assert [s["step"] for s in report["steps"]] == [
        "normalise_column_names", "drop_duplicated_column", "repair_labels", "add_category"]


@pytest.fixture(scope="module")
def trafficlabelling(tmp_path_factory):
    """The genuine TrafficLabelling rows under week names; SQL injection is put in the earlier
    Thursday file although it happened after the XSS rows, so sorting has work to do."""
    genuine_or_skip(GENUINE)
    rows = CIC / "mondirkb_trafficlabelling"
    folder = link(tmp_path_factory.mktemp("tl") / "TrafficLabelling", {
        "Thursday-WorkingHours-Morning-WebAttacks.pcap_ISCX.csv": rows / "baseline_sqli.csv",
        "Thursday-WorkingHours-Afternoon-Infilteration.pcap_ISCX.csv": rows / "baseline_xss.csv",
        "Friday-WorkingHours-Afternoon-PortScan.pcap_ISCX.csv": rows / "baseline_portscan.csv",
        "Friday-WorkingHours-Afternoon-DDos.pcap_ISCX.csv": rows / "baseline_ddos.csv",
    })
    return load_cicids2017(folder, format="TrafficLabelling")


def test_genuine_trafficlabelling_labels_are_repaired(trafficlabelling):
    assert trafficlabelling["label"].value_counts().to_dict() == {
        "DDoS": 1000, "PortScan": 1000, "Web Attack - XSS": 652, "Web Attack - Sql Injection": 21}
    assert set(trafficlabelling["category"]) == {"DDoS", "PortScan", "Web Attack"}


def test_genuine_trafficlabelling_is_in_time_order_with_afternoon_hours(trafficlabelling):
    assert trafficlabelling["timestamp"].is_monotonic_increasing
    assert list(pd.unique(trafficlabelling["day"])) == ["Thursday", "Friday"]
    ddos = trafficlabelling[trafficlabelling["label"] == "DDoS"]
    assert (ddos["timestamp"] == pd.Timestamp("2017-07-07 15:56")).all()
    ids = ["timestamp", "flow_id", "source_ip", "source_port", "destination_ip", "protocol"]
    assert list(trafficlabelling.columns[-6:]) == ids
    assert trafficlabelling["source_port"].dtype == "Int32"
    assert trafficlabelling["protocol"].value_counts().to_dict() == {6: 2672, 0: 1}


def test_missing_dataset_says_what_to_put_where(tmp_path):
    with pytest.raises(FileNotFoundError) as caught:
        load_cicids2017(tmp_path / "nothing")
    message = str(caught.value)
    for needed in [str(tmp_path / "nothing"), *WEEK, "MachineLearningCSV.zip",
                   "https://www.unb.ca/cic/datasets/ids-2017.html",
                   "4f83860afbf29cac8163854095bf6cf7"]:
        assert needed in message


def test_default_folder_is_under_the_data_home(monkeypatch, tmp_path):
    monkeypatch.setenv("NIDSLIB_DATA", str(tmp_path))
    with pytest.raises(FileNotFoundError) as caught:
        load_cicids2017(format="TrafficLabelling")
    assert str(tmp_path / "cicids2017" / "TrafficLabelling") in str(caught.value)
    assert "GeneratedLabelledFlows.zip" in str(caught.value)


def test_unknown_file_names_are_an_error(tmp_path):
    write_ml_file(tmp_path / WEEK[0], ["BENIGN"])
    write_ml_file(tmp_path / "Monday-copy.csv", ["BENIGN"])
    with pytest.raises(DatasetFormatError, match="Monday-copy.csv"):
        load_cicids2017(tmp_path)


def test_files_load_in_week_order_with_raw_cp1252_labels(tmp_path):
    write_ml_file(tmp_path / WEEK[3], ["Web Attack \u2013 XSS", "BENIGN"])  # byte 0x96
    write_ml_file(tmp_path / WEEK[1], ["SSH-Patator"])
    frame = load_cicids2017(tmp_path)
    assert list(frame["label"]) == ["SSH-Patator", "Web Attack - XSS", "BENIGN"]
    assert list(frame["day"]) == ["Tuesday", "Thursday", "Thursday"]
    assert frame.attrs["load_report"]["loaded"] == [WEEK[1], WEEK[3]]


def test_unknown_label_names_the_file(tmp_path):
    write_ml_file(tmp_path / WEEK[0], ["BENIGN", "Evil"])
    with pytest.raises(DatasetFormatError, match=rf"\['{WEEK[0]}'\].*'Evil': 1"):
        load_cicids2017(tmp_path)


def test_the_twin_reads_back_as_the_real_week(twin_week):
    frame = load_cicids2017(twin_week[0].parent)
    assert list(frame["source_file"].unique()) == WEEK
    assert set(frame["label"]) == set(schema.LABELS)
    assert frame.attrs["load_report"]["missing"] == []


# --- CSE-CIC-IDS2018 ----------------------------------------------------------------------

def cse_line(time: str, label: str, duration: str = "5", protocol: str = "6") -> str:
    values = {"Dst Port": "443", "Protocol": protocol, "Timestamp": time, "Label": label,
              "Flow Duration": duration, "Flow Byts/s": "Infinity"}
    return ",".join(values.get(name, "1") for name in schema.CSE_CIC_IDS2018_HEADER)


@pytest.fixture()
def cse_folder(tmp_path):
    header = ",".join(schema.CSE_CIC_IDS2018_HEADER)
    (tmp_path / "Wednesday-14-02-2018_TrafficForML_CICFlowMeter.csv").write_text("\n".join([
        header, cse_line("14/02/2018 10:00:00", "FTP-BruteForce", "7"), header,
        cse_line("14/02/2018 08:31:01", "Benign", "3"), ""]))
    extra = ",".join(schema.CSE_CIC_IDS2018_EXTRA_COLUMNS)
    (tmp_path / "Thuesday-20-02-2018_TrafficForML_CICFlowMeter.csv").write_text("\n".join([
        f"{extra},{header}", "id,1.1.1.1,80,2.2.2.2," + cse_line("20/02/2018 09:00:00",
                                                                 "DDoS attacks-LOIC-HTTP"), ""]))
    return tmp_path


def test_cse_cic_ids2018_canonical_frame(cse_folder):
    frame = load_cse_cic_ids2018(cse_folder)
    assert list(frame.columns) == [*schema.FEATURES, "label", "category", "day", "source_file",
                                   "timestamp", "protocol"]
    assert list(frame["label"]) == ["Benign", "FTP-BruteForce", "DDoS attacks-LOIC-HTTP"]
    assert list(frame["category"]) == ["Benign", "Brute Force", "DDoS"]
    assert list(frame["flow_duration"]) == [3.0, 7.0, 5.0]  # sorted by time within the day
    assert list(frame["day"]) == ["2018-02-14", "2018-02-14", "2018-02-20"]
    assert np.isposinf(frame["flow_bytes_per_s"]).all() and frame["protocol"].dtype == "Int32"
    report = frame.attrs["load_report"]
    assert report["repeated_headers_dropped"] == {
        "Wednesday-14-02-2018_TrafficForML_CICFlowMeter.csv": 1,
        "Thuesday-20-02-2018_TrafficForML_CICFlowMeter.csv": 0}
    assert report["extra_columns_dropped"] == {
        "Thuesday-20-02-2018_TrafficForML_CICFlowMeter.csv": list(
            schema.CSE_CIC_IDS2018_EXTRA_COLUMNS)}


def test_cse_cic_ids2018_unknown_label(tmp_path):
    (tmp_path / "Friday-02-03-2018_TrafficForML_CICFlowMeter.csv").write_text("\n".join([
        ",".join(schema.CSE_CIC_IDS2018_HEADER), cse_line("02/03/2018 10:00:00", "Botnet")]))
    with pytest.raises(DatasetFormatError, match="'Botnet': 1"):
        load_cse_cic_ids2018(tmp_path)


def test_cse_cic_ids2018_missing_says_where_to_get_it(tmp_path):
    with pytest.raises(FileNotFoundError, match="s3://cse-cic-ids2018/Processed Traffic Data"):
        load_cse_cic_ids2018(tmp_path)


def test_every_2018_label_has_a_2017_family():
    assert set(schema.CSE_CIC_IDS2018_LABEL_FAMILY.values()) <= set(schema.FAMILIES)


# --- UNSW-NB15 ----------------------------------------------------------------------------

def write_unsw(home: Path, attack_cats=("Normal", "Exploits"), header=schema.UNSW_NB15_COLUMNS):
    folder = home / "unsw-nb15"
    folder.mkdir(parents=True)
    rows = []
    for i, attack in enumerate(attack_cats):
        values = {"id": str(i + 1), "proto": "tcp", "service": "-", "state": "FIN",
                  "attack_cat": attack, "label": str(int(attack != "Normal"))}
        rows.append(",".join(values.get(c, "0.5") for c in schema.UNSW_NB15_COLUMNS))
    (folder / "UNSW_NB15_training-set.csv").write_text("\n".join([",".join(header), *rows]))


def test_unsw_nb15_canonical_frame(monkeypatch, tmp_path):
    monkeypatch.setenv("NIDSLIB_DATA", str(tmp_path))
    write_unsw(tmp_path)
    frame = load_unsw_nb15("train")
    assert "id" not in frame.columns and "attack_cat" not in frame.columns
    assert list(frame["label"]) == ["Normal", "Exploits"] == list(frame["category"])
    assert list(frame["is_attack"]) == [False, True]
    assert frame["proto"].iloc[0] == "tcp" and frame["dur"].iloc[0] == 0.5


UNSW_GENUINE = SHARED_DATASETS / "unsw-nb15" / "UNSW_NB15_training-set.csv"


@needs_genuine(UNSW_GENUINE)
def test_unsw_nb15_loads_the_genuine_partition(monkeypatch):
    """The shared partition (BOM, CRLF; named training-set, holding what the paper calls the
    testing set): every row, the ten categories with the published counts."""
    monkeypatch.setenv("NIDSLIB_DATA", str(SHARED_DATASETS))
    frame = load_unsw_nb15("train")
    assert len(frame) == 82_332 and frame.columns[0] == "dur"
    assert frame["label"].value_counts().to_dict() == {
        "Normal": 37_000, "Generic": 18_871, "Exploits": 11_132, "Fuzzers": 6_062,
        "DoS": 4_089, "Reconnaissance": 3_496, "Analysis": 677, "Backdoor": 583,
        "Shellcode": 378, "Worms": 44}
    assert (frame["is_attack"] == (frame["label"] != "Normal")).all()


def test_unsw_nb15_errors(monkeypatch, tmp_path):
    monkeypatch.setenv("NIDSLIB_DATA", str(tmp_path))
    with pytest.raises(FileNotFoundError, match="UNSW_NB15_testing-set.csv.*unsw-nb15"):
        load_unsw_nb15("test")
    with pytest.raises(ValueError, match="split must be one of"):
        load_unsw_nb15("validation")
    write_unsw(tmp_path, attack_cats=("Normal", "Spam"))
    with pytest.raises(DatasetFormatError, match="'Spam': 1"):
        load_unsw_nb15()


def test_unsw_nb15_wrong_header(monkeypatch, tmp_path):
    monkeypatch.setenv("NIDSLIB_DATA", str(tmp_path))
    write_unsw(tmp_path, header=("ID", *schema.UNSW_NB15_COLUMNS[1:]))
    with pytest.raises(DatasetFormatError, match=r"missing \['id'\], unexpected \['ID'\]"):
        load_unsw_nb15()


# --- load_week ----------------------------------------------------------------------------

@pytest.fixture()
def fake_simulation(monkeypatch, tmp_path):
    """A stand-in twin that writes a tiny week and counts its calls."""
    calls = []

    def write_week(folder, profile="small", seed=0):
        calls.append((Path(folder), profile, seed))
        Path(folder).mkdir(parents=True, exist_ok=True)
        corrected = []
        for name, _day, _rows, labels in schema.WEEK_FILES:
            write_ml_file(Path(folder) / name, list(labels))
            corrected += ["BENIGN" if label.startswith("Web") else label for label in labels]
        (Path(folder) / "corrected_labels.txt").write_text("\n".join(corrected) + "\n")
        return [Path(folder) / name for name in WEEK]

    fake = types.SimpleNamespace(write_week=write_week, CORRECTED_LABELS_FILE="corrected_labels.txt")
    monkeypatch.setitem(sys.modules, "nidslib.twin.simulation", fake)
    monkeypatch.setattr(nidslib.twin, "simulation", fake, raising=False)
    monkeypatch.setenv("NIDSLIB_CACHE", str(tmp_path / "cache"))
    monkeypatch.delenv("NIDSLIB_DATASET", raising=False)
    return calls


def test_load_week_writes_the_twin_once(fake_simulation, tmp_path):
    first = load_week(profile="small", seed=3)
    again = load_week("twin", profile="small", seed=3)
    [(folder, profile, seed)] = fake_simulation
    assert (profile, seed) == ("small", 3) and folder.parent == tmp_path / "cache"
    assert folder.name.startswith("twin-small-seed3-"), "the name carries the code's hash"
    assert set(first["label"]) == set(schema.LABELS)
    pd.testing.assert_frame_equal(first, again)


def test_load_week_gives_the_corrected_label_beside_the_original(fake_simulation):
    week = load_week(profile="small", seed=3, corrected_labels=True)
    web = week["label"].str.startswith("Web")
    assert (week.loc[web, "corrected_label"] == "BENIGN").all()
    assert (week.loc[~web, "corrected_label"] == week.loc[~web, "label"]).all()
    assert "corrected_label" not in load_week(profile="small", seed=3)


def test_load_week_says_real_data_has_no_corrected_labels(fake_simulation):
    with pytest.raises(ValueError, match="only for the twin"):
        load_week("cicids2017", corrected_labels=True)
    assert fake_simulation == []


def test_load_week_reads_the_setting(fake_simulation, monkeypatch, tmp_path):
    monkeypatch.setenv("NIDSLIB_DATASET", "cicids2017")
    monkeypatch.setenv("NIDSLIB_DATA", str(tmp_path / "empty"))
    with pytest.raises(FileNotFoundError, match="MachineLearningCVE"):
        load_week()
    monkeypatch.setenv("NIDSLIB_DATASET", "cse-cic-ids2018")
    with pytest.raises(FileNotFoundError, match="CSE-CIC-IDS2018"):
        load_week()
    with pytest.raises(ValueError, match="dataset must be one of"):
        load_week("nsl-kdd")
    assert fake_simulation == [] and datasets.DATASETS == ("twin", "cicids2017", "cse-cic-ids2018")


def test_load_clean_splits_is_chapter_1s_split_and_is_cached(monkeypatch, tmp_path):
    monkeypatch.setenv("NIDSLIB_CACHE", str(tmp_path / "cache"))
    monkeypatch.delenv("NIDSLIB_DATASET", raising=False)
    first = splits.load_clean_splits()
    assert not any(first.missing.values()), "every family in every part"
    parts = [first.train, first.val, first.test]
    assert sum(map(len, parts)) == len(pd.concat(parts).drop_duplicates())
    for part in parts:
        assert part["category"].isin(schema.FAMILIES).all()
    again = splits.load_clean_splits()
    for a, b in zip(parts, [again.train, again.val, again.test]):
        pd.testing.assert_frame_equal(a.reset_index(drop=True), b.reset_index(drop=True))


def test_load_clean_splits_keeps_the_split_another_process_saved_first(monkeypatch, tmp_path):
    monkeypatch.setenv("NIDSLIB_CACHE", str(tmp_path / "cache"))
    monkeypatch.delenv("NIDSLIB_DATASET", raising=False)
    save = splits.save_splits

    def another_process_was_faster(parts, staging):
        save(parts, staging.with_name(staging.name.split(".partial")[0]))
        return save(parts, staging)

    monkeypatch.setattr(splits, "save_splits", another_process_was_faster)
    first = splits.load_clean_splits()
    assert [p.name for p in (tmp_path / "cache").glob("splits-*")] == [
        f"splits-twin-small-seed0-{paths.library_digest()}"]
    again = splits.load_clean_splits()
    pd.testing.assert_frame_equal(first.test.reset_index(drop=True), again.test.reset_index(drop=True))
