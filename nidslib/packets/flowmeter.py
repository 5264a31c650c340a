"""CICFlowMeter's flow features, computed from packets: the twin's and a capture's.

One set of formulas for both: every feature of packet times, sizes and directions (durations,
rates, length and gap statistics, active and idle periods; ``_shared_features``) is computed
here, vectorised over a flat packet table (one row per packet, grouped by flow), so the
full-scale week (2.8 M flows, ~30 M packets) runs in chunks in seconds. The features agree
with each other the way the real ones do: ``Flow Bytes/s`` is bytes over duration, the
packet-length statistics describe the same packets, a flow with zero duration gets
``Infinity`` rates. Chapter 1 (Data cleaning), section "What a flow is", explains each
feature.

Two entries: :func:`flow_features` for the twin (:mod:`nidslib.twin.simulation`), whose
simulated packets carry no headers, flags or windows yet, so it passes per-flow values for
those; and :func:`features_from_flows` for flows built from a capture
(:func:`nidslib.packets.flows.build_flows`), which takes them from each packet by the
original tool's rules (chapter 9, From packets to alerts, in preparation).

Example
-------
Two flows: a request, its answer and a last forward packet 3 ms in, then a lone packet
whose zero duration makes its byte rate infinite.

>>> packets = Packets(flow=np.array([0, 0, 0, 1]), time_us=np.array([0, 1000, 3000, 0]),
...                   payload=np.array([100, 50, 0, 10]),
...                   forward=np.array([True, False, True, True]), n_flows=2)
>>> flags = {k: np.zeros(2) for k in ("fin", "syn", "rst", "psh", "ack", "urg")}
>>> features = flow_features(packets, header_fwd=np.array([20, 8]),
...                          header_bwd=np.array([20, 8]), init_win_fwd=np.array([64240, -1]),
...                          init_win_bwd=np.array([65160, -1]), flags=flags,
...                          destination_port=np.array([80, 53]))
>>> len(features)
77
>>> for name in ("flow_duration", "total_fwd_packets", "flow_bytes_per_s", "flow_iat_mean"):
...     print(name, features[name].tolist())
flow_duration [3000.0, 0.0]
total_fwd_packets [2.0, 1.0]
flow_bytes_per_s [50000.0, inf]
flow_iat_mean [1500.0, 0.0]
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from nidslib.data.schema import FEATURES

# CICFlowMeter's activity timeout (5 s): a gap longer than this ends an "active" period.
ACTIVITY_TIMEOUT_US = 5_000_000


@dataclass
class Packets:
    """A flat packet table, sorted by flow and, within a flow, by time.

    ``flow`` are flow indices 0..n_flows-1 (every flow has at least one packet, and its
    first packet is forward), ``time_us`` integer microseconds since the flow's start,
    ``payload`` bytes, ``forward`` True for client-to-server packets. This is the twin's
    table, simpler than :class:`nidslib.packets.table.PacketTable`.

    Attributes
    ----------
    flow : numpy.ndarray
        Integer flow index of each packet, sorted.
    time_us : numpy.ndarray
        Integer microseconds since the flow's start, sorted within each flow.
    payload : numpy.ndarray
        Payload bytes of each packet.
    forward : numpy.ndarray
        bool, True for client-to-server packets.
    n_flows : int
        The number of flows.
    """

    flow: np.ndarray
    time_us: np.ndarray
    payload: np.ndarray
    forward: np.ndarray
    n_flows: int


def _group_stats(values: np.ndarray, groups: np.ndarray, n: int,
                 twice: np.ndarray | None = None) -> dict[str, np.ndarray]:
    """count, total, mean, sample std (ddof=1, as CICFlowMeter), max and min per group.

    ``groups`` must be sorted. Empty groups get zeros, as CICFlowMeter reports them.
    ``twice`` (positions, at most one per group) are counted a second time, after the
    group's other values; a repeated value moves neither maximum nor minimum.
    """
    values = values.astype(np.float64)
    count = np.bincount(groups, minlength=n)
    total = np.bincount(groups, weights=values, minlength=n)
    if twice is not None:
        count = count + np.bincount(groups[twice], minlength=n)
        total = total + np.bincount(groups[twice], weights=values[twice], minlength=n)
    mean = np.divide(total, count, out=np.zeros(n), where=count > 0)
    deviation = (values - mean[groups]) ** 2
    squares = np.bincount(groups, weights=deviation, minlength=n)
    if twice is not None:
        squares = squares + np.bincount(groups[twice], weights=deviation[twice], minlength=n)
    std = np.sqrt(np.divide(squares, count - 1, out=np.zeros(n), where=count > 1))
    largest, smallest = np.zeros(n), np.zeros(n)
    if len(values):
        starts = np.flatnonzero(np.r_[True, groups[1:] != groups[:-1]])
        largest[groups[starts]] = np.maximum.reduceat(values, starts)
        smallest[groups[starts]] = np.minimum.reduceat(values, starts)
    return {"count": count, "total": total, "mean": mean, "std": std,
            "max": largest, "min": smallest}


def _gaps(time_us: np.ndarray, flow: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Inter-arrival times between consecutive packets of the same flow, and their flow."""
    same_flow = flow[1:] == flow[:-1]
    return (time_us[1:] - time_us[:-1])[same_flow], flow[1:][same_flow]


