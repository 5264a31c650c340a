"""Where the records of a capture file lie: the walkers over pcap records and pcapng blocks.

Chapter 9 (From packets to alerts, in preparation). :mod:`nidslib.packets.capture` reads a
file in large blocks and asks these walkers where each record starts (pcap) or which blocks
hold packets (pcapng, whose interface blocks are read here), then decodes the packets in
bulk. The walk is the only per-record Python work of the reader, so :func:`walk_pcap` steps
many walkers at once with numpy (see its docstring); ``benchmarks/capture_read.py`` measures
the reader as a whole.

Example
-------
Two 16-byte pcap record headers followed by their 4 and 6 captured bytes, then the start
of a third record whose 60 bytes have not been read yet:

>>> import struct
>>> from nidslib.packets.decode import Views
>>> data = (struct.pack("<IIII", 1, 0, 4, 4) + bytes(4) + struct.pack("<IIII", 1, 5, 6, 6)
...         + bytes(6) + struct.pack("<IIII", 1, 9, 60, 60))
>>> buf = bytearray(data + bytes(64))            # the reader keeps slack after the data
>>> offsets, next_offset, need = walk_pcap(buf, Views(buf, "<").u32, len(data), "<", False,
...                                        65535)
>>> offsets.tolist(), next_offset, need
([0, 20], 42, 76)
"""

from __future__ import annotations

import struct

import numpy as np

__all__ = ["PCAPNG_BYTE_ORDERS", "PcapngSection", "to_microseconds", "walk_pcap",
           "walk_pcapng"]

SHB = 0x0A0D0D0A  # pcapng Section Header Block type
PCAPNG_BYTE_ORDERS = {b"\x4d\x3c\x2b\x1a": "<", b"\x1a\x2b\x3c\x4d": ">"}
_SEGMENT = 1 << 16  # bytes per walker of walk_pcap
_I64 = np.iinfo(np.int64)


class PcapngSection:
    """One pcapng section's interfaces (link type, timestamp resolution and offset, snap
    length) and the time of its last packet (for Simple Packet Blocks, which carry none)."""

    def __init__(self):
        self.interfaces: list[tuple[int, int, int, int]] = []  # link, tsresol, tsoffset, snap
        self.last_time = 0


def walk_pcap(buf, u32, filled: int, order: str, nano: bool, snaplen: int):
    """Offsets of the complete records in ``buf[:filled]``, the offset of the first
    incomplete one, and its length when its header is complete (else 0).

    The exact walk follows record lengths from offset 0, one record after another. To do
    that in numpy rather than in a Python loop per record, each 64 KiB segment of the buffer
    gets a walker, started at the first offset in its first 4 KiB that looks like a record
    header (see ``_plausible``), and all walkers step together until each reaches the next
    one's start. A walker's records are kept only when the exact chain from offset 0 lands
    on its start; where it does not, a Python loop walks that stretch instead.
    """
    unpack = struct.Struct(order + "I").unpack_from
    segments, starts = filled // _SEGMENT, np.zeros(0, np.int64)
    if segments >= 8:  # else the Python loop alone
        starts = _walker_starts(buf, u32, filled, segments, order,
                                1_000_000_000 if nano else 1_000_000,
                                min(max(snaplen, 65535), 1 << 24))
        table, after = _lockstep(u32, starts, filled)
        counts = (table >= 0).sum(1)
    pieces, off, j, last = [], 0, 0, filled - 16
    while off <= last:
        if j < len(starts) and off == starts[j]:  # the exact chain reaches walker j
            pieces.append(table[j, :counts[j]])
            off, j = int(after[j]), j + 1
            continue
        while j < len(starts) and starts[j] < off:
            j += 1
        stop, walked = min(int(starts[j]) if j < len(starts) else last + 1, last + 1), []
        append = walked.append
        while off < stop:
            append(off)
            off += 16 + unpack(buf, off + 8)[0]
        pieces.append(np.array(walked, np.int64))
    records = np.concatenate(pieces) if pieces else np.zeros(0, np.int64)
    if len(records) and records[-1] + 16 + int(u32[records[-1] + 8]) > filled:
        off, records = int(records[-1]), records[:-1]
    need = 16 + unpack(buf, off + 8)[0] if off <= last else 0
    return records, min(off, filled), need


def _plausible(u32, at, filled, ts0, frac_limit, max_length):
    """Whether offsets ``at`` and the two records after each look like pcap records."""
    ok = np.ones(len(at), bool)
    for _ in range(3):
        inside = at <= filled - 16
        at = np.where(inside, at, 0)
        length = u32[at + 8]
        ok &= (inside & (u32[at + 4] < frac_limit) & (length <= max_length)
               & (length <= u32[at + 12]) & (np.abs(u32[at].astype(np.int64) - ts0) < 1 << 24))
        at = at + 16 + length
    return ok


