"""Reading captures (nidslib.packets.capture) against the writer and against a plain reference parser."""

import gzip
import struct
from pathlib import Path

import numpy as np
import pytest
from conftest import SHARED_DATASETS, genuine_or_skip

from nidslib.packets.capture import CaptureFormatError, read_capture, read_packets
from nidslib.packets.table import PacketTable
from nidslib.packets.capture_write import (ETHERNET, IPV4, IPV6, RAW, SLL, SLL2, Packet, link_frame,
                                   pcapng_block, pcapng_interface, pcapng_section, write_pcap,
                                   write_pcapng, write_table)

T0 = 1_499_000_000_000_000  # 2017-07-02, microseconds


def mixed_packets(n=40):
    """TCP, UDP, ICMP over IPv4 and IPv6, with payloads of several lengths."""
    packets = []
    for i in range(n):
        v6 = i % 4 == 3
        src, dst = ("2001:db8::10", "2001:db8::20") if v6 else ("192.168.10.5", "205.174.165.73")
        protocol = (6, 17, 58 if v6 else 1)[i % 3]
        packets.append(Packet(T0 + 1000 * i, src, dst, protocol,
                              src_port=0 if protocol in (1, 58) else 40000 + i,
                              dst_port=0 if protocol in (1, 58) else 80,
                              tcp_flags=0x18 if protocol == 6 else 0,
                              tcp_window=1000 + i if protocol == 6 else 0,
                              payload=(i * 37) % 1400))
    return packets


def check_matches(table, packets):
    assert len(table) == len(packets)
    assert table.time_us.tolist() == [p.time_us for p in packets]
    assert table.src_text() == [str(p.src) for p in packets]
    assert table.dst_text() == [str(p.dst) for p in packets]
    assert table.protocol.tolist() == [p.protocol for p in packets]
    assert table.src_port.tolist() == [p.src_port for p in packets]
    assert table.dst_port.tolist() == [p.dst_port for p in packets]
    assert table.payload_length.tolist() == [p.payload for p in packets]
    tcp = table.protocol == 6
    assert table.tcp_flags[tcp].tolist() == [p.tcp_flags for p in packets if p.protocol == 6]
    assert table.tcp_window[tcp].tolist() == [p.tcp_window for p in packets if p.protocol == 6]
    assert (table.tcp_flags[~tcp] == 0).all()
    assert (table.ip_length == table.header_length + table.payload_length).all()


@pytest.mark.parametrize("link_type", [ETHERNET, SLL, SLL2, RAW, 12, 14])
@pytest.mark.parametrize("nanosecond", [False, True])
@pytest.mark.parametrize("byte_order", ["<", ">"])
def test_pcap_round_trip(tmp_path, link_type, nanosecond, byte_order):
    packets = mixed_packets()
    path = tmp_path / "mixed.pcap"
    write_pcap(path, packets, link_type=link_type, nanosecond=nanosecond, byte_order=byte_order)
    table, report = read_capture(path)
    check_matches(table, packets)
    assert (report.format, report.packets_read, report.packets_used) == ("pcap", 40, 40)
    assert report.packets_skipped == 0 and not report.file_truncated


def test_raw_ipv4_and_ipv6_link_types(tmp_path):
    v4 = [p for p in mixed_packets() if ":" not in p.src]
    v6 = [p for p in mixed_packets() if ":" in p.src]
    write_pcap(tmp_path / "v4.pcap", v4, link_type=IPV4)
    write_pcap(tmp_path / "v6.pcap", v6, link_type=IPV6)
    check_matches(read_capture(tmp_path / "v4.pcap")[0], v4)
    check_matches(read_capture(tmp_path / "v6.pcap")[0], v6)


def test_vlan_tags_options_and_ipv6_extensions(tmp_path):
    packets = [Packet(T0, "10.0.0.1", "10.0.0.2", 6, 1, 2, vlans=(100,), payload=10),
               Packet(T0 + 1, "10.0.0.1", "10.0.0.2", 17, 3, 4, vlans=(100, 200), payload=20),
               Packet(T0 + 2, "10.0.0.1", "10.0.0.2", 6, 5, 6, ip_options=bytes(8),
                      tcp_options=bytes(12), payload=30),
               Packet(T0 + 3, "2001:db8::1", "2001:db8::2", 6, 7, 8, ipv6_extensions=(0, 60),
                      payload=40)]
    write_pcap(tmp_path / "tags.pcap", packets)
    table, report = read_capture(tmp_path / "tags.pcap")
    check_matches(table, packets)
    # IP header + options/extensions + transport header (+ TCP options)
    assert table.header_length.tolist() == [40, 28, 20 + 8 + 20 + 12, 40 + 16 + 20]


