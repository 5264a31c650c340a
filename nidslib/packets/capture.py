"""Reading packet captures into a packet table, chunk by chunk.

Chapter 9 (From packets to alerts, in preparation): the first step from a capture file to
flows (CICFlowMeter-style) and alerts. :func:`read_packets` turns each usable packet into
one row of a :class:`PacketTable` (time, addresses, ports, protocol, IP/header/payload
lengths, TCP flags and window) and counts every packet it cannot use, by kind, in a
:class:`CaptureReport`.

Formats: classic pcap (either byte order; microsecond magic 0xA1B2C3D4 and nanosecond magic
0xA1B23C4D) and pcapng (Section Header, Interface Description, Enhanced Packet and Simple
Packet blocks, either byte order, several sections; other blocks are skipped). Each pcapng
interface has its own link type and ``if_tsresol`` (default 10^-6 s) and ``if_tsoffset``.
Simple Packet Blocks carry no time: they get the time of the packet before them.

Link types: Ethernet (1) with up to two 802.1Q/802.1ad VLAN tags, Linux cooked capture SLL
(113) and SLL2 (276), raw IP (101, and 12 and 14, which mean raw IP in pcap files), IPv4
(228) and IPv6 (229). Network and transport: IPv4 (options skipped by IHL) and IPv6 (hop-by-
hop, routing and destination-options headers skipped); TCP, UDP, ICMP and ICMPv6.

What is skipped, counted in ``CaptureReport.skipped`` (the first reason that applies):

- ``unsupported_link_type``: a pcapng interface with another link type (a classic pcap with
  one raises :class:`CaptureFormatError` when opened);
- ``truncated``: the packet's captured bytes end before the headers that the table needs
  (zero-length packets included), or the file ends inside the record, or the rest of the
  file is damaged (then ``file_truncated`` is set, ``note`` says where, and reading stops);
- ``non_ip``: ARP, LLDP and the like; ``fragment``: an IPv4 fragment (offset > 0 or MF set)
  or an IPv6 fragment header (fragments are not reassembled);
- ``malformed``: a bad IPv4 header length, an IP length shorter than the headers, a TCP data
  offset below 5, an IP version that contradicts the link layer, a pcapng packet of an
  undeclared interface or longer than its block;
- ``unsupported_transport``: any other IP protocol (GRE, ESP, SCTP, ...).

Lengths come from the IP header, not from the captured length, so a capture cut by a short
snapshot length still gives true sizes. Timestamps are kept as written, however absurd; a
pcapng timestamp beyond the int64 microsecond range saturates at its limits.

Why hand-written, not dpkt or scapy: both build a Python object per packet. The reader reads
64 MiB blocks into one buffer, walks the record headers with a Python loop (the only per-
packet Python work; runs of records of equal length, as in floods and scans, are verified
in bulk with numpy instead), and takes every field with numpy indexing over the offsets of
16,384 records at a time. ``benchmarks/capture_read.py`` measures it beside dpkt 1.9.8 and
scapy 2.8.0 (``benchmarks/README.md`` has the table): on the project's 2-core machine about
1 M packets/s on 2.5 M mixed-length Ethernet/IPv4/TCP packets and 4 M/s on a SYN flood,
against about 0.09 M/s for dpkt and 0.007 M/s for scapy.

Example
-------
>>> import os, tempfile
>>> from nidslib.packets.capture_write import Packet, write_pcap
>>> path = os.path.join(tempfile.mkdtemp(), "tiny.pcap")
>>> write_pcap(path, [Packet(1_500_000_000_000_000, "10.0.0.1", "10.0.0.2", 6, 40000, 80,
...                          tcp_flags=0x02),
...                   Packet(1_500_000_000_000_250, "2001:db8::1", "2001:db8::2", 17, 5353,
...                          53, payload=b"hello")])
2
>>> table, report = read_capture(path)
>>> table.src_text(), table.protocol.tolist(), table.payload_length.tolist()
(['10.0.0.1', '2001:db8::1'], [6, 17], [0, 5])
>>> report.packets_read, report.packets_used, report.packets_skipped
(2, 2, 0)
"""

from __future__ import annotations

