"""The CICIDS2017 twin: a simulated week of traffic in the exact MachineLearningCVE format.

The book runs offline on this twin. It follows the real week (Monday benign; Tuesday
Patator; Wednesday DoS and Heartbleed; Thursday web attacks and infiltration; Friday bot,
port scan and DDoS) at the real hours, with the real class proportions scaled down, and
writes the eight CSV files the way CICFlowMeter did: the same header (leading spaces and
the duplicated column), CRLF line ends, ``Infinity`` and ``NaN`` in the rate columns,
exact duplicate rows, negative values where clocks stepped back, and web-attack labels
whose dash is the cp1252 byte 0x96. Chapter 1 cleans these files exactly as a reader
with the real data cleans theirs; chapter 1 (Data cleaning), section
"The data: CICIDS2017 and its twin", explains how it is made.

Features are computed from simulated packets (:mod:`nidslib.packets.flowmeter`) of
calibrated flow types (:mod:`nidslib.twin.traffic`). Same seed, same bytes.

Example
-------
>>> import numpy as np
>>> label_counts("small")["Wednesday-workingHours.pcap_ISCX.csv"]["Heartbleed"]  # all 11
11
>>> rng = np.random.default_rng(0)
>>> flows = simulate_file("Friday-WorkingHours-Afternoon-DDos.pcap_ISCX.csv",
...                       {"BENIGN": 30, "DDoS": 20}, rng)
>>> flows.shape, flows["start_hour"].is_monotonic_increasing
((50, 80), True)
>>> ddos = flows.loc[flows["Label"] == "DDoS", "start_hour"]
>>> bool(ddos.between(15 + 56 / 60, 16 + 17 / 60).all())  # its genuine rows: 15:56-16:16
True
>>> int(flows.drop(columns="start_hour").duplicated().sum()) > 0  # exact copies
True
>>> scans = simulate_label("PortScan", 5, rng)  # connections: a SYN, and a RST back
>>> scans.packets.forward.tolist(), scans.tcp_flags.tolist()[:2]
([True, False, True, False, True, False, True, False, True, False], [2, 20])
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from pathlib import Path

import numpy as np
import pandas as pd

from nidslib.data import schema
from nidslib.packets.flowmeter import (ACTIVITY_TIMEOUT_US, Packets, features_from_flows,
                                       flow_features)
from nidslib.packets.capture_write import write_table
from nidslib.packets.flows import build_flows
from nidslib.packets.table import PacketTable, parse_address
from nidslib.twin.traffic import (FITTED, MIXTURES, TIMEOUT_US, TRAFFIC, Count, FlowType,
                                  weighted_choice)

# Scale of each profile relative to the real 2,830,743 flows. Rare classes keep at least
# ``min_flows`` (never more than the real count), so Heartbleed stays a handful.
PROFILES = {"small": {"scale": 1 / 40, "min_flows": 20}, "full": {"scale": 1.0, "min_flows": 0}}

# Share of each label's flows that CICFlowMeter wrote twice or more, byte for byte (the
# real dataset has about 10.9 % exact duplicates, most of them benign, scans and floods).
DUPLICATE_SHARE = {
    "BENIGN": 0.085, "PortScan": 0.43, "DoS Hulk": 0.25, "FTP-Patator": 0.25,
    "SSH-Patator": 0.45, "DoS slowloris": 0.07, "DoS Slowhttptest": 0.05,
    "DoS GoldenEye": 0.01, "Bot": 0.01, "Web Attack - Brute Force": 0.03,
}
ZERO_DURATION_SHARE = 0.0008   # all packets in one microsecond: Infinity and NaN rates
CLOCK_STEP_SHARE = 0.0008      # one gap negative: negative IATs, sometimes durations

# When each file's traffic was captured (hours, local time), from the dataset's documentation.
CAPTURE_HOURS = {
    "Monday-WorkingHours.pcap_ISCX.csv": (8.9, 17.0),
    "Tuesday-WorkingHours.pcap_ISCX.csv": (8.9, 17.0),
    "Wednesday-workingHours.pcap_ISCX.csv": (8.75, 17.2),
    "Thursday-WorkingHours-Morning-WebAttacks.pcap_ISCX.csv": (8.9, 12.0),
    "Thursday-WorkingHours-Afternoon-Infilteration.pcap_ISCX.csv": (13.0, 17.0),
    "Friday-WorkingHours-Morning.pcap_ISCX.csv": (8.9, 12.0),
    "Friday-WorkingHours-Afternoon-PortScan.pcap_ISCX.csv": (13.0, 15.0),
    "Friday-WorkingHours-Afternoon-DDos.pcap_ISCX.csv": (15.0, 17.0),
}


# What the original labels got wrong, from the published counts (shared/datasets/README.md).
# Per label, the share of its rows that were "attempted" attacks: the attack tool's
# connection carried no attack (a web form never submitted, a login never tried). The
# corrected release labels them BENIGN.
ATTEMPTED_SHARE = {
    "Web Attack - Brute Force": 1 - 151 / 1_507,   # Engelen et al. 2021's relabelling
    "FTP-Patator": 1 - 3_973 / 7_938,              # Engelen et al. 2021's relabelling
    "Web Attack - XSS": 1 - 18 / 652,              # the corrected release's XSS rows, all 18
    "Web Attack - Sql Injection": 1 - 13 / 21,     # its SQL injection rows, all 13
}
# Per file, an attack the original labels call BENIGN, and its share of the file's benign
# rows: the infiltrated host's port scan of Thursday afternoon, 61,106 flows.
MISSED_ATTACKS = {"Thursday-WorkingHours-Afternoon-Infilteration.pcap_ISCX.csv":
                  ("Infiltration - Portscan", 61_106 / (288_602 - 36))}

CORRECTED_LABELS_FILE = "corrected_labels.txt"

# When each attack ran (hours, lab time): the bursts of its genuine rows' timestamps
# (``calibration.json``; ``tools/calibrate_twin.py`` splits them at pauses of 15 minutes).
CAMPAIGNS = {label: [tuple(burst) for burst in FITTED[label]["campaigns"]]
             for label in [*TRAFFIC, "Infiltration - Portscan"] if label != schema.BENIGN}


def label_counts(profile: str = "small") -> dict[str, dict[str, int]]:
    """Flows per label in each file of the twin, for a profile ("small" or "full").

    Each label keeps its real count times the profile's scale, but at least the profile's
    ``min_flows`` (never more than the real count).

    Parameters
    ----------
    profile : {"small", "full"}
        A key of :data:`PROFILES`.

    Returns
    -------
    dict of str to dict of str to int
        File name -> label -> flows, for the eight files of :data:`schema.WEEK_FILES`.

    Raises
    ------
    ValueError
        ``profile`` is not a key of :data:`PROFILES`.
    """
    if profile not in PROFILES:
        raise ValueError(f"unknown twin profile {profile!r}; expected one of {sorted(PROFILES)}")
    scale, floor = PROFILES[profile]["scale"], PROFILES[profile]["min_flows"]
    counts = {}
    for name, _day, rows, labels in schema.WEEK_FILES:
        attacks = {lab: schema.REAL_LABEL_COUNTS[lab] for lab in labels if lab != schema.BENIGN}
        per_label = {schema.BENIGN: rows - sum(attacks.values()), **attacks}
        counts[name] = {lab: max(round(real * scale), min(real, floor))
                        for lab, real in per_label.items()}
    return counts


# Each weekday's date: the lab's clock is UTC-3 (ADT), as in the genuine timestamps.
DAY_START_US = {day: int(pd.Timestamp(f"2017-07-{date} 03:00", tz="UTC").value // 1000)
                for day, date in (("Monday", "03"), ("Tuesday", "04"), ("Wednesday", "05"),
                                  ("Thursday", "06"), ("Friday", "07"))}

# TCP flag bits, as in the packet's flags byte.
FIN, SYN, RST, PSH, ACK = 0x01, 0x02, 0x04, 0x08, 0x10


@dataclass
class Connections:
    """Simulated connections: their packets, and per packet what a meter reads from it.

    One connection is what the corrected CICIDS2017 release writes as one row (its meter
    does not cut a flow at the first FIN); the original meter's rows come from passing the
    packets through :func:`nidslib.packets.flows.build_flows`.

    Attributes
    ----------
    packets : nidslib.packets.flowmeter.Packets
        ``flow`` is the connection; ``time_us`` from the connection's start.
    order_us : numpy.ndarray
        Per packet, the time the capture saw it in order (``time_us`` but for the clock
        steps back, which a capture keeps in file order).
    tcp_flags, header, window : numpy.ndarray
        Per packet: TCP flags byte (0 for UDP), transport header bytes, TCP window.
    udp : numpy.ndarray
        bool per connection.
    dst_port, src_port : numpy.ndarray
        Per connection.
    client, server : numpy.ndarray
        Per connection, the addresses as text; ``""`` for "any other" (drawn later).
    header_fwd, header_bwd, win_fwd, win_bwd : numpy.ndarray
        Per connection: each side's header bytes per packet and initial window.
    """

    packets: Packets
    order_us: np.ndarray
    tcp_flags: np.ndarray
    header: np.ndarray
    window: np.ndarray
    udp: np.ndarray
    dst_port: np.ndarray
    src_port: np.ndarray
    client: np.ndarray
    server: np.ndarray
    header_fwd: np.ndarray
    header_bwd: np.ndarray
    win_fwd: np.ndarray
    win_bwd: np.ndarray

    @property
    def n(self) -> int:
        return self.packets.n_flows

    @classmethod
    def concat(cls, parts: list[Connections]) -> Connections:
        """One set of the connections of ``parts``, renumbered in order."""
        offsets = np.cumsum([0] + [p.n for p in parts])
        packets = Packets(np.concatenate([p.packets.flow + o for p, o in zip(parts, offsets)]),
                          *(np.concatenate([getattr(p.packets, f) for p in parts])
                            for f in ("time_us", "payload", "forward")), int(offsets[-1]))
        rest = {f.name: np.concatenate([getattr(p, f.name) for p in parts])
                for f in fields(cls) if f.name != "packets"}
        return cls(packets=packets, **rest)

    def take(self, keep: np.ndarray) -> Connections:
        """The connections at indices ``keep``, in that order."""
        sizes = np.bincount(self.packets.flow, minlength=self.n)
        starts = np.cumsum(sizes) - sizes
        rows = np.concatenate([np.arange(starts[k], starts[k] + sizes[k]) for k in keep]) \
            if len(keep) else np.zeros(0, np.int64)
        flow = np.repeat(np.arange(len(keep)), sizes[keep])
        packets = Packets(flow, self.packets.time_us[rows], self.packets.payload[rows],
                          self.packets.forward[rows], len(keep))
        per_packet = {"order_us", "tcp_flags", "header", "window"}
        return Connections(packets=packets, **{
            f.name: getattr(self, f.name)[rows if f.name in per_packet else keep]
            for f in fields(self) if f.name != "packets"})


def _one_long_wait(gap, flow, total, goes_idle, wait_share, rng):
    """Give each flow that never goes idle one long wait, keeping its duration.

    Independent gaps share a flow's time out evenly; genuine connections mostly spend it in
    one wait (``FlowType.wait_share``). Each flow draws the share its longest gap takes, from
    an even share of its gaps (0) to all of its duration (1); its longest drawn gap becomes
    that wait and the others shrink or grow together to fill the rest. ``gap`` holds 0 at
    each flow's first packet."""
    n = len(total)
    gaps = total - 1
    even = 1 / np.maximum(gaps, 1)
    share = even + np.interp(rng.random(n), np.linspace(0, 1, len(wait_share)),
                             wait_share) * (1 - even)
    idle = np.bincount(flow, weights=goes_idle, minlength=n) > 0
    duration = np.bincount(flow, weights=gap, minlength=n)
    longest = np.lexsort((gap, flow))[np.cumsum(total) - 1]   # the last of each flow's run
    rest = duration - gap[longest]
    change = (gaps >= 2) & ~idle & (rest > 0)
    scale = np.where(change, (1 - share) * duration / np.where(rest > 0, rest, 1), 1.0)
    gap = gap * scale[flow]
    gap[longest[change]] = (share * duration)[change]
    return gap


