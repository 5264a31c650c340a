"""How :func:`nidslib.packets.flows.build_flows` groups packets: keys, rules, flows as positions.

Chapter 9 (From packets to alerts, in preparation). The rules are stated in
:mod:`nidslib.packets.flows`; this module applies them to arrays. Packets are sorted by flow
key, file order kept within a key (:func:`key_order`); the FIN and timeout rules split each
key's packets into flows for all keys at once (``_flow_starts``, one flow per key per
round); only keys whose packet times go backwards are walked packet by packet in Python
(``_walk_group``). :func:`assemble` returns the flows as positions (:class:`Plan`), and
:func:`materialize` gathers the chosen flows' packets once.

Example
-------
Two packets of one TCP connection, in either direction, share one key:

>>> from nidslib.packets.table import PacketTable, parse_address
>>> a, b = parse_address("192.168.10.5"), parse_address("104.16.207.165")
>>> table = PacketTable(
...     time_us=np.array([0, 5]), src=np.array([a, b]), dst=np.array([b, a]),
...     src_port=np.array([54865, 443], np.uint16), dst_port=np.array([443, 54865], np.uint16),
...     protocol=np.array([6, 6], np.uint8), ip_length=np.array([40, 40], np.uint32),
...     header_length=np.array([40, 40], np.uint16),
...     transport_header_length=np.array([20, 20], np.uint16),
...     payload_length=np.array([0, 0], np.uint32), tcp_flags=np.array([2, 18], np.uint8),
...     tcp_window=np.array([1, 1], np.uint16), captured_length=np.array([54, 54], np.uint32))
>>> order, key = key_order(table)
>>> key.tolist(), src_greater(table.src, table.dst).tolist()
([0, 0], [False, True])
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np
import pandas as pd

from nidslib.packets.table import PacketTable, ipv4_mapped

__all__ = ["Plan", "assemble", "key_hash", "key_order", "keys_among", "materialize",
           "own_identity", "prepare", "src_greater"]

_FIN = 0x01
_MIX = np.uint64(0x9E3779B97F4A7C15)  # odd: multiplying by it loses no bits mod 2**64


def src_greater(src: np.ndarray, dst: np.ndarray) -> np.ndarray:
    """Rule 2.1: the first differing address byte, read as a signed Java byte, decides.

    Flipping each byte's sign bit turns signed-byte order into unsigned order, so the 16
    bytes compare as two big-endian 64-bit words (3 times faster than finding the first
    differing byte, measured here)."""
    flip = np.uint64(0x8080808080808080)
    a = np.ascontiguousarray(src).view(">u8") ^ flip
    b = np.ascontiguousarray(dst).view(">u8") ^ flip
    return (a[:, 0] > b[:, 0]) | ((a[:, 0] == b[:, 0]) & (a[:, 1] > b[:, 1]))


def _cicflowmeter_view(table: PacketTable) -> tuple[PacketTable, np.ndarray, int]:
    """Rule 1.3: TCP and UDP as they are; other protocols as protocol 0 without ports,
    payload, header or flags. Returns the table, the window column (-1 off TCP) and how
    many packets were of other protocols."""
    tcp, udp = table.protocol == 6, table.protocol == 17
    other = ~(tcp | udp)
    window = np.where(tcp, table.tcp_window.astype(np.int32), -1)
    if not other.any():
        return table, window, 0
    zero = {"protocol": np.uint8, "src_port": np.uint16, "dst_port": np.uint16,
            "payload_length": np.uint32, "transport_header_length": np.uint16,
            "tcp_flags": np.uint8}
    columns = {f.name: getattr(table, f.name) for f in fields(table)}
    for name, dtype in zero.items():
        columns[name] = np.where(other, 0, columns[name]).astype(dtype)
    return PacketTable(**columns), window, int(other.sum())


def _flow_starts(time, fin, group, group_start, group_end, pinned, timeout):
    """Both rules (FIN 5.1-5.2, flow timeout 3.2-3.4) on every key group at once: each round
    ends one flow per group (pointer jumping).

    A flow starting at packet ``s`` ends at the first of: the first packet more than
    ``timeout`` after it (found by one ``np.searchsorted`` over the times of all groups,
    each group shifted past the previous one's end by more than the timeout), which then
    starts a flow of the same identity; or the first FIN after ``s``, which it includes.
    Groups whose times go backwards, or whose shifted times would not fit 63 bits, are left
    to :func:`_walk_group`. Returns, per flow by start: start, origin (the row whose
    identity is the flow's), begun by a timeout, closed by a FIN; the timeouts counted; and
    the groups left over. Walking every group with a timeout packet by packet in Python
    took 15.7 s of the 26 s that the twin's full-profile Wednesday (10 M packets) took from
    file to features; this takes under a second (``benchmarks/flows.py``)."""
    n, n_groups = len(fin), len(group_start)
    at = np.where(fin, np.arange(n), n)
    next_fin = np.minimum.accumulate(at[::-1])[::-1]  # first FIN at or after i
    back = np.flatnonzero(np.diff(time) < 0) + 1
    slow = np.zeros(n_groups, bool)
    slow[group[back[group[back] == group[back - 1]]]] = True  # time goes back inside
    span = time[group_end - 1] - time[group_start]  # may wrap for absurd timestamps: then
    width = np.where(slow, 1.0, time[group_end - 1].astype(np.float64)  # the float check
                     - time[group_start].astype(np.float64) + timeout + 1)  # catches it
    slow |= np.cumsum(width) >= 2.0 ** 62  # shifted times past 63 bits (absurd timestamps)
    width = np.where(slow, 1, span + timeout + 1)
    base = np.r_[0, np.cumsum(width)[:-1]]
    shifted = np.where(slow[group], base[group], time - time[group_start][group] + base[group])

    flows, timeouts = [], 0
    single = ~slow & (group_end - group_start == 1)  # a one-packet key is one flow
    s = group_start[single]
    flows.append((s, s, pinned[s], np.zeros(len(s), bool)))
    s, e = group_start[~slow & ~single], group_end[~slow & ~single]
    origin, by_timeout = s.copy(), pinned[s]
    while len(s):
        after = np.minimum(s + 1, n - 1)
        fin_at = np.where(s + 1 < e, np.minimum(next_fin[after], e), e)  # e: none
        late = np.searchsorted(shifted, shifted[s] + timeout, side="right")  # <= e
        timed_out = (late < e) & (late <= fin_at)  # the timeout is tested before the FIN
        by_fin = ~timed_out & (fin_at < e)
        flows.append((s, origin, by_timeout, by_fin))
        timeouts += int(timed_out.sum())
        nxt = np.where(timed_out, late, fin_at + 1)
        if (nxt <= s).any():  # cannot happen while ``shifted`` is sorted; never loop on
            raise RuntimeError("flow assembly made no progress: shifted times unsorted")
        go_on = (timed_out | by_fin) & (nxt < e)
        s, e, nxt_origin = nxt[go_on], e[go_on], origin[go_on]
        # a timeout's flow keeps the old identity (3.4); after a FIN the packet's own
        origin = np.where(timed_out[go_on], nxt_origin, s)
        by_timeout = np.where(timed_out[go_on], True, pinned[s])
    if flows:
        starts, first, begun, closed = (np.concatenate(x) for x in zip(*flows))
    else:
        starts = first = np.zeros(0, np.int64)
        begun = closed = np.zeros(0, bool)
    order = np.argsort(starts, kind="stable")
    return (starts[order], first[order], begun[order], closed[order], timeouts,
            np.flatnonzero(slow))


def _walk_group(rows, time, fin, src, origin_src, pinned, timeout):
    """One key group packet by packet, both rules (for groups whose times go backwards).
    Returns (start, origin row, started by a timeout?, closed by FIN?) per flow, the forward
    flag per packet and how many timeouts happened. Times subtract as 64-bit integers that
    wrap on overflow, as Java's longs do in the original tool."""
    flows, forward, timeouts = [], np.zeros(len(rows), bool), 0
    start = None
    with np.errstate(over="ignore"):
        for i, row in enumerate(rows):
            if start is None:
                start, origin, by_timeout = i, row, bool(pinned[row])
                forward[i] = True
                continue
            if time[row] - time[rows[start]] > timeout:  # rule 3.2, tested before FIN (3.3)
                flows.append((start, origin, by_timeout, False))
                start, by_timeout = i, True  # rule 3.4: the old flow's origin is kept...
                forward[i] = True  # ...and this packet counts as forward
                timeouts += 1
                continue
            forward[i] = bool((src[row] == origin_src[origin]).all())
            if fin[row]:
                flows.append((start, origin, by_timeout, True))
                start = None
    if start is not None:
        flows.append((start, origin, by_timeout, False))
    return flows, forward, timeouts


def prepare(table: PacketTable, ipv6: bool):
    """Rules 1.2-1.3 on newly read packets: IPv6 left out unless asked for, other protocols
    as protocol 0. Returns the table, its window column, and how many packets were IPv6
    (left out) and of other protocols."""
    v4 = ipv4_mapped(table.src) & ipv4_mapped(table.dst)
    ipv6_packets = 0
    if not ipv6 and not v4.all():
        ipv6_packets = int((~v4).sum())
        table = table[v4]
    table, window, other = _cicflowmeter_view(table)
    return table, window, ipv6_packets, other


def own_identity(table: PacketTable) -> dict:
    """Each packet as the start of its own flow: its addresses and ports, no timeout birth."""
    return {"src": table.src, "dst": table.dst, "src_port": table.src_port,
            "dst_port": table.dst_port, "pinned": np.zeros(len(table), bool)}


def assemble(table: PacketTable, number: np.ndarray, flow_timeout_us: int,
             held: dict) -> Plan:
    """Every flow of the packets (one-packet flows included), finished flows first in the
    order they ended, then open ones in the order they started; and which are finished.

    ``held`` (from :func:`stream_flows`) gives, per packet, the identity (source,
    destination, ports) of the flow it starts and whether a timeout gave birth to that flow:
    a flow carried over from an earlier chunk keeps both."""
    order, group = key_order(table)
    timeout_splits = 0
    time = table.time_us[order]
    fin = (table.tcp_flags[order] & _FIN) > 0
    # addresses as two 64-bit words: comparing them is 8 times less work than 16 bytes
    # (np.take: 5 times faster than ``[order]`` on rows of two words, measured here)
    src = np.take(np.ascontiguousarray(table.src).view(np.uint64), order, axis=0)
    origin_src = np.take(np.ascontiguousarray(held["src"]).view(np.uint64), order, axis=0)
    pinned = held["pinned"][order]
    n = len(order)
    if not n:
        nothing = np.zeros(0, np.int64)
        return Plan(rows=nothing, flow=nothing, forward=nothing.astype(bool), origin=nothing,
                     head=nothing, closed=nothing.astype(bool), by_timeout=nothing.astype(bool),
                     finished=nothing.astype(bool), size=nothing)
    group_start = np.flatnonzero(np.r_[True, group[1:] != group[:-1]])
    group_end = np.r_[group_start[1:], n]

    starts, first, by_timeout, closed, timeout_splits, slow = _flow_starts(
        time, fin, group, group_start, group_end, pinned, flow_timeout_us)
    forward, bulk = np.zeros(n, bool), np.ones(n, bool)
    if len(slow):  # the groups whose times go backwards, packet by packet
        walked_flows = []
        for g in slow:
            lo, hi = group_start[g], group_end[g]
            walked, forward[lo:hi], timeouts = _walk_group(
                np.arange(lo, hi), time, fin, src, origin_src, pinned, flow_timeout_us)
            bulk[lo:hi] = False
            timeout_splits += timeouts
            walked_flows += [(lo + start, origin, timed_out, by_fin)
                             for start, origin, timed_out, by_fin in walked]
        w_start, w_first, w_timeout, w_closed = (np.array(x) for x in zip(*walked_flows))
        starts, first = np.r_[starts, w_start], np.r_[first, w_first]
        by_timeout, closed = np.r_[by_timeout, w_timeout], np.r_[closed, w_closed]
        resort = np.argsort(starts, kind="stable")
        starts, first, by_timeout, closed = (x[resort] for x in (starts, first, by_timeout,
                                                                 closed))
    flow = np.zeros(n, np.int64)
    flow[starts] = 1
    flow = np.cumsum(flow) - 1
    ends = np.r_[starts[1:], n] - 1
    origin = np.take(origin_src, first[flow[bulk]], axis=0)
    forward[bulk] = (src[bulk, 0] == origin[:, 0]) & (src[bulk, 1] == origin[:, 1])
    forward[starts] = True  # a flow's first packet is forward (rules 3.4 and 6, B)

    # Output order (rule 7.5): finished flows by the packet that ended them (the FIN, or
    # the packet that timed the flow out, which starts the next flow), then open ones.
    # (a flow carried over from an earlier chunk begins its key group: nothing before it)
    same_key_next = np.r_[group[starts[1:]] == group[starts[:-1]], False]
    timed_out = np.r_[by_timeout[1:], False] & same_key_next
    finished = closed | timed_out
    next_start = np.r_[starts[1:], 0]
    never = np.iinfo(np.int64).max
    ended_at = (np.where(closed, number[order[ends]],
                         np.where(timed_out, number[order[next_start]], never)))
    flow_order = np.lexsort((number[order[starts]], ended_at))
    # Packets flow by flow in that order, without another sort: each flow's packets are
    # contiguous in ``order`` already.
    sizes = ends - starts + 1
    out_start = np.zeros(len(starts), np.int64)
    out_start[flow_order] = np.r_[0, np.cumsum(sizes[flow_order])[:-1]] if len(starts) else 0
    position = out_start[flow] + (np.arange(n) - starts[flow])
    rows, packet_flow, packet_forward = (np.empty(n, np.int64), np.empty(n, np.int64),
                                         np.empty(n, bool))
    rank = np.empty(len(starts), np.int64)
    rank[flow_order] = np.arange(len(flow_order))
    rows[position], packet_flow[position], packet_forward[position] = order, rank[flow], forward
    return Plan(rows=rows, flow=packet_flow, forward=packet_forward,
                 origin=order[first[flow_order]], head=order[starts[flow_order]],
                 closed=closed[flow_order], by_timeout=by_timeout[flow_order],
                 finished=finished[flow_order], size=sizes[flow_order],
                 timeout_splits=timeout_splits)


@dataclass
class Plan:
    """Flows as positions into the packets they were built from (see :func:`assemble`)."""

    rows: np.ndarray  # per packet, flow by flow: its row in the table
    flow: np.ndarray  # per packet: its flow
    forward: np.ndarray  # per packet
    origin: np.ndarray  # per flow: the row whose identity is the flow's
    head: np.ndarray  # per flow: its first packet's row
    closed: np.ndarray  # per flow: ended by a FIN
    by_timeout: np.ndarray  # per flow: begun by a timeout
    finished: np.ndarray  # per flow: ended by a FIN or a timeout
    size: np.ndarray  # per flow: packets
    timeout_splits: int = 0  # flows a timeout ended


def materialize(plan: Plan, keep: np.ndarray, table: PacketTable, window, number,
                held) -> dict:
    """The flows where ``keep`` is True, renumbered, with their packets (one gather): the
    fields of :class:`nidslib.packets.flows.Flows` but its report."""
    index = np.cumsum(keep) - 1
    mask = keep[plan.flow]
    rows = plan.rows[mask]
    origin, head = plan.origin[keep], plan.head[keep]
    return dict(packets=table[rows], flow=index[plan.flow[mask]], forward=plan.forward[mask],
                window=window[rows], packet_number=number[rows], src=held["src"][origin],
                dst=held["dst"][origin], src_port=held["src_port"][origin],
                dst_port=held["dst_port"][origin], protocol=table.protocol[head],
                closed_by_fin=plan.closed[keep], started_by_timeout=plan.by_timeout[keep])


def _key_words(table: PacketTable):
    """Each packet's flow key, the same for both directions (rule 2.1): whether the pair is
    swapped, the address pair as one 64-bit word (None unless every address is IPv4), and
    the ports and protocol as another."""
    swap = src_greater(table.src, table.dst)
    lo_port = np.where(swap, table.dst_port, table.src_port).astype(np.uint64)
    hi_port = np.where(swap, table.src_port, table.dst_port).astype(np.uint64)
    ports = (lo_port << np.uint64(24)) | (hi_port << np.uint64(8)) | table.protocol.astype(np.uint64)
    if not (ipv4_mapped(table.src).all() and ipv4_mapped(table.dst).all()):
        return swap, None, ports
    a = np.ascontiguousarray(table.src[:, 12:]).view(">u4").ravel().astype(np.uint64)
    b = np.ascontiguousarray(table.dst[:, 12:]).view(">u4").ravel().astype(np.uint64)
    return swap, np.where(swap, (b << np.uint64(32)) | a, (a << np.uint64(32)) | b), ports


def key_hash(table: PacketTable) -> np.ndarray:
    """Per packet, a 64-bit hash of its flow key (rule 2.1: the same for both directions).

    Equal keys give equal hashes; different keys rarely do, which :func:`keys_among` can
    afford (a false match only re-groups a flow that did not need it).

    Parameters
    ----------
    table : PacketTable
        Packets.

    Returns
    -------
    numpy.ndarray
        uint64 per packet.
    """
    swap, hosts, ports = _key_words(table)
    mix = _MIX
    if hosts is not None:  # IPv4: the address pair is one word already
        return hosts * mix + ports  # wraps around mod 2**64
    src = np.ascontiguousarray(table.src).view(np.uint64)
    dst = np.ascontiguousarray(table.dst).view(np.uint64)
    lo, hi = np.where(swap[:, None], dst, src), np.where(swap[:, None], src, dst)
    key = ports
    for word in (lo[:, 0], lo[:, 1], hi[:, 0], hi[:, 1]):
        key = key * mix + word
    return key


def keys_among(held_keys: np.ndarray, new_keys: pd.Index) -> np.ndarray:
    """Per held packet: whether some new packet may share its flow key (:func:`key_hash`).

    :func:`nidslib.packets.flows.stream_flows` re-groups only those flows with the next
    chunk: a flow no new packet belongs to cannot change. ``new_keys`` is a
    ``pandas.Index`` of the distinct new keys, whose hash table is built once for all the
    held parts it is asked about."""
    return new_keys.get_indexer(held_keys) >= 0


def key_order(table: PacketTable):
    """Packets sorted by flow key (rule 2.1: addresses and ports in signed-byte order, the
    protocol), file order within a key: ``(order, key number of each sorted packet)``.

    For IPv4 the address pair is numbered by pandas' hash table (``pandas.factorize``), so
    the whole key fits one 64-bit integer; its numbers, in order of first appearance, are
    sorted once, stably. Key numbers are consecutive from 0, non-decreasing in the order,
    but not ordered by the keys' values (nothing needs that). On a million packets of the
    mixed capture of ``benchmarks/capture_read.py`` this took 0.15 s, against 0.36 s for
    ``np.lexsort`` on the key packed into two integers, and 1.5 s for sorting 37-byte keys
    (the path kept for IPv6)."""
    swap, hosts, ports = _key_words(table)
    if hosts is not None:
        pair = pd.factorize(hosts)[0].astype(np.uint64)
        if len(table) < 1 << 24:  # fewer pairs than that: a pair number takes 24 bits
            key = pd.factorize((pair << np.uint64(40)) | ports)[0]
            order = _stable_order(key)
            return order, key[order]
        order = np.lexsort((ports, pair))
        pair, ports = pair[order], ports[order]
        change = np.r_[True, (pair[1:] != pair[:-1]) | (ports[1:] != ports[:-1])]
        return order, np.cumsum(change) - 1
    key = np.zeros((len(table), 40), np.uint8)
    key[:, :16] = np.where(swap[:, None], table.dst, table.src)
    key[:, 16:32] = np.where(swap[:, None], table.src, table.dst)
    key[:, 32:40] = ports.astype(">u8").view(np.uint8).reshape(-1, 8)
    _, group = np.unique(key.view("V40").ravel(), return_inverse=True)
    order = np.argsort(group.ravel(), kind="stable")
    return order, group.ravel()[order]


def _stable_order(key: np.ndarray) -> np.ndarray:
    """``np.argsort(key, kind="stable")`` for non-negative integers below 2**32, as one or
    two passes over 16-bit digits: numpy sorts 16-bit integers by radix, 6 times faster than
    64-bit ones (0.013 s against 0.075 s for a million, measured here)."""
    low = np.argsort((key & 0xFFFF).astype(np.uint16), kind="stable")
    if not len(key) or key.max() < 1 << 16:
        return low
    return low[np.argsort((key[low] >> 16).astype(np.uint16), kind="stable")]