def _active_idle(time_us, flow, n, closed_by_fin, last_active_recorded):
    """Active and idle periods, split at gaps longer than the activity timeout.

    CICFlowMeter updates them for every packet but a flow's first and the FIN that closes
    it (rules 4.2-4.4 of ``cicflowmeter_rules.md``): the gap before a closing FIN is never
    idle, which is why genuine web-attack flows with a 5 s pause before closing report
    ``Idle Mean`` 0; an active period is recorded when an idle gap ends it, so the last one
    never is. ``last_active_recorded`` keeps the twin's older reading, in which it is.
    """
    gap, gap_flow = _gaps(time_us, flow)
    if len(gap):
        last_gap = np.r_[gap_flow[1:] != gap_flow[:-1], True]
        closing = last_gap & closed_by_fin[gap_flow]
    else:
        closing = np.zeros(0, bool)
    is_idle = (gap > ACTIVITY_TIMEOUT_US) & ~closing
    idle = _group_stats(gap[is_idle], gap_flow[is_idle], n)
    # Segments of activity: a new one starts at each flow's first packet and after each
    # idle gap; its length is the time from its first to its last packet.
    starts_segment = np.ones(len(flow), dtype=bool)
    same_flow = flow[1:] == flow[:-1]
    starts_segment[1:][same_flow] = is_idle
    seg_start = np.flatnonzero(starts_segment)
    seg_flow = flow[seg_start]
    seg_len = np.maximum.reduceat(time_us, seg_start) - np.minimum.reduceat(time_us, seg_start)
    # Only segments that an idle gap ended are recorded, and only if longer than zero (a
    # one-packet burst between two idle gaps is not an active period).
    ended_by_idle = np.r_[seg_flow[1:] == seg_flow[:-1], False]
    keep = (ended_by_idle | ((idle["count"][seg_flow] > 0) & last_active_recorded)) & (seg_len > 0)
    active = _group_stats(seg_len[keep], seg_flow[keep], n)
    return active, idle