def _packets(flow_type: FlowType, n: int, rng: np.random.Generator, answer_first,
             tail_side=None):
    """Simulate the packets of ``n`` flows of one type (see :class:`traffic.FlowType`).

    Where ``answer_first`` is True, the first two packets carry no data and the second is
    the server's (a SYN and its SYN-ACK). ``tail_side`` (per flow: 0 none, 1 the client, 2
    the server) names the side whose last empty packets (after its last data) come after
    every packet of the other side, the one that closes first: the ACKs, FIN and RST that
    follow a close."""
    n_fwd = flow_type.fwd.sample(rng, n)
    n_bwd = np.maximum(flow_type.bwd.sample(rng, n), 0)
    # CICFlowMeter emits no flow of a single packet (none in the genuine rows either).
    n_fwd = np.where(n_fwd + n_bwd < 2, 2, n_fwd)
    total = n_fwd + n_bwd
    flow = np.repeat(np.arange(n), total)
    start = np.repeat(np.cumsum(total) - total, total)
    position = np.arange(len(flow)) - start
    forward = position < n_fwd[flow]
    # Interleave directions at random, keeping the first packet (the client's) first, and
    # the server's first answer second where the connection opens with a handshake.
    key = 2.0 * flow + (position > 0) * (1.0 + rng.random(len(flow)))
    key[(position == n_fwd[flow]) & answer_first[flow]] = (
        2.0 * flow[(position == n_fwd[flow]) & answer_first[flow]] + 0.5)
    forward = forward[np.argsort(key, kind="stable")]
    first = position == 0

    # Each side's packets in order: the client's first two (SYN, ACK) and the server's
    # first (SYN-ACK) make the handshake where the connection opens.
    side = np.where(forward, 0, 1)
    group = 2 * flow + side
    order = np.lexsort((position, group))
    per_group = np.bincount(group, minlength=2 * n)
    rank = np.empty(len(flow), np.int64)
    rank[order] = np.arange(len(flow)) - np.repeat(np.cumsum(per_group) - per_group, per_group)
    shaking = np.where(forward, 2, 1) * answer_first[flow]
    handshake = rank < shaking
    if flow_type.fwd_data is None:
        payload = np.where(forward, flow_type.fwd_size.sample(rng, len(flow), flow),
                           flow_type.bwd_size.sample(rng, len(flow), flow))
    else:
        # A drawn number of each side's packets carry data, its first ones after the
        # handshake (a request, then its answer); the others are empty (ACKs, the close).
        fwd_size = replace(flow_type.fwd_size, p_zero=0.0)
        bwd_size = replace(flow_type.bwd_size, p_zero=0.0)
        payload = np.where(forward, fwd_size.sample(rng, len(flow), flow),
                           bwd_size.sample(rng, len(flow), flow))
        k = np.stack([flow_type.fwd_data.sample(rng, n), flow_type.bwd_data.sample(rng, n)], 1)
        payload[rank - shaking >= k[flow, side]] = 0
    payload[handshake] = 0
    if tail_side is not None:
        side = np.where(forward, 1, 2)
        mine = tail_side[flow] == side
        # The tail: the packets of the tail side after its last one with data.
        last_data = np.full(n, -1)
        with_data = np.flatnonzero(mine & (payload > 0))
        last_data[flow[with_data]] = position[with_data]   # the last write wins
        tail = mine & (position > last_data[flow]) & (position > 1)
        order = np.lexsort((position, tail, flow))
        forward, payload = forward[order], payload[order]
    flow_pace = np.exp(flow_type.flow_sigma * rng.standard_normal(n))
    gap = flow_type.iat * flow_pace[flow] * np.exp(flow_type.packet_sigma * rng.standard_normal(len(flow)))
    back_to_back = rng.random(len(flow)) < flow_type.p_fast
    gap[back_to_back] = flow_type.fast_us * np.exp(rng.standard_normal(back_to_back.sum()))
    # Idle periods: some flows pause for longer than CICFlowMeter's activity timeout.
    # A flow that goes idle pauses in round(idle_share * gaps) of its gaps, at least one,
    # picked at random: the rank of a random key among its flow's gaps says which.
    pauses = np.maximum(1, np.round(flow_type.idle_share * (total - 1)))
    order = np.lexsort((rng.random(len(flow)) + first, flow))
    rank = np.empty(len(flow), np.int64)
    rank[order] = position
    goes_idle = (rng.random(n) < flow_type.p_idle)[flow] & ~first & (rank < pauses[flow])
    idle = flow_type.idle_s * 1e6 * np.exp(flow_type.idle_sigma * rng.standard_normal(len(flow)))
    gap = np.where(goes_idle, np.maximum(idle, ACTIVITY_TIMEOUT_US + 1), gap)
    gap[first] = 0
    if flow_type.wait_share:
        gap = _one_long_wait(gap, flow, total, goes_idle, flow_type.wait_share, rng)
    flow_length = np.bincount(flow, weights=gap, minlength=n)
    # The flow timeout: no connection outlasts it, even after each gap is floored at the
    # clock's 1 µs (a capture timestamps two packets apart).
    squeeze = np.minimum(1.0, (TIMEOUT_US - total) / np.maximum(flow_length, 1))
    gap = np.maximum(np.floor(gap * squeeze[flow]), 1)
    gap[first] = 0
    # Quirks: flows whose packets share one microsecond, and clocks that step back.
    gap[(rng.random(n) < ZERO_DURATION_SHARE)[flow]] = 0
    step_back = (rng.random(n) < CLOCK_STEP_SHARE)[flow] & (position == 1)
    in_order = np.cumsum(gap)
    gap[step_back] = -rng.integers(1, 20, step_back.sum())
    elapsed = np.cumsum(gap)  # time since the first flow's start; each flow from its own:
    time_us = (elapsed - elapsed[start]).astype(np.int64)
    order_us = (in_order - in_order[start]).astype(np.int64)
    return Packets(flow, time_us, payload, forward, n), order_us, position


