"""Broken captures, made by Hypothesis: the reader and the flow builder either count what
they cannot use or raise the one clear error (CaptureFormatError), never anything else.

Each case starts from a valid capture (classic pcap or pcapng, Ethernet, TCP/UDP/ICMP over
IPv4 and IPv6, VLAN tags) and breaks it: cut headers, a wrong magic, record lengths past the
end of the file, zero-length packets, absurd timestamps, random bytes overwritten."""

import struct

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nidslib.packets.capture import CaptureFormatError, read_capture
from nidslib.packets.capture_write import Packet, link_frame, write_pcap, write_pcapng
from nidslib.packets.flowmeter import features_from_flows
from nidslib.packets.flows import build_flows

FUZZ = settings(max_examples=100, deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture])

packets = st.lists(st.builds(
    Packet,
    time_us=st.integers(0, 2 ** 40),
    src=st.sampled_from(["10.0.0.1", "192.168.1.9", "2001:db8::1"]),
    dst=st.sampled_from(["10.0.0.2", "104.16.0.1", "2001:db8::2"]),
    protocol=st.sampled_from([6, 17, 1]),
    src_port=st.integers(0, 65535), dst_port=st.integers(0, 65535),
    tcp_flags=st.integers(0, 255), payload=st.integers(0, 200),
    vlans=st.sampled_from([(), (7,), (7, 9)])), min_size=1, max_size=12).filter(
    lambda ps: all((":" in p.src) == (":" in p.dst) for p in ps))


def _valid(tmp_path, ps, pcapng: bool) -> bytes:
    path = tmp_path / "valid.cap"
    if pcapng:
        write_pcapng(path, [(0, p) for p in ps])
    else:
        write_pcap(path, ps)
    return path.read_bytes()


def _read(tmp_path, data: bytes):
    """Read the bytes; the only exception allowed is the clear one. The counts add up, and
    whatever was read goes through the flow builder and the features."""
    path = tmp_path / "broken.cap"
    path.write_bytes(data)
    try:
        table, report = read_capture(path)
    except CaptureFormatError as error:
        assert str(path) in str(error)  # the message names the file
        return None
    assert report.packets_read == report.packets_used + report.packets_skipped
    assert len(table) == report.packets_used
    flows = build_flows(table, ipv6=True)
    features = features_from_flows(flows)
    assert all(len(v) == flows.n_flows for v in features.values())
    return report


@FUZZ
@given(ps=packets, pcapng=st.booleans(), cut=st.integers(0, 10_000))
def test_a_capture_cut_anywhere(tmp_path, ps, pcapng, cut):
    data = _valid(tmp_path, ps, pcapng)
    report = _read(tmp_path, data[:cut])
    if report is not None and cut < len(data) and cut > (24 if not pcapng else 200):
        assert report.packets_read <= len(ps)


@FUZZ
@given(ps=packets, pcapng=st.booleans(), data=st.data())
def test_bytes_overwritten_anywhere(tmp_path, ps, pcapng, data):
    raw = bytearray(_valid(tmp_path, ps, pcapng))
    for _ in range(data.draw(st.integers(1, 8))):
        at = data.draw(st.integers(0, len(raw) - 1))
        raw[at] = data.draw(st.integers(0, 255))
    _read(tmp_path, bytes(raw))


@FUZZ
@given(ps=packets, field=st.sampled_from(["length", "captured", "seconds", "zero"]),
       value=st.integers(0, 2 ** 32 - 1), which=st.integers(0, 11))
def test_pcap_record_headers_with_absurd_values(tmp_path, ps, field, value, which):
    """A record's lengths past the end of the file or zero, or absurd timestamps."""
    records = [bytearray(struct.pack("<IIII", p.time_us // 10 ** 6, p.time_us % 10 ** 6,
                                     len(link_frame(p)), len(link_frame(p))) + link_frame(p))
               for p in ps]
    record = records[which % len(records)]
    if field == "length":
        record[12:16] = struct.pack("<I", value)
    elif field == "captured":
        record[8:12] = struct.pack("<I", value)
    elif field == "seconds":
        record[0:4] = struct.pack("<I", value)
    else:
        record[8:16] = bytes(8)
        del record[16:]
    header = struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1)
    _read(tmp_path, header + b"".join(records))


@FUZZ
@given(data=st.binary(max_size=300), magic=st.sampled_from(
    [b"", b"\xd4\xc3\xb2\xa1", b"\x0a\x0d\x0d\x0a", b"\x4d\x3c\xb2\xa1", b"GIF8"]))
def test_random_bytes_behind_a_magic(tmp_path, data, magic):
    _read(tmp_path, magic + data)