def _shared_features(p: Packets, closed_by_fin, last_active_recorded) -> dict:
    """Every feature that comes from packet times, sizes and directions alone: the same for
    the twin and for captures."""
    n = p.n_flows
    fwd, bwd = p.forward, ~p.forward
    f = _group_stats(p.payload[fwd], p.flow[fwd], n)
    b = _group_stats(p.payload[bwd], p.flow[bwd], n)
    # CICFlowMeter adds the first packet of a flow to its length statistics twice.
    first = np.flatnonzero(np.r_[len(p.flow) > 0, p.flow[1:] != p.flow[:-1]])
    length = _group_stats(p.payload, p.flow, n, twice=first)

    # Duration is last packet minus first packet: a clock step back makes it negative,
    # as in a few real rows.
    last = np.r_[first[1:], len(p.flow)][:len(first)] - 1
    duration = (p.time_us[last] - p.time_us[first]).astype(np.float64)
    gap, gap_flow = _gaps(p.time_us, p.flow)
    iat = _group_stats(gap, gap_flow, n)
    fgap, fgap_flow = _gaps(p.time_us[fwd], p.flow[fwd])
    fiat = _group_stats(fgap, fgap_flow, n)
    bgap, bgap_flow = _gaps(p.time_us[bwd], p.flow[bwd])
    biat = _group_stats(bgap, bgap_flow, n)
    active, idle = _active_idle(p.time_us, p.flow, n, closed_by_fin, last_active_recorded)

    n_fwd, n_bwd = f["count"].astype(np.float64), b["count"].astype(np.float64)
    total_bytes = f["total"] + b["total"]
    seconds = duration / 1e6
    with np.errstate(divide="ignore", invalid="ignore"):
        # Zero duration: bytes/0 is Infinity and 0/0 is NaN, exactly the real files' quirk.
        flow_bytes_per_s = total_bytes / seconds
        flow_packets_per_s = (n_fwd + n_bwd) / seconds
    positive = seconds > 0
    zeros = np.zeros(n)
    return {
        "flow_duration": duration,
        "total_fwd_packets": n_fwd,
        "total_backward_packets": n_bwd,
        "total_length_of_fwd_packets": f["total"],
        "total_length_of_bwd_packets": b["total"],
        "fwd_packet_length_max": f["max"], "fwd_packet_length_min": f["min"],
        "fwd_packet_length_mean": f["mean"], "fwd_packet_length_std": f["std"],
        "bwd_packet_length_max": b["max"], "bwd_packet_length_min": b["min"],
        "bwd_packet_length_mean": b["mean"], "bwd_packet_length_std": b["std"],
        "flow_bytes_per_s": flow_bytes_per_s,
        "flow_packets_per_s": flow_packets_per_s,
        "flow_iat_mean": iat["mean"], "flow_iat_std": iat["std"],
        "flow_iat_max": iat["max"], "flow_iat_min": iat["min"],
        "fwd_iat_total": fiat["total"], "fwd_iat_mean": fiat["mean"],
        "fwd_iat_std": fiat["std"], "fwd_iat_max": fiat["max"], "fwd_iat_min": fiat["min"],
        "bwd_iat_total": biat["total"], "bwd_iat_mean": biat["mean"],
        "bwd_iat_std": biat["std"], "bwd_iat_max": biat["max"], "bwd_iat_min": biat["min"],
        "bwd_psh_flags": zeros, "bwd_urg_flags": zeros,
        "fwd_packets_per_s": np.divide(n_fwd, seconds, out=np.zeros(n), where=positive),
        "bwd_packets_per_s": np.divide(n_bwd, seconds, out=np.zeros(n), where=positive),
        "min_packet_length": length["min"], "max_packet_length": length["max"],
        "packet_length_mean": length["mean"], "packet_length_std": length["std"],
        "packet_length_variance": length["std"] ** 2,
        "down_up_ratio": np.floor(n_bwd / n_fwd),
        "average_packet_size": length["total"] / (n_fwd + n_bwd),
        "avg_fwd_segment_size": f["mean"], "avg_bwd_segment_size": b["mean"],
        "fwd_avg_bytes_per_bulk": zeros, "fwd_avg_packets_per_bulk": zeros,
        "fwd_avg_bulk_rate": zeros, "bwd_avg_bytes_per_bulk": zeros,
        "bwd_avg_packets_per_bulk": zeros, "bwd_avg_bulk_rate": zeros,
        "subflow_fwd_packets": n_fwd, "subflow_fwd_bytes": f["total"],
        "subflow_bwd_packets": n_bwd, "subflow_bwd_bytes": b["total"],
        "active_mean": active["mean"], "active_std": active["std"],
        "active_max": active["max"], "active_min": active["min"],
        "idle_mean": idle["mean"], "idle_std": idle["std"],
        "idle_max": idle["max"], "idle_min": idle["min"],
    }