def simulate_connections(flow_type: FlowType, n: int, rng: np.random.Generator) -> Connections:
    """``n`` connections of one type: packets with their flags, headers and windows.

    Parameters
    ----------
    flow_type : nidslib.twin.traffic.FlowType
        What the connections look like.
    n : int
        How many connections.
    rng : numpy.random.Generator
        The source of randomness.

    Returns
    -------
    Connections
        The packets, and per packet and per connection what a meter reads.
    """
    flags = flow_type.flags
    udp = rng.random(n) < flow_type.p_udp
    tcp = ~udp
    opens = tcp & (rng.random(n) < flags.get("syn_start", 0.0))
    closes = tcp & (rng.random(n) < flags.get("fin", 0.0))
    server_first = rng.random(n) < flags.get("server_first", 0.5)
    # The side that does not close first trails: its last empty packets follow the close.
    tail_side = np.where(closes, np.where(server_first, 1, 2), 0)
    packets, order_us, position = _packets(flow_type, n, rng, opens, tail_side)
    flow, forward = packets.flow, packets.forward
    total = np.bincount(flow, minlength=n)
    last = np.r_[flow[1:] != flow[:-1], True]

    header_fwd = weighted_choice(flow_type.header, rng, n)
    header_bwd = (weighted_choice(flow_type.header_bwd, rng, n) if flow_type.header_bwd
                  else header_fwd.copy())
    header_fwd[udp], header_bwd[udp] = 8, 8
    # A TCP header is 20 bytes or more; a cluster that mixes UDP and TCP flows also draws
    # UDP's 8 (the per-packet header sizes are read off each cluster's rows).
    header_fwd[tcp], header_bwd[tcp] = (np.maximum(h[tcp], 20) for h in (header_fwd, header_bwd))
    win_fwd = weighted_choice(flow_type.win_fwd, rng, n).clip(min=0)
    win_bwd = weighted_choice(flow_type.win_bwd, rng, n).clip(min=0)

    # Flags: ACK on every packet, the handshake where the connection opens, PSH on pushed
    # data, and the close: a FIN from the client (its last packet) and, often, one from the
    # server (its last), or a RST on the last packet.
    bits = np.full(len(flow), ACK, np.uint8)
    handshake = opens[flow] & (position <= 1)
    syn = handshake & (position == 0)
    syn_ack = handshake & (position == 1) & ~forward
    bits[syn] = SYN
    bits[syn_ack] = SYN | ACK
    pushed = (packets.payload > 0) & (rng.random(len(flow)) < flags.get("psh_data", 0.0))
    bits[pushed] |= PSH
    both = closes & (rng.random(n) < flags.get("fin_both", 0.0))
    resets = tcp & ~closes & (rng.random(n) < flags.get("rst", 0.0))
    # The closer's FIN on its last packet; the other side's on its last, when it answers.
    closer = np.where(server_first[flow], ~forward, forward)
    for side, who in ((closer, closes), (~closer, both)):
        last_of_side = np.full(n, -1)
        last_of_side[flow[side]] = np.flatnonzero(side)  # the last write wins
        pick = last_of_side[who & (last_of_side >= 0)]
        bits[pick] |= FIN
    ends = last & resets[flow]
    bits[ends] |= RST
    bits[ends & syn_ack] = RST | ACK  # a closed port answers the SYN with a reset
    bits[udp[flow]] = 0

    header = np.where(forward, header_fwd[flow], header_bwd[flow])
    header = np.where(handshake & (header == 32), 40, header)  # options on SYN and SYN-ACK
    window = np.where(forward, win_fwd[flow], win_bwd[flow])
    window[udp[flow]] = 0
    port = flow_type.sample_ports(rng, n)
    return Connections(
        packets=packets, order_us=order_us, tcp_flags=bits, header=header.astype(np.int64),
        window=window.astype(np.int64), udp=udp, dst_port=port,
        src_port=rng.integers(1024, 65536, n), client=_addresses(flow_type.clients, rng, n),
        server=_addresses(flow_type.servers, rng, n), header_fwd=header_fwd,
        header_bwd=header_bwd, win_fwd=win_fwd, win_bwd=win_bwd)


