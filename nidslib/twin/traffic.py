"""What each kind of traffic in the twin looks like, as packets.

Every label of CICIDS2017 is a mixture of :class:`FlowType` s: which port, how many packets
each way, how large, how far apart, which TCP windows, header sizes and first-packet
flags. Each flow type was fitted to one cluster of genuine rows of its label
(``calibration.json``, written by ``tools/calibrate_twin.py`` from random samples of the
corrected CICIDS2017 release; every flow type records how many rows it came from), so a
look-alike between two labels is there only where the genuine rows show it.
``benchmarks/twin_fidelity.py`` measures how close the result is; chapter 1 (Data
cleaning), section "The data: CICIDS2017 and its twin", explains why the book simulates
traffic at all.

Example
-------
>>> import numpy as np
>>> rng = np.random.default_rng(0)
>>> weighted_choice(((80, 0.9), (8080, 0.1)), rng, 6).tolist()
[80, 80, 80, 80, 80, 8080]
>>> Count(median=4, sigma=0.5, low=1, high=40).sample(rng, 6).tolist()
[8, 6, 3, 2, 3, 4]
>>> sorted(TRAFFIC) == sorted(schema.LABELS)
True
>>> slowloris = TRAFFIC["DoS slowloris"][0][0]   # its largest cluster of genuine rows
>>> slowloris.ports, slowloris.rows > 1000
(((80, 1.0),), True)
"""

from __future__ import annotations

from dataclasses import dataclass, field

import json
from pathlib import Path

import numpy as np

from nidslib.data import schema

MSS = 1460          # largest TCP payload on the testbed's Ethernet
TIMEOUT_US = 119_999_998  # CICFlowMeter's flow timeout: no flow lasts longer


def weighted_choice(pairs, rng: np.random.Generator, n: int) -> np.ndarray:
    """``n`` values drawn from ``((value, weight), ...)``, weights normalised.

    Parameters
    ----------
    pairs : sequence of (int, float)
        Values and their non-negative weights.
    rng : numpy.random.Generator
        The source of randomness.
    n : int
        How many values to draw (with replacement).

    Returns
    -------
    numpy.ndarray of int64
        ``n`` values.
    """
    values, weights = zip(*pairs)
    return rng.choice(np.array(values, dtype=np.int64), size=n, p=np.divide(weights, sum(weights)))


@dataclass(frozen=True)
class Count:
    """Packets in one direction: a lognormal (median, sigma) rounded, or fixed choices.

    Attributes
    ----------
    median, sigma : float
        The lognormal's median and the standard deviation of its logarithm.
    low, high : int
        The bounds the rounded draw is clipped to.
    choices : tuple of (int, float)
        When given, ``(count, weight)`` pairs drawn from instead of the lognormal.
    p_zero_flow : float
        The chance that a flow sends no packet this way at all (lognormal only).
    """

    median: float = 1.0
    sigma: float = 0.0
    low: int = 1
    high: int = 2000
    choices: tuple[tuple[int, float], ...] = ()
    p_zero_flow: float = 0.0

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        """Draw the packet counts of ``n`` flows.

        Parameters
        ----------
        rng : numpy.random.Generator
            The source of randomness.
        n : int
            How many flows.

        Returns
        -------
        numpy.ndarray of int64
            ``n`` counts.
        """
        if self.choices:
            return weighted_choice(self.choices, rng, n)
        draw = np.round(self.median * np.exp(self.sigma * rng.standard_normal(n)))
        draw = np.clip(draw, self.low, self.high)
        return np.where(rng.random(n) < self.p_zero_flow, 0, draw).astype(np.int64)


