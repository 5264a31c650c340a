"""Writing small packet captures: the other half of :mod:`nidslib.packets.capture`.

Chapter 9 (From packets to alerts, in preparation). Makes synthetic classic pcap files
(Ethernet, SLL, SLL2 or raw IP frames carrying IPv4/IPv6 with TCP, UDP, ICMP or ICMPv6) for
the tests and the benchmark, and pcapng files with several interfaces for the reader's
tests. Every header is built with :mod:`struct`, one packet at a time; the IPv4 header
checksum and the TCP/UDP/ICMP checksums are computed (``checksums=False`` leaves the
transport ones zero, for speed). :func:`write_table` writes a whole :class:`PacketTable` at
once, with numpy: the twin's captures, millions of packets (one Python object per packet
would take minutes).

Example
-------
A TCP handshake's first two packets, written as pcap and as pcapng with two interfaces (the
second raw IP, in nanoseconds), then read back.

>>> import os, tempfile
>>> from nidslib.packets.capture import read_capture
>>> folder = tempfile.mkdtemp()
>>> syn = Packet(1_000_000, "10.0.0.1", "10.0.0.2", 6, 40000, 80, tcp_flags=0x02)
>>> syn_ack = Packet(1_000_100, "10.0.0.2", "10.0.0.1", 6, 80, 40000, tcp_flags=0x12)
>>> len(ip_packet(syn)), len(link_frame(syn)), len(link_frame(syn, SLL2))
(40, 54, 60)
>>> write_pcap(os.path.join(folder, "two.pcap"), [syn, syn_ack])
2
>>> path = os.path.join(folder, "two.pcapng")
>>> write_pcapng(path, [(0, syn), (1, syn_ack)], interfaces=((ETHERNET, None), (RAW, 9)))
2
>>> table, report = read_capture(path)
>>> table.time_us.tolist(), table.tcp_flags.tolist(), report.link_types
([1000000, 1000100], [2, 18], (1, 101))
"""

from __future__ import annotations

import ipaddress
import struct
from array import array
from dataclasses import dataclass

import numpy as np

from nidslib.packets.table import ipv4_mapped

ETHERNET, RAW, SLL, SLL2, IPV4, IPV6 = 1, 101, 113, 276, 228, 229
_SRC_MAC, _DST_MAC = bytes.fromhex("020000000001"), bytes.fromhex("020000000002")


@dataclass
class Packet:
    """One IP packet to write; ``payload`` is bytes, or a length to fill with zeros.

    ``vlans`` are 802.1Q tag ids on Ethernet (two tags: the first is 802.1ad);
    ``ipv6_extensions`` are next-header numbers (0, 43, 60 or 44), each written as an
    8-byte extension header; ``fragment_offset`` (in 8-byte units) and ``more_fragments``
    make an IPv4 fragment.

    Attributes
    ----------
    time_us : int
        Capture time, microseconds since the epoch.
    src, dst : str
        IPv4 or IPv6 addresses, both of the same version.
    protocol : int, default 6
        IP protocol: 6 (TCP), 17 (UDP), 1 (ICMP), 58 (ICMPv6); any other number is written
        with no transport header.
    src_port, dst_port : int, default 0
        TCP/UDP ports.
    tcp_flags : int, default 0x10
        TCP flags byte (0x10: ACK).
    tcp_window : int, default 65535
        TCP window.
    payload : bytes or int, default 0
        The payload, or its length in zero bytes.
    vlans : tuple of int
        802.1Q/802.1ad tag ids (Ethernet only).
    ip_options : bytes
        IPv4 options, a multiple of 4 bytes.
    tcp_options : bytes
        TCP options, a multiple of 4 bytes.
    ipv6_extensions : tuple of int
        IPv6 extension headers, by next-header number.
    fragment_offset : int, default 0
        IPv4 fragment offset, in 8-byte units.
    more_fragments : bool, default False
        IPv4 "more fragments" flag.
    ttl : int, default 64
        IPv4 TTL or IPv6 hop limit.
    """

    time_us: int
    src: str
    dst: str
    protocol: int = 6
    src_port: int = 0
    dst_port: int = 0
    tcp_flags: int = 0x10
    tcp_window: int = 65535
    payload: bytes | int = 0
    vlans: tuple[int, ...] = ()
    ip_options: bytes = b""
    tcp_options: bytes = b""
    ipv6_extensions: tuple[int, ...] = ()
    fragment_offset: int = 0
    more_fragments: bool = False
    ttl: int = 64