def _addresses(pairs, rng: np.random.Generator, n: int) -> np.ndarray:
    if not pairs:
        return np.full(n, "", dtype=object)
    names, weights = zip(*pairs)
    return np.array(names, dtype=object)[
        rng.choice(len(names), size=n, p=np.divide(weights, sum(weights)))]


def repaired_rows(conns: Connections) -> pd.DataFrame:
    """Each connection as one row, the way the repaired meter of the corrected release
    sees it (no cut at the first FIN, no Ethernet padding), for comparing the twin with
    that release's rows (:mod:`nidslib.twin.fidelity`). Flag columns: 0/1 "seen in the
    connection", which that comparison leaves out."""
    flow, bits = conns.packets.flow, conns.tcp_flags
    seen = {name: (np.bincount(flow, weights=(bits & bit) > 0, minlength=conns.n) > 0)
            .astype(np.float64)
            for name, bit in (("fin", FIN), ("syn", SYN), ("rst", RST), ("psh", PSH),
                              ("ack", ACK), ("urg", 0x20))}
    features = flow_features(conns.packets, header_fwd=conns.header_fwd.astype(np.float64),
                             header_bwd=conns.header_bwd.astype(np.float64),
                             init_win_fwd=np.where(conns.udp, -1, conns.win_fwd),
                             init_win_bwd=np.where(conns.udp, -1, conns.win_bwd),
                             flags=seen, destination_port=conns.dst_port)
    return pd.DataFrame(features, columns=list(schema.FEATURES))


