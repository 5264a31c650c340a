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
((50, 79), True)
>>> ddos = flows.loc[flows["Label"] == "DDoS", "start_hour"]
>>> bool(ddos.between(15 + 56 / 60, 16 + 17 / 60).all())  # its genuine rows: 15:56-16:16
True
>>> int(simulate_label("PortScan", 200, rng).duplicated().sum()) > 0  # exact copies
True
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from nidslib.data import schema
from nidslib.packets.flowmeter import ACTIVITY_TIMEOUT_US, Packets, flow_features
from nidslib.twin.traffic import FITTED, TIMEOUT_US, TRAFFIC, FlowType, weighted_choice

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


# When each attack ran (hours, lab time): the bursts of its genuine rows' timestamps
# (``calibration.json``; ``tools/calibrate_twin.py`` splits them at pauses of 15 minutes).
CAMPAIGNS = {label: [tuple(burst) for burst in FITTED[label]["campaigns"]]
             for label in TRAFFIC if label != schema.BENIGN}


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


def _packets(flow_type: FlowType, n: int, rng: np.random.Generator):
    """Simulate the packets of ``n`` flows of one type (see :class:`traffic.FlowType`)."""
    n_fwd = flow_type.fwd.sample(rng, n)
    n_bwd = np.maximum(flow_type.bwd.sample(rng, n), 0)
    # CICFlowMeter emits no flow of a single packet (none in the genuine rows either).
    n_fwd = np.where(n_fwd + n_bwd < 2, 2, n_fwd)
    total = n_fwd + n_bwd
    flow = np.repeat(np.arange(n), total)
    position = np.arange(len(flow)) - np.repeat(np.cumsum(total) - total, total)
    forward = position < n_fwd[flow]
    # Interleave directions at random, keeping the first packet (the client's) first.
    key = 2.0 * flow + (position > 0) * (1.0 + rng.random(len(flow)))
    forward = forward[np.argsort(key, kind="stable")]
    first = position == 0

    payload = np.where(forward, flow_type.fwd_size.sample(rng, len(flow), flow),
                       flow_type.bwd_size.sample(rng, len(flow), flow))
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
    rank[order] = np.arange(len(flow)) - np.repeat(np.cumsum(total) - total, total)
    goes_idle = (rng.random(n) < flow_type.p_idle)[flow] & ~first & (rank < pauses[flow])
    idle = flow_type.idle_s * 1e6 * np.exp(flow_type.idle_sigma * rng.standard_normal(len(flow)))
    gap = np.where(goes_idle, np.maximum(idle, ACTIVITY_TIMEOUT_US + 1), gap)
    gap[first] = 0
    # Quirks: flows whose packets share one microsecond, and clocks that step back.
    gap[(rng.random(n) < ZERO_DURATION_SHARE)[flow]] = 0
    step_back = (rng.random(n) < CLOCK_STEP_SHARE)[flow] & (position == 1)
    flow_length = np.bincount(flow, weights=gap, minlength=n)
    squeeze = np.minimum(1.0, TIMEOUT_US / np.maximum(flow_length, 1))  # the flow timeout
    gap = np.floor(gap * squeeze[flow])  # floor: rounding up could pass the timeout
    gap[step_back] = -rng.integers(1, 20, step_back.sum())
    elapsed = np.cumsum(gap)  # time since the first flow's start; each flow from its own:
    time_us = elapsed - np.repeat(elapsed[first], total)
    return Packets(flow, time_us.astype(np.int64), payload, forward, n)


def simulate_flows(flow_type: FlowType, n: int, rng: np.random.Generator) -> pd.DataFrame:
    """``n`` flows of one type as a frame of the 77 canonical features.

    Parameters
    ----------
    flow_type : nidslib.twin.traffic.FlowType
        What the flows look like.
    n : int
        How many flows.
    rng : numpy.random.Generator
        The source of randomness.

    Returns
    -------
    pandas.DataFrame
        ``n`` rows, the columns of :data:`schema.FEATURES`, computed from simulated
        packets the way CICFlowMeter computes them.
    """
    packets = _packets(flow_type, n, rng)
    port = weighted_choice(flow_type.ports, rng, n)
    port = np.where(port == 0, rng.integers(1024, 65536, n), port)
    header = weighted_choice(flow_type.header, rng, n).astype(np.float64)
    header_bwd = (weighted_choice(flow_type.header_bwd, rng, n).astype(np.float64)
                  if flow_type.header_bwd else header)
    flags = {name: (rng.random(n) < flow_type.flags.get(name, 0.0)).astype(np.float64)
             for name in ("fin", "syn", "rst", "psh", "ack", "urg")}
    features = flow_features(
        packets, header_fwd=header, header_bwd=header_bwd,
        init_win_fwd=weighted_choice(flow_type.win_fwd, rng, n),
        init_win_bwd=weighted_choice(flow_type.win_bwd, rng, n),
        flags=flags, destination_port=port)
    return pd.DataFrame(features, columns=list(schema.FEATURES))


