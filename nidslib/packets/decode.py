"""Decoding packets' headers in bulk: link layer, IP and transport, thousands at a time.

Chapter 9 (From packets to alerts, in preparation). :mod:`nidslib.packets.capture` finds
where each packet's bytes lie in a block of the file; :func:`decode` reads every header field
of a batch of packets with numpy indexing over those offsets (:class:`Views` gives unaligned
big- and little-endian views of the block), and says which packets it cannot use and why
(:data:`KINDS`). The module docstring of :mod:`nidslib.packets.capture` lists the link types
and protocols and what each skip kind means.

Example
-------
Two Ethernet frames in one buffer, a UDP packet and an ARP frame, decoded in one call.

>>> from nidslib.packets.capture_write import Packet, link_frame
>>> frames = [link_frame(Packet(0, "10.0.0.1", "10.0.0.2", 17, 1234, 53, payload=4)),
...           bytes(12) + bytes.fromhex("0806") + bytes(28)]  # ethertype 0x0806: ARP
>>> buf = bytearray(b"".join(frames) + bytes(64))  # slack: fields are read in whole words
>>> table, counts = decode(Views(buf, "<"), np.array([0, len(frames[0])]),
...                        np.array([len(f) for f in frames]), np.array([0, 1]), 1)
>>> table.src_text(), table.dst_port.tolist(), table.payload_length.tolist()
(['10.0.0.1'], [53], [4])
>>> dict(zip(("used",) + KINDS, counts.tolist()))["non_ip"]
1
"""

from __future__ import annotations

import numpy as np

from nidslib.packets.table import PacketTable

__all__ = ["KINDS", "Views", "decode"]

#: Why a packet is skipped, in the order the checks run (skip code k is KINDS[k - 1]).
KINDS = ("unsupported_link_type", "truncated", "non_ip", "malformed", "fragment",
         "unsupported_transport")
_UNSUP, _TRUNC, _NONIP, _MALF, _FRAG, _UNTR = range(1, 7)


class Views:
    """Unaligned numpy views of a buffer: a field at any byte offset is one gather.

    ``u8``, ``be16``, ``be32``, ``le32`` and ``le64`` start at every byte of the buffer;
    ``u32`` is the 32-bit view in the file's byte order. Reads near the end of the buffer
    need slack after the data: ``limit`` is the last offset a transport header may start.

    Parameters
    ----------
    buf : bytearray
        The block of the file, with slack after the data.
    order : {"<", ">"}
        The file's byte order, for ``u32``.
    """

    def __init__(self, buf: bytearray, order: str):
        n = len(buf)
        self.u8 = np.frombuffer(buf, np.uint8)
        self.be16 = np.ndarray((n - 1,), ">u2", buf, 0, (1,))
        self.be32 = np.ndarray((n - 3,), ">u4", buf, 0, (1,))
        self.le32 = np.ndarray((n - 3,), "<u4", buf, 0, (1,))
        self.le64 = np.ndarray((n - 7,), "<u8", buf, 0, (1,))
        self.u32 = self.le32 if order == "<" else self.be32  # the file's byte order
        self.limit = n - 64


def _mark(kind: np.ndarray, mask, code: int) -> None:
    kind[(kind == 0) & mask] = code


def _link_layer(v: Views, d, c, link, kind):
    """(IP header offset, ethertype) per packet; marks link-level skips in ``kind``."""
    n = len(d)
    l3, ethertype, need = d.copy(), np.zeros(n, np.int64), np.zeros(n, np.int64)
    groups = [(link, slice(None))] if np.isscalar(link) else [(x, link == x)
                                                               for x in np.unique(link)]
    for x, m in groups:
        dm = d[m]
        if x == 1:
            et, hl = v.be16[dm + 12].astype(np.int64), np.full(len(dm), 14, np.int64)
            for _ in range(2):
                tag = (et == 0x8100) | (et == 0x88A8) | (et == 0x9100)
                if not tag.any():
                    break
                hl[tag] += 4
                et[tag] = v.be16[dm[tag] + hl[tag] - 2]
        elif x in (113, 276):
            et, hl = v.be16[dm + (14 if x == 113 else 0)], 16 if x == 113 else 20
        elif x in (12, 14, 101):
            version = v.u8[dm] >> 4
            et, hl = np.select([version == 4, version == 6], [0x0800, 0x86DD], 0), 0
        elif x in (228, 229):
            et, hl = (0x0800 if x == 228 else 0x86DD), 0
        else:
            kind[m] = _MALF if x == -1 else _UNSUP
            continue
        l3[m], ethertype[m], need[m] = dm + hl, et, np.maximum(hl, 1)
    _mark(kind, c < need, _TRUNC)
    _mark(kind, (ethertype != 0x0800) & (ethertype != 0x86DD), _NONIP)
    return l3, ethertype