def simulate_label(label: str, n: int, rng: np.random.Generator) -> Connections:
    """``n`` connections of one label: a mixture of its flow types, shuffled together.

    Parameters
    ----------
    label : str
        One of the 15 labels (a key of :data:`nidslib.twin.traffic.TRAFFIC`), or a
        behaviour the original labels hid: ``"Infiltration - Portscan"``, or
        ``"<label> - attempted"`` for the attempted attacks of a label of
        :data:`ATTEMPTED_SHARE`.
    n : int
        How many connections.
    rng : numpy.random.Generator
        The source of randomness.

    Returns
    -------
    Connections

    Raises
    ------
    KeyError
        ``label`` is none of these.
    """
    mixture = _mixture(label)
    weights = np.array([w for _, w in mixture])
    per_type = rng.multinomial(n, weights / weights.sum())
    parts = [simulate_connections(ft, k, rng) for (ft, _), k in zip(mixture, per_type) if k]
    if not parts:
        parts = [simulate_connections(mixture[0][0], 0, rng)]
    return Connections.concat(parts).take(rng.permutation(n))


def _mixture(label: str):
    if label in TRAFFIC:
        return TRAFFIC[label]
    if label == "Infiltration - Portscan":
        return MIXTURES[label]
    attacked = label.removesuffix(" - attempted")
    if attacked not in ATTEMPTED_SHARE:
        raise KeyError(f"no traffic for {label!r}")
    if attacked.startswith("Web Attack"):
        return MIXTURES["Web Attack - attempted"]
    # A Patator connection that never sent a login: the server's banner, no client data.
    silent = Count(choices=((0, 1.0),))
    return tuple((replace(ft, fwd_data=silent), w) for ft, w in TRAFFIC[attacked])


