"""Packets into flows, by the rules of the original CICFlowMeter that made CICIDS2017.

Chapter 9 (From packets to alerts, in preparation). :func:`build_flows` groups the packets
of a :class:`~nidslib.packets.table.PacketTable` into bidirectional flows exactly as the
2017-era CICFlowMeter did; ``cicflowmeter_rules.md`` (beside this file) gives each rule with
the file and line of the Java source it comes from. The ones applied here:

- **IPv4 only** (rule 1.2): IPv6 packets are counted and left out, unless ``ipv6=True``.
- **Protocols** (1.3): TCP and UDP keep ports, lengths, flags and window; any other IP
  protocol becomes protocol 0 with no ports, no payload, no header, no flags and window -1,
  so ICMP between two hosts is one flow keyed by the address pair.
- **Flow key** (2.1): the two addresses ordered by their bytes read as *signed* Java bytes
  (192.x sorts before 104.x), the ports in the same order, the protocol; both directions
  share the key.
- **Direction** (2.3): forward is the source address of the flow's first packet; later
  packets are forward when their source address is that one (ports are not compared).
- **Flow timeout** (3.2-3.4): a packet more than 120 s (strictly) after its flow's *first*
  packet ends that flow and starts a new one under the same key, which keeps the old flow's
  addresses and ports and counts its first packet as forward, whatever its direction.
- **FIN** (5.1-5.2): the first FIN in either direction, added to the flow, ends it, unless it
  is the flow's first packet; packets after it start a new flow, their sender forward.
  RST is an ordinary packet (5.4). The timeout is tested before the FIN.
- **One-packet flows are dropped** (3.5), and counted.

Packets are taken in file order, as the Java tool read them: timestamps that go backwards
give negative gaps, as in the genuine files.

Not reproduced: the ICMP-error quirk (1.4: jnetpcap decodes the UDP/TCP header quoted inside
an ICMP error as the packet's own), which was read from the source but never run; Ethernet
padding, which the genuine CSV rows suggest was counted as payload while the jnetpcap source
says it was not (8.2): payload is what the reader put in the table, the IP length minus the
headers unless it was asked to count the padding; and the output order
of flows still open at the end of the capture (a Java ``HashMap``'s, effectively arbitrary):
here finished flows come first in the order they finished, then open flows in the order they
started.

Why hand-written: the library a reader would reach for, NFStream, builds flows by its own
rules (no FIN rule, one-packet flows kept: on a spoofed SYN flood it writes a flow per
packet), and the Python ``cicflowmeter`` port wrote no rows for the genuine captures here
(``benchmarks/README.md``, "From captures to flows"). Grouping
and both rules (FIN and timeout) are vectorised over all keys at once; only keys whose
packet times go backwards are walked packet by packet in Python
(:mod:`nidslib.packets.assembly`).

Example
-------
A TCP connection: handshake, request, answer, then the client's FIN ends the flow; the
server's FIN-ACK and the last ACK form a second, two-packet flow, as in CICIDS2017.

>>> import os, tempfile
>>> from nidslib.packets.capture import read_capture
>>> from nidslib.packets.capture_write import Packet, write_pcap
>>> c, s, t0 = "192.168.10.5", "104.16.207.165", 1_499_348_407_000_000
>>> path = os.path.join(tempfile.mkdtemp(), "one_connection.pcap")
>>> write_pcap(path, [
...     Packet(t0, c, s, 6, 54865, 443, tcp_flags=0x02),                     # SYN
...     Packet(t0 + 100, s, c, 6, 443, 54865, tcp_flags=0x12),               # SYN-ACK
...     Packet(t0 + 200, c, s, 6, 54865, 443, tcp_flags=0x18, payload=b"x" * 300),
...     Packet(t0 + 900, s, c, 6, 443, 54865, tcp_flags=0x18, payload=b"y" * 1200),
...     Packet(t0 + 1000, c, s, 6, 54865, 443, tcp_flags=0x11),              # FIN-ACK
...     Packet(t0 + 1100, s, c, 6, 443, 54865, tcp_flags=0x11),              # FIN-ACK
...     Packet(t0 + 1200, c, s, 6, 54865, 443, tcp_flags=0x10)])             # ACK
7
>>> flows = build_flows(read_capture(path)[0])
>>> flows.flow_id()
['192.168.10.5-104.16.207.165-54865-443-6', '192.168.10.5-104.16.207.165-54865-443-6']
>>> flows.packet_count().tolist(), flows.closed_by_fin.tolist()
([5, 2], [True, False])
>>> format_addresses(flows.src), flows.forward.astype(int).tolist()
(['192.168.10.5', '104.16.207.165'], [1, 0, 1, 0, 1, 1, 0])
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from nidslib.packets.assembly import (assemble, key_hash, keys_among, materialize,
                                      own_identity, prepare, src_greater)
from nidslib.packets.table import PacketTable, format_addresses

__all__ = ["FLOW_TIMEOUT_US", "FlowReport", "Flows", "build_flows", "stream_flows"]

FLOW_TIMEOUT_US = 120_000_000  # rule 3.1: 120 s, counted from the flow's first packet


@dataclass
class FlowReport:
    """What :func:`build_flows` left out, and why.

    Attributes
    ----------
    packets_in : int
        Packets given.
    ipv6_packets : int
        IPv6 packets left out (the original tool read IPv4 only).
    other_protocol_packets : int
        Packets of protocols other than TCP and UDP, kept as protocol 0 (rule 1.3).
    one_packet_flows : int
        Flows of a single packet, dropped as the original tool dropped them (rule 3.5).
    timeout_splits : int
        Flows ended by the 120 s flow timeout.
    """

    packets_in: int = 0
    ipv6_packets: int = 0
    other_protocol_packets: int = 0
    one_packet_flows: int = 0
    timeout_splits: int = 0


@dataclass
class Flows:
    """Packets grouped into flows: the packets in flow order, and one row per flow.

    Attributes
    ----------
    packets : PacketTable
        The packets of the flows, flow by flow, each flow's packets in file order, with
        CICFlowMeter's view of them: protocol 0, ports 0, payload 0, header 0 and flags 0
        for protocols other than TCP and UDP.
    flow : numpy.ndarray
        Flow index of each packet (0 .. n_flows - 1), non-decreasing.
    forward : numpy.ndarray
        bool per packet: sent by the flow's source.
    window : numpy.ndarray
        int32 TCP window per packet, -1 for other protocols (CICFlowMeter's default).
    packet_number : numpy.ndarray
        Each packet's position among the packets given (after IPv6 is left out).
    src, dst : numpy.ndarray
        (n_flows, 16) uint8 source and destination addresses of each flow.
    src_port, dst_port, protocol : numpy.ndarray
        Per flow.
    closed_by_fin : numpy.ndarray
        bool per flow: ended by a FIN (its last packet), rather than by the flow timeout or
        the end of the capture.
    started_by_timeout : numpy.ndarray
        bool per flow: begun by a packet that timed the previous flow of its key out; it
        keeps that flow's addresses and ports (rule 3.4).
    report : FlowReport
        What was left out.
    """

    packets: PacketTable
    flow: np.ndarray
    forward: np.ndarray
    window: np.ndarray
    packet_number: np.ndarray
    src: np.ndarray
    dst: np.ndarray
    src_port: np.ndarray
    dst_port: np.ndarray
    protocol: np.ndarray
    closed_by_fin: np.ndarray
    started_by_timeout: np.ndarray
    report: FlowReport = field(default_factory=FlowReport)

    @property
    def n_flows(self) -> int:
        return len(self.protocol)

    def packet_count(self) -> np.ndarray:
        """Packets per flow.

        Returns
        -------
        numpy.ndarray
        """
        return np.bincount(self.flow, minlength=self.n_flows)

    def start_us(self) -> np.ndarray:
        """Each flow's first packet time, microseconds since the epoch.

        Returns
        -------
        numpy.ndarray
        """
        return self.packets.time_us[_starts(self.flow, self.n_flows)]

    def end_us(self) -> np.ndarray:
        """Each flow's last packet time (the last in file order), microseconds since the
        epoch.

        Returns
        -------
        numpy.ndarray
        """
        return self.packets.time_us[np.r_[_starts(self.flow, self.n_flows)[1:],
                                          len(self.flow)] - 1]

    def flow_id(self) -> list[str]:
        """CICFlowMeter's Flow ID: ``low-high-lowPort-highPort-protocol`` (rule 7.4).

        Returns
        -------
        list of str
        """
        swap = src_greater(self.src, self.dst)
        lo = format_addresses(np.where(swap[:, None], self.dst, self.src))
        hi = format_addresses(np.where(swap[:, None], self.src, self.dst))
        lo_port = np.where(swap, self.dst_port, self.src_port)
        hi_port = np.where(swap, self.src_port, self.dst_port)
        return [f"{a}-{b}-{p}-{q}-{r}" for a, b, p, q, r in
                zip(lo, hi, lo_port.tolist(), hi_port.tolist(), self.protocol.tolist())]


def _starts(flow: np.ndarray, n: int) -> np.ndarray:
    return np.searchsorted(flow, np.arange(n))


def _prepare(table: PacketTable, ipv6: bool, report: FlowReport):
    """:func:`nidslib.packets.assembly.prepare`, its counts added to ``report``."""
    report.packets_in += len(table)
    table, window, ipv6_packets, other = prepare(table, ipv6)
    report.ipv6_packets += ipv6_packets
    report.other_protocol_packets += other
    return table, window


def _check_timeout(flow_timeout_us: int) -> None:
    if flow_timeout_us <= 0:
        raise ValueError(f"flow_timeout_us must be positive, got {flow_timeout_us}")


def udp_headers_from_tcp(table: PacketTable, last_tcp: int | None = None):
    """Give each UDP packet the header length of the last TCP packet before it, as the
    CICFlowMeter that wrote CICIDS2017 did.

    Chapter 9 (From packets to alerts, in preparation). The original release's UDP rows
    (DNS, NTP: no window, no flags) hold 20, 32 or 40 header bytes per packet, the sizes of
    TCP headers, mixed within one flow, where a UDP header has 8 (``cicflowmeter_rules.md``,
    8.6). The source published in 2018 reads the shared TCP header object for UDP packets
    in its IPv6 path, which gives exactly this; the binary that made the dataset evidently
    did so for IPv4 too. Before the first TCP packet a UDP packet keeps its own 8.

    Parameters
    ----------
    table : PacketTable
        Packets in file order.
    last_tcp : int, optional
        The last TCP header length of the packets before ``table`` (a previous chunk).

    Returns
    -------
    table : PacketTable
        A copy with the UDP packets' ``transport_header_length`` replaced.
    last_tcp : int or None
        The last TCP header length seen, to pass with the next chunk.
    """
    tcp = table.protocol == 6
    udp = table.protocol == 17
    header = table.transport_header_length.copy()
    last = np.maximum.accumulate(np.where(tcp, np.arange(len(table)), -1)) if len(table) else \
        np.zeros(0, np.int64)
    after = udp & (last >= 0)
    header[after] = header[last[after]]
    if last_tcp is not None:
        header[udp & (last < 0)] = last_tcp
    if tcp.any():
        last_tcp = int(header[np.flatnonzero(tcp)[-1]])
    return replace(table, transport_header_length=header), last_tcp


def build_flows(table: PacketTable, *, flow_timeout_us: int = FLOW_TIMEOUT_US,
                ipv6: bool = False, udp_header_from_tcp: bool = False) -> Flows:
    """Group packets into flows by the original CICFlowMeter's rules.

    Chapter 9 (From packets to alerts, in preparation). The rules, with their sources, are
    in this module's docstring and in ``nidslib/packets/cicflowmeter_rules.md``. For a
    capture too large to hold, :func:`stream_flows` gives the same flows chunk by chunk.

    Parameters
    ----------
    table : PacketTable
        Packets in file order (:func:`nidslib.packets.capture.read_capture`).
    flow_timeout_us : int, default :data:`FLOW_TIMEOUT_US` (120 s)
        A packet later than this after its flow's first packet starts a new flow.
    ipv6 : bool, default False
        Also build flows of IPv6 packets (later versions of the tool do; the one that made
        CICIDS2017 did not).
    udp_header_from_tcp : bool, default False
        Write a UDP packet's header length as the last TCP packet's, as the tool that made
        CICIDS2017 did (:func:`udp_headers_from_tcp`); the twin's rows are written so.

    Returns
    -------
    Flows
        The flows of two packets or more, finished flows first in the order they ended,
        then open ones in the order they started; ``report`` counts what was left out.

    Raises
    ------
    ValueError
        If ``flow_timeout_us`` is not positive.
    """
    _check_timeout(flow_timeout_us)
    report = FlowReport()
    if udp_header_from_tcp:
        table, _ = udp_headers_from_tcp(table)
    table, window = _prepare(table, ipv6, report)
    number, held = np.arange(len(table)), own_identity(table)
    plan = assemble(table, number, flow_timeout_us, held)
    report.timeout_splits = plan.timeout_splits
    several = plan.size > 1
    report.one_packet_flows = int((~several).sum())
    return Flows(**materialize(plan, several, table, window, number, held), report=report)


def stream_flows(chunks, *, flow_timeout_us: int = FLOW_TIMEOUT_US, ipv6: bool = False,
                 udp_header_from_tcp: bool = False, report: FlowReport | None = None):
    """Flows of a capture read in chunks, yielded as they finish: memory holds the packets
    of the flows still open, not the capture.

    Chapter 9 (From packets to alerts, in preparation). After each chunk, the flows that a
    FIN or the timeout ended are yielded; the packets of the others are kept and go before
    the next chunk's. Once the chunks are exhausted, the flows still open are yielded. All
    together they are the flows of :func:`build_flows` on the whole capture, in the same
    order. As in the original tool, a flow that never ends (no FIN, no later packet of its
    key) is held until the end of the capture.

    Parameters
    ----------
    chunks : iterable of PacketTable
        Consecutive packets in file order (:func:`nidslib.packets.capture.read_packets`).
    flow_timeout_us : int, default :data:`FLOW_TIMEOUT_US` (120 s)
        As in :func:`build_flows`.
    ipv6, udp_header_from_tcp : bool, default False
        As in :func:`build_flows` (the last TCP header length is carried across chunks).
    report : FlowReport, optional
        Where to count what was left out; pass one to read the counts even when no flow
        is yielded (a capture of one-packet flows only).

    Yields
    ------
    Flows
        The flows of two packets or more that ended in a chunk, then, last, the open ones;
        all share one ``report``, complete after the last.

    Raises
    ------
    ValueError
        If ``flow_timeout_us`` is not positive.
    """
    _check_timeout(flow_timeout_us)
    report = FlowReport() if report is None else report
    # The open flows' packets, in parts (table, window, packet numbers, identities): only
    # the flows that a new packet belongs to can change, so a part none of whose keys comes
    # again waits as it is, never copied (on the twin's full-profile Wednesday most held
    # packets belong to flows that wait for the end of the capture: benchmarks/flows.py)
    held = []
    seen = 0
    last_tcp = None  # the TCP header length that UDP packets of the next chunk start from
    for chunk in chunks:
        if udp_header_from_tcp:
            chunk, last_tcp = udp_headers_from_tcp(chunk, last_tcp)
        table, window = _prepare(chunk, ipv6, report)
        number = np.arange(seen, seen + len(table))
        seen += len(table)
        new_keys, waiting, moving = pd.Index(pd.unique(key_hash(table))), [], []
        for part in held:
            touched = keys_among(part[3]["key"], new_keys)
            if touched.all():
                moving.append(part)
            elif touched.any():
                moving.append(_held_rows(part, touched))
                waiting.append(_held_rows(part, ~touched))
            else:
                waiting.append(part)
        identity = own_identity(table)
        if moving:
            moving = _concat_held(moving)
            identity = {k: np.concatenate([moving[3][k], v]) for k, v in identity.items()}
            table = PacketTable.concat([moving[0], table])
            window, number = np.r_[moving[1], window], np.r_[moving[2], number]
        plan = assemble(table, number, flow_timeout_us, identity)
        report.timeout_splits += plan.timeout_splits
        several, finished = plan.size > 1, plan.finished
        report.one_packet_flows += int((finished & ~several).sum())
        if (finished & several).any():
            yield Flows(**materialize(plan, finished & several, table, window, number,
                                      identity), report=report)
        held = waiting + [_hold(Flows(**materialize(plan, ~finished, table, window, number,
                                                    identity), report=report))]
    held = [part for part in held if len(part[0])]
    if held:
        table, window, number, identity = _concat_held(held)
        plan = assemble(table, number, flow_timeout_us, identity)
        report.timeout_splits += plan.timeout_splits
        several = plan.size > 1
        report.one_packet_flows += int((~several).sum())
        if several.any():
            yield Flows(**materialize(plan, several, table, window, number, identity),
                        report=report)


def _hold(flows: Flows):
    """The packets of open flows, each flow's first packet carrying the flow's identity and
    whether a timeout began it, each packet its key's hash. Each key has one open flow at
    most, its packets in file order: all that :func:`~nidslib.packets.assembly.assemble`
    needs (its output order goes by packet number), so they are not sorted back into file
    order."""
    identity = {"src": flows.packets.src.copy(), "dst": flows.packets.dst.copy(),
                "src_port": flows.packets.src_port.copy(),
                "dst_port": flows.packets.dst_port.copy(),
                "pinned": np.zeros(len(flows.flow), bool), "key": key_hash(flows.packets)}
    first = np.flatnonzero(np.r_[True, flows.flow[1:] != flows.flow[:-1]])[:flows.n_flows]
    for name in ("src", "dst", "src_port", "dst_port"):
        identity[name][first] = getattr(flows, name)
    identity["pinned"][first] = flows.started_by_timeout
    return flows.packets, flows.window, flows.packet_number, identity


def _concat_held(parts):
    """Held parts one after the other."""
    return (PacketTable.concat([p[0] for p in parts]), np.concatenate([p[1] for p in parts]),
            np.concatenate([p[2] for p in parts]),
            {k: np.concatenate([p[3][k] for p in parts]) for k in parts[0][3]})


def _held_rows(held, rows):
    """Those rows (a mask or positions) of the held packets."""
    table, window, number, identity = held
    rows = np.flatnonzero(rows) if rows.dtype == bool else rows
    return (table[rows], window[rows], number[rows],
            {k: np.take(v, rows, axis=0) for k, v in identity.items()})