def _walker_starts(buf, u32, filled, segments, order, frac_limit, max_length):
    """0 and, per 64 KiB segment after the first, its first plausible record start.

    The candidates are tested in three steps, cheapest first: the top byte of the seconds
    field within one of the first record's (a comparison over contiguous bytes, without a
    gather); the whole seconds field within 2**24 s of the first record's and a fraction
    below one second; then :func:`_plausible`. Testing every candidate fully took 1.6 s of
    the 2.4 s that reading 2.5 M mixed packets took (``benchmarks/capture_read.py``)."""
    base = np.arange(1, segments, dtype=np.int64) * _SEGMENT
    found, ts0, low = np.full(len(base), -1, np.int64), int(u32[0]), 0
    top = np.frombuffer(buf, np.uint8)[3 if order == "<" else 0:]  # seconds' top byte
    by_segment = np.lib.stride_tricks.as_strided(top[_SEGMENT:], (len(base), _SEGMENT),
                                                 (_SEGMENT, 1), writeable=False)
    top_below = np.uint8(((ts0 >> 24) - 1) & 0xFF)
    for high in (256, 1024, 4096):
        todo = np.flatnonzero(found < 0)
        if not len(todo):
            break
        rows, cols = np.nonzero(by_segment[todo, low:high] - top_below <= 2)
        at = base[todo[rows]] + low + cols
        near = ((u32[at] - np.uint32(ts0)).view(np.int32) + (1 << 24)).view(np.uint32) < 1 << 25
        at = at[near & (u32[at + 4] < frac_limit)]
        at = at[_plausible(u32, at, filled, ts0, frac_limit, max_length)]
        segment, first = np.unique(at // _SEGMENT - 1, return_index=True)
        found[segment] = at[first]  # each segment's first plausible offset
        low = high
    return np.concatenate([[0], found[found >= 0]])


def _lockstep(u32, starts, filled):
    """Walk from every start at once, each until the next start: (offsets by walker, -1
    padded; the offset after each walker's last record)."""
    limit = np.append(starts[1:], filled - 15)
    at, active, rows = starts.copy(), np.arange(len(starts)), []
    while len(active):
        p = at[active]
        row = np.full(len(starts), -1, np.int64)
        row[active] = p
        rows.append(row)
        p = p + 16 + u32[p + 8]
        at[active] = p
        active = active[p < limit[active]]
    return np.stack(rows, 1), at


def walk_pcapng(buf, filled: int, state: dict, report):
    """Walk the blocks of ``buf[:filled]``: interfaces and sections are read here; packets
    come back as (section, byte order, (offsets, is-simple)) segments."""
    order, section = state["order"], state["section"]
    header = struct.Struct(order + "II").unpack_from
    segments, packets, simple = [], [], []
    off, need, damaged = 0, 0, ""
    while off <= filled - 12:
        btype, length = header(buf, off)
        if btype == SHB:
            new = PCAPNG_BYTE_ORDERS.get(bytes(buf[off + 8:off + 12]))
            if new is None:
                damaged = "a section header with an unknown byte-order magic"
                break
            length = struct.unpack_from(new + "I", buf, off + 4)[0]
        if length < 12 or length % 4:
            damaged = f"a block of length {length} (at least 12, a multiple of 4, expected)"
            break
        if off + length > filled:
            need = length
            break
        if btype == SHB:
            segments.append((section, order, packets, simple))
            order, section, packets, simple = new, PcapngSection(), [], []
            header = struct.Struct(order + "II").unpack_from
        elif btype == 6 or btype == 3:
            packets.append(off)
            simple.append(btype == 3)
        elif btype == 1:
            section.interfaces.append(_interface(buf, off, length, order))
            report.link_types = tuple(dict.fromkeys(report.link_types
                                                    + (section.interfaces[-1][0],)))
        off += length
    segments.append((section, order, packets, simple))
    state["order"], state["section"] = order, section
    return ([(s, o, (np.array(p, np.int64), np.array(b, bool))) for s, o, p, b in segments
             if p], off, need, damaged)


def _interface(buf, off: int, length: int, order: str):
    """(link type, if_tsresol, if_tsoffset, snaplen) of an Interface Description Block."""
    link, _, snap = struct.unpack_from(order + "HHI", buf, off + 8)
    resol, offset, p, end = 6, 0, off + 16, off + length - 4
    while p + 4 <= end:
        code, size = struct.unpack_from(order + "HH", buf, p)
        if code == 0:
            break
        if code == 9 and size >= 1:
            resol = buf[p + 4]
        elif code == 14 and size == 8 and p + 12 <= end:
            offset = struct.unpack_from(order + "q", buf, p + 4)[0]
        p += 4 + size + (-size % 4)
    return link, resol, offset, snap


def to_microseconds(ts: np.ndarray, resol: int, offset: int) -> np.ndarray:
    """pcapng timestamps (uint64, in 10^-r or 2^-r s) to int64 microseconds, saturating."""
    if resol & 0x80:
        num, den = 10 ** 6, 2 ** (resol & 0x7F)
    else:
        num, den = (10 ** (6 - resol), 1) if resol <= 6 else (1, 10 ** (resol - 6))
    q, r = np.divmod(ts, np.uint64(den)) if den < 2 ** 64 else (np.zeros_like(ts), ts)
    frac = np.floor(r * (num / den)).astype(np.int64) if den > 1 else 0
    limit = _I64.max // num - 1
    us = np.where(q > limit, _I64.max, np.minimum(q, limit).astype(np.int64) * num + frac)
    add = max(min(offset * 10 ** 6, 2 ** 62), -2 ** 62)
    if add > 0:
        us = np.where(us > _I64.max - add, _I64.max, us + add)
    elif add < 0:
        us = us + add  # us >= 0, so no overflow
    return us


