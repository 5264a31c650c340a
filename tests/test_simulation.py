"""The twin: real format, real quirks, consistent features, the real week, determinism."""

import hashlib

import numpy as np
import pandas as pd
import pytest

from nidslib.data import schema
from nidslib.twin import simulation
from nidslib.packets.flowmeter import Packets, flow_features

from conftest import SHARED_DATASETS, needs_genuine

GENUINE_HEAD = SHARED_DATASETS / "cicids2017" / "friday_ddos_head" / "Friday-WorkingHours-Afternoon-DDos.pcap_ISCX.head10k.csv"


def test_writes_the_eight_real_file_names(twin_week):
    assert [p.name for p in twin_week] == [name for name, *_ in schema.WEEK_FILES]


@needs_genuine(GENUINE_HEAD)
def test_header_is_byte_for_byte_the_real_one(twin_week):
    with open(GENUINE_HEAD, "rb") as real:
        real_header = real.readline()
    for path in twin_week:
        with open(path, "rb") as twin:
            assert twin.readline() == real_header, path.name


def test_header_matches_the_schema(twin_week):
    first_line = twin_week[0].read_bytes().split(b"\r\n", 1)[0]
    assert first_line.decode("ascii").split(",") == list(schema.MACHINE_LEARNING_CVE_HEADER)


def test_raw_quirks_are_present(twin_week):
    raw = b"".join(p.read_bytes() for p in twin_week)
    assert raw.count(b"\r\n") == raw.count(b"\n"), "every line ends in CRLF"
    assert b",Infinity," in raw and b",NaN," in raw
    assert b"Web Attack \x96 XSS\r\n" in raw and b"Web Attack \x96 Sql Injection\r\n" in raw
    frame = pd.concat([pd.read_csv(p, encoding="latin-1") for p in twin_week])
    features = frame.drop(columns=" Label").apply(pd.to_numeric)
    assert (features[" Flow IAT Min"] < 0).any(), "clock steps give negative IATs"
    assert (features["Init_Win_bytes_forward"] == -1).any()
    share = frame.duplicated().mean()
    assert 0.05 < share < 0.15, f"exact duplicates {share:.1%}, the real data has 10.9 %"
    features.columns = [schema.snake_case(c) for c in features.columns]
    for column in schema.ALWAYS_ZERO_FEATURES:
        assert (features[column] == 0).all().all(), column


def test_each_day_holds_the_classes_the_real_day_holds(twin_frames):
    for name, _day, _rows, labels in schema.WEEK_FILES:
        assert set(twin_frames[name]["Label"]) == set(labels), name


def test_class_proportions_follow_the_real_ones():
    counts = simulation.label_counts("small")
    total = pd.Series({lab: 0 for lab in schema.LABELS})
    for per_file in counts.values():
        total = total.add(pd.Series(per_file), fill_value=0)
    assert 60_000 < total.sum() < 80_000
    for label in ("BENIGN", "DoS Hulk", "PortScan", "DDoS"):
        real = schema.REAL_LABEL_COUNTS[label] / sum(schema.REAL_LABEL_COUNTS.values())
        assert total[label] / total.sum() == pytest.approx(real, rel=0.02), label
    assert total["Heartbleed"] == 11 and total["Infiltration"] <= 20, "rare classes stay rare"
    full = simulation.label_counts("full")
    assert sum(sum(f.values()) for f in full.values()) == 2_830_743


def test_attacks_happen_in_their_campaign_hours(twin_frames):
    wednesday = twin_frames["Wednesday-workingHours.pcap_ISCX.csv"]
    hulk = wednesday.loc[wednesday["Label"] == "DoS Hulk", "start_hour"]
    begin, end = simulation.CAMPAIGNS["DoS Hulk"][0]
    # Connections start inside the campaign; a flow of one starts at most 120 s later (the
    # flow timeout, or the packets after its first FIN).
    assert hulk.between(begin, end + 120 / 3600).all()
    assert hulk.between(begin, end).mean() > 0.95
    assert wednesday["start_hour"].is_monotonic_increasing, "rows are in time order"


def test_features_are_consistent(twin_frames):
    flows = pd.concat(twin_frames.values(), ignore_index=True)
    finite = flows[(flows["flow_duration"] > 0)]
    total_bytes = finite["total_length_of_fwd_packets"] + finite["total_length_of_bwd_packets"]
    np.testing.assert_allclose(finite["flow_bytes_per_s"] * finite["flow_duration"] / 1e6, total_bytes, rtol=1e-9, atol=1e-6)
    packets = flows["total_fwd_packets"] + flows["total_backward_packets"]
    assert (flows["fwd_packet_length_max"] >= flows["fwd_packet_length_mean"]).all()
    assert (flows["fwd_packet_length_mean"] >= flows["fwd_packet_length_min"]).all()
    assert (flows["max_packet_length"] >= flows[["fwd_packet_length_max", "bwd_packet_length_max"]].max(axis=1)).all()
    np.testing.assert_allclose(flows["packet_length_variance"], flows["packet_length_std"] ** 2)
    assert (flows["down_up_ratio"] == np.floor(flows["total_backward_packets"] / flows["total_fwd_packets"])).all()
    assert (flows["flow_duration"] <= 120_000_000).all(), "CICFlowMeter's flow timeout"
    single = flows[packets == 1]
    assert (single["flow_iat_max"] == 0).all()
    zero = flows[flows["flow_duration"] == 0]
    assert np.isinf(zero["flow_packets_per_s"]).all()