@dataclass(frozen=True)
class Sizes:
    """Payload bytes of one packet: zero with probability ``p_zero``, else lognormal or choices.

    Attributes
    ----------
    p_zero : float
        The chance that a packet carries no payload (a bare ACK).
    median, sigma : float
        The lognormal's median and the standard deviation of its logarithm.
    choices : tuple of (int, float)
        When given, ``(bytes, weight)`` pairs drawn from instead of the lognormal.
    high : int
        The largest lognormal draw (one MSS by default; more where the capture shows
        segments merged by the network card); ``choices`` are not clipped.
    flow_sigma : float
        Lognormal spread of the typical size from flow to flow (one factor per flow).
    """

    p_zero: float = 0.0
    median: float = 100.0
    sigma: float = 1.0
    choices: tuple[tuple[int, float], ...] = ()
    high: int = MSS
    flow_sigma: float = 0.0

    def sample(self, rng: np.random.Generator, n: int, flow=None) -> np.ndarray:
        """Draw the payload sizes of ``n`` packets.

        Parameters
        ----------
        rng : numpy.random.Generator
            The source of randomness.
        n : int
            How many packets.
        flow : numpy.ndarray of int, optional
            Each packet's flow index (0, 1, ...); with it, the packets of one flow share
            one factor of spread ``flow_sigma``.

        Returns
        -------
        numpy.ndarray of int64
            ``n`` sizes in bytes, zeros included.
        """
        if self.choices:
            size = weighted_choice(self.choices, rng, n)
        else:
            size = self.median * np.exp(self.sigma * rng.standard_normal(n))
            if flow is not None and self.flow_sigma:
                size = size * np.exp(self.flow_sigma * rng.standard_normal(flow.max() + 1))[flow]
            size = np.clip(np.round(size), 1, self.high)
        return np.where(rng.random(n) < self.p_zero, 0, size).astype(np.int64)


@dataclass(frozen=True)
class FlowType:
    """One kind of connection, as the packets it sends.

    Times are microseconds; ``iat`` is the median gap between packets, spread per flow by
    ``flow_sigma`` and per packet by ``packet_sigma``.

    Attributes
    ----------
    ports : tuple of (int, float)
        Destination ports and weights; port 0 means "any other port", drawn from
        ``other_ports``.
    other_ports : tuple of int
        Quantiles (0, 5, ..., 100 %) of the other ports; empty: uniform over 1024-65535.
    fwd, bwd : Count
        Packets from the client (forward) and from the server (backward).
    fwd_size, bwd_size : Sizes
        Payload bytes of a forward and of a backward packet.
    fwd_data, bwd_data : Count, optional
        How many of a flow's packets in each direction carry data (the first ones after
        the handshake); when given, the sizes' ``p_zero`` is not used.
    iat : float
        Median gap between packets.
    flow_sigma, packet_sigma : float
        Lognormal spread of the gaps from flow to flow (one pace per flow) and from packet
        to packet within a flow.
    p_fast, fast_us : float
        The chance that a gap is a back-to-back one (a segment and its ACK), and the
        median of those gaps; the other gaps follow ``iat``.
    p_idle : float
        The chance that a flow goes idle (gaps over 5 s) once or more.
    idle_s, idle_sigma : float
        Median idle gap, in seconds, and the lognormal spread of idle gaps.
    idle_share : float
        In a flow that goes idle, the share of its gaps that are idle pauses (at least one).
    wait_share : tuple of float
        Quantiles (0, 10, ..., 100 %) of how much of a flow's duration its longest gap
        takes, scaled from an even share of the gaps (0) to all of the duration (1), in the
        flows that never go idle; empty: the gaps keep their drawn sizes.
    win_fwd, win_bwd : tuple of (int, float)
        Initial TCP window of each direction, with weights; -1 means "no window seen".
    header, header_bwd : tuple of (int, float)
        Header bytes per forward (backward) packet, with weights; ``header_bwd`` empty
        means "as ``header``".
    flags : dict of str to float
        TCP behaviour: the chance that a connection opens inside the flow (``syn_start``:
        SYN, then the server's SYN-ACK), closes with a FIN (``fin``) and the other
        side's too (``fin_both``, given ``fin``), or ends in a RST (``rst``); the share
        of data packets pushed (``psh_data``); and the chance that the server closes first
        (``server_first``; the other side's last empty packets then follow the close). The
        meters write them their own way.
    p_udp : float
        The chance that a connection is UDP (no flags, no window, 8-byte headers).
    clients, servers : tuple of (str, float)
        Addresses of the two ends, with weights; ``""`` for "any other" (a lab host for a
        client, a public address for a server).
    rows : int
        How many genuine rows the type was fitted to (0: set by hand).
    """

    ports: tuple[tuple[int, float], ...]        # port 0 means "any other port"
    fwd: Count
    bwd: Count
    fwd_size: Sizes
    bwd_size: Sizes
    iat: float
    fwd_data: Count | None = None
    bwd_data: Count | None = None
    flow_sigma: float = 1.0
    packet_sigma: float = 1.0
    p_fast: float = 0.0               # chance that a gap is back-to-back
    fast_us: float = 1.0              # median back-to-back gap
    p_idle: float = 0.0               # chance that a flow goes idle (gaps > 5 s) once or more
    idle_s: float = 10.0              # median idle gap, seconds
    idle_sigma: float = 0.4
    idle_share: float = 0.3           # share of an idle flow's gaps that are pauses
    wait_share: tuple[float, ...] = ()  # quantiles of the longest gap's share (scaled)
    win_fwd: tuple[tuple[int, float], ...] = ((-1, 1.0),)
    win_bwd: tuple[tuple[int, float], ...] = ((-1, 1.0),)
    header: tuple[tuple[int, float], ...] = ((20, 0.6), (32, 0.4))
    header_bwd: tuple[tuple[int, float], ...] = ()
    flags: dict[str, float] = field(default_factory=dict)
    p_udp: float = 0.0
    clients: tuple[tuple[str, float], ...] = ()
    servers: tuple[tuple[str, float], ...] = ()
    other_ports: tuple[int, ...] = ()
    rows: int = 0

    def sample_ports(self, rng: np.random.Generator, n: int) -> np.ndarray:
        """Destination ports of ``n`` connections (see ``ports`` and ``other_ports``)."""
        port = weighted_choice(self.ports, rng, n)
        other = port == 0
        if self.other_ports:
            grid = np.linspace(0, 1, len(self.other_ports))
            drawn = np.round(np.interp(rng.random(n), grid, self.other_ports))
        else:
            drawn = rng.integers(1024, 65536, n)
        return np.where(other, drawn, port).astype(np.int64)


