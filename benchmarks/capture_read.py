"""Reading packet captures: nidslib.packets.capture beside dpkt and scapy, side by side in one run.

    # the comparison packages go to /tmp, never into .venv:
    .venv/bin/python -m pip install --target /tmp/capture-bench \\
        -r benchmarks/requirements-capture.txt
    .venv/bin/python benchmarks/capture_read.py                 # writes results/capture_read.csv
    .venv/bin/python benchmarks/capture_read.py --packets 200000 --no-save   # a quick try

(``--site DIR`` points at another folder of comparison packages; a tool whose package is
missing is left out and said so.) The script first writes two synthetic classic pcap files
with ``nidslib.packets.capture_write`` into ``/tmp/capture-bench-data`` (kept for the next run):

- **mixed**: ``--packets`` (2,500,000) Ethernet/IPv4/TCP packets of 5,000 connections:
  pure ACKs, SYN/SYN-ACK with options, data of 1-600 bytes and full 1,460-byte segments, so
  records have many different lengths (about 1 GB);
- **flood**: as many 54-byte SYNs from random spoofed sources, like a SYN flood capture.

Then, each in a fresh Python process that times only its own reading (interpreter start and
imports excluded) and measures its peak memory as the growth of its resident set
(``ru_maxrss``) over what it held before reading:

- ``nidslib``: ``read_packets(path)`` (1,000,000-row chunks), all columns of the table;
- ``dpkt``: ``dpkt.pcap.Reader`` and ``dpkt.ethernet.Ethernet``, the same fields into rows,
  turned into a numpy array every 1,000,000 packets;
- ``scapy``: ``PcapReader`` and layer access for the same fields, on the first
  ``--scapy-packets`` (100,000) packets only (it is slow; packets/s is what it reached);
- ``walk: ...``: only the walk over the record headers of the mixed capture's first 64 MiB,
  three ways: the plain ``struct.unpack_from`` loop, the same loop over a ``memoryview``
  cast to uint32 (four shifted casts), and nidslib's walk (``records.walk_pcap``: a walker
  per 64 KiB, started at the first offset that looks like a record header, all stepped
  together with numpy, each kept only where the exact chain from offset 0 reaches it).

and the three readers on the four genuine captures of ``$NIDSLIB_DATA/pcap`` (or
``../shared/datasets/pcap``). nidslib runs ``--repeats`` (3) times per capture (the median is
kept), the others once. NFStream is not compared: its wheel (6.6.0, cp311 manylinux) is on
PyPI, but it computes flows with its own C engine, not a packet table, so its rate would
not measure the same work.

Writes ``benchmarks/results/capture_read.csv`` (tool, capture, packets, seconds,
packets_per_s, peak_mb, machine, date) and prints a Markdown table.
"""

from __future__ import annotations

import argparse
import csv
import datetime
import json
import os
import platform
import random
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"
DATA = Path("/tmp/capture-bench-data")
SITE = "/tmp/capture-bench"
CHUNK = 1_000_000


def write_mixed(path: Path, n: int, seed: int = 0) -> None:
    """n packets of 5,000 TCP connections, with many different lengths."""
    from nidslib.packets.capture_write import Packet, write_pcap

    rng = random.Random(seed)
    conns = [(f"10.{rng.randrange(256)}.{rng.randrange(256)}.{rng.randrange(1, 255)}",
              f"192.168.{rng.randrange(256)}.{rng.randrange(1, 255)}",
              rng.randrange(1024, 65536), rng.choice((80, 443, 22, 8080))) for _ in range(5000)]
    syn_options = bytes.fromhex("020405b40402080a000000010000000001030307")
    full = bytes(1460)

    def packets():
        t = 1_499_000_000_000_000
        for _ in range(n):
            t += int(rng.expovariate(1 / 20)) + 1
            client, server, cport, sport = rng.choice(conns)
            if rng.random() < 0.5:
                client, server, cport, sport = server, client, sport, cport
            u = rng.random()
            if u < 0.4:
                flags, payload, options = 0x10, 0, b""
            elif u < 0.7:
                flags, payload, options = 0x18, rng.randrange(1, 601), b""
            elif u < 0.85:
                flags, payload, options = 0x10, full, b""
            elif u < 0.95:
                flags, payload, options = rng.choice((0x02, 0x12)), 0, syn_options
            else:
                flags, payload, options = rng.choice((0x11, 0x04)), 0, b""
            yield Packet(t, client, server, 6, cport, sport, tcp_flags=flags, payload=payload,
                         tcp_options=options, tcp_window=rng.randrange(1, 65536))

    write_pcap(path, packets(), checksums=False)