def _checksum(data: bytes) -> int:
    """RFC 1071 checksum, returned as the value to pack in native byte order."""
    if len(data) % 2:
        data += b"\0"
    total = sum(array("H", data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


def ip_packet(p: Packet, checksums: bool = True) -> bytes:
    """The IP packet (header, transport header, payload) that ``p`` describes.

    Parameters
    ----------
    p : Packet
        The packet.
    checksums : bool, default True
        Compute the transport checksum (the IPv4 header checksum is always computed).

    Returns
    -------
    bytes
        The IPv4 or IPv6 packet.

    Raises
    ------
    ValueError
        When ``p.src`` and ``p.dst`` are not addresses of the same IP version.
    """
    payload = bytes(p.payload) if isinstance(p.payload, int) else p.payload
    src, dst = ipaddress.ip_address(p.src), ipaddress.ip_address(p.dst)
    if src.version != dst.version:
        raise ValueError(f"{p.src} and {p.dst}: mixed IP versions")
    if p.protocol == 6:
        offset = (20 + len(p.tcp_options)) // 4
        transport = struct.pack("!HHIIBBHHH", p.src_port, p.dst_port, 1, 0, offset << 4,
                                p.tcp_flags, p.tcp_window, 0, 0) + p.tcp_options
        where = 16
    elif p.protocol == 17:
        transport = struct.pack("!HHHH", p.src_port, p.dst_port, 8 + len(payload), 0)
        where = 6
    elif p.protocol in (1, 58):
        transport = struct.pack("!BBHI", 8 if p.protocol == 1 else 128, 0, 0, 1)
        where = 2
    else:
        transport, where = b"", None
    segment = transport + payload
    if checksums and where is not None:
        if p.protocol == 1:  # ICMP (IPv4) has no pseudo-header
            pseudo = b""
        elif src.version == 4:
            pseudo = src.packed + dst.packed + struct.pack("!xBH", p.protocol, len(segment))
        else:
            pseudo = src.packed + dst.packed + struct.pack("!I3xB", len(segment), p.protocol)
        csum = _checksum(pseudo + segment)
        segment = segment[:where] + struct.pack("=H", csum) + segment[where + 2:]
    if src.version == 4:
        frag = (p.fragment_offset & 0x1FFF) | (0x2000 if p.more_fragments else 0)
        ihl = 5 + len(p.ip_options) // 4
        header = struct.pack("!BBHHHBBH4s4s", 0x40 | ihl, 0, ihl * 4 + len(segment), 1, frag,
                             p.ttl, p.protocol, 0, src.packed, dst.packed) + p.ip_options
        csum = _checksum(header)
        return header[:10] + struct.pack("=H", csum) + header[12:] + segment
    chain = (*p.ipv6_extensions, p.protocol)
    extensions = b"".join(struct.pack("!BB6x", chain[i + 1], 0)
                          for i in range(len(p.ipv6_extensions)))
    return struct.pack("!IHBB16s16s", 6 << 28, len(extensions) + len(segment), chain[0],
                       p.ttl, src.packed, dst.packed) + extensions + segment


def link_frame(p: Packet, link_type: int = ETHERNET, checksums: bool = True) -> bytes:
    """``p`` framed for ``link_type``: Ethernet (with ``p.vlans``), SLL, SLL2 or raw IP.

    Parameters
    ----------
    p : Packet
        The packet.
    link_type : int, default ETHERNET
        1 (Ethernet), 113 (SLL), 276 (SLL2), or a raw-IP type (101, 228, 229, 12, 14).
    checksums : bool, default True
        As in :func:`ip_packet`.

    Returns
    -------
    bytes
        The link-layer frame.

    Raises
    ------
    ValueError
        When ``link_type`` is none of the above, or as :func:`ip_packet`.
    """
    ip = ip_packet(p, checksums)
    ethertype = 0x0800 if ip[0] >> 4 == 4 else 0x86DD
    if link_type == ETHERNET:
        tags = b"".join(struct.pack("!HH", 0x88A8 if i == 0 and len(p.vlans) > 1 else 0x8100, v)
                        for i, v in enumerate(p.vlans))
        return _DST_MAC + _SRC_MAC + tags + struct.pack("!H", ethertype) + ip
    if link_type == SLL:
        return struct.pack("!HHH8sH", 0, 1, 6, _SRC_MAC, ethertype) + ip
    if link_type == SLL2:
        return struct.pack("!HHIHBB8s", ethertype, 0, 2, 1, 0, 6, _SRC_MAC) + ip
    if link_type in (RAW, IPV4, IPV6, 12, 14):
        return ip
    raise ValueError(f"cannot frame a packet for link type {link_type}")


def _records(packets, link_type, checksums):
    for item in packets:
        if isinstance(item, Packet):
            yield item.time_us, link_frame(item, link_type, checksums)
        else:
            yield item


def write_pcap(path, packets, *, link_type: int = ETHERNET, nanosecond: bool = False,
               byte_order: str = "<", snaplen: int = 65535, checksums: bool = True) -> int:
    """Write a classic pcap file.

    Parameters
    ----------
    path : str or Path
        The file to write (replaced if it exists).
    packets : iterable
        :class:`Packet` objects, or ``(time_us, frame_bytes)`` pairs written as they are.
    link_type : int
        The file's link type; packets are framed for it (see :func:`link_frame`).
    nanosecond : bool
        Write the nanosecond variant (magic 0xA1B23C4D).
    byte_order : {"<", ">"}
        Little- or big-endian headers.
    snaplen : int
        Frames longer than this are cut to it (their original length is kept).
    checksums : bool
        Compute transport checksums (the IPv4 header checksum is always computed).

    Returns
    -------
    int
        The number of packets written.

    Raises
    ------
    ValueError
        When a :class:`Packet` cannot be framed (see :func:`link_frame`).
    """
    magic = 0xA1B23C4D if nanosecond else 0xA1B2C3D4
    record = struct.Struct(byte_order + "IIII")
    count = 0
    with open(path, "wb") as f:
        f.write(struct.pack(byte_order + "IHHiIII", magic, 2, 4, 0, 0, snaplen, link_type))
        for time_us, frame in _records(packets, link_type, checksums):
            seconds, micro = divmod(int(time_us), 1_000_000)
            data = frame[:snaplen]
            f.write(record.pack(seconds, micro * 1000 if nanosecond else micro, len(data),
                                len(frame)))
            f.write(data)
            count += 1
    return count


def pcapng_block(block_type: int, body: bytes, byte_order: str = "<") -> bytes:
    """One pcapng block: type, total length, ``body`` padded to 4 bytes, total length.

    Parameters
    ----------
    block_type : int
        The block type (1: Interface Description, 3: Simple Packet, 6: Enhanced Packet,
        0x0A0D0D0A: Section Header).
    body : bytes
        The block's body.
    byte_order : {"<", ">"}, default "<"
        The section's byte order.

    Returns
    -------
    bytes
        The block.
    """
    body += bytes(-len(body) % 4)
    length = struct.pack(byte_order + "I", len(body) + 12)
    return struct.pack(byte_order + "I", block_type) + length + body + length


def pcapng_section(byte_order: str = "<") -> bytes:
    """A Section Header Block (version 1.0, section length unknown).

    Parameters
    ----------
    byte_order : {"<", ">"}, default "<"
        The section's byte order, recorded by its byte-order magic.

    Returns
    -------
    bytes
        The block.
    """
    return pcapng_block(0x0A0D0D0A, struct.pack(byte_order + "IHHq", 0x1A2B3C4D, 1, 0, -1),
                        byte_order)


def pcapng_interface(link_type: int, tsresol: int | None = None, byte_order: str = "<",
                     snaplen: int = 0, tsoffset: int = 0) -> bytes:
    """An Interface Description Block, with ``if_tsresol`` and ``if_tsoffset`` when given.

    Parameters
    ----------
    link_type : int
        The interface's link type.
    tsresol : int, optional
        ``if_tsresol``: timestamps in 10^-tsresol s, or 2^-(tsresol & 0x7F) s when the
        high bit is set; ``None`` writes no option (the default, 10^-6 s).
    byte_order : {"<", ">"}, default "<"
        The section's byte order.
    snaplen : int, default 0
        The snapshot length (0: none).
    tsoffset : int, default 0
        ``if_tsoffset`` in seconds, added to every timestamp; 0 writes no option.

    Returns
    -------
    bytes
        The block.
    """
    options = b""
    if tsresol is not None:
        options += struct.pack(byte_order + "HHB3x", 9, 1, tsresol)
    if tsoffset:
        options += struct.pack(byte_order + "HHq", 14, 8, tsoffset)
    if options:
        options += bytes(4)  # opt_endofopt
    return pcapng_block(1, struct.pack(byte_order + "HHI", link_type, 0, snaplen) + options,
                        byte_order)


def _units(time_us: int, tsresol: int | None) -> int:
    resol = 6 if tsresol is None else tsresol
    if resol & 0x80:
        return time_us * 2 ** (resol & 0x7F) // 1_000_000
    return time_us * 10 ** (resol - 6) if resol >= 6 else time_us // 10 ** (6 - resol)


def write_pcapng(path, packets, interfaces=((ETHERNET, None),), *, byte_order: str = "<",
                 simple: bool = False, checksums: bool = True) -> int:
    """Write a pcapng file with one section.

    Parameters
    ----------
    path : str or Path
        The file to write.
    packets : iterable of (int, Packet or (int, bytes))
        ``(interface, packet)`` pairs; a packet is framed for its interface's link type.
    interfaces : sequence of (int, int or None)
        ``(link_type, if_tsresol)`` per interface, in id order (None: the default, 10^-6).
    byte_order : {"<", ">"}
        The section's byte order.
    simple : bool
        Write the packets of interface 0 as Simple Packet Blocks (which carry no time).
    checksums : bool
        Compute transport checksums.

    Returns
    -------
    int
        The number of packets written.

    Raises
    ------
    IndexError
        When a packet names an interface that ``interfaces`` does not declare.
    ValueError
        When a :class:`Packet` cannot be framed (see :func:`link_frame`).
    """
    count = 0
    with open(path, "wb") as f:
        f.write(pcapng_section(byte_order))
        for link_type, tsresol in interfaces:
            f.write(pcapng_interface(link_type, tsresol, byte_order))
        for interface, item in packets:
            link_type, tsresol = interfaces[interface]
            time_us, frame = next(_records([item], link_type, checksums))
            if simple and interface == 0:
                f.write(pcapng_block(3, struct.pack(byte_order + "I", len(frame)) + frame,
                                     byte_order))
            else:
                ts = _units(int(time_us), tsresol)
                f.write(pcapng_block(6, struct.pack(byte_order + "IIIII", interface, ts >> 32,
                                                    ts & 0xFFFFFFFF, len(frame), len(frame))
                                     + frame, byte_order))
            count += 1
    return count


def _put(buf: np.ndarray, at: np.ndarray, value, size: int, big: bool = True) -> None:
    """Write ``value`` (one per offset) as ``size``-byte integers at offsets ``at``."""
    value = np.asarray(value, np.int64)
    for k in range(size):
        shift = 8 * (size - 1 - k if big else k)
        buf[at + k] = (value >> shift) & 0xFF


def write_table(path, table, *, chunk_size: int = 1_000_000) -> int:
    """Write a :class:`~nidslib.packets.table.PacketTable` of IPv4 TCP/UDP packets as a
    classic pcap file of Ethernet frames, vectorised.

    Each record holds the frame's headers, as a capture taken with a short snapshot length
    does: the payload is not written (its length stays in the IP header and the record's
    original length, which is where :func:`~nidslib.packets.capture.read_packets` takes
    lengths from). A frame under Ethernet's 60-byte minimum is written whole, padded with
    zeros to 60 bytes as it was on the wire. The IPv4 header checksum is computed; the
    transport checksums are zero; sequence numbers are zero. Read back, the table's times,
    addresses, ports, protocol, lengths, flags and windows come out as written (read with
    ``padding_as_payload=True`` where the table counted the padding as payload, as the
    twin's does). Chapter 9, section "The twin's own capture, and the detector on it".

    Parameters
    ----------
    path : str or Path
        The file to write (replaced if it exists).
    table : PacketTable
        IPv4 (mapped) TCP and UDP packets, in file order; ``payload_length`` may include a
        short frame's padding (then ``ip_length`` excludes it).
    chunk_size : int
        Packets built in memory at a time.

    Returns
    -------
    int
        The number of packets written.

    Raises
    ------
    ValueError
        A packet is IPv6 or neither TCP nor UDP.

    Examples
    --------
    >>> import os, tempfile
    >>> from nidslib.packets.capture import read_capture
    >>> path = os.path.join(tempfile.mkdtemp(), "two.pcap")
    >>> write_pcap(path, [Packet(1_000_000, "10.0.0.1", "10.0.0.2", 6, 40000, 80, payload=300),
    ...                   Packet(1_000_250, "10.0.0.2", "10.0.0.1", 17, 53, 5353)])
    2
    >>> table, _ = read_capture(path)
    >>> write_table(path, table)  # the same two packets, headers only
    2
    >>> again, _ = read_capture(path)
    >>> again.payload_length.tolist(), again.captured_length.tolist(), again.time_us.tolist()
    ([300, 0], [54, 60], [1000000, 1000250])
    """
    if not (ipv4_mapped(table.src).all() and ipv4_mapped(table.dst).all()):
        raise ValueError("write_table writes IPv4 packets only; the table holds IPv6 addresses")
    if not np.isin(table.protocol, (6, 17)).all():
        raise ValueError("write_table writes TCP and UDP packets only; the table holds "
                         f"protocols {sorted(set(table.protocol.tolist()) - {6, 17})}")
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, ETHERNET))
        for begin in range(0, len(table), chunk_size):
            f.write(_records_of(table[begin:begin + chunk_size]))
    return len(table)