import os
import struct
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from nidslib.packets.decode import KINDS, Views, decode
from nidslib.packets.records import (PCAPNG_BYTE_ORDERS, PcapngSection, to_microseconds,
                                     walk_pcap, walk_pcapng)
from nidslib.packets.table import PacketTable

LINK_TYPES = {1: "Ethernet", 12: "raw IP", 14: "raw IP", 101: "raw IP", 113: "Linux SLL",
              228: "IPv4", 229: "IPv6", 276: "Linux SLL2"}
_PCAP_MAGICS = {b"\xd4\xc3\xb2\xa1": ("<", False), b"\xa1\xb2\xc3\xd4": (">", False),
                b"\x4d\x3c\xb2\xa1": ("<", True), b"\xa1\xb2\x3c\x4d": (">", True)}
_EXPECTED = ("a1b2c3d4 or d4c3b2a1 (pcap), a1b23c4d or 4d3cb2a1 (pcap, nanosecond "
             "timestamps) or 0a0d0d0a (pcapng)")
_BATCH, _SLACK, _MAX_RECORD = 16384, 4096, 256 << 20


class CaptureFormatError(ValueError):
    """A file that is not a capture this module reads.

    A ``ValueError``; the message names the file, what was found and what was expected.
    Raised when a reader is opened (:func:`read_packets`, :func:`read_capture`).
    """


@dataclass
class CaptureReport:
    """What a reader found: packets read, used and skipped by kind.

    ``packets_read == packets_used + packets_skipped`` always holds. The skip kinds are
    described in the module's docstring.

    Attributes
    ----------
    path : str
        The capture file.
    format : str
        ``"pcap"`` or ``"pcapng"``.
    link_types : tuple of int
        The link types met: the file's (pcap) or each interface's (pcapng), each once.
    packets_read : int
        Every packet record read.
    packets_used : int
        Packets that became table rows.
    skipped : dict
        ``{kind: count}`` for each kind of :data:`nidslib.packets.decode.KINDS`.
    file_truncated : bool
        Whether reading stopped early at a truncated or damaged part of the file.
    note : str
        Where and why reading stopped, when it did; else empty.
    """

    path: str
    format: str
    link_types: tuple = ()
    packets_read: int = 0
    packets_used: int = 0
    skipped: dict = field(default_factory=lambda: dict.fromkeys(KINDS, 0))
    file_truncated: bool = False
    note: str = ""

    @property
    def packets_skipped(self) -> int:
        """Packets read but not used, all kinds together."""
        return sum(self.skipped.values())

    def _stop(self, note: str) -> None:
        self.packets_read += 1
        self.skipped["truncated"] += 1
        self.file_truncated, self.note = True, note


def _inspect(path: Path):
    """(format, byte order, nanosecond, link type) from the file's first bytes, or raise."""
    with open(path, "rb") as f:
        head = f.read(28)
    magic = head[:4]
    if not head:
        raise CaptureFormatError(f"{path}: the file is empty; expected a pcap or pcapng capture")
    if magic in _PCAP_MAGICS:
        if len(head) < 24:
            raise CaptureFormatError(f"{path}: {len(head)} bytes, too short for the 24-byte "
                                     f"pcap file header")
        order, nano = _PCAP_MAGICS[magic]
        network = struct.unpack_from(order + "I", head, 20)[0]
        link = network if network & 0x03FF0000 else network & 0xFFFF  # FCS bits aside
        if link not in LINK_TYPES:
            raise CaptureFormatError(
                f"{path}: link type {network} is not supported; expected one of "
                + ", ".join(f"{k} ({v})" for k, v in LINK_TYPES.items()))
        return "pcap", order, nano, link, struct.unpack_from(order + "I", head, 16)[0]
    if magic == b"\x0a\x0d\x0d\x0a":
        if len(head) < 28 or head[8:12] not in PCAPNG_BYTE_ORDERS:
            found = head[8:12].hex() if len(head) >= 12 else f"a {len(head)}-byte file"
            raise CaptureFormatError(f"{path}: a pcapng section header with byte-order magic "
                                     f"{found}; expected 1a2b3c4d in either byte order")
        return "pcapng", PCAPNG_BYTE_ORDERS[head[8:12]], False, None, 0
    hint = " (gzip-compressed: decompress it first)" if magic[:2] == b"\x1f\x8b" else ""
    raise CaptureFormatError(f"{path}: not a packet capture{hint}: the first {len(magic)} "
                             f"bytes are {magic.hex()}; expected {_EXPECTED}")