def write_flood(path: Path, n: int, seed: int = 0) -> None:
    """n 54-byte SYNs from random sources to one server."""
    from nidslib.packets.capture_write import Packet, write_pcap

    rng = random.Random(seed)

    def packets():
        t = 1_541_241_031_000_000
        for _ in range(n):
            t += rng.randrange(0, 60)
            src = ".".join(str(rng.randrange(1, 255)) for _ in range(4))
            yield Packet(t, src, "192.168.50.4", 6, rng.randrange(1024, 65536), 80,
                         tcp_flags=0x02, tcp_window=512)

    write_pcap(path, packets(), checksums=False)


TWIN_FILE = "Wednesday-workingHours.pcap_ISCX.csv"


def write_twin(path: Path, seed: int = 0) -> None:
    """The twin's Wednesday at the full profile (the DoS day, the largest file: 692,703
    rows), its packets as ``nidslib.twin`` simulates them (headers only)."""
    import numpy as np

    from nidslib.twin.simulation import label_counts, simulate_file

    simulate_file(TWIN_FILE, label_counts("full")[TWIN_FILE], np.random.default_rng(seed),
                  capture=path)


# --- one measurement, in its own process ---------------------------------------------------

def benchmark_captures(packets: int | None, twin: bool = False) -> dict[str, Path]:
    """The synthetic captures of ``packets`` packets (written when missing; none when
    ``packets`` is None), with ``twin`` the twin's full-profile Wednesday (written when
    missing, in under a minute), then the genuine ones of ``$NIDSLIB_DATA/pcap``, by name."""
    captures = {}
    if twin:
        DATA.mkdir(exist_ok=True)
        path = DATA / "twin-full-wednesday.pcap"
        if not path.exists():
            start = time.perf_counter()
            write_twin(path.with_suffix(".part"))
            path.with_suffix(".part").rename(path)
            print(f"wrote {path} ({path.stat().st_size / 2 ** 20:.0f} MiB) in "
                  f"{time.perf_counter() - start:.0f} s", flush=True)
        captures["twin, full-profile Wednesday"] = path
    for name, writer in (("mixed", write_mixed), ("flood", write_flood)) if packets else ():
        DATA.mkdir(exist_ok=True)
        path = DATA / f"{name}-{packets}.pcap"
        if not path.exists():
            start = time.perf_counter()
            writer(path.with_suffix(".part"), packets)
            path.with_suffix(".part").rename(path)
            print(f"wrote {path} ({path.stat().st_size / 2 ** 20:.0f} MiB) in "
                  f"{time.perf_counter() - start:.0f} s", flush=True)
        captures[f"synthetic {name}, {packets:,} packets"] = path
    genuine = Path(os.environ.get("NIDSLIB_DATA", ROOT.parent / "shared" / "datasets")) / "pcap"
    for path in sorted(genuine.glob("*.pcap")):
        captures[path.name] = path
    return captures


def rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2 ** 20


def read_nidslib(path: str, limit: int | None) -> int:
    from nidslib.packets.capture import read_packets

    return sum(len(table) for table in read_packets(path, CHUNK))