def _with_duplicates(flows: pd.DataFrame, label: str, rng: np.random.Generator) -> pd.DataFrame:
    """Exact copies of short flows among a label's rows (:data:`DUPLICATE_SHARE`)."""
    n = len(flows)
    n_copies = int(round(DUPLICATE_SHARE.get(label, 0.0) * n))
    if n_copies and n > n_copies:
        features = [*schema.FEATURES, "corrected_label"]
        packets = flows["total_fwd_packets"] + flows["total_backward_packets"]
        originals = np.flatnonzero(packets <= packets.quantile(0.5))
        copies = rng.choice(np.arange(n), size=n_copies, replace=False)
        flows.iloc[copies, [flows.columns.get_loc(f) for f in features]] = \
            flows.iloc[rng.choice(originals, size=n_copies)][features].to_numpy()
    return flows


def _random_addresses(n: int, rng: np.random.Generator, internal: bool) -> np.ndarray:
    """IPv4 addresses as text: hosts of the lab's 192.168.10.0/24, or public ones."""
    if internal:
        return np.char.add("192.168.10.", rng.integers(2, 255, n).astype(str)).astype(object)
    octets = [rng.integers(13, 224, n), *(rng.integers(0, 256, n) for _ in range(2)),
              rng.integers(1, 255, n)]
    return np.array([".".join(map(str, o)) for o in zip(*octets)], dtype=object)


def packet_table(conns: Connections, start_us: np.ndarray,
                 rng: np.random.Generator) -> tuple[PacketTable, np.ndarray]:
    """The connections' packets as a capture holds them, in file order, and each packet's
    connection.

    Frames shorter than Ethernet's 60 bytes are padded on the wire, and the original meter
    counted the padding as payload (``cicflowmeter_rules.md``, 8.2: the genuine rows show
    2 bytes for a SYN with a 4-byte option, 6 for a bare 20-byte segment): the payload here
    is what that meter read, and ``ip_length`` the IP packet without the padding, as
    :func:`nidslib.packets.capture.read_packets` reads a capture with
    ``padding_as_payload=True``. :func:`nidslib.packets.capture_write.write_table` writes
    the table as a capture.
    """
    client = conns.client.copy()
    server = conns.server.copy()
    client[client == ""] = _random_addresses(int((client == "").sum()), rng, internal=True)
    server[server == ""] = _random_addresses(int((server == "").sum()), rng, internal=False)
    names, code = np.unique(np.concatenate([client, server]).astype(str), return_inverse=True)
    raw = np.stack([parse_address(name) for name in names])
    client_raw, server_raw = raw[code[:conns.n]], raw[code[conns.n:]]
    flow, fwd = conns.packets.flow, conns.packets.forward
    order = np.argsort(start_us[flow] + conns.order_us, kind="stable")
    flow, fwd = flow[order], fwd[order]
    header = conns.header[order]
    udp = conns.udp[flow]
    ip_length = 20 + header + conns.packets.payload[order]
    frame = np.maximum(14 + ip_length, 60)  # Ethernet pads a short frame to 60 bytes
    payload = frame - 14 - 20 - header  # the payload as the meter read it, padding included
    table = PacketTable(
        time_us=(start_us[flow] + conns.packets.time_us[order]).astype(np.int64),
        src=np.where(fwd[:, None], client_raw[flow], server_raw[flow]),
        dst=np.where(fwd[:, None], server_raw[flow], client_raw[flow]),
        src_port=np.where(fwd, conns.src_port[flow], conns.dst_port[flow]).astype(np.uint16),
        dst_port=np.where(fwd, conns.dst_port[flow], conns.src_port[flow]).astype(np.uint16),
        protocol=np.where(udp, 17, 6).astype(np.uint8), ip_length=ip_length.astype(np.uint32),
        header_length=(20 + header).astype(np.uint16),
        transport_header_length=header.astype(np.uint16), payload_length=payload.astype(np.uint32),
        tcp_flags=conns.tcp_flags[order], tcp_window=conns.window[order].astype(np.uint16),
        captured_length=frame.astype(np.uint32))
    return table, flow


