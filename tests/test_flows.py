"""Packets into flows (nidslib.packets.flows, flowmeter.features_from_flows, the CLI): each
rule of the original CICFlowMeter on packets made for it, and the genuine CICIDS2017 rows of
a genuine capture reproduced feature by feature."""

import numpy as np
import pandas as pd
import pytest

from nidslib import cli
from nidslib.data import rawcsv, schema
from nidslib.packets.capture import read_capture
from nidslib.packets.capture_write import Packet, write_pcap
from nidslib.packets.flowmeter import features_from_flows
from nidslib.packets.flows import FLOW_TIMEOUT_US, build_flows
from nidslib.packets.table import format_addresses

from conftest import SHARED_DATASETS, needs_genuine

C, S = "192.168.10.5", "104.16.207.165"  # client and server; 192 < 104 as signed bytes
T0 = 1_499_348_407_000_000
SYN, FIN, RST, PSH, ACK, URG, ECE, CWR = 0x02, 0x01, 0x04, 0x08, 0x10, 0x20, 0x40, 0x80


def flows_of(tmp_path, packets, **options):
    path = tmp_path / "made.pcap"
    write_pcap(path, packets)
    flows = build_flows(read_capture(path)[0], **options)
    return flows, pd.DataFrame(features_from_flows(flows))


def tcp(dt, forward=True, flags=ACK, payload=0, window=1000):
    src, dst, sport, dport = (C, S, 40000, 443) if forward else (S, C, 443, 40000)
    return Packet(T0 + dt, src, dst, 6, sport, dport, tcp_flags=flags, tcp_window=window,
                  payload=payload)


def test_key_and_direction_follow_the_first_packet(tmp_path):
    flows, f = flows_of(tmp_path, [tcp(0, False, SYN | ACK), tcp(5), tcp(9, False)])
    assert flows.flow_id() == [f"{C}-{S}-40000-443-6"]  # signed-byte order, not the sender's
    assert format_addresses(flows.src) == [S] and flows.src_port.tolist() == [443]  # the first packet's
    assert flows.forward.tolist() == [True, False, True]
    assert f["total_fwd_packets"][0] == 2 and f["destination_port"][0] == 40000


def test_the_first_fin_ends_the_flow_unless_it_is_the_first_packet(tmp_path):
    packets = [tcp(0, flags=SYN), tcp(1, False, SYN | ACK), tcp(2, False, FIN | ACK),
               tcp(3, flags=FIN | ACK), tcp(4, False), tcp(5)]
    flows, f = flows_of(tmp_path, packets)
    # the server's FIN closes flow 1; the client's FIN-ACK starts flow 2 and does not close it
    assert flows.packet_count().tolist() == [3, 3]
    assert flows.closed_by_fin.tolist() == [True, False]
    assert format_addresses(flows.src) == [C, C] and f["flow_duration"].tolist() == [2.0, 2.0]
    assert (flows.start_us() - T0).tolist() == [0, 3] and (flows.end_us() - T0).tolist() == [2, 5]