def test_unusable_packets_are_counted_by_kind(tmp_path):
    arp = (T0 + 5, bytes.fromhex("ffffffffffff020000000001" "0806") + bytes(28))
    good = Packet(T0, "10.0.0.1", "10.0.0.2", 6, 1, 2, payload=100)
    fragment = Packet(T0 + 1, "10.0.0.1", "10.0.0.2", 17, 1, 2, fragment_offset=10, payload=8)
    first_fragment = Packet(T0 + 2, "10.0.0.1", "10.0.0.2", 17, 1, 2, more_fragments=True,
                            payload=8)
    gre = Packet(T0 + 3, "10.0.0.1", "10.0.0.2", 47, payload=8)
    write_pcap(tmp_path / "mixed.pcap", [good, arp, fragment, first_fragment, gre], snaplen=65535)
    # a packet cut before its TCP header: snaplen of 14 + 20 + 10 bytes
    write_pcap(tmp_path / "short.pcap", [good], snaplen=44)
    table, report = read_capture(tmp_path / "mixed.pcap")
    assert len(table) == 1 and report.packets_read == 5
    assert report.skipped["non_ip"] == 1
    assert report.skipped["fragment"] == 2
    assert report.skipped["unsupported_transport"] == 1
    assert report.packets_used + report.packets_skipped == report.packets_read
    table, report = read_capture(tmp_path / "short.pcap")
    assert len(table) == 0 and report.skipped["truncated"] == 1


def test_snaplen_keeps_true_lengths(tmp_path):
    packets = [Packet(T0, "10.0.0.1", "10.0.0.2", 6, 1, 2, payload=1400)]
    write_pcap(tmp_path / "snap.pcap", packets, snaplen=96)
    table, _ = read_capture(tmp_path / "snap.pcap")
    assert table.payload_length.tolist() == [1400] and table.captured_length.tolist() == [96]


def test_ethernet_padding_is_payload_only_when_asked(tmp_path):
    ack = Packet(T0, "10.0.0.1", "10.0.0.2", 6, 40000, 80)  # 54 bytes, padded to 60 on the wire
    data = Packet(T0 + 1, "10.0.0.2", "10.0.0.1", 6, 80, 40000, payload=10)  # 64 bytes: none
    write_pcap(tmp_path / "pad.pcap", [(ack.time_us, link_frame(ack) + bytes(6)), data])
    write_pcap(tmp_path / "raw.pcap", [(ack.time_us, link_frame(ack, RAW) + bytes(6))],
               link_type=RAW)  # no Ethernet, no padding: trailing bytes stay uncounted
    assert read_capture(tmp_path / "pad.pcap")[0].payload_length.tolist() == [0, 10]
    padded, _ = read_capture(tmp_path / "pad.pcap", padding_as_payload=True)
    assert padded.payload_length.tolist() == [6, 10] and padded.ip_length.tolist() == [40, 50]
    raw, _ = read_capture(tmp_path / "raw.pcap", padding_as_payload=True)
    assert raw.payload_length.tolist() == [0]


def test_write_table_round_trip(tmp_path):
    packets = [p for p in mixed_packets(200) if ":" not in p.src and p.protocol in (6, 17)]
    write_pcap(tmp_path / "full.pcap", packets)
    table, _ = read_capture(tmp_path / "full.pcap")
    assert write_table(tmp_path / "headers.pcap", table) == len(table)
    again, report = read_capture(tmp_path / "headers.pcap")
    assert report.packets_used == len(table)
    for field in ("time_us", "src", "dst", "src_port", "dst_port", "protocol", "ip_length",
                  "header_length", "payload_length", "tcp_flags", "tcp_window"):
        assert np.array_equal(getattr(again, field), getattr(table, field)), field
    # headers only; a frame under Ethernet's 60 bytes whole, padded
    frame = 14 + table.ip_length.astype(int)
    assert again.captured_length.tolist() == np.where(
        frame < 60, 60, 14 + table.header_length.astype(int)).tolist()
    write_pcap(tmp_path / "v6.pcap", [Packet(T0, "2001:db8::1", "2001:db8::2", 17, 1, 2)])
    with pytest.raises(ValueError, match="IPv4 packets only"):
        write_table(tmp_path / "out.pcap", read_capture(tmp_path / "v6.pcap")[0])