def simulate_label(label: str, n: int, rng: np.random.Generator) -> pd.DataFrame:
    """``n`` flows of one label: a mixture of its flow types, with its share of duplicates.

    Parameters
    ----------
    label : str
        One of the 15 labels (a key of :data:`nidslib.twin.traffic.TRAFFIC`).
    n : int
        How many flows.
    rng : numpy.random.Generator
        The source of randomness.

    Returns
    -------
    pandas.DataFrame
        The 77 features and ``Label``, the flow types shuffled together, exact copies of
        short flows among them (:data:`DUPLICATE_SHARE`).

    Raises
    ------
    KeyError
        ``label`` is not one of the 15.
    """
    mixture = TRAFFIC[label]
    weights = np.array([w for _, w in mixture])
    per_type = rng.multinomial(n, weights / weights.sum())
    parts = [simulate_flows(ft, k, rng) for (ft, _), k in zip(mixture, per_type) if k]
    flows = pd.concat(parts, ignore_index=True).sample(frac=1.0, random_state=rng)
    flows = flows.reset_index(drop=True)
    n_copies = int(round(DUPLICATE_SHARE.get(label, 0.0) * n))
    if n_copies and n > n_copies:
        # Short connections repeat exactly (a probe and its reset, a failed login).
        packets = flows["total_fwd_packets"] + flows["total_backward_packets"]
        originals = np.flatnonzero(packets <= packets.quantile(0.5))
        copies = rng.choice(np.arange(n), size=n_copies, replace=False)
        flows.iloc[copies] = flows.iloc[rng.choice(originals, size=n_copies)].to_numpy()
    flows["Label"] = label
    return flows


def simulate_file(name: str, counts: dict[str, int], rng: np.random.Generator) -> pd.DataFrame:
    """One file of the week: every label's flows, placed in time and sorted by start.

    Benign flows start at random in the file's capture hours (:data:`CAPTURE_HOURS`),
    attacks within their campaigns (:data:`CAMPAIGNS`).

    Parameters
    ----------
    name : str
        The file's name, as in :data:`schema.WEEK_FILES`.
    counts : dict of str to int
        Flows per label (one entry of :func:`label_counts`).
    rng : numpy.random.Generator
        The source of randomness.

    Returns
    -------
    pandas.DataFrame
        The 77 features, ``Label`` and ``start_hour`` (hours, local time), sorted by start.

    Raises
    ------
    KeyError
        ``name`` is not a file of the week, or a label of ``counts`` is unknown.
    """
    begin, end = CAPTURE_HOURS[name]
    parts = []
    for label, n in counts.items():
        flows = simulate_label(label, n, rng)
        windows = CAMPAIGNS.get(label, [(begin, end)])
        lengths = np.array([b - a for a, b in windows])
        which = rng.choice(len(windows), size=n, p=lengths / lengths.sum())
        starts = np.array([a for a, _ in windows])[which]
        flows["start_hour"] = starts + lengths[which] * rng.random(n)
        parts.append(flows)
    frame = pd.concat(parts, ignore_index=True)
    return frame.sort_values("start_hour", kind="stable", ignore_index=True)


def simulate_week(profile: str = "small", seed: int = 0):
    """Yield ``(file name, day, frame)`` for the eight files of the twin's week.

    Parameters
    ----------
    profile : {"small", "full"}
        A key of :data:`PROFILES`.
    seed : int
        Seed of the one generator all eight files draw from, in week order.

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
        yield name, day, simulate_file(name, counts[name], rng)


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


def write_week(folder, profile: str = "small", seed: int = 0) -> list[Path]:
    """Write the twin's eight MachineLearningCVE CSV files into ``folder``; return their paths.

    Chapter 1 (Data cleaning), section "The data: CICIDS2017 and its twin". Deterministic:
    the same profile and seed give the same bytes. The full profile (2.83 M flows) takes
    minutes and about 1 GB on disk.

    Parameters
    ----------
    folder : str or pathlib.Path
        Created when missing; files of the same names are overwritten.
    profile : {"small", "full"}
        A key of :data:`PROFILES`.
    seed : int
        The random seed.

    Returns
    -------
    list of pathlib.Path
        The eight files, in week order: cp1252, CRLF line ends, the published header.

    Raises
    ------
    ValueError
        ``profile`` is unknown.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, _day, frame in simulate_week(profile, seed):
        path = folder / name
        _to_csv_text(frame).to_csv(path, index=False, lineterminator="\r\n", encoding="cp1252")
        paths.append(path)
    return paths