def test_the_flow_timeout_counts_from_the_first_packet_and_keeps_the_source(tmp_path):
    packets = [tcp(0, flags=SYN), tcp(FLOW_TIMEOUT_US // 2, False),
               tcp(FLOW_TIMEOUT_US),  # exactly 120 s: still in the flow (strict >)
               tcp(FLOW_TIMEOUT_US + 1, False, window=7),  # times it out, starts flow 2...
               tcp(FLOW_TIMEOUT_US + 2, False, window=8), tcp(FLOW_TIMEOUT_US + 3)]
    flows, f = flows_of(tmp_path, packets)
    assert flows.report.timeout_splits == 1
    assert flows.packet_count().tolist() == [3, 3]
    assert f["flow_duration"][0] == FLOW_TIMEOUT_US
    # ...counted as forward although the server sent it, and the client stays the source
    assert format_addresses(flows.src) == [C, C] and flows.forward.tolist()[3:] == [True, False, True]
    assert f["init_win_bytes_forward"][1] == 7 and f["init_win_bytes_backward"][1] == 8


def test_one_packet_flows_other_protocols_and_ipv6(tmp_path):
    packets = [tcp(0, flags=SYN),  # a lone SYN: dropped
               Packet(T0 + 1, "10.0.0.1", "10.0.0.2", 1, payload=56),  # ICMP echo...
               Packet(T0 + 2, "10.0.0.2", "10.0.0.1", 1, payload=56),  # ...and reply
               Packet(T0 + 3, "2001:db8::1", "2001:db8::2", 17, 5353, 53, payload=9),
               Packet(T0 + 4, "2001:db8::2", "2001:db8::1", 17, 53, 5353, payload=20)]
    flows, f = flows_of(tmp_path, packets)
    assert flows.report.one_packet_flows == 1 and flows.report.ipv6_packets == 2
    assert flows.report.other_protocol_packets == 2
    # ICMP is protocol 0 without ports, payload or header, window -1 (as the 2017 tool)
    assert flows.flow_id() == ["10.0.0.1-10.0.0.2-0-0-0"]
    assert f["total_length_of_fwd_packets"][0] == 0 and f["init_win_bytes_forward"][0] == -1
    with_ipv6, g = flows_of(tmp_path, packets, ipv6=True)
    assert with_ipv6.n_flows == 2 and g["total_length_of_bwd_packets"].tolist() == [0, 20]


def test_per_packet_rules_of_the_2017_tool(tmp_path):
    packets = [tcp(0, flags=SYN | ECE | CWR, window=29200),
               tcp(100, False, SYN | ACK, window=28960), tcp(200, payload=0),
               tcp(300, payload=6), tcp(400, False, payload=100, window=235),
               tcp(6_000_400, payload=0, flags=PSH | ACK),
               tcp(6_000_500, False, FIN | ACK, payload=200, window=236)]
    _, f = flows_of(tmp_path, packets)
    row = f.iloc[0]
    # flags of the first packet only, in the columns of a Java HashMap's order
    assert (row["rst_flag_count"], row["psh_flag_count"], row["ece_flag_count"]) == (1, 1, 1)
    assert row["syn_flag_count"] == row["fwd_psh_flags"] == 0 and row["ack_flag_count"] == 0
    # the backward window is the last backward packet's; act_data skips the first packet
    assert row["init_win_bytes_forward"] == 29200 and row["init_win_bytes_backward"] == 236
    assert row["act_data_pkt_fwd"] == 1
    # the first packet counted twice in the length statistics, once in the packet count
    assert row["packet_length_mean"] == pytest.approx(306 / 8)
    assert row["average_packet_size"] == pytest.approx(306 / 7)
    # an idle gap over 5 s ends an active period; the last period and the FIN's gap never
    # count
    assert (row["active_mean"], row["idle_mean"]) == (400, 6_000_000)
    assert row["fwd_header_length"] == 4 * 20 and row["min_seg_size_forward"] == 20


@needs_genuine(SHARED_DATASETS / "pcap" / "WebattackSQLinj.pcap",
               SHARED_DATASETS / "cicids2017" / "mondirkb_trafficlabelling" / "baseline_sqli.csv")
def test_a_genuine_capture_gives_its_genuine_cicids2017_rows():
    """The SQL-injection session of Thursday 6 July 2017, through the extractor, against
    the rows CICIDS2017 published for it: every one of the 77 features equal."""
    flows = build_flows(read_capture(SHARED_DATASETS / "pcap" / "WebattackSQLinj.pcap")[0])
    ours = pd.DataFrame(features_from_flows(flows)).assign(source_port=flows.src_port)
    genuine = rawcsv.read_cicids2017_csv(
        SHARED_DATASETS / "cicids2017" / "mondirkb_trafficlabelling" / "baseline_sqli.csv",
        format="TrafficLabelling")
    genuine.columns = [schema.snake_case(c) for c in genuine.columns]
    genuine = genuine[genuine["source_port"].isin(flows.src_port)]
    key = ["source_port", "flow_duration", "total_fwd_packets"]
    merged = genuine.merge(ours, on=key, suffixes=("_genuine", ""), validate="one_to_one")
    # 16 of the 18 flows are in the sample, which holds only rows labelled SQL injection:
    # the other 2 are the closing tails of the last two connections
    assert len(genuine) == len(merged) == 16 and flows.n_flows == 18
    for name in set(schema.FEATURES) - set(key):
        np.testing.assert_allclose(merged[name], merged[f"{name}_genuine"], rtol=1e-9,
                                   err_msg=name)


def test_cli_writes_a_file_the_book_reads_and_fails_cleanly(tmp_path, capsys):
    capture, output = tmp_path / "made.pcap", tmp_path / "flows.csv"
    write_pcap(capture, [tcp(0, flags=SYN), tcp(0, False, SYN | ACK), tcp(10)])
    assert cli.main(["flows", str(capture), "-o", str(output)]) == 0
    assert "3 packets, 1 flows" in capsys.readouterr().err
    table = rawcsv.read_cicids2017_csv(output, format="TrafficLabelling")
    assert list(table.columns[:2]) == ["Flow ID", " Source IP"] and len(table) == 1
    assert table["Flow Bytes/s"][0] == 0 and table[" Label"][0] == "Unlabelled"
    write_pcap(capture, [tcp(0, flags=SYN), tcp(0, False, SYN | ACK)])  # zero duration
    assert cli.main(["flows", str(capture), "-o", str(output)]) == 0
    table = rawcsv.read_cicids2017_csv(output, format="TrafficLabelling")
    assert np.isnan(table["Flow Bytes/s"][0]) and np.isinf(table[" Flow Packets/s"][0])
    capsys.readouterr()
    write_pcap(capture, [tcp(0, flags=SYN), Packet(T0 + 1, C, S, 6, 40001, 443, tcp_flags=SYN)])
    assert cli.main(["flows", str(capture), "-o", str(output)]) == 0  # two lone SYNs
    assert "0 flows" in (err := capsys.readouterr().err) and "one-packet flows 2" in err
    (tmp_path / "text.pcap").write_text("not a capture")
    assert cli.main(["flows", str(tmp_path / "text.pcap"), "-o", str(output)]) == 2
    assert cli.main(["flows", str(tmp_path / "missing.pcap"), "-o", str(output)]) == 2
    errors = capsys.readouterr().err.splitlines()
    assert len(errors) == 2 and "not a packet capture" in errors[0]
    assert "missing.pcap" in errors[1] and "Traceback" not in "".join(errors)


def _random_table(rng, n, n_hosts=3):
    """n packets among a few hosts and 2 port pairs, with FINs, over a few timeouts' span."""
    from nidslib.packets.table import PacketTable, parse_address

    names = ["10.0.0.1", "10.0.0.2", "192.168.1.9"] + [f"172.16.0.{i}" for i in range(n_hosts)]
    hosts = np.array([parse_address(a) for a in names[:n_hosts]])
    a = rng.integers(0, n_hosts, n)
    b = (a + rng.integers(1, n_hosts, n)) % n_hosts
    ports = np.array([[1000, 80], [1001, 80]])[rng.integers(0, 2, n)]
    swap = rng.random(n) < 0.4
    return PacketTable(
        time_us=np.sort(rng.integers(0, 40, n)) * 10,  # a 100 us timeout: several splits
        src=hosts[a], dst=hosts[b],
        src_port=np.where(swap, ports[:, 1], ports[:, 0]).astype(np.uint16),
        dst_port=np.where(swap, ports[:, 0], ports[:, 1]).astype(np.uint16),
        protocol=np.where(rng.random(n) < 0.9, 6, 1).astype(np.uint8),
        ip_length=np.full(n, 40, np.uint32), header_length=np.full(n, 40, np.uint16),
        transport_header_length=np.full(n, 20, np.uint16),
        payload_length=rng.integers(0, 3, n).astype(np.uint32),
        tcp_flags=np.where(rng.random(n) < 0.15, FIN | ACK, ACK).astype(np.uint8),
        tcp_window=rng.integers(0, 5, n).astype(np.uint16),
        captured_length=np.full(n, 54, np.uint32))


@pytest.mark.parametrize("seed", range(20))
@pytest.mark.parametrize("n_hosts, n_cuts", [(3, 6), (12, 40)])  # (12, 40): many flows wait
def test_streaming_in_chunks_gives_the_flows_of_the_whole_capture(seed, n_hosts, n_cuts):
    from nidslib.packets.flows import stream_flows
    from nidslib.packets.table import PacketTable

    rng = np.random.default_rng(seed)
    table = _random_table(rng, 300, n_hosts)
    whole = build_flows(table, flow_timeout_us=100)
    cuts = np.sort(rng.choice(np.arange(1, 300), n_cuts, replace=False))
    chunks = [table[a:b] for a, b in zip(np.r_[0, cuts], np.r_[cuts, 300])]
    parts = list(stream_flows(chunks, flow_timeout_us=100))
    assert whole.report.timeout_splits > 0
    assert sum(p.n_flows for p in parts) == whole.n_flows
    streamed = {name: np.concatenate([getattr(p, name) for p in parts])
                for name in ("src", "dst", "src_port", "dst_port", "protocol", "closed_by_fin",
                             "started_by_timeout", "forward", "packet_number")}
    for name, values in streamed.items():
        np.testing.assert_array_equal(values, getattr(whole, name), err_msg=name)
    ours = pd.concat([pd.DataFrame(features_from_flows(p)) for p in parts], ignore_index=True)
    pd.testing.assert_frame_equal(ours, pd.DataFrame(features_from_flows(whole)))
    assert parts[-1].report.one_packet_flows == whole.report.one_packet_flows
    assert PacketTable.concat([p.packets for p in parts]).time_us.tolist() == \
        whole.packets.time_us.tolist()


@pytest.mark.parametrize("seed", range(20))
def test_both_rules_at_once_agree_with_the_packet_by_packet_walk(seed, monkeypatch):
    """assembly._flow_starts applies the FIN and timeout rules to every key at once; the
    packet-by-packet walk (_walk_group) is the reference, run here on every key."""
    from nidslib.packets import assembly

    rng = np.random.default_rng(seed)
    table = _random_table(rng, 400, n_hosts=5)
    if seed % 2:  # clock steps back inside some keys: those keys are walked either way
        table.time_us[rng.integers(0, 400, 5)] -= 150
    if seed % 5 == 4:  # absurd timestamps, as a damaged pcapng can give: spans past int64
        table.time_us[:] = np.sort(rng.integers(-2 ** 62, 2 ** 63 - 1, 400))
    fast = build_flows(table, flow_timeout_us=100)

    def every_group_walked(time, fin, group, group_start, group_end, pinned, timeout):
        none = np.zeros(0, np.int64)
        return none, none, none.astype(bool), none.astype(bool), 0, np.arange(len(group_start))

    monkeypatch.setattr(assembly, "_flow_starts", every_group_walked)
    walked = build_flows(table, flow_timeout_us=100)
    assert fast.report.timeout_splits == walked.report.timeout_splits > 0
    assert fast.report.one_packet_flows == walked.report.one_packet_flows
    for name in ("flow", "forward", "packet_number", "src", "dst", "src_port", "dst_port",
                 "protocol", "closed_by_fin", "started_by_timeout"):
        np.testing.assert_array_equal(getattr(fast, name), getattr(walked, name), err_msg=name)


def test_udp_packets_take_the_last_tcp_header_where_asked_and_across_chunks(tmp_path):
    from nidslib.packets.flows import stream_flows

    dns, back = (C, "192.168.10.3", 17, 5353, 53), ("192.168.10.3", C, 17, 53, 5353)
    packets = [Packet(T0, *dns, payload=30),                  # before any TCP packet: 8
               Packet(T0 + 5, *back, payload=60),
               tcp(10, flags=SYN),                            # a 20-byte TCP header
               Packet(T0 + 20, *dns, payload=30),
               Packet(T0 + 30, *back, payload=60)]
    path = tmp_path / "dns.pcap"
    write_pcap(path, packets)
    table = read_capture(path)[0]
    plain = pd.DataFrame(features_from_flows(build_flows(table)))
    quirk = pd.DataFrame(features_from_flows(build_flows(table, udp_header_from_tcp=True)))
    dns_rows = plain["destination_port"] == 53
    assert plain.loc[dns_rows, "fwd_header_length"].tolist() == [16.0]      # 2 x 8
    assert quirk.loc[dns_rows, "fwd_header_length"].tolist() == [28.0]      # 8, then 20
    assert quirk.loc[dns_rows, "bwd_header_length"].tolist() == [28.0]
    assert quirk.loc[dns_rows, "min_seg_size_forward"].tolist() == [8.0]
    # In chunks, the last TCP header carries over: cut right after the TCP packet.
    parts = list(stream_flows([table[:3], table[3:]], udp_header_from_tcp=True))
    streamed = pd.concat([pd.DataFrame(features_from_flows(f)) for f in parts], ignore_index=True)
    assert streamed.loc[streamed["destination_port"] == 53, "fwd_header_length"].tolist() == [28.0]