def test_chunks_and_small_blocks_give_the_same_table(tmp_path):
    packets = mixed_packets(500)
    write_pcap(tmp_path / "many.pcap", packets)
    whole, _ = read_capture(tmp_path / "many.pcap")
    reader = read_packets(tmp_path / "many.pcap", chunk_size=64, block_size=1000)
    chunks = list(reader)
    assert [len(c) for c in chunks] == [64] * 7 + [52]
    check_matches(PacketTable.concat(chunks), packets)
    assert reader.report.packets_read == 500
    for field in ("time_us", "src", "ip_length", "tcp_flags"):
        assert np.array_equal(getattr(whole, field), getattr(PacketTable.concat(chunks), field))


def plain_walk(buf, filled, order):
    """The reference walk: one record after another from offset 0."""
    offsets, off = [], 0
    while off + 16 <= filled:
        length = struct.unpack_from(order + "I", buf, off + 8)[0]
        if off + 16 + length > filled:
            break
        offsets.append(off)
        off += 16 + length
    return offsets, off


@pytest.mark.parametrize("seed, order", [(0, "<"), (1, "<"), (2, ">")])
def test_the_record_walk_matches_a_plain_walk_despite_decoy_headers(seed, order):
    """walk_pcap starts a walker per 64 KiB from the first offset that looks like a record
    header; payloads full of record-header look-alikes must not change the records."""
    from nidslib.packets.decode import Views
    from nidslib.packets.records import walk_pcap

    rng = np.random.default_rng(seed)
    parts = []
    for _ in range(6000):
        length = int(rng.integers(0, 400))
        payload = bytearray(rng.integers(0, 256, length, dtype=np.uint8).tobytes())
        if length >= 200:  # a pcap carried as payload: a chain of plausible records
            at = int(rng.integers(0, 40))
            while at + 40 <= length:
                payload[at:at + 16] = struct.pack(order + "IIII", 1_499_000_000, 5, 8, 8)
                at += 24
        parts.append(struct.pack(order + "IIII", 1_499_000_000 + len(parts), 7, length, length)
                     + bytes(payload))
    data = b"".join(parts)
    filled = len(data) - int(rng.integers(1, 300))  # the last record cut
    buf = bytearray(data[:filled] + bytes(4096))
    offsets, next_offset, _ = walk_pcap(buf, Views(buf, order).u32, filled, order, False, 65535)
    assert filled >= 8 << 16  # enough 64 KiB segments for the walkers to run
    assert (offsets.tolist(), next_offset) == plain_walk(buf, filled, order)


def test_a_file_cut_inside_a_record_is_reported(tmp_path):
    path = tmp_path / "cut.pcap"
    write_pcap(path, mixed_packets(10))
    data = path.read_bytes()
    path.write_bytes(data[:-7])
    table, report = read_capture(path)
    assert len(table) == 9 and report.file_truncated and report.skipped["truncated"] == 1
    assert "ends inside the record" in report.note


@pytest.mark.parametrize("byte_order", ["<", ">"])
def test_pcapng_interfaces_resolutions_and_simple_blocks(tmp_path, byte_order):
    packets = mixed_packets(12)
    interfaces = ((ETHERNET, None), (RAW, 9), (SLL, 0x80 | 20))  # µs, ns, 2^-20 s
    path = tmp_path / "multi.pcapng"
    write_pcapng(path, [(i % 3, p) for i, p in enumerate(packets)], interfaces,
                 byte_order=byte_order)
    table, report = read_capture(path)
    assert report.format == "pcapng" and report.packets_read == 12
    assert table.src_text() == [p.src for p in packets]
    # a binary resolution of 2^-20 s rounds to the microsecond below
    assert np.abs(table.time_us - np.array([p.time_us for p in packets])).max() <= 1
    simple = tmp_path / "simple.pcapng"
    write_pcapng(simple, [(1, packets[0]), (0, packets[1]), (0, packets[2])],
                 ((ETHERNET, None), (ETHERNET, None)), simple=True)
    table, _ = read_capture(simple)
    # Simple Packet Blocks carry no time: they take the time of the packet before them
    assert table.time_us.tolist() == [packets[0].time_us] * 3