def _in_schema_order(features: dict) -> dict:
    return {name: features[name] for name in FEATURES}


def flow_features(packets: Packets, header_fwd, header_bwd, init_win_fwd, init_win_bwd,
                  flags: dict[str, np.ndarray], destination_port) -> dict[str, np.ndarray]:
    """The 77 CICIDS2017 features (canonical names, see :data:`nidslib.data.schema.FEATURES`).

    The twin's entry: per-flow inputs that its simulated packets do not carry yet (header
    length per packet in each direction, initial TCP windows, -1 where a direction has no
    packet, and the 0/1 flag columns as CICIDS2017 shows them; ``Fwd PSH Flags`` equals
    ``SYN Flag Count`` there). Three of its readings differ from the original tool's, which
    :func:`features_from_flows` follows: ``act_data_pkt_fwd`` counts the first packet, the
    last active period is recorded, and ``min_seg_size_forward`` is the header size without
    the first segment's options. The twin moves to :func:`features_from_flows` when it
    simulates packets' headers, flags and windows, so that its capture gives its rows.
    Chapter 1 (Data cleaning), section "What a flow is", explains each feature.

    Parameters
    ----------
    packets : Packets
        The flows' packets.
    header_fwd, header_bwd : array_like
        Per flow, the header length of each forward (backward) packet, in bytes; a
        32-byte header (TCP with timestamps) adds 8 bytes of options to each side's
        first segment. ``header_fwd`` is also the ``Min Seg Size Forward``.
    init_win_fwd, init_win_bwd : array_like
        Per flow, the initial TCP window of each direction; ``init_win_bwd`` is replaced
        by -1 where the flow has no backward packet.
    flags : dict of str to array_like
        Per-flow 0/1 indicators under the keys ``"fin"``, ``"syn"``, ``"rst"``,
        ``"psh"``, ``"ack"`` and ``"urg"``.
    destination_port : array_like
        Per flow, the destination port, passed through.

    Returns
    -------
    dict of str to numpy.ndarray
        The 77 features by canonical name, one value per flow. A zero-duration flow gets
        ``inf`` in ``flow_packets_per_s`` and in ``flow_bytes_per_s`` (NaN there when it
        carries no payload), as in the genuine files.
    """
    p, n = packets, packets.n_flows
    features = _shared_features(p, np.ones(n, bool), last_active_recorded=True)
    n_fwd, n_bwd = features["total_fwd_packets"], features["total_backward_packets"]
    fwd = p.forward
    zeros = np.zeros(n)
    features.update({
        "destination_port": destination_port,
        "fwd_psh_flags": flags["syn"], "fwd_urg_flags": zeros,
        # A 32-byte TCP header carries timestamps; each side's first segment (SYN or
        # SYN-ACK) has 8 more bytes of options.
        "fwd_header_length": n_fwd * header_fwd + 8 * ((header_fwd == 32) & (n_fwd > 0)),
        "bwd_header_length": n_bwd * header_bwd + 8 * ((header_bwd == 32) & (n_bwd > 0)),
        "fin_flag_count": flags["fin"], "syn_flag_count": flags["syn"],
        "rst_flag_count": flags["rst"], "psh_flag_count": flags["psh"],
        "ack_flag_count": flags["ack"], "urg_flag_count": flags["urg"],
        "cwe_flag_count": zeros, "ece_flag_count": flags["rst"],
        "init_win_bytes_forward": init_win_fwd,
        "init_win_bytes_backward": np.where(n_bwd > 0, init_win_bwd, -1),
        "act_data_pkt_fwd": np.bincount(p.flow[fwd & (p.payload > 0)], minlength=n),
        "min_seg_size_forward": np.asarray(header_fwd, dtype=np.float64) * np.ones(n),
    })
    return _in_schema_order(features)