def decode(v: Views, d, c, time, link, padding_as_payload: bool = False
           ) -> tuple[PacketTable, np.ndarray]:
    """Decode a batch of packets into table rows, and count the packets skipped by kind.

    Parameters
    ----------
    v : Views
        Views of the buffer that holds the packets.
    d : numpy.ndarray
        int64 byte offsets where each packet's link-layer data start.
    c : numpy.ndarray
        Bytes captured of each packet.
    time : numpy.ndarray
        int64 timestamps, microseconds.
    link : int or numpy.ndarray
        The link type of all packets, or of each (-1 marks a packet already known to be
        malformed).
    padding_as_payload : bool, default False
        Count the padding of short Ethernet frames (captured frames of at most 60 bytes
        whose IP packet ends before the frame does) as payload, as the original
        CICFlowMeter's rows show it did (``cicflowmeter_rules.md``, 8.2). Otherwise the
        payload is the IP length minus the headers.

    Returns
    -------
    table : PacketTable
        One row per usable packet, in input order.
    counts : numpy.ndarray
        int64 counts per skip code: index 0 the packets used, index k the packets skipped
        as ``KINDS[k - 1]``.
    """
    n = len(d)
    if n == 0:
        return PacketTable.empty(), np.zeros(len(KINDS) + 1, np.int64)
    c = c.astype(np.int64)
    kind = np.zeros(n, np.int8)
    l3, et = _link_layer(v, d, c, link, kind)
    is6 = et == 0x86DD
    any6, any4 = bool(is6.any()), not is6.all()
    at_ip = c - (l3 - d)  # bytes captured from the IP header on
    _mark(kind, at_ip < (np.where(is6, 40, 20) if any6 else 20), _TRUNC)
    _mark(kind, (v.u8[l3] >> 4) != (np.where(is6, 6, 4) if any6 else 4), _MALF)
    ip_len = ihl = proto = l4 = 0
    if any4:
        w0, w1 = v.be32[l3], v.be32[l3 + 4]
        ihl = ((w0 >> 24) & 15).astype(np.int64) * 4
        ip_len, proto, l4 = (w0 & 0xFFFF).astype(np.int64), v.u8[l3 + 9], l3 + ihl
        is4 = ~is6 if any6 else True
        _mark(kind, is4 & ((ihl < 20) | (ip_len < ihl)), _MALF)
        _mark(kind, is4 & (at_ip < ihl), _TRUNC)
        _mark(kind, is4 & ((w1 & 0x3FFF) != 0), _FRAG)
    if any6:
        w6 = v.be32[l3 + 4]
        ip_len = np.where(is6, (w6 >> 16).astype(np.int64) + 40, ip_len)
        proto = np.where(is6, (w6 >> 8) & 0xFF, proto).astype(np.uint8)
        l4 = np.where(is6, l3 + 40, l4)
        ext = is6 & (kind == 0) & np.isin(proto, (0, 43, 44, 60))
        for _ in range(8):  # IPv6 extension headers
            rows = np.flatnonzero(ext)
            if not len(rows):
                break
            fragment = proto[rows] == 44
            kind[rows[fragment]] = _FRAG
            rows = rows[~fragment]
            short = c[rows] - (l4[rows] - d[rows]) < 8
            kind[rows[short]] = _TRUNC
            rows = rows[~short]
            at = l4[rows]
            proto[rows], l4[rows] = v.u8[at], at + (v.u8[at + 1].astype(np.int64) + 1) * 8
            ext[:] = False
            ext[rows] = np.isin(proto[rows], (0, 43, 44, 60))
        kind[ext & (kind == 0)] = _MALF
        l4 = np.minimum(l4, v.limit)
    tcp, udp = proto == 6, proto == 17
    _mark(kind, ~(tcp | udp | (proto == 1) | (proto == 58)), _UNTR)
    _mark(kind, c - (l4 - d) < np.where(tcp, 20, 8), _TRUNC)
    ports, word = v.be32[l4], v.be32[l4 + 12]
    transport = np.where(tcp, (word >> 28).astype(np.int64) * 4, 8)
    _mark(kind, tcp & (transport < 20), _MALF)
    _mark(kind, ip_len < (l4 - l3) + transport, _MALF)
    counts = np.bincount(kind, minlength=len(KINDS) + 1)
    padding = np.zeros(n, np.int64)
    if padding_as_payload:  # bytes after the IP packet in a short Ethernet frame
        padding = np.where((np.asarray(link) == 1) & (c <= 60), np.maximum(at_ip - ip_len, 0), 0)
    if counts[0] < n:
        keep = kind == 0
        time, c, l3, l4, ip_len, proto, ports, word, transport, is6, tcp, udp, padding = (
            a[keep] for a in (time, c, l3, l4, ip_len, proto, ports, word, transport, is6,
                              tcp, udp, padding))
        any6, any4 = bool(is6.any()), not is6.all()
    src, dst = np.zeros((len(l3), 2), "<u8"), np.zeros((len(l3), 2), "<u8")
    for address, at4, at6 in ((src, 12, 8), (dst, 16, 24)):
        if any4:
            m4 = ~is6 if any6 else slice(None)
            address[m4, 1] = (v.le32[l3[m4] + at4].astype("<u8") << 32) | 0xFFFF0000
        if any6:
            address[is6, 0] = v.le64[l3[is6] + at6]
            address[is6, 1] = v.le64[l3[is6] + at6 + 8]
    ported = tcp | udp
    table = PacketTable(
        time_us=time, src=src.view(np.uint8), dst=dst.view(np.uint8),
        src_port=np.where(ported, ports >> 16, 0).astype(np.uint16),
        dst_port=np.where(ported, ports & 0xFFFF, 0).astype(np.uint16),
        protocol=proto.astype(np.uint8), ip_length=ip_len.astype(np.uint32),
        header_length=((l4 - l3) + transport).astype(np.uint16),
        transport_header_length=transport.astype(np.uint16),
        payload_length=(ip_len - (l4 - l3) - transport + padding).astype(np.uint32),
        tcp_flags=np.where(tcp, (word >> 16) & 0xFF, 0).astype(np.uint8),
        tcp_window=np.where(tcp, word & 0xFFFF, 0).astype(np.uint16),
        captured_length=c.astype(np.uint32))
    return table, counts