def _records_of(t) -> bytes:
    """The pcap records (16-byte header, then the frame's headers) of one chunk of a table."""
    n = len(t)
    ip_length = t.ip_length.astype(np.int64)
    ip_header = t.header_length.astype(np.int64) - t.transport_header_length
    true_payload = ip_length - t.header_length
    frame = 14 + ip_length
    written = np.where(frame < 60, 60, 14 + t.header_length.astype(np.int64))
    starts = np.r_[0, np.cumsum(16 + written)[:-1]]
    buf = np.zeros(int((16 + written).sum()), np.uint8)
    time = t.time_us.astype(np.int64)
    seconds, micro = np.divmod(time, 1_000_000)
    for k, value in enumerate((seconds, micro, written, np.maximum(frame, 60))):
        _put(buf, starts + 4 * k, value, 4, big=False)
    eth = starts + 16
    buf[eth[:, None] + np.arange(12)] = np.frombuffer(_DST_MAC + _SRC_MAC, np.uint8)
    _put(buf, eth + 12, np.full(n, 0x0800), 2)
    ip = eth + 14
    src = t.src[:, 12:16].astype(np.int64)
    dst = t.dst[:, 12:16].astype(np.int64)
    words = [0x4000 + 0x500 + (ip_header // 4 - 5) * 0x100, ip_length, np.zeros(n), 0x4000,
             64 * 256 + t.protocol.astype(np.int64), src[:, 0] * 256 + src[:, 1],
             src[:, 2] * 256 + src[:, 3], dst[:, 0] * 256 + dst[:, 1], dst[:, 2] * 256 + dst[:, 3]]
    total = sum(np.broadcast_to(np.asarray(w, np.int64), (n,)) for w in words)
    total = (total & 0xFFFF) + (total >> 16)
    checksum = ~((total & 0xFFFF) + (total >> 16)) & 0xFFFF
    for offset, value in ((0, words[0]), (2, ip_length), (6, np.full(n, 0x4000)),
                          (8, words[4]), (10, checksum)):
        _put(buf, ip + offset, value, 2)
    buf[ip[:, None] + 12 + np.arange(4)] = t.src[:, 12:16]
    buf[ip[:, None] + 16 + np.arange(4)] = t.dst[:, 12:16]
    l4 = ip + ip_header
    _put(buf, l4, t.src_port, 2)
    _put(buf, l4 + 2, t.dst_port, 2)
    tcp = t.protocol == 6
    offset_flags = (t.transport_header_length.astype(np.int64) // 4) * 4096 + t.tcp_flags
    _put(buf, l4[tcp] + 12, offset_flags[tcp], 2)
    _put(buf, l4[tcp] + 14, t.tcp_window[tcp], 2)
    udp = ~tcp
    _put(buf, l4[udp] + 4, 8 + true_payload[udp], 2)
    return buf.tobytes()