CALIBRATION = Path(__file__).with_name("calibration.json")


def _pairs(pairs) -> tuple[tuple[int, float], ...]:
    return tuple((int(v), float(w)) for v, w in pairs)


def flow_type(fitted: dict) -> FlowType:
    """A :class:`FlowType` from one entry of ``calibration.json``'s ``flow_types``."""
    def count(d):
        return Count(**{**d, "choices": _pairs(d.get("choices", ()))})

    def sizes(d):
        return Sizes(**{**d, "choices": _pairs(d.get("choices", ()))})

    fields = {k: v for k, v in fitted.items() if k != "weight"}
    return FlowType(**{**fields, "ports": _pairs(fitted["ports"]),
                       "fwd": count(fitted["fwd"]), "bwd": count(fitted["bwd"]),
                       "fwd_data": count(fitted["fwd_data"]) if "fwd_data" in fitted else None,
                       "bwd_data": count(fitted["bwd_data"]) if "bwd_data" in fitted else None,
                       "fwd_size": sizes(fitted["fwd_size"]),
                       "bwd_size": sizes(fitted["bwd_size"]),
                       "win_fwd": _pairs(fitted["win_fwd"]), "win_bwd": _pairs(fitted["win_bwd"]),
                       "header": _pairs(fitted["header"]),
                       "header_bwd": _pairs(fitted.get("header_bwd", ())),
                       "other_ports": tuple(fitted.get("other_ports", ())),
                       "wait_share": tuple(fitted.get("wait_share", ())),
                       "clients": tuple((a, float(w)) for a, w in fitted.get("clients", ())),
                       "servers": tuple((a, float(w)) for a, w in fitted.get("servers", ()))})


def load_calibration(path=CALIBRATION) -> dict:
    """``calibration.json``: per label, its genuine source, flow types and campaigns."""
    return json.loads(Path(path).read_text())["labels"]


def mixtures(calibration: dict) -> dict[str, tuple[tuple[FlowType, float], ...]]:
    """Label -> ``((flow type, weight), ...)`` for every entry of a calibration."""
    return {label: tuple((flow_type(t), t["weight"]) for t in entry["flow_types"])
            for label, entry in calibration.items()}


FITTED = load_calibration()
# label -> mixture of flow types (every entry of the calibration); TRAFFIC: the 15 labels of
# the original release.
MIXTURES = mixtures(FITTED)
TRAFFIC: dict[str, tuple[tuple[FlowType, float], ...]] = {
    label: MIXTURES[label] for label in schema.LABELS}


