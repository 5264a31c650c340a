"""What each kind of traffic in the twin looks like, as packets.

Every label of CICIDS2017 is a mixture of :class:`FlowType` s: which port, how many packets
each way, how large, how far apart, which TCP options and flags. The numbers were set by
hand from the quantiles of the genuine CICIDS2017 rows in ``shared/datasets`` (benign
Friday traffic, DDoS, PortScan, XSS, SQL injection) and, for the other attacks, from how
the attack tools behave (Patator logins, slowloris' trickled headers, Hulk's floods).
``benchmarks/twin_fidelity.py`` measures how close the result is; chapter 1 (Data
cleaning), section "The data: CICIDS2017 and its twin", explains why the book simulates
traffic at all.

Look-alikes are deliberate: web brute force and XSS share their shape, slow DoS resembles
benign keep-alive connections, bots poll like benign web clients, infiltration looks like
an internal host. That overlap is what keeps the book's models honest.

Example
-------
>>> import numpy as np
>>> rng = np.random.default_rng(0)
>>> weighted_choice(HTTP.ports, rng, 6).tolist()  # port 80, or 8080 one time in ten
[80, 80, 80, 80, 80, 8080]
>>> Count(median=4, sigma=0.5, low=1, high=40).sample(rng, 6).tolist()
[8, 6, 3, 2, 3, 4]
>>> TRAFFIC["Web Attack - XSS"][0][0] is TRAFFIC["Web Attack - Brute Force"][0][0]
True
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

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
    """

    median: float = 1.0
    sigma: float = 0.0
    low: int = 1
    high: int = 2000
    choices: tuple[tuple[int, float], ...] = ()

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
        return np.clip(draw, self.low, self.high).astype(np.int64)


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
        The largest lognormal draw (one MSS by default); ``choices`` are not clipped.
    """

    p_zero: float = 0.0
    median: float = 100.0
    sigma: float = 1.0
    choices: tuple[tuple[int, float], ...] = ()
    high: int = MSS

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        """Draw the payload sizes of ``n`` packets.

        Parameters
        ----------
        rng : numpy.random.Generator
            The source of randomness.
        n : int
            How many packets.

        Returns
        -------
        numpy.ndarray of int64
            ``n`` sizes in bytes, zeros included.
        """
        if self.choices:
            size = weighted_choice(self.choices, rng, n)
        else:
            size = np.round(self.median * np.exp(self.sigma * rng.standard_normal(n)))
            size = np.clip(size, 1, self.high)
        return np.where(rng.random(n) < self.p_zero, 0, size).astype(np.int64)


def _choices(*pairs) -> tuple[tuple[int, float], ...]:
    return tuple(pairs)


@dataclass(frozen=True)
class FlowType:
    """One kind of connection, as the packets it sends.

    Times are microseconds; ``iat`` is the median gap between packets, spread per flow by
    ``flow_sigma`` and per packet by ``packet_sigma``.

    Attributes
    ----------
    ports : tuple of (int, float)
        Destination ports and weights; port 0 means "a random high port".
    fwd, bwd : Count
        Packets from the client (forward) and from the server (backward).
    fwd_size, bwd_size : Sizes
        Payload bytes of a forward and of a backward packet.
    iat : float
        Median gap between packets.
    flow_sigma, packet_sigma : float
        Lognormal spread of the gaps from flow to flow (one pace per flow) and from packet
        to packet within a flow.
    final_gap : float
        Median pause before the closing packet; 0 draws it like the other gaps.
    p_idle : float
        The chance that a flow goes idle (gaps over 5 s) once or more.
    idle_s : float
        Median idle gap, in seconds.
    win_fwd, win_bwd : tuple of (int, float)
        Initial TCP window of each direction, with weights; -1 means "no window seen".
    header : tuple of (int, float)
        TCP header bytes per packet, with weights.
    flags : dict of str to float
        Chance that a flow carries each flag (``fin``, ``syn``, ``rst``, ``psh``, ``ack``,
        ``urg``); a flag left out never appears.
    """

    ports: tuple[tuple[int, float], ...]        # port 0 means "a random high port"
    fwd: Count
    bwd: Count
    fwd_size: Sizes
    bwd_size: Sizes
    iat: float
    flow_sigma: float = 1.0
    packet_sigma: float = 1.0
    final_gap: float = 0.0            # median pause before the closing packet (0: like others)
    p_idle: float = 0.0               # chance that a flow goes idle (gaps > 5 s) once or more
    idle_s: float = 10.0              # median idle gap, seconds
    win_fwd: tuple[tuple[int, float], ...] = _choices((-1, 1))
    win_bwd: tuple[tuple[int, float], ...] = _choices((-1, 1))
    header: tuple[tuple[int, float], ...] = _choices((20, 0.6), (32, 0.4))
    flags: dict[str, float] = field(default_factory=dict)   # fin syn rst psh ack urg


# --- Benign background (calibrated on the genuine benign rows) ---------------------------
DNS = FlowType(
    ports=_choices((53, 1)), fwd=Count(1.6, 0.35, 1, 6), bwd=Count(1.6, 0.3, 1, 4),
    fwd_size=Sizes(median=36, sigma=0.2), bwd_size=Sizes(median=95, sigma=0.45),
    iat=3_000, flow_sigma=2.6, packet_sigma=0.5,
    header=_choices((20, 0.53), (32, 0.41), (40, 0.06)),
)
HTTPS = FlowType(
    ports=_choices((443, 1)), fwd=Count(10, 1.0, 1, 3000), bwd=Count(9, 1.2, 0, 3000),
    fwd_size=Sizes(p_zero=0.45, median=180, sigma=1.1),
    bwd_size=Sizes(p_zero=0.3, median=900, sigma=1.0),
    iat=60_000, flow_sigma=2.0, packet_sigma=1.6, p_idle=0.45, idle_s=9,
    win_fwd=_choices((8192, 0.35), (29200, 0.33), (256, 0.05), (65535, 0.1), (505, 0.17)),
    win_bwd=_choices((61, 0.3), (123, 0.15), (127, 0.08), (31, 0.07), (29200, 0.1),
                     (235, 0.3)),
    flags=dict(psh=0.68, ack=0.29, fin=0.03, urg=0.03, syn=0.11),
)
HTTP = FlowType(
    ports=_choices((80, 0.9), (8080, 0.1)), fwd=Count(4, 1.1, 1, 2000),
    bwd=Count(3, 1.3, 0, 2000),
    fwd_size=Sizes(p_zero=0.5, median=160, sigma=1.3),
    bwd_size=Sizes(p_zero=0.35, median=700, sigma=1.2),
    iat=200_000, flow_sigma=2.2, packet_sigma=1.5, p_idle=0.28, idle_s=9.9,
    win_fwd=_choices((8192, 0.35), (29200, 0.25), (256, 0.1), (253, 0.06), (237, 0.04),
                     (65535, 0.2)),
    win_bwd=_choices((31, 0.15), (29200, 0.12), (946, 0.08), (29, 0.05), (151, 0.3),
                     (235, 0.3)),
    flags=dict(psh=0.6, ack=0.4, urg=0.16, syn=0.02),
)
# Short client connections to high ports (ACK-only fragments of longer conversations).
HIGH_PORT = FlowType(
    ports=_choices((0, 1)), fwd=Count(1.6, 0.4, 1, 8), bwd=Count(0.8, 0.8, 0, 6),
    fwd_size=Sizes(p_zero=0.5, median=20, sigma=1.4), bwd_size=Sizes(p_zero=0.6, median=6, sigma=0.3),
    iat=60, flow_sigma=2.0, packet_sigma=0.8,
    win_fwd=_choices((123, 0.15), (114, 0.1), (946, 0.1), (8192, 0.1), (60, 0.1),
                     (256, 0.2), (31, 0.25)),
    win_bwd=_choices((0, 0.35), (256, 0.25), (255, 0.2), (253, 0.1), (16408, 0.1)),
    flags=dict(ack=0.96, urg=0.41, syn=0.14, psh=0.04),
)
OTHER_SERVICE = FlowType(
    ports=_choices((123, 0.25), (22, 0.15), (137, 0.15), (21, 0.1), (139, 0.1), (445, 0.15),
                   (389, 0.1)),
    fwd=Count(3, 1.5, 1, 500), bwd=Count(2, 1.5, 0, 500),
    fwd_size=Sizes(p_zero=0.3, median=60, sigma=1.0), bwd_size=Sizes(p_zero=0.3, median=60, sigma=1.2),
    iat=50_000, flow_sigma=2.5, packet_sigma=1.5, p_idle=0.12, idle_s=30,
    win_fwd=_choices((-1, 0.45), (8192, 0.2), (29200, 0.2), (65535, 0.15)),
    win_bwd=_choices((-1, 0.5), (243, 0.2), (229, 0.15), (245, 0.15)),
    flags=dict(psh=0.26, ack=0.27, urg=0.15, syn=0.09),
)
# A benign keep-alive connection that sits idle: the look-alike of slow DoS.
KEEPALIVE = FlowType(
    ports=_choices((80, 0.5), (443, 0.5)), fwd=Count(4, 0.5, 2, 20), bwd=Count(2, 0.6, 0, 12),
    fwd_size=Sizes(p_zero=0.7, median=30, sigma=1.0), bwd_size=Sizes(p_zero=0.7, median=30, sigma=1.0),
    iat=2_000_000, flow_sigma=0.6, packet_sigma=1.0, p_idle=0.8, idle_s=10,
    win_fwd=_choices((29200, 0.5), (8192, 0.5)), win_bwd=_choices((28960, 0.4), (235, 0.6)),
    flags=dict(psh=0.3, ack=0.5),
)
BENIGN_MIX = ((DNS, 0.44), (HTTPS, 0.27), (HTTP, 0.09), (HIGH_PORT, 0.15),
              (OTHER_SERVICE, 0.03), (KEEPALIVE, 0.02))

# --- Attacks ------------------------------------------------------------------------------
WEB_SERVER_WIN = _choices((28960, 0.9), (235, 0.1))
# LOIC HTTP flood (calibrated on the genuine DDoS rows): half the flows get the whole page
# back, the other half are cut off before any answer.
DDOS_FULL = FlowType(
    ports=_choices((80, 1)), fwd=Count(choices=_choices((3, 0.6), (4, 0.3), (5, 0.1))),
    bwd=Count(choices=_choices((4, 0.45), (6, 0.4), (7, 0.15))),
    fwd_size=Sizes(choices=_choices((0, 0.34), (6, 0.33), (20, 0.33))),
    bwd_size=Sizes(choices=_choices((4380, 0.25), (5840, 0.25), (2920, 0.1), (8760, 0.1),
                                    (0, 0.3))),
    iat=300, flow_sigma=1.0, packet_sigma=2.8, p_idle=0.35, idle_s=6,
    win_fwd=_choices((8192, 1)), win_bwd=_choices((229, 1)), header=_choices((24, 1)),
    flags=dict(psh=1.0, ack=0.5),
)
DDOS_HALF = FlowType(
    ports=_choices((80, 1)), fwd=Count(choices=_choices((3, 0.5), (4, 0.3), (2, 0.2))),
    bwd=Count(choices=_choices((0, 1))), fwd_size=Sizes(choices=_choices((6, 1))),
    bwd_size=Sizes(), iat=400_000, flow_sigma=1.6, packet_sigma=1.0, p_idle=0.3, idle_s=6,
    win_fwd=_choices((256, 1)), header=_choices((20, 1)), flags=dict(),
)
# nmap SYN scan (calibrated on the genuine PortScan rows): a probe and a reset.
PORTSCAN_PROBE = FlowType(
    ports=_choices((0, 0.82), (80, 0.05), (443, 0.04), (21, 0.03), (22, 0.03), (444, 0.03)),
    fwd=Count(choices=_choices((1, 0.92), (2, 0.08))), bwd=Count(choices=_choices((1, 0.97), (0, 0.03))),
    fwd_size=Sizes(choices=_choices((2, 0.75), (0, 0.25))), bwd_size=Sizes(choices=_choices((6, 0.9), (0, 0.1))),
    iat=60, flow_sigma=0.9, packet_sigma=0.3,
    win_fwd=_choices((1024, 1)), win_bwd=_choices((0, 1)), header=_choices((24, 1)),
    flags=dict(psh=0.95),
)
PORTSCAN_CONNECT = FlowType(
    ports=_choices((80, 0.3), (22, 0.2), (21, 0.2), (443, 0.3)),
    fwd=Count(3, 0.5, 1, 10), bwd=Count(2, 0.6, 0, 9),
    fwd_size=Sizes(p_zero=0.6, median=30, sigma=1.5), bwd_size=Sizes(p_zero=0.5, median=60, sigma=1.5),
    iat=2_000, flow_sigma=2.5, packet_sigma=1.0,
    win_fwd=_choices((29200, 0.9), (251, 0.1)), win_bwd=_choices((29200, 0.5), (28960, 0.3), (227, 0.2)),
    header=_choices((32, 0.9), (40, 0.1)), flags=dict(psh=0.5, ack=0.3, urg=0.05),
)
# Selenium-driven web attacks against DVWA: the XSS and brute-force flows look alike.
WEB_ATTEMPT = FlowType(
    ports=_choices((80, 1)), fwd=Count(choices=_choices((3, 0.95), (1, 0.05))),
    bwd=Count(choices=_choices((1, 0.97), (0, 0.03))),
    fwd_size=Sizes(choices=_choices((0, 1))), bwd_size=Sizes(choices=_choices((0, 1))),
    iat=300, flow_sigma=0.5, packet_sigma=1.0, final_gap=5_400_000,
    win_fwd=_choices((29200, 1)), win_bwd=_choices((28960, 1)), header=_choices((32, 1)),
    flags=dict(psh=0.97),
)
WEB_SESSION = FlowType(
    ports=_choices((80, 1)), fwd=Count(8, 1.0, 2, 220), bwd=Count(5, 1.0, 1, 120),
    fwd_size=Sizes(p_zero=0.5, median=480, sigma=0.3), bwd_size=Sizes(p_zero=0.3, median=1200, sigma=0.8),
    iat=500_000, flow_sigma=0.7, packet_sigma=1.3,
    win_fwd=_choices((29200, 0.6), (1439, 0.4)), win_bwd=_choices((235, 0.5), (1150, 0.5)),
    header=_choices((32, 1)), flags=dict(psh=1.0, ack=0.6, urg=0.5),
)
SQLI_REQUEST = FlowType(
    ports=_choices((80, 1)), fwd=Count(choices=_choices((4, 0.6), (5, 0.3), (6, 0.1))),
    bwd=Count(choices=_choices((3, 0.4), (4, 0.5), (5, 0.1))),
    fwd_size=Sizes(p_zero=0.75, choices=_choices((460, 0.4), (599, 0.6))),
    bwd_size=Sizes(p_zero=0.6, median=1500, sigma=0.6, high=4149),
    iat=1_000, flow_sigma=0.5, packet_sigma=1.5, final_gap=5_000_000,
    win_fwd=_choices((29200, 1)), win_bwd=_choices((235, 0.5), (236, 0.5)), header=_choices((32, 1)),
    flags=dict(psh=1.0, ack=0.6, urg=0.5),
)
SQLI_ACK = FlowType(
    ports=_choices((80, 1)), fwd=Count(choices=_choices((1, 1))), bwd=Count(choices=_choices((1, 1))),
    fwd_size=Sizes(choices=_choices((0, 1))), bwd_size=Sizes(choices=_choices((0, 1))),
    iat=55, flow_sigma=0.4, packet_sigma=0.2,
    win_fwd=_choices((257, 0.5), (260, 0.5)), win_bwd=_choices((235, 1)), header=_choices((32, 1)),
)
# Patator: one login attempt per connection, server banner first.
FTP_PATATOR = FlowType(
    ports=_choices((21, 1)), fwd=Count(choices=_choices((6, 0.3), (7, 0.4), (8, 0.3))),
    bwd=Count(choices=_choices((10, 0.5), (11, 0.3), (12, 0.2))),
    fwd_size=Sizes(p_zero=0.35, median=14, sigma=0.25), bwd_size=Sizes(p_zero=0.4, median=30, sigma=0.4),
    iat=300_000, flow_sigma=0.6, packet_sigma=1.4,
    win_fwd=_choices((29200, 1)), win_bwd=_choices((227, 1)), header=_choices((32, 1)),
    flags=dict(psh=0.9, ack=0.3, fin=0.3),
)
SSH_PATATOR = FlowType(
    ports=_choices((22, 1)), fwd=Count(choices=_choices((11, 0.3), (16, 0.4), (22, 0.3))),
    bwd=Count(choices=_choices((15, 0.3), (22, 0.4), (33, 0.3))),
    fwd_size=Sizes(p_zero=0.45, median=60, sigma=0.9), bwd_size=Sizes(p_zero=0.35, median=90, sigma=1.0),
    iat=150_000, flow_sigma=0.5, packet_sigma=1.5,
    win_fwd=_choices((29200, 1)), win_bwd=_choices((247, 1)), header=_choices((32, 1)),
    flags=dict(psh=0.9, ack=0.4, fin=0.2),
)
# Slow DoS: trickle headers (slowloris) or a body (Slowhttptest) to hold the socket open.
SLOWLORIS = FlowType(
    ports=_choices((80, 1)), fwd=Count(6, 0.4, 2, 20), bwd=Count(2, 0.6, 0, 8),
    fwd_size=Sizes(p_zero=0.5, median=24, sigma=0.6), bwd_size=Sizes(p_zero=0.8, median=20, sigma=0.5),
    iat=9_000_000, flow_sigma=0.5, packet_sigma=0.6, p_idle=0.9, idle_s=15,
    win_fwd=_choices((29200, 1)), win_bwd=_choices((28960, 0.7), (235, 0.3)), header=_choices((32, 1)),
    flags=dict(psh=0.4, ack=0.4),
)
SLOWHTTPTEST = FlowType(
    ports=_choices((80, 1)), fwd=Count(4, 0.5, 1, 20), bwd=Count(1, 0.7, 0, 6),
    fwd_size=Sizes(p_zero=0.6, median=12, sigma=0.8), bwd_size=Sizes(p_zero=0.85, median=300, sigma=0.7),
    iat=12_000_000, flow_sigma=0.7, packet_sigma=0.7, p_idle=0.75, idle_s=20,
    win_fwd=_choices((29200, 0.6), (8192, 0.4)), win_bwd=_choices((28960, 0.5), (235, 0.5)),
    header=_choices((32, 1)), flags=dict(psh=0.35, ack=0.45),
)
# HTTP floods: Hulk randomises URLs, GoldenEye keeps connections alive.
HULK = FlowType(
    ports=_choices((80, 1)), fwd=Count(4, 0.6, 1, 30), bwd=Count(4, 0.7, 0, 30),
    fwd_size=Sizes(p_zero=0.6, median=350, sigma=0.3), bwd_size=Sizes(p_zero=0.5, median=1460, sigma=0.5),
    iat=8_000, flow_sigma=1.8, packet_sigma=1.6, p_idle=0.05, idle_s=6,
    win_fwd=_choices((29200, 0.5), (251, 0.5)), win_bwd=_choices((235, 1)), header=_choices((32, 1)),
    flags=dict(psh=0.7, ack=0.3, urg=0.2),
)
GOLDENEYE = FlowType(
    ports=_choices((80, 1)), fwd=Count(7, 0.4, 2, 30), bwd=Count(6, 0.4, 0, 30),
    fwd_size=Sizes(p_zero=0.6, median=420, sigma=0.3), bwd_size=Sizes(p_zero=0.45, median=1460, sigma=0.7),
    iat=1_500_000, flow_sigma=0.7, packet_sigma=1.8, p_idle=0.6, idle_s=7,
    win_fwd=_choices((29200, 1)), win_bwd=_choices((235, 0.6), (28960, 0.4)), header=_choices((32, 1)),
    flags=dict(psh=0.8, ack=0.6, urg=0.2),
)
HEARTBLEED = FlowType(
    ports=_choices((444, 1)), fwd=Count(2500, 0.3, 1000, 6000), bwd=Count(3800, 0.3, 1500, 9000),
    fwd_size=Sizes(p_zero=0.5, median=30, sigma=0.8),
    bwd_size=Sizes(p_zero=0.05, median=1460, sigma=0.1),
    iat=40_000, flow_sigma=0.2, packet_sigma=1.0,
    win_fwd=_choices((29200, 1)), win_bwd=_choices((235, 1)), header=_choices((32, 1)),
    flags=dict(psh=1.0, ack=1.0, fin=0.2),
)
# The ARES bot polls its C&C server over HTTP on 8080, as benign clients poll theirs.
BOT = FlowType(
    ports=_choices((8080, 0.7), (80, 0.3)), fwd=Count(4, 0.5, 1, 40), bwd=Count(3, 0.6, 0, 40),
    fwd_size=Sizes(p_zero=0.5, median=200, sigma=0.6), bwd_size=Sizes(p_zero=0.5, median=150, sigma=0.8),
    iat=80_000, flow_sigma=1.5, packet_sigma=1.4,
    win_fwd=_choices((8192, 0.8), (29200, 0.2)), win_bwd=_choices((237, 0.6), (29200, 0.4)),
    flags=dict(psh=0.6, ack=0.4, urg=0.1),
)
# Infiltration: a compromised internal host (meterpreter session, then internal scanning).
INFILTRATION = FlowType(
    ports=_choices((444, 0.3), (0, 0.4), (445, 0.15), (139, 0.15)),
    fwd=Count(20, 1.5, 1, 3000), bwd=Count(15, 1.5, 0, 3000),
    fwd_size=Sizes(p_zero=0.4, median=100, sigma=1.4), bwd_size=Sizes(p_zero=0.4, median=200, sigma=1.4),
    iat=200_000, flow_sigma=2.0, packet_sigma=1.5, p_idle=0.4, idle_s=12,
    win_fwd=_choices((8192, 0.5), (29200, 0.5)), win_bwd=_choices((-1, 0.3), (229, 0.7)),
    flags=dict(psh=0.5, ack=0.4, syn=0.1),
)

# label -> mixture of flow types. Attack look-alikes borrow a benign share on purpose.
TRAFFIC: dict[str, tuple[tuple[FlowType, float], ...]] = {
    "BENIGN": BENIGN_MIX,
    "FTP-Patator": ((FTP_PATATOR, 0.9), (PORTSCAN_CONNECT, 0.1)),
    "SSH-Patator": ((SSH_PATATOR, 0.95), (PORTSCAN_CONNECT, 0.05)),
    "DoS slowloris": ((SLOWLORIS, 0.85), (KEEPALIVE, 0.15)),
    "DoS Slowhttptest": ((SLOWHTTPTEST, 0.6), (SLOWLORIS, 0.25), (KEEPALIVE, 0.15)),
    "DoS Hulk": ((HULK, 0.9), (DDOS_HALF, 0.1)),
    "DoS GoldenEye": ((GOLDENEYE, 0.85), (HULK, 0.15)),
    "Heartbleed": ((HEARTBLEED, 1.0),),
    "Web Attack - Brute Force": ((WEB_ATTEMPT, 0.85), (WEB_SESSION, 0.15)),
    "Web Attack - XSS": ((WEB_ATTEMPT, 0.93), (WEB_SESSION, 0.07)),
    "Web Attack - Sql Injection": ((SQLI_REQUEST, 0.55), (SQLI_ACK, 0.45)),
    "Infiltration": ((INFILTRATION, 0.6), (HTTPS, 0.2), (HIGH_PORT, 0.2)),
    "Bot": ((BOT, 0.75), (HTTP, 0.25)),
    "PortScan": ((PORTSCAN_PROBE, 0.8), (PORTSCAN_CONNECT, 0.2)),
    "DDoS": ((DDOS_FULL, 0.55), (DDOS_HALF, 0.45)),
}