def read_packets(path, chunk_size: int = 1_000_000, *, block_size: int = 64 << 20,
                 padding_as_payload: bool = False):
    """Read a pcap or pcapng file as :class:`PacketTable` chunks.

    Parameters
    ----------
    path : str or Path
        The capture file.
    chunk_size : int
        Rows per table; the last one may hold fewer. Memory stays bounded by the chunk and
        the block, whatever the size of the file.
    block_size : int
        Bytes read from the file at a time (a longer record enlarges the buffer to fit).
    padding_as_payload : bool
        Count the padding of short Ethernet frames as payload, as the original CICFlowMeter
        did (:func:`nidslib.packets.decode.decode`); the twin's captures need it to give
        back the twin's rows.

    Returns
    -------
    PacketReader
        An iterator of :class:`PacketTable`; its ``report`` (:class:`CaptureReport`) is
        complete once the iterator is exhausted.

    Raises
    ------
    CaptureFormatError
        At once, when the file is empty, too short, not a capture (wrong magic), or a
        classic pcap of an unsupported link type.
    ValueError
        When ``chunk_size`` is below 1 or ``block_size`` below 64.
    FileNotFoundError
        When ``path`` does not exist.
    """
    return PacketReader(path, chunk_size, block_size, padding_as_payload)


def read_capture(path, chunk_size: int = 1_000_000, padding_as_payload: bool = False):
    """Read a whole capture: ``(PacketTable, CaptureReport)``.

    Parameters
    ----------
    path : str or Path
        The capture file.
    chunk_size : int
        Rows per chunk while reading (the chunks are concatenated).
    padding_as_payload : bool
        As :func:`read_packets`.

    Returns
    -------
    table : PacketTable
    report : CaptureReport

    Raises
    ------
    CaptureFormatError, ValueError, FileNotFoundError
        As :func:`read_packets`.
    """
    reader = read_packets(path, chunk_size, padding_as_payload=padding_as_payload)
    return PacketTable.concat(reader), reader.report