def test_pcapng_unknown_blocks_and_link_types_are_skipped(tmp_path):
    packet = Packet(T0, "10.0.0.1", "10.0.0.2", 6, 1, 2, payload=5)
    frame = link_frame(packet)
    epb = pcapng_block(6, struct.pack("<IIIII", 0, T0 >> 32, T0 & 0xFFFFFFFF, len(frame),
                                      len(frame)) + frame)
    other = pcapng_block(6, struct.pack("<IIIII", 1, T0 >> 32, T0 & 0xFFFFFFFF, 4, 4) + bytes(4))
    path = tmp_path / "odd.pcapng"
    path.write_bytes(pcapng_section() + pcapng_interface(ETHERNET) + pcapng_interface(105)
                     + pcapng_block(0xBAD, b"whatever") + epb + other)
    table, report = read_capture(path)
    assert len(table) == 1 and report.skipped["unsupported_link_type"] == 1


@pytest.mark.parametrize("content, expected", [
    (b"", "the file is empty"),
    (b"hello, this is text and not a capture", "not a packet capture"),
    (gzip.compress(b"x" * 100), "gzip-compressed"),
    (b"\xd4\xc3\xb2\xa1\x02\x00", "too short"),
])
def test_not_a_capture_gets_one_clear_error(tmp_path, content, expected):
    path = tmp_path / "bad.pcap"
    path.write_bytes(content)
    with pytest.raises(CaptureFormatError, match=expected) as caught:
        read_capture(path)
    assert str(path) in str(caught.value)


def test_unsupported_link_type_is_named(tmp_path):
    path = tmp_path / "wifi.pcap"
    path.write_bytes(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 105))
    with pytest.raises(CaptureFormatError, match=r"link type 105 is not supported"):
        read_capture(path)


def reference_packets(path):
    """A plain per-packet parser of an Ethernet/IPv4 classic pcap: the oracle."""
    data = Path(path).read_bytes()
    rows, at = [], 24
    while at + 16 <= len(data):
        seconds, micro, captured, _ = struct.unpack_from("<IIII", data, at)
        frame = data[at + 16:at + 16 + captured]
        at += 16 + captured
        if len(frame) < 34 or struct.unpack_from("!H", frame, 12)[0] != 0x0800:
            rows.append(None)
            continue
        ihl = (frame[14] & 0x0F) * 4
        total, = struct.unpack_from("!H", frame, 16)
        fragment = struct.unpack_from("!H", frame, 20)[0] & 0x3FFF
        protocol = frame[23]
        ports = (struct.unpack_from("!HH", frame, 14 + ihl) if protocol in (6, 17)
                 and len(frame) >= 14 + ihl + 4 else (0, 0))
        flags = frame[14 + ihl + 13] if protocol == 6 and len(frame) > 14 + ihl + 13 else 0
        rows.append((seconds * 1_000_000 + micro, frame[26:30], frame[30:34], protocol, total,
                     *ports, flags, fragment))
    return rows


@pytest.mark.parametrize("name", ["synscan.pcap", "WebattackSQLinj.pcap",
                                  "CIC-DDoS-2019-SynFlood.pcap", "pkt.TCP.synflood.spoofed.pcap"])
def test_genuine_captures_match_a_reference_parser(name):
    path = genuine_or_skip(SHARED_DATASETS / "pcap" / name)
    expected = reference_packets(path)
    table, report = read_capture(path, chunk_size=5000)
    assert report.packets_read == len(expected)
    usable = [r for r in expected if r is not None and r[-1] == 0 and r[3] in (1, 6, 17)]
    assert report.packets_used == len(table) == len(usable)
    assert table.time_us.tolist() == [r[0] for r in usable]
    assert [bytes(a[12:]) for a in table.src] == [r[1] for r in usable]
    assert [bytes(a[12:]) for a in table.dst] == [r[2] for r in usable]
    assert table.protocol.tolist() == [r[3] for r in usable]
    assert table.ip_length.tolist() == [r[4] for r in usable]
    assert table.src_port.tolist() == [r[5] for r in usable]
    assert table.dst_port.tolist() == [r[6] for r in usable]
    assert table.tcp_flags.tolist() == [r[7] for r in usable]
