"""Fit the twin's flow types to genuine CICIDS2017 rows; write ``nidslib/twin/calibration.json``.

    .venv/bin/python tools/calibrate_twin.py                # reads ../shared/datasets
    .venv/bin/python tools/calibrate_twin.py --genuine DIR  # DIR/cicids2017/improved_rnd2500

The genuine rows are the random samples of the corrected CICIDS2017 release
(``improved_rnd2500/``, Engelen et al. 2021, one file per class, up to 2,500 rows). For each
of the 15 original labels, the rows of that label (for ``BENIGN``: the benign rows, and the
"Infiltration - Portscan" rows that the original release labelled benign are kept apart as
their own entry) are split into a few clusters of similar behaviour (k-means on the
logarithms of packets and bytes each way and of the duration, and on the protocol), and
each cluster becomes one :class:`nidslib.twin.traffic.FlowType`, its weight the cluster's
share. What is fitted is *behaviour*, which does not depend on the meter that wrote the
rows: how many packets each way, how large, how far apart (the gaps, their spread from
flow to flow and within a flow, the idle pauses), the ports, the initial TCP windows and
header sizes, and whether a flow begins with its connection's SYN. The repaired meter's
own conventions are translated, not copied: it writes 0 where the original wrote -1 for
"no window seen" (UDP), and it counts every packet's flags where the original wrote the
first packet's: what is fitted is whether a connection opens, closes with a FIN or a RST,
and which data packets are pushed, and the twin's meter writes the columns the original's
way (``nidslib/packets/cicflowmeter_rules.md``). Client and server addresses per label come
from the rows' addresses. Campaign times come from the
rows' timestamps (UTC, three hours ahead of the lab's clock).

Deterministic (k-means with a fixed seed); about 10 s. ``benchmarks/twin_fidelity.py
--corrected`` measures the result.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.cluster import KMeans

ROOT = Path(__file__).resolve().parents[1]
from nidslib.data import schema
from nidslib.twin.fidelity import load_corrected_rows, load_genuine_rows

OUT = ROOT / "nidslib" / "twin" / "calibration.json"
MSS = 1460
LAB_CLOCK_UTC_OFFSET_H = -3   # the lab's clock (ADT) is UTC-3
CAMPAIGN_GAP_H = 0.25         # a pause this long between attack flows starts a new burst
# Which side closes first cannot be read off the corrected rows (they count FINs, not whose),
# yet it decides where the original meter cuts a connection. Half and half, unless the
# original meter's own rows say otherwise: in friday_ddos_head, 45 % of the DDoS rows are
# 4-5 client packets with no server packet, the tails left after the server's FIN; so the
# LOIC server closes first.
SERVER_CLOSES_FIRST = {"DDoS": 1.0}


def load(folder: Path) -> pd.DataFrame:
    """Every sample file as one frame: canonical feature names, ``protocol``, ``hour``
    (local time, hours since midnight), ``day`` (ISO date) and the original ``label``."""
    frame = load_corrected_rows(folder)
    local = pd.to_datetime(frame["timestamp"]) + pd.Timedelta(hours=LAB_CLOCK_UTC_OFFSET_H)
    frame["hour"] = local.dt.hour + local.dt.minute / 60 + local.dt.second / 3600
    frame["day"] = local.dt.date.astype(str)
    return frame.rename(columns={"source_file": "source"})


def _r(x: float, digits: int = 3) -> float:
    return float(np.round(float(x), digits))


def _values(series: pd.Series, top: int = 6, cover: float = 0.0) -> list[list[float]]:
    """The ``top`` most frequent values with their shares, as ``[value, weight]`` pairs."""
    shares = series.value_counts(normalize=True).head(top)
    if cover and shares.sum() < cover:
        return []
    return [[int(v), _r(w)] for v, w in shares.items()]


def fit_count(counts: pd.Series, low: int) -> dict:
    """Packets in one direction: a few exact values when they cover 90 %, else a lognormal."""
    choices = _values(counts, top=5, cover=0.9)
    if choices:
        return {"choices": choices}
    positive = counts[counts > 0]
    logs = np.log(positive.clip(lower=1))
    return {"median": _r(np.exp(logs.median())), "sigma": _r(max(logs.std(), 0.05)),
            "low": int(max(low, counts.quantile(0.01))), "high": int(counts.quantile(0.99)) + 1,
            "p_zero_flow": _r((counts == 0).mean()) if low == 0 else 0.0}


def fit_sizes(total: pd.Series, n: pd.Series, n_data: pd.Series, mean: pd.Series,
              std: pd.Series, largest: pd.Series) -> dict:
    """Payload bytes per packet of one direction: the share of empty packets, then a
    lognormal for the others, its spread split into flow-to-flow and packet-to-packet."""
    has = (n > 0)
    if not has.any() or total[has].sum() == 0:
        return {"p_zero": 1.0, "median": 1.0, "sigma": 0.0, "flow_sigma": 0.0, "high": MSS}
    p_zero = 1 - n_data[has].sum() / n[has].sum()
    data = has & (n_data > 0) & (total > 0)
    per_packet = total[data] / n_data[data]
    # Within a flow: the spread of the non-empty sizes, from the mean and standard deviation
    # over all packets (empty ones included) and the share that carry data.
    z = 1 - n_data[data] / n[data]
    mu = mean[data] / (1 - z)
    var = (std[data] ** 2 + mean[data] ** 2) / (1 - z) - mu ** 2
    cv2 = (var.clip(lower=0) / mu ** 2)[n_data[data] >= 2]
    within = float(np.sqrt(np.log1p(cv2.median()))) if len(cv2) else 0.1
    between = float(np.log(per_packet).std()) if len(per_packet) > 1 else 0.0
    return {"p_zero": _r(p_zero), "median": _r(np.exp(np.log(per_packet).median()), 1),
            "sigma": _r(min(within, 2.0)), "flow_sigma": _r(min(between, 2.0)),
            "high": int(max(MSS, largest[data].quantile(0.99)))}


def fit_timing(rows: pd.DataFrame) -> dict:
    """Gaps between packets (µs), in two speeds: back-to-back packets (a segment and its
    ACK, the segments of one answer), at ``fast_us``, with chance ``p_fast``, and the
    others, whose per-flow pace comes from every flow's gaps outside its idle pauses and
    per-packet spread from the flows that never went idle; idle pauses (over the 5 s
    activity timeout) from those that did.

    ``p_fast`` is read off how often a flow's shortest gap is a fast one: with ``n - 1``
    gaps each fast with chance p, that happens with chance ``1 - (1 - p) ** (n - 1)``.

    Many connections spend most of their time in one wait (a bot polling, a page read, a
    server holding an answer): ``wait_share`` gives, as 11 quantiles (0, 10, ..., 100 %),
    how far a flow's longest gap is from an even share of its duration towards all of it,
    ``(max / duration - 1 / gaps) / (1 - 1 / gaps)``, over the flows that never went idle.
    The per-packet spread is then read off the gaps other than the longest (their mean and
    standard deviation follow from the row's sums), so the wait is not counted twice.
    """
    n = rows["total_fwd_packets"] + rows["total_backward_packets"]
    idle = rows["idle_mean"] > 0
    # Idle pauses per flow: duration = (pauses + 1) active periods + pauses idle ones.
    pauses = ((rows["flow_duration"] - rows["active_mean"])
              / (rows["active_mean"] + rows["idle_mean"]).clip(lower=1)).round().clip(lower=1)
    pauses = pauses.where(idle, 0).clip(upper=(n - 2).clip(lower=0))
    # Mean of the gaps that are not pauses.
    mean_gap = ((rows["flow_duration"] - pauses * rows["idle_mean"]).clip(lower=1)
                / (n - 1 - pauses).clip(lower=1))[n >= 2]
    fast_limit = min(1_000.0, 0.1 * mean_gap.median())
    shortest = rows.loc[n >= 3, "flow_iat_min"]
    fast = shortest[shortest < fast_limit]
    p_fast = 0.0
    if len(fast) >= 3 and len(fast) / len(shortest) > 0.1:
        share = min(len(fast) / len(shortest), 0.99)
        p_fast = float(np.clip(1 - (1 - share) ** (1 / max(n[n >= 3].median() - 1, 1)), 0, 0.9))
    fast_us = float(np.exp(np.log(fast.clip(lower=1)).median())) if len(fast) else 1.0
    # The slow gaps of a flow average (mean - p_fast * fast) / (1 - p_fast); their spread
    # follows from the mean and standard deviation of all its gaps (flows never idle).
    slow_mean = ((mean_gap - p_fast * fast_us) / (1 - p_fast)).clip(lower=1)
    # The gaps other than the longest, in flows never idle: m gaps with the row's mean and
    # (sample) standard deviation, less the longest one.
    busy = rows[~idle & (n >= 4)]
    m = (busy["total_fwd_packets"] + busy["total_backward_packets"] - 1).astype(float)
    total = busy["flow_iat_mean"] * m - busy["flow_iat_max"]
    squares = (busy["flow_iat_std"] ** 2 * (m - 1) + m * busy["flow_iat_mean"] ** 2
               - busy["flow_iat_max"] ** 2)
    rest_mean = (total / (m - 1)).clip(lower=1)
    rest_var = ((squares - (m - 1) * rest_mean ** 2) / (m - 2)).clip(lower=0)
    cv2 = (1 - p_fast) * (1 + rest_var / rest_mean ** 2) - 1
    packet_sigma = float(np.sqrt(np.log1p(cv2.clip(lower=0).median()))) if len(cv2) >= 3 else 1.0
    packet_sigma = min(packet_sigma, 2.5)
    logs = np.log(slow_mean)
    timing = {"iat": _r(np.exp(logs.median() - packet_sigma ** 2 / 2), 1),
              "flow_sigma": _r(min(max(logs.std(), 0.05), 3.0)) if len(logs) > 1 else 0.5,
              "packet_sigma": _r(packet_sigma), "p_fast": _r(p_fast), "fast_us": _r(fast_us, 1),
              "p_idle": _r(idle.mean()), "idle_s": 10.0, "idle_sigma": 0.4, "idle_share": 0.3}
    paced = rows[~idle & (n >= 3) & (rows["flow_duration"] > 0)]
    if len(paced) >= 5:
        even = 1 / (n[paced.index] - 1)
        wait = ((paced["flow_iat_max"] / paced["flow_duration"] - even) / (1 - even)).clip(0, 1)
        timing["wait_share"] = [_r(q) for q in wait.quantile(np.linspace(0, 1, 11))]
    if idle.any():
        r = rows[idle]
        logs = np.log(r["idle_mean"] / 1e6)
        timing.update(idle_s=_r(np.exp(logs.median())),
                      idle_sigma=_r(max(logs.std(), 0.01)) if len(r) > 1 else 0.4,
                      idle_share=_r((pauses[idle] / (n[idle] - 1).clip(lower=1)).median()))
    return timing


def fit_windows(values: pd.Series, udp: pd.Series) -> list[list[float]]:
    # The repaired meter writes 0 where no window was seen; the original wrote -1 (UDP).
    return _values(values.where(~udp, -1), top=6)


def fit_flow_type(rows: pd.DataFrame) -> dict:
    """One cluster's behaviour as the fields of :class:`nidslib.twin.traffic.FlowType`."""
    fwd, bwd = rows["total_fwd_packets"], rows["total_backward_packets"]
    udp = rows["protocol"] != 6
    tcp = ~udp
    ports = rows["destination_port"].value_counts(normalize=True)
    named = ports[ports >= 0.03].head(8)
    port_pairs = [[int(p), _r(w)] for p, w in named.items()]
    other_ports = []
    if 1 - named.sum() > 0.01:
        port_pairs.append([0, _r(1 - named.sum())])   # 0: any other port, drawn from:
        rest = rows.loc[~rows["destination_port"].isin(named.index), "destination_port"]
        other_ports = [int(q) for q in rest.quantile(np.linspace(0, 1, 21)).round()]
    # Header bytes per packet: the forward ones are the smallest forward segment's header;
    # backward, the mean per packet, to the 4 bytes TCP headers come in.
    header = rows["min_seg_size_forward"].clip(lower=8).astype(int)
    header_bwd = (rows["bwd_header_length"] / bwd.clip(lower=1) / 4).round().astype(int) * 4
    header_bwd = header_bwd.where(tcp, 8).clip(lower=8)
    # Packets that carry data: at least the total over the largest packet (the repaired
    # meter's "act data" count leaves out UDP and the first packet).
    fwd_data = np.maximum(rows["act_data_pkt_fwd"], np.ceil(
        rows["total_length_of_fwd_packets"] / rows["fwd_packet_length_max"].clip(lower=1)))
    bwd_data = np.ceil(rows["total_length_of_bwd_packets"]
                       / rows["bwd_packet_length_max"].clip(lower=1))
    tcp = ~udp
    # TCP behaviour, which the meters then write each their own way: does the connection
    # open inside the flow (a SYN), close with a FIN from one side or both, or a RST; how
    # many of the packets that carry data are pushed. (Who closes first: see fit().)
    fins = rows["fin_flag_count"].where(tcp, 0)
    pushed = (rows["psh_flag_count"] / (fwd_data + bwd_data).clip(lower=1)).where(tcp)
    flags = {"syn_start": _r(((rows["syn_flag_count"] > 0) & tcp).sum() / max(tcp.sum(), 1)),
             "fin": _r((fins > 0).sum() / max(tcp.sum(), 1)),
             "fin_both": _r((fins > 1).sum() / max((fins > 0).sum(), 1)),
             "rst": _r(((rows["rst_flag_count"] > 0) & tcp & (fins == 0)).sum() / max(tcp.sum(), 1)),
             "psh_data": _r(pushed.clip(upper=1).median()) if tcp.any() else 0.0}
    return {
        "rows": int(len(rows)), "p_udp": _r(udp.mean()), "ports": port_pairs,
        "other_ports": other_ports,
        "clients": addresses(rows["src_ip"]), "servers": addresses(rows["dst_ip"]),
        "fwd": fit_count(fwd, low=1), "bwd": fit_count(bwd, low=0),
        "fwd_data": fit_count(fwd_data.clip(upper=fwd).astype(int), low=0),
        "bwd_data": fit_count(bwd_data.clip(upper=bwd).astype(int), low=0),
        "fwd_size": fit_sizes(rows["total_length_of_fwd_packets"], fwd, fwd_data.clip(upper=fwd),
                              rows["fwd_packet_length_mean"], rows["fwd_packet_length_std"],
                              rows["fwd_packet_length_max"]),
        "bwd_size": fit_sizes(rows["total_length_of_bwd_packets"], bwd, bwd_data.clip(upper=bwd),
                              rows["bwd_packet_length_mean"], rows["bwd_packet_length_std"],
                              rows["bwd_packet_length_max"]),
        **fit_timing(rows),
        "win_fwd": fit_windows(rows["init_win_bytes_forward"], udp),
        "win_bwd": fit_windows(rows["init_win_bytes_backward"], udp),
        "header": _values(header, top=3), "header_bwd": _values(header_bwd[bwd > 0], top=3)
        or _values(header, top=3),
        "flags": flags,
    }


def clusters(rows: pd.DataFrame, k: int, seed: int = 0) -> np.ndarray:
    """k-means on the logarithms of packets and bytes each way, duration and protocol."""
    columns = ["total_fwd_packets", "total_backward_packets", "total_length_of_fwd_packets",
               "total_length_of_bwd_packets", "flow_duration"]
    x = np.log1p(rows[columns].clip(lower=0).to_numpy(float))
    x = np.column_stack([x, 5.0 * (rows["protocol"].to_numpy() != 6)])
    k = min(k, len(np.unique(x, axis=0)))
    if k <= 1:
        return np.zeros(len(rows), int)
    return KMeans(n_clusters=k, n_init=10, random_state=seed).fit_predict(x)


def campaigns(hours: pd.Series) -> list[list[float]]:
    """Bursts of an attack (local hours): sorted flow times split at pauses of 15 min."""
    t = np.sort(hours.to_numpy())
    cuts = np.flatnonzero(np.diff(t) > CAMPAIGN_GAP_H)
    starts, ends = np.r_[t[0], t[cuts + 1]], np.r_[t[cuts], t[-1]]
    return [[_r(a, 4), _r(max(b, a + 1 / 60), 4)] for a, b in zip(starts, ends)]


def addresses(column: pd.Series, top: int = 8) -> list[list]:
    """The commonest addresses with their shares; the rest as ``["", share]`` (any other)."""
    shares = column.value_counts(normalize=True)
    named = shares[shares >= 0.01].head(top)
    pairs = [[ip, _r(w)] for ip, w in named.items()]
    if 1 - named.sum() > 0.005:
        pairs.append(["", _r(1 - named.sum())])
    return pairs


def clusters_for(n_rows: int) -> int:
    return 1 if n_rows < 30 else 3 if n_rows < 300 else 6


def fit(rows: pd.DataFrame, k_benign: int = 10) -> dict:
    """Every label's mixture of flow types, and the attacks' campaign times."""
    entries = {}
    groups = dict(tuple(rows.groupby("label")))
    for label, group in groups.items():
        k = k_benign if label == schema.BENIGN else clusters_for(len(group))
        assigned = clusters(group, k)
        types = []
        for c in np.unique(assigned):
            part = group[assigned == c]
            flow_type = fit_flow_type(part)
            flow_type["flags"]["server_first"] = SERVER_CLOSES_FIRST.get(label, 0.5)
            flow_type["weight"] = _r(len(part) / len(group), 4)
            types.append(flow_type)
        types.sort(key=lambda t: -t["weight"])
        entry = {"source": sorted(group["source"].unique()), "rows": int(len(group)),
                 "flow_types": types}
        if label != schema.BENIGN:
            entry["campaigns"] = campaigns(group["hour"])
            entry["day"] = sorted(group["day"].unique())
        entries[label] = entry
    return entries


# The corrected release labels "attempted" attacks (the attack tool's connection carried no
# attack) BENIGN, and its samples hold none of them; the original release's XSS rows
# (mondirkb_trafficlabelling) are 96 % such connections: handshake, 5 s of silence, the
# client's FIN, no payload. Their behaviour, fitted from those rows, is the twin's
# attempted web attack. They are original-meter rows: the connection ends at the client's
# FIN, as the flags below say.
ATTEMPT_FLAGS = {"syn_start": 1.0, "fin": 1.0, "fin_both": 0.0, "rst": 0.0, "psh_data": 0.0,
                 "server_first": 0.0}


def fit_attempts(original: pd.DataFrame, attacker: str, victim: str) -> dict:
    """The attempted web attack: the original XSS rows without payload, as one entry."""
    rows = original[(original["label"] == "Web Attack - XSS")
                    & (original["total_length_of_fwd_packets"] == 0)
                    & (original["total_length_of_bwd_packets"] == 0)]
    rows = rows.assign(protocol=6, src_ip=attacker, dst_ip=victim)
    flow_type = fit_flow_type(rows)
    # One pause, the longest gap (the original meter does not count a pause before the
    # closing FIN as idle, rule 4.4), the other gaps back to back.
    longest = np.log(rows["flow_iat_max"] / 1e6)
    packets = rows["total_fwd_packets"] + rows["total_backward_packets"]
    flow_type.update(flags=ATTEMPT_FLAGS, weight=1.0, p_idle=1.0, idle_s=_r(np.exp(longest.median())),
                     idle_sigma=_r(longest.std()), idle_share=_r(1 / (packets.median() - 1)),
                     p_fast=1.0, fast_us=_r(rows["flow_iat_min"].clip(lower=1).median(), 1))
    return {"source": sorted(rows["source_file"].unique()), "rows": int(len(rows)),
            "flow_types": [flow_type]}


def main() -> None:
    default = Path(os.environ.get("NIDSLIB_DATA", ROOT.parent / "shared" / "datasets"))
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--genuine", type=Path, default=default,
                        help="the shared datasets folder (holding cicids2017/improved_rnd2500)")
    args = parser.parse_args()
    folder = args.genuine / "cicids2017" / "improved_rnd2500"
    rows = load(folder)
    calibration = {
        "fitted_by": "tools/calibrate_twin.py",
        "fitted_on": str(datetime.date.today()),
        "genuine_rows": "cicids2017/improved_rnd2500 (corrected CICIDS2017 release, Engelen "
                        "et al. 2021; random samples, up to 2,500 rows per class)",
        "labels": fit(rows),
    }
    web = rows[rows["label"] == "Web Attack - XSS"]
    original = load_genuine_rows(args.genuine / "cicids2017")
    calibration["labels"]["Web Attack - attempted"] = fit_attempts(
        original, web["src_ip"].mode()[0], web["dst_ip"].mode()[0])
    OUT.write_text(json.dumps(calibration, indent=1) + "\n")
    for label, entry in calibration["labels"].items():
        print(f"{label:28} {entry['rows']:5} rows, {len(entry['flow_types'])} flow types, "
              f"campaigns {entry.get('campaigns', '-')}")
    print(f"wrote {OUT.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