class PacketReader:
    """The iterator that :func:`read_packets` returns; ``report`` fills in as it reads.

    Parameters
    ----------
    path : str or Path
        The capture file, checked at once.
    chunk_size : int, default 1_000_000
        Rows per :class:`PacketTable`.
    block_size : int, default 64 MiB
        Bytes read from the file at a time.
    padding_as_payload : bool, default False
        As :func:`read_packets`.

    Attributes
    ----------
    report : CaptureReport
        The counts so far; complete once the iterator is exhausted.

    Raises
    ------
    CaptureFormatError, ValueError, FileNotFoundError
        As :func:`read_packets`.
    """

    def __init__(self, path, chunk_size: int = 1_000_000, block_size: int = 64 << 20,
                 padding_as_payload: bool = False):
        if chunk_size < 1 or block_size < 64:
            raise ValueError("chunk_size must be at least 1 and block_size at least 64")
        self.path, self.chunk_size, self.block_size = Path(path), chunk_size, block_size
        self.padding_as_payload = padding_as_payload
        self._format = _inspect(self.path)
        kind, _, _, link, _ = self._format
        self.report = CaptureReport(str(path), kind, (link,) if link is not None else ())
        self._chunks = self._generate()

    def __iter__(self):
        return self

    def __next__(self) -> PacketTable:
        return next(self._chunks)

    def close(self) -> None:
        """Stop reading and close the file."""
        self._chunks.close()

    def _generate(self):
        pending, count = [], 0
        for piece in self._pieces():
            pending.append(piece)
            count += len(piece)
            if count >= self.chunk_size:
                table = PacketTable.concat(pending)
                for start in range(0, count - self.chunk_size + 1, self.chunk_size):
                    yield table[start:start + self.chunk_size]
                pending = [table[count - count % self.chunk_size:]]
                count = len(pending[0])
        if count:
            yield PacketTable.concat(pending)

    def _pieces(self):
        kind, order, nano, link, snaplen = self._format
        report, size = self.report, self.block_size
        pcapng = kind == "pcapng"
        state = {"order": order, "section": PcapngSection()}
        buf, filled, start = bytearray(size + _SLACK), 0, 0 if pcapng else 24
        with open(self.path, "rb") as f:
            f.seek(start)
            file_size = os.fstat(f.fileno()).st_size
            while True:
                view = memoryview(buf)
                while filled < size and (got := f.readinto(view[filled:size])):
                    filled += got
                del view
                views = Views(buf, state["order"])
                if pcapng:
                    segments, nxt, need, damaged = walk_pcapng(buf, filled, state, report)
                    for section, order_, blocks in segments:
                        yield from self._pcapng_packets(views, section, order_, blocks)
                else:
                    records, nxt, need = walk_pcap(buf, views.u32, filled, order, nano,
                                                    snaplen)
                    damaged = ""
                    for i in range(0, len(records), _BATCH):
                        r = records[i:i + _BATCH]
                        frac = views.u32[r + 4]
                        time = (views.u32[r].astype(np.int64) * 1_000_000
                                + (frac // 1000 if nano else frac))
                        yield self._decoded(views, r + 16, views.u32[r + 8], time, link)
                where, tail = start + nxt, filled - nxt
                if damaged:
                    return report._stop(f"{damaged} at byte {where}: the file is damaged from "
                                        f"there on; reading stopped")
                if filled < size:  # end of file
                    if tail:
                        report._stop(f"the file ends inside the record at byte {where} "
                                     f"({tail} of {need or 'at least ' + str(tail + 1)} bytes)")
                    return
                old = buf
                if need > size:
                    if need > _MAX_RECORD or need > tail + file_size - f.tell():
                        return report._stop(f"the record at byte {where} claims {need} bytes, "
                                            f"more than the rest of the file holds")
                    buf, size = bytearray(need + _SLACK), need
                buf[:tail] = old[nxt:filled]
                del views, old
                start, filled = where, tail

    def _decoded(self, views, data, captured, time, link) -> PacketTable:
        """Decode a batch (:func:`nidslib.packets.decode.decode`) and count it in the report."""
        table, counts = decode(views, data, captured, time, link, self.padding_as_payload)
        self.report.packets_read += int(counts.sum())
        self.report.packets_used += int(counts[0])
        for name, k in zip(KINDS, counts[1:]):
            self.report.skipped[name] += int(k)
        return table

    def _pcapng_packets(self, views, section, order, blocks):
        u32 = views.le32 if order == "<" else views.be32
        ifs = section.interfaces
        links = np.array([i[0] for i in ifs] + [-1], np.int64)
        offsets, simple = blocks
        for i in range(0, len(offsets), _BATCH):
            o, s = offsets[i:i + _BATCH], simple[i:i + _BATCH]
            length, has_spb = u32[o + 4].astype(np.int64), s.any()
            interface = np.where(s, 0, u32[o + 8]) if has_spb else u32[o + 8]
            captured = u32[o + 20].astype(np.int64)
            ts = (u32[o + 12].astype(np.uint64) << 32) | u32[o + 16]
            bad = captured + 32 > length
            if has_spb:
                snap = ifs[0][3] if ifs and ifs[0][3] else 1 << 32
                captured = np.where(s, np.minimum(np.minimum(u32[o + 8], length - 16), snap),
                                    captured)
                bad &= ~s
            link = links[np.minimum(interface, len(ifs))]
            link[bad] = -1
            time = np.zeros(len(o), np.int64)
            for k, (_, resol, offset, _) in enumerate(ifs):
                m = (interface == k) & ~s
                if m.any():
                    time[m] = to_microseconds(ts[m], resol, offset)
            if has_spb:  # Simple Packet Blocks: the time of the packet before
                known = np.where(s, -1, np.arange(len(o)))
                np.maximum.accumulate(known, out=known)
                time = np.where(known >= 0, time[np.maximum(known, 0)], section.last_time)
            if len(o):
                section.last_time = int(time[-1])
            data = o + np.where(s, 12, 28)
            yield self._decoded(views, data, captured, time, link)
