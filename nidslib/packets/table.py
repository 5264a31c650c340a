"""The packet table: one row per packet, the form in which packets travel through the book.

Chapter 9 (From packets to alerts, in preparation). :mod:`nidslib.packets.capture` fills it
from pcap and pcapng files; the flow builder reads it. Addresses are stored as 16
bytes (IPv4 mapped as ``::ffff:a.b.c.d``) so IPv4 and IPv6 share one column.

Example
-------
>>> table = PacketTable.empty()
>>> len(table), table.src.shape
(0, (0, 16))
>>> format_addresses([parse_address("10.0.0.1"), parse_address("2001:db8::1")])
['10.0.0.1', '2001:db8::1']
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, fields

import numpy as np
import pandas as pd

__all__ = ["PacketTable", "format_addresses", "ipv4_mapped", "parse_address"]

_DTYPES = dict(time_us=np.int64, src=np.uint8, dst=np.uint8, src_port=np.uint16,
               dst_port=np.uint16, protocol=np.uint8, ip_length=np.uint32,
               header_length=np.uint16, transport_header_length=np.uint16,
               payload_length=np.uint32, tcp_flags=np.uint8,
               tcp_window=np.uint16, captured_length=np.uint32)


@dataclass
class PacketTable:
    """One row per usable packet, one numpy array per column.

    ``src``/``dst`` are (n, 16) uint8 addresses, IPv4 mapped as ::ffff:a.b.c.d; lengths are
    in bytes; ports, flags and window are 0 where they do not apply (ICMP has no ports,
    non-TCP no flags or window). Indexing with a slice, mask or index array gives a table
    of those rows.

    Attributes
    ----------
    time_us : numpy.ndarray
        int64 capture times, microseconds since the epoch.
    src, dst : numpy.ndarray
        (n, 16) uint8 source and destination addresses.
    src_port, dst_port : numpy.ndarray
        uint16 ports (0 for ICMP and ICMPv6).
    protocol : numpy.ndarray
        uint8 IP protocol: 6, 17, 1 or 58.
    ip_length : numpy.ndarray
        uint32 IPv4 total length, or IPv6 payload length + 40.
    header_length : numpy.ndarray
        uint16 IP header (with extensions) plus transport header.
    transport_header_length : numpy.ndarray
        uint16 transport header alone: TCP data offset x 4 (options included), 8 for UDP,
        ICMP and ICMPv6 (what CICFlowMeter calls a packet's header length).
    payload_length : numpy.ndarray
        uint32 ``ip_length - header_length``; plus the padding of a short Ethernet frame
        where it is read as payload, as the original CICFlowMeter did
        (:func:`nidslib.packets.capture.read_packets`, ``padding_as_payload``).
    tcp_flags : numpy.ndarray
        uint8 TCP flags (0 for other protocols).
    tcp_window : numpy.ndarray
        uint16 TCP window (0 for other protocols).
    captured_length : numpy.ndarray
        uint32 bytes captured of the frame.
    """

    time_us: np.ndarray  # int64, microseconds since the epoch
    src: np.ndarray
    dst: np.ndarray
    src_port: np.ndarray  # uint16
    dst_port: np.ndarray  # uint16
    protocol: np.ndarray  # uint8: 6, 17, 1 or 58
    ip_length: np.ndarray  # uint32: IPv4 total length, IPv6 payload length + 40
    header_length: np.ndarray  # uint16: IP header (with extensions) + transport header
    transport_header_length: np.ndarray  # uint16: transport header alone
    payload_length: np.ndarray  # uint32: ip_length - header_length (+ padding, when read so)
    tcp_flags: np.ndarray  # uint8
    tcp_window: np.ndarray  # uint16
    captured_length: np.ndarray  # uint32: bytes captured of the frame

    @classmethod
    def empty(cls) -> PacketTable:
        """A table of no packets, with the columns' types.

        Returns
        -------
        PacketTable
        """
        return cls(**{k: np.zeros((0, 16) if k in ("src", "dst") else 0, v)
                      for k, v in _DTYPES.items()})

    def __len__(self) -> int:
        return len(self.time_us)

    def __getitem__(self, rows) -> PacketTable:
        if isinstance(rows, np.ndarray):
            # np.take: an (n, 16) address column indexed with ``[rows]`` took 48 ms per
            # million rows here, with np.take 9 ms (numpy copies 16-byte rows one by one)
            rows = np.flatnonzero(rows) if rows.dtype == bool else rows
            return PacketTable(*(np.take(getattr(self, f.name), rows, axis=0)
                                 for f in fields(self)))
        return PacketTable(*(getattr(self, f.name)[rows] for f in fields(self)))

    @classmethod
    def concat(cls, tables) -> PacketTable:
        """The tables one after the other (an empty table when there are none).

        Parameters
        ----------
        tables : iterable of PacketTable
            The tables, in order.

        Returns
        -------
        PacketTable
        """
        tables = list(tables) or [cls.empty()]
        return cls(*(np.concatenate([getattr(t, f.name) for t in tables]) for f in fields(cls)))

    def src_text(self) -> list[str]:
        """Source addresses as text (dotted IPv4, compressed IPv6).

        Returns
        -------
        list of str
        """
        return format_addresses(self.src)

    def dst_text(self) -> list[str]:
        """Destination addresses as text (dotted IPv4, compressed IPv6).

        Returns
        -------
        list of str
        """
        return format_addresses(self.dst)

    def to_frame(self):
        """A pandas DataFrame of the table, addresses as text.

        Returns
        -------
        pandas.DataFrame
            One column per field, ``src`` and ``dst`` as strings.
        """
        columns = {f.name: getattr(self, f.name) for f in fields(self)}
        columns["src"], columns["dst"] = self.src_text(), self.dst_text()
        return pd.DataFrame(columns)


def ipv4_mapped(addresses: np.ndarray) -> np.ndarray:
    """Per address: whether it is IPv4 (stored as ``::ffff:a.b.c.d``).

    Compared as two 64-bit words: 5 times faster than as 12 bytes (measured here).

    Parameters
    ----------
    addresses : numpy.ndarray
        (n, 16) uint8, as in :attr:`PacketTable.src`.

    Returns
    -------
    numpy.ndarray
        bool per address.
    """
    words = np.ascontiguousarray(addresses, np.uint8).reshape(-1, 16).view(">u8")
    return (words[:, 0] == 0) & (words[:, 1] >> np.uint64(32) == 0xFFFF)


def format_addresses(addresses) -> list[str]:
    """Format (n, 16) uint8 addresses as text: IPv4-mapped ones as ``a.b.c.d``.

    Parameters
    ----------
    addresses : array_like
        (n, 16) uint8, as in :attr:`PacketTable.src`.

    Returns
    -------
    list of str
    """
    raw = np.ascontiguousarray(addresses, np.uint8).reshape(-1, 16)
    # Each distinct address is formatted once: flows share few addresses. IPv4 addresses
    # are numbered by a hash table (pandas.factorize), 10 times faster than sorting the
    # 16-byte rows, which the general case does.
    if ipv4_mapped(raw).all():
        where, distinct = pd.factorize(raw.view(">u8")[:, 1] & np.uint64(0xFFFFFFFF))
        text = [f"{v >> 24}.{v >> 16 & 255}.{v >> 8 & 255}.{v & 255}" for v in distinct.tolist()]
        return [text[i] for i in where.tolist()]
    distinct, where = np.unique(raw.view("V16").ravel(), return_inverse=True)
    rows = distinct.view(np.uint8).reshape(-1, 16)
    mapped = ipv4_mapped(rows)
    text = [".".join(map(str, row[12:])) if m else str(ipaddress.IPv6Address(row.tobytes()))
            for row, m in zip(rows, mapped)]
    return [text[i] for i in where.ravel()]


def parse_address(text: str) -> np.ndarray:
    """The 16-byte form of an IPv4 or IPv6 address, as stored in a :class:`PacketTable`.

    Parameters
    ----------
    text : str
        An IPv4 or IPv6 address.

    Returns
    -------
    numpy.ndarray
        16 uint8 values; IPv4 mapped as ``::ffff:a.b.c.d``.

    Raises
    ------
    ValueError
        When ``text`` is not an IP address.
    """
    address = ipaddress.ip_address(text)
    if address.version == 4:
        address = ipaddress.IPv6Address(b"\0" * 10 + b"\xff\xff" + address.packed)
    return np.frombuffer(address.packed, np.uint8).copy()