def read_dpkt(path: str, limit: int | None) -> int:
    import socket

    import dpkt
    import numpy as np

    count, rows = 0, []
    with open(path, "rb") as f:
        for ts, buf in dpkt.pcap.Reader(f):
            eth = dpkt.ethernet.Ethernet(buf)
            ip = eth.data
            if isinstance(ip, dpkt.ip.IP):
                ip_length, ip_header = ip.len, ip.hl * 4
                src, dst = (socket.inet_ntop(socket.AF_INET, a) for a in (ip.src, ip.dst))
            elif isinstance(ip, dpkt.ip6.IP6):
                ip_length, ip_header = ip.plen + 40, 40
                src, dst = (socket.inet_ntop(socket.AF_INET6, a) for a in (ip.src, ip.dst))
            else:
                continue
            l4 = ip.data
            if isinstance(l4, dpkt.tcp.TCP):
                rows.append((int(ts * 1e6), src, dst, l4.sport, l4.dport, 6, ip_length,
                             ip_header + l4.off * 4, l4.flags, l4.win, len(buf)))
            elif isinstance(l4, dpkt.udp.UDP):
                rows.append((int(ts * 1e6), src, dst, l4.sport, l4.dport, 17, ip_length,
                             ip_header + 8, 0, 0, len(buf)))
            if len(rows) == CHUNK:
                count += len(np.array(rows, dtype=object))
                rows.clear()
    return count + len(np.array(rows, dtype=object))


def read_scapy(path: str, limit: int | None) -> int:
    import logging

    logging.getLogger("scapy").setLevel(logging.ERROR)
    from scapy.layers.inet import IP, TCP, UDP
    from scapy.layers.inet6 import IPv6
    from scapy.utils import PcapReader

    rows = []
    with PcapReader(path) as reader:
        for i, pkt in enumerate(reader):
            if limit is not None and i >= limit:
                break
            ip = pkt[IP] if IP in pkt else pkt[IPv6] if IPv6 in pkt else None
            if ip is None:
                continue
            ip_length = ip.len if IP in pkt else ip.plen + 40
            if TCP in pkt:
                tcp = pkt[TCP]
                rows.append((int(pkt.time * 1_000_000), ip.src, ip.dst, tcp.sport, tcp.dport,
                             6, ip_length, int(tcp.flags), tcp.window, len(pkt)))
            elif UDP in pkt:
                udp = pkt[UDP]
                rows.append((int(pkt.time * 1_000_000), ip.src, ip.dst, udp.sport, udp.dport,
                             17, ip_length, 0, 0, len(pkt)))
    return len(rows)


def walk_plain(path: str, limit: int | None) -> int:
    import struct

    buf, filled = first_block(path)
    unpack, offsets = struct.Struct("<I").unpack_from, []
    append, off, last = offsets.append, 0, filled - 16
    while off <= last:
        append(off)
        off += 16 + unpack(buf, off + 8)[0]
    return len(offsets)