# The flag-count columns as the original tool wrote them: a Java HashMap's order (rule 6.12),
# so each column holds another flag of the flow's first packet than its name says.
FLAG_COUNT_COLUMNS = {"fin_flag_count": 0x04, "syn_flag_count": 0x08, "rst_flag_count": 0x40,
                      "psh_flag_count": 0x02, "ack_flag_count": 0x10, "urg_flag_count": 0x01,
                      "cwe_flag_count": 0x20, "ece_flag_count": 0x80}


def features_from_flows(flows) -> dict[str, np.ndarray]:
    """The 77 CICIDS2017 features of flows built from captured packets, by the original
    tool's rules.

    Chapter 9 (From packets to alerts, in preparation). Timing, sizes and directions go
    through the same code as the twin's flows; what the twin does not simulate yet is taken
    from each packet, by the rules of ``cicflowmeter_rules.md``: header lengths are the
    transport headers' (6.13), summed per direction; ``min_seg_size_forward`` is their
    minimum over forward packets (6.16); ``Init_Win_bytes_forward`` is the first packet's
    window, ``Init_Win_bytes_backward`` the *last* backward packet's (6.14); flags are the
    first packet's only (6.11-6.12), in the scrambled columns of :data:`FLAG_COUNT_COLUMNS`;
    ``act_data_pkt_fwd`` counts forward packets with payload after the first (6.15).

    Parameters
    ----------
    flows : nidslib.packets.flows.Flows
        Flows from :func:`nidslib.packets.flows.build_flows`.

    Returns
    -------
    dict of str to numpy.ndarray
        The 77 features by canonical name (:data:`nidslib.data.schema.FEATURES`), one value
        per flow.
    """
    n, flow, fwd = flows.n_flows, flows.flow, flows.forward
    table = flows.packets
    p = Packets(flow=flow, time_us=table.time_us, payload=table.payload_length.astype(np.int64),
                forward=fwd, n_flows=n)
    features = _shared_features(p, flows.closed_by_fin, last_active_recorded=False)
    header = table.transport_header_length.astype(np.float64)
    first = np.flatnonzero(np.r_[True, flow[1:] != flow[:-1]]) if n else np.zeros(0, int)
    first_flags = table.tcp_flags[first]
    bwd = ~fwd
    last_bwd = np.full(n, -1)
    last_bwd[flow[bwd]] = flows.window[bwd]  # the last write wins: packets are in order
    min_seg = np.full(n, np.inf)
    fwd_flow = flow[fwd]  # sorted, and every flow's first packet is forward
    if len(fwd_flow):
        fwd_first = np.flatnonzero(np.r_[True, fwd_flow[1:] != fwd_flow[:-1]])
        min_seg[fwd_flow[fwd_first]] = np.minimum.reduceat(header[fwd], fwd_first)
    later = np.ones(len(flow), bool)
    later[first] = False
    features.update({
        "destination_port": flows.dst_port.astype(np.float64),
        "fwd_psh_flags": ((first_flags & 0x08) > 0).astype(np.float64),
        "fwd_urg_flags": ((first_flags & 0x20) > 0).astype(np.float64),
        "fwd_header_length": np.bincount(flow[fwd], weights=header[fwd], minlength=n),
        "bwd_header_length": np.bincount(flow[bwd], weights=header[bwd], minlength=n),
        **{name: ((first_flags & bit) > 0).astype(np.float64)
           for name, bit in FLAG_COUNT_COLUMNS.items()},
        "init_win_bytes_forward": flows.window[first].astype(np.float64),
        "init_win_bytes_backward": last_bwd.astype(np.float64),
        "act_data_pkt_fwd": np.bincount(flow[fwd & later & (table.payload_length > 0)],
                                        minlength=n).astype(np.float64),
        "min_seg_size_forward": min_seg,
    })
    return _in_schema_order(features)