def simulate_file(name: str, counts: dict[str, int], rng: np.random.Generator,
                  meter: str = "original", capture=None) -> pd.DataFrame:
    """One file of the week: every label's connections, placed in time, through a meter.

    Benign connections start at random in the file's capture hours (:data:`CAPTURE_HOURS`),
    attacks within their campaigns (:data:`CAMPAIGNS`). With the ``"original"`` meter, the
    packets of the whole file go through the original CICFlowMeter's rules
    (:func:`nidslib.packets.flows.build_flows`: a flow ends at the first FIN or after
    120 s, one-packet flows are dropped) and its features
    (:func:`nidslib.packets.flowmeter.features_from_flows`); each flow takes the label of
    the connection it comes from, and each label keeps at most ``counts`` of its flows,
    drawn at random. With ``"repaired"``, each connection is one row
    (:func:`repaired_rows`), as in the corrected release.

    Parameters
    ----------
    name : str
        The file's name, as in :data:`schema.WEEK_FILES`.
    counts : dict of str to int
        Connections per label (one entry of :func:`label_counts`).
    rng : numpy.random.Generator
        The source of randomness.
    meter : {"original", "repaired"}
        Which meter writes the rows.
    capture : str or pathlib.Path, optional
        Also write the file's packets there, as a pcap of Ethernet frames
        (:func:`nidslib.packets.capture_write.write_table`; the original meter only): read
        with ``padding_as_payload=True`` and built with ``udp_header_from_tcp=True``, its
        flows are this frame's rows. The randomness
        drawn is the same with or without it.

    Returns
    -------
    pandas.DataFrame
        The 77 features, ``Label``, ``corrected_label`` (by the corrected release's rules:
        attempted attacks BENIGN, the missed port scan named) and ``start_hour`` (hours,
        local time), sorted by start.

    Raises
    ------
    KeyError
        ``name`` is not a file of the week, or a label of ``counts`` is unknown.
    ValueError
        ``meter`` is unknown, or a ``capture`` is asked of the repaired meter.
    """
    if meter not in ("original", "repaired"):
        raise ValueError(f"unknown meter {meter!r}; expected 'original' or 'repaired'")
    if capture is not None and meter != "original":
        raise ValueError("a capture is written for the original meter only; the repaired "
                         "meter's rows are one per connection, with no packets behind them")
    begin, end = CAPTURE_HOURS[name]
    day = next(day for file, day, *_ in schema.WEEK_FILES if file == name)
    labels, corrected, parts, hours = [], [], [], []
    for label, n in counts.items():
        n_attempted = int(round(ATTEMPTED_SHARE.get(label, 0.0) * n))
        missed, share = MISSED_ATTACKS.get(name, (None, 0.0)) if label == schema.BENIGN \
            else (None, 0.0)
        n_missed = int(round(share * n))
        for behaviour, k, truth in ((label, n - n_attempted - n_missed, label),
                                    (f"{label} - attempted", n_attempted, schema.BENIGN),
                                    (missed, n_missed, missed)):
            if not k:
                continue
            parts.append(simulate_label(behaviour, k, rng))
            windows = CAMPAIGNS.get(truth if truth == missed else label, [(begin, end)])
            lengths = np.array([b - a for a, b in windows])
            which = rng.choice(len(windows), size=k, p=lengths / lengths.sum())
            starts = np.array([a for a, _ in windows])[which]
            hours.append(starts + lengths[which] * rng.random(k))
            labels.append(np.full(k, label, dtype=object))
            corrected.append(np.full(k, truth, dtype=object))
    conns, label_of, hour = Connections.concat(parts), np.concatenate(labels), np.concatenate(hours)
    corrected_of = np.concatenate(corrected)
    if meter == "repaired":
        frame = repaired_rows(conns).assign(Label=label_of, corrected_label=corrected_of,
                                            start_hour=hour)
    else:
        start_us = DAY_START_US[day] + np.round(hour * 3_600_000_000).astype(np.int64)
        table, connection = packet_table(conns, start_us, rng)
        if capture is not None:
            write_table(capture, table)
        flows = build_flows(table, udp_header_from_tcp=True)
        first = np.r_[0, np.flatnonzero(np.diff(flows.flow)) + 1][:flows.n_flows]
        origin = connection[flows.packet_number[first]]
        frame = pd.DataFrame(features_from_flows(flows), columns=list(schema.FEATURES))
        frame["Label"] = label_of[origin]
        frame["corrected_label"] = corrected_of[origin]
        frame["start_hour"] = (flows.start_us() - DAY_START_US[day]) / 3_600_000_000
        keep = []
        for label, n in counts.items():
            mine = np.flatnonzero(frame["Label"].to_numpy() == label)
            keep.append(rng.choice(mine, size=n, replace=False) if len(mine) > n else mine)
        frame = frame.iloc[np.sort(np.concatenate(keep))]
    frame = pd.concat([_with_duplicates(part.reset_index(drop=True), label, rng)
                       for label, part in frame.groupby("Label", sort=False)], ignore_index=True)
    return frame.sort_values("start_hour", kind="stable", ignore_index=True)