def walk_memoryview(path: str, limit: int | None) -> int:
    buf, filled = first_block(path)
    views = [memoryview(buf)[k:k + (len(buf) - k) // 4 * 4].cast("I") for k in range(4)]
    offsets = []
    append, off, last = offsets.append, 0, filled - 16
    while off <= last:
        append(off)
        at = off + 8
        off += 16 + views[at & 3][at >> 2]
    return len(offsets)


def walk_nidslib(path: str, limit: int | None) -> int:
    from nidslib.packets.records import walk_pcap
    from nidslib.packets.decode import Views

    buf, filled = first_block(path)
    # The synthetic captures are little-endian, microsecond, snapshot length 65,535.
    records, _, _ = walk_pcap(buf, Views(buf, "<").u32, filled, "<", False, 65535)
    return len(records)


def first_block(path: str) -> tuple[bytearray, int]:
    """The first 64 MiB of records (and 4 KiB of zeros after them), and their length."""
    with open(path, "rb") as f:
        f.seek(24)
        buf = bytearray(f.read(64 << 20))
    filled = len(buf)
    global START  # the walk's clock starts once the block is in memory
    START = time.perf_counter()
    return buf + bytearray(4096), filled


TOOLS = {"nidslib": read_nidslib, "dpkt": read_dpkt, "scapy": read_scapy,
         "walk: struct.unpack_from loop": walk_plain,
         "walk: memoryview cast loop": walk_memoryview,
         "walk: nidslib (walkers in lockstep)": walk_nidslib}
START = 0.0


def measure(tool: str, path: str, limit: int | None) -> dict:
    global START
    for module in {"dpkt": ["dpkt", "numpy"], "scapy": ["scapy.all"]}.get(tool, ["numpy"]):
        __import__(module)
    import nidslib.packets.capture  # noqa: F401  (imported before the clock for every tool)

    before = rss_mb()
    START = time.perf_counter()
    packets = TOOLS[tool](path, limit)
    seconds = time.perf_counter() - START
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"packets": packets, "seconds": seconds, "peak_mb": max(peak - before, 0.0)}


def run(tool: str, path: Path, site: str, limit: int | None = None) -> dict:
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT), site]))
    command = [sys.executable, __file__, "--measure", tool, str(path)]
    if limit is not None:
        command += ["--limit", str(limit)]
    out = subprocess.run(command, env=env, capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def available(module: str, site: str) -> bool:
    env = dict(os.environ, PYTHONPATH=site)
    return subprocess.run([sys.executable, "-c", f"import {module}"], env=env,
                          capture_output=True).returncode == 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--packets", type=int, default=2_500_000)
    parser.add_argument("--scapy-packets", type=int, default=100_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--site", default=SITE)
    parser.add_argument("--no-save", action="store_true")
    parser.add_argument("--measure", nargs=2, metavar=("TOOL", "PATH"), help=argparse.SUPPRESS)
    parser.add_argument("--limit", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(measure(args.measure[0], args.measure[1], args.limit)))
        return

    captures = benchmark_captures(args.packets)
    tools = ["nidslib"] + [t for t in ("dpkt", "scapy") if available(t, args.site)]
    missing = {"dpkt", "scapy"} - set(tools)
    if missing:
        print(f"left out (not importable from {args.site}): {', '.join(sorted(missing))}")

    rows = []
    machine = f"{platform.machine()}, {os.cpu_count()} CPUs, load {os.getloadavg()[0]:.1f}"
    today = datetime.date.today().isoformat()

    def record(tool: str, capture: str, result: dict) -> None:
        rate = result["packets"] / result["seconds"]
        rows.append({"tool": tool, "capture": capture, "packets": result["packets"],
                     "seconds": round(result["seconds"], 3), "packets_per_s": round(rate),
                     "peak_mb": round(result["peak_mb"], 1), "machine": machine, "date": today})
        print(f"{tool:34s} {capture:40s} {result['packets']:>10,} packets "
              f"{result['seconds']:8.2f} s {rate:>12,.0f} /s {result['peak_mb']:7.1f} MB",
              flush=True)

    for capture, path in captures.items():
        for tool in tools:
            limit = args.scapy_packets if tool == "scapy" else None
            runs = [run(tool, path, args.site, limit)
                    for _ in range(args.repeats if tool == "nidslib" else 1)]
            best = sorted(runs, key=lambda r: r["seconds"])[len(runs) // 2]
            record(tool, capture, best)
    mixed = captures[f"synthetic mixed, {args.packets:,} packets"]
    for tool in [t for t in TOOLS if t.startswith("walk")]:
        runs = [run(tool, mixed, args.site) for _ in range(args.repeats)]
        record(tool, "synthetic mixed, first 64 MiB", sorted(runs, key=lambda r: r["seconds"])
               [len(runs) // 2])

    print("\n| tool | capture | packets | seconds | packets/s | peak MB |\n|---|---|---:|---:|---:|---:|")
    for r in rows:
        print(f"| {r['tool']} | {r['capture']} | {r['packets']:,} | {r['seconds']:.2f} | "
              f"{r['packets_per_s']:,} | {r['peak_mb']:.0f} |")
    print(f"\nmachine: {machine}; {platform.python_version()}; {today}")
    if not args.no_save:
        RESULTS.mkdir(exist_ok=True)
        with open(RESULTS / "capture_read.csv", "w", newline="") as f:
            writer = csv.DictWriter(f, fieldnames=list(rows[0]))
            writer.writeheader()
            writer.writerows(rows)
        print(f"wrote {RESULTS / 'capture_read.csv'}")


if __name__ == "__main__":
    main()