def test_flow_features_on_a_hand_made_flow():
    # One flow: client sends 10 bytes at t=0, server answers 100 bytes at t=1000 us,
    # client sends 0 bytes at t=3000 us.
    packets = Packets(flow=np.array([0, 0, 0]), time_us=np.array([0, 1000, 3000]),
                      payload=np.array([10, 100, 0]), forward=np.array([True, False, True]), n_flows=1)
    flags = {k: np.zeros(1) for k in ("fin", "syn", "rst", "psh", "ack", "urg")}
    f = flow_features(packets, header_fwd=np.array([20.0]), header_bwd=np.array([20.0]),
                      init_win_fwd=np.array([8192]), init_win_bwd=np.array([229]),
                      flags=flags, destination_port=np.array([80]))
    assert f["flow_duration"][0] == 3000
    assert f["flow_bytes_per_s"][0] == pytest.approx(110 / 0.003)
    assert f["flow_iat_mean"][0] == 1500 and f["flow_iat_max"][0] == 2000
    assert f["fwd_iat_total"][0] == 3000 and f["bwd_iat_total"][0] == 0
    assert f["fwd_packet_length_std"][0] == pytest.approx(np.std([10, 0], ddof=1))
    assert f["fwd_header_length"][0] == 40 and f["act_data_pkt_fwd"][0] == 1
    # CICFlowMeter counts the first packet twice in the packet-length statistics.
    assert f["packet_length_mean"][0] == pytest.approx((10 + 10 + 100 + 0) / 4)
    assert f["average_packet_size"][0] == pytest.approx(120 / 3)


def test_same_seed_same_bytes_other_seed_other_bytes(tmp_path):
    def digest(seed, folder):
        paths = simulation.write_week(folder, profile="small", seed=seed)
        return hashlib.sha256(b"".join(p.read_bytes() for p in paths)).hexdigest()
    assert digest(0, tmp_path / "a") == digest(0, tmp_path / "b")
    assert digest(0, tmp_path / "a") != digest(1, tmp_path / "c")


def test_the_twins_capture_gives_back_its_rows(tmp_path):
    """Issue 15's round trip: the extractor on the twin's pcap writes every row of its CSV."""
    from nidslib.packets.capture import read_capture
    from nidslib.packets.flowmeter import features_from_flows
    from nidslib.packets.flows import build_flows

    name = "Friday-WorkingHours-Afternoon-PortScan.pcap_ISCX.csv"
    simulation.write_week(tmp_path, "small", 0, captures=[name])
    assert [p.name for p in tmp_path.glob("*.pcap")] == ["Friday-WorkingHours-Afternoon-PortScan.pcap"]
    table, report = read_capture(tmp_path / simulation.capture_name(name), padding_as_payload=True)
    assert report.packets_used == report.packets_read
    extracted = pd.DataFrame(features_from_flows(build_flows(table, udp_header_from_tcp=True)),
                             columns=list(schema.FEATURES)).assign(Label="")
    # Both sides as the CSV writes them (ten significant digits): equal "within rounding".
    found = set(map(tuple, simulation._to_csv_text(extracted).iloc[:, :-1].astype(str).to_numpy()))
    rows = pd.read_csv(tmp_path / name, encoding="cp1252", dtype=str, keep_default_na=False)
    missing = [row for row in map(tuple, rows.iloc[:, :-1].to_numpy()) if row not in found]
    assert len(rows) > 5_000 and not missing
    # Without the padding the short frames' 6 bytes are gone, and rows with them differ.
    bare, _ = read_capture(tmp_path / simulation.capture_name(name))
    assert (bare.payload_length < table.payload_length).any()


def test_captures_are_asked_of_known_files_and_the_original_meter(tmp_path):
    with pytest.raises(KeyError, match="no such file in the week"):
        simulation.write_week(tmp_path, "small", 0, captures=["Sunday.pcap_ISCX.csv"])
    with pytest.raises(ValueError, match="original meter only"):
        simulation.simulate_file("Monday-WorkingHours.pcap_ISCX.csv", {"BENIGN": 5},
                                 np.random.default_rng(0), meter="repaired",
                                 capture=tmp_path / "x.pcap")


def test_the_repaired_meter_writes_the_same_traffic_one_row_per_connection(tmp_path):
    """write_week(meter="repaired"): the same labels, the connections whole (not cut at the
    first FIN), and one corrected label per row beside the files."""
    name = "Friday-WorkingHours-Afternoon-DDos.pcap_ISCX.csv"
    weeks = {meter: tmp_path / meter for meter in ("original", "repaired")}
    for meter, folder in weeks.items():
        simulation.write_week(folder, "small", 0, meter=meter)
    read = {meter: pd.read_csv(folder / name, encoding="cp1252", skipinitialspace=True)
            for meter, folder in weeks.items()}
    assert set(read["repaired"]["Label"]) == set(read["original"]["Label"])
    duration = {meter: rows.loc[rows["Label"] == "DDoS", "Flow Duration"].median()
                for meter, rows in read.items()}
    assert duration["repaired"] > 2 * duration["original"]
    rows = sum(len(pd.read_csv(p, encoding="cp1252", usecols=[0]))
               for p in weeks["repaired"].glob("*.csv"))
    labels = (weeks["repaired"] / simulation.CORRECTED_LABELS_FILE).read_text().splitlines()
    assert len(labels) == rows
    with pytest.raises(ValueError, match="original meter only"):
        simulation.write_week(tmp_path / "x", "small", 0, captures=True, meter="repaired")


def test_unknown_profile_is_a_clear_error():
    with pytest.raises(ValueError, match="unknown twin profile 'huge'"):
        simulation.label_counts("huge")