def simulate_week(profile: str = "small", seed: int = 0, meter: str = "original",
                  captures=None):
    """Yield ``(file name, day, frame)`` for the eight files of the twin's week.

    Parameters
    ----------
    profile : {"small", "full"}
        A key of :data:`PROFILES`.
    seed : int
        Seed of the one generator all eight files draw from, in week order.
    meter : {"original", "repaired"}
        Which meter writes the rows (:func:`simulate_file`).
    captures : dict of str to path, optional
        Where to write the capture of each file named (:func:`simulate_file`'s
        ``capture``).

    Yields
    ------
    name : str
        The file's name.
    day : str
        Its weekday.
    frame : pandas.DataFrame
        Its flows, as :func:`simulate_file` gives them.

    Raises
    ------
    ValueError
        ``profile`` is unknown (raised when the first file is asked for).
    """
    rng = np.random.default_rng(seed)
    counts = label_counts(profile)
    for name, day, _rows, _labels in schema.WEEK_FILES:
        yield name, day, simulate_file(name, counts[name], rng, meter,
                                       (captures or {}).get(name))


def _to_csv_text(frame: pd.DataFrame) -> pd.DataFrame:
    """Columns as CICFlowMeter printed them, under the raw header: integers bare, floats to
    10 significant digits, ``Infinity`` and ``NaN`` spelled out, the web-attack dash as an
    en dash (written as the cp1252 byte 0x96)."""
    columns = []
    for raw in schema.MACHINE_LEARNING_CVE_HEADER[:-1]:
        values = frame[schema.snake_case(raw)].to_numpy()
        finite = np.isfinite(values)
        if finite.all() and np.array_equal(values, np.round(values)):
            columns.append(values.astype(np.int64))
        else:
            text = np.char.mod("%.10g", np.where(finite, values, 0.0)).astype(object)
            text[np.isnan(values)] = "NaN"
            text[np.isinf(values)] = "Infinity"
            columns.append(text)
    columns.append(frame["Label"].str.replace(" - ", " \u2013 ").to_numpy())
    body = pd.DataFrame(dict(enumerate(columns)))
    body.columns = list(schema.MACHINE_LEARNING_CVE_HEADER)  # the duplicate name included
    return body


def capture_name(name: str) -> str:
    """The capture of a week file: ``Monday-WorkingHours.pcap_ISCX.csv`` ->
    ``Monday-WorkingHours.pcap``, the name of the capture CICIDS2017 computed it from."""
    return name.split(".pcap")[0] + ".pcap"


def write_week(folder, profile: str = "small", seed: int = 0, captures=False,
               meter: str = "original") -> list[Path]:
    """Write the twin's eight MachineLearningCVE CSV files into ``folder``; return their paths.

    Chapter 1 (Data cleaning), section "The data: CICIDS2017 and its twin". Deterministic:
    the same profile and seed give the same bytes. The full profile (2.83 M flows) takes
    minutes and about 1 GB on disk. With ``captures``, the packets of each file (or of the
    files named) are written beside it as ``<day and part>.pcap``, the capture its rows were
    computed from (chapter 9, section "The twin's own capture, and the detector on it"):
    ``nidslib flows --count-padding --udp-header-from-tcp`` or
    :func:`nidslib.packets.capture.read_capture` with ``padding_as_payload=True``, then
    :func:`~nidslib.packets.flows.build_flows` with ``udp_header_from_tcp=True`` and
    :func:`~nidslib.packets.flowmeter.features_from_flows`, give back every row of the CSV
    file (the CSV keeps a sample of a label's flows where the meter made more than the
    profile asks for, and repeats some rows, as the original files do).

    Parameters
    ----------
    folder : str or pathlib.Path
        Created when missing; files of the same names are overwritten.
    profile : {"small", "full"}
        A key of :data:`PROFILES`.
    seed : int
        The random seed.
    captures : bool or collection of str, default False
        Also write the captures: of every file (True), or of the files named.
    meter : {"original", "repaired"}
        Which meter writes the rows (:func:`simulate_file`). ``"repaired"`` writes the same
        traffic as the corrected release's meter would, one row per connection, under the
        same original labels: the week the chapters would have been taught on had the
        published files been made by that meter (``benchmarks/headlines.py
        --repaired-week``; chapter 6, section 6.3). No captures with it.

    Returns
    -------
    list of pathlib.Path
        The eight files, in week order: cp1252, CRLF line ends, the published header.

    Raises
    ------
    ValueError
        ``profile`` or ``meter`` is unknown, or captures are asked of the repaired meter.
    KeyError
        ``captures`` names a file that is not one of the week's.
    """
    if meter != "original" and captures:
        raise ValueError(f"captures are written for the original meter only, not {meter!r}")
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    names = [name for name, *_ in schema.WEEK_FILES]
    wanted = set(names) if captures is True else set(captures or ())
    if wanted - set(names):
        raise KeyError(f"no such file in the week: {sorted(wanted - set(names))}; "
                       f"expected some of {names}")
    paths = []
    corrected = []
    for name, _day, frame in simulate_week(
            profile, seed, meter,
            captures={name: folder / capture_name(name) for name in wanted}):
        path = folder / name
        _to_csv_text(frame).to_csv(path, index=False, lineterminator="\r\n", encoding="cp1252")
        paths.append(path)
        corrected.append(frame["corrected_label"])
    # Beside the week, not in it (the original release has no such file): each row's
    # label by the corrected release's rules, in the files' row order.
    (folder / CORRECTED_LABELS_FILE).write_text("\n".join(pd.concat(corrected)) + "\n")
    return paths
