"""From a capture file to flow features: nidslib beside NFStream and a dpkt flow table, in one run.

    # the comparison packages go to /tmp, never into .venv:
    .venv/bin/python -m pip install --target /tmp/flow-bench -r benchmarks/requirements-flows.txt
    .venv/bin/python benchmarks/flows.py                  # writes results/flows.csv
    .venv/bin/python benchmarks/flows.py --no-save --skip-synthetic   # the genuine captures only

Captures: the two synthetic 2.5 M-packet captures of ``benchmarks/capture_read.py`` (written
there, into ``/tmp/capture-bench-data``, when missing: *mixed*, 5,000 TCP connections of
many packet lengths with FINs and RSTs; *flood*, SYNs from random spoofed sources, one
packet per flow), the twin's own capture of its full-profile Wednesday (the DoS day, its
largest file; written there too, in under a minute), and the four genuine captures of
``$NIDSLIB_DATA/pcap``. Tools, each in a fresh Python process that times only its own work
(imports excluded) and measures its peak memory as the growth of its resident set over what
it held before:

- ``nidslib``: ``stream_flows(read_packets(path))`` and ``features_from_flows`` on each part:
  the original CICFlowMeter's flows and all 77 CICIDS2017 features;
- ``nidslib flows (CLI, CSV)``: the same, plus the TrafficLabelling CSV written;
- ``nidslib detect (CLI, alerts)``: packets to alerts end to end: the shipped model loaded
  and run on every flow, alerts written as JSON lines;
- ``NFStream``: ``NFStreamer(source=path, statistical_analysis=True, n_dissections=0)``
  to a pandas frame: its C engine, its own flow rules (timeouts, no FIN rule) and its own
  ~80 statistics, so the same kind of work, not the same flows;
- ``dpkt + dict``: what a reader would write by hand: ``dpkt`` parses each packet and a
  Python dict keyed by the bidirectional 5-tuple keeps packets, bytes, first and last time
  per flow (four features, no flow rules); on the first ``--dpkt-packets`` (500,000)
  packets of a capture.

The Python port of CICFlowMeter (``cicflowmeter`` 0.2.0, the newest on this project's
registry; it needs libpcap and tcpdump) wrote an empty CSV for every genuine capture here,
so it is not in the table. The nidslib tools run ``--repeats`` (3) times per capture, each
in a fresh process, and the median is kept; the others once. Writes
``benchmarks/results/flows.csv`` and prints a Markdown table.
"""

from __future__ import annotations

import argparse
import csv
import datetime
import json
import os
import platform
import resource
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import capture_read  # noqa: E402  (the synthetic captures and the memory probe)

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"
SITE = "/tmp/flow-bench"


def flows_nidslib(path: str, limit: int | None) -> tuple[int, int]:
    from nidslib.packets.capture import read_packets
    from nidslib.packets.flowmeter import features_from_flows
    from nidslib.packets.flows import stream_flows

    reader = read_packets(path)
    flows = 0
    for part in stream_flows(reader):
        features_from_flows(part)
        flows += part.n_flows
    return reader.report.packets_read, flows


def _cli(arguments: list[str]) -> tuple[int, int]:
    """Run the ``nidslib`` command line; the packets and flows of its summary line."""
    import contextlib
    import io
    import re

    from nidslib import cli

    summary = io.StringIO()
    with contextlib.redirect_stderr(summary):
        assert cli.main(arguments) == 0
    packets, flows = re.search(r"([\d,]+) packets, ([\d,]+) flows", summary.getvalue()).groups()
    return int(packets.replace(",", "")), int(flows.replace(",", ""))


def flows_cli(path: str, limit: int | None) -> tuple[int, int]:
    return _cli(["flows", path, "-o", "/tmp/flow-bench-out.csv"])


def flows_detect(path: str, limit: int | None) -> tuple[int, int]:
    return _cli(["detect", path, "-o", "/tmp/flow-bench-alerts.jsonl"])


def flows_nfstream(path: str, limit: int | None) -> tuple[int, int]:
    from nfstream import NFStreamer

    frame = NFStreamer(source=path, statistical_analysis=True, n_dissections=0).to_pandas()
    return int(frame["bidirectional_packets"].sum()), len(frame)


def flows_dpkt(path: str, limit: int | None) -> tuple[int, int]:
    import dpkt

    table, packets = {}, 0
    with open(path, "rb") as f:
        for ts, buf in dpkt.pcap.Reader(f):
            if limit is not None and packets >= limit:
                break
            packets += 1
            ip = dpkt.ethernet.Ethernet(buf).data
            if not isinstance(ip, dpkt.ip.IP) or not isinstance(ip.data, (dpkt.tcp.TCP,
                                                                          dpkt.udp.UDP)):
                continue
            a, b = (ip.src, ip.data.sport), (ip.dst, ip.data.dport)
            key = (a, b, ip.p) if a <= b else (b, a, ip.p)
            row = table.get(key)
            if row is None:
                table[key] = [1, ip.len, ts, ts]
            else:
                row[0] += 1
                row[1] += ip.len
                row[3] = ts
    return packets, len(table)


TOOLS = {"nidslib": flows_nidslib, "nidslib flows (CLI, CSV)": flows_cli,
         "nidslib detect (CLI, alerts)": flows_detect,
         "NFStream": flows_nfstream, "dpkt + dict": flows_dpkt}


def measure(tool: str, path: str, limit: int | None) -> dict:
    for module in {"NFStream": ["nfstream"], "dpkt + dict": ["dpkt"]}.get(tool, []):
        __import__(module)
    import nidslib.cli  # noqa: F401  (imported before the clock for every tool)
    import nidslib.packets.flowmeter  # noqa: F401  (the same for the library call)
    if tool.startswith("nidslib detect"):  # the runtime imported; loading the model is timed
        import onnxruntime  # noqa: F401

    before = capture_read.rss_mb()
    start = time.perf_counter()
    packets, flows = TOOLS[tool](path, limit)
    seconds = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"packets": packets, "flows": flows, "seconds": seconds,
            "peak_mb": max(peak - before, 0.0)}


def run(tool: str, path: Path, site: str, limit: int | None) -> dict:
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT), site]))
    command = [sys.executable, __file__, "--measure", tool, str(path)]
    if limit is not None:
        command += ["--limit", str(limit)]
    out = subprocess.run(command, env=env, capture_output=True, text=True)
    if out.returncode:
        return {"error": (out.stderr.strip().splitlines() or ["failed"])[-1]}
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--packets", type=int, default=2_500_000)
    parser.add_argument("--dpkt-packets", type=int, default=500_000)
    parser.add_argument("--site", default=SITE)
    parser.add_argument("--skip-synthetic", action="store_true")
    parser.add_argument("--no-save", action="store_true")
    parser.add_argument("--repeats", type=int, default=3,
                        help="runs of each nidslib tool per capture; the median is kept")
    parser.add_argument("--measure", nargs=2, metavar=("TOOL", "PATH"), help=argparse.SUPPRESS)
    parser.add_argument("--limit", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(measure(args.measure[0], args.measure[1], args.limit)))
        return

    captures = capture_read.benchmark_captures(None if args.skip_synthetic else args.packets,
                                               twin=not args.skip_synthetic)

    machine = f"{platform.machine()}, {os.cpu_count()} CPUs, load {os.getloadavg()[0]:.1f}"
    today = datetime.date.today().isoformat()
    rows = []
    for capture, path in captures.items():
        for tool in TOOLS:
            limit = args.dpkt_packets if tool == "dpkt + dict" else None
            repeats = args.repeats if tool.startswith("nidslib") else 1
            results = [run(tool, path, args.site, limit) for _ in range(repeats)]
            result = sorted(results, key=lambda r: r.get("seconds", 0))[len(results) // 2]
            if "error" in result:
                print(f"{tool:26s} {capture:40s} left out: {result['error']}", flush=True)
                continue
            rate = result["packets"] / result["seconds"]
            rows.append({"tool": tool, "capture": capture, "packets": result["packets"],
                         "flows": result["flows"], "seconds": round(result["seconds"], 3),
                         "packets_per_s": round(rate), "peak_mb": round(result["peak_mb"], 1),
                         "machine": machine, "date": today})
            print(f"{tool:26s} {capture:40s} {result['packets']:>10,} packets "
                  f"{result['flows']:>8,} flows {result['seconds']:7.2f} s {rate:>11,.0f} /s "
                  f"{result['peak_mb']:7.1f} MB", flush=True)

    print("\n| tool | capture | packets | flows | seconds | packets/s | peak MB |\n"
          "|---|---|---:|---:|---:|---:|---:|")
    for r in rows:
        print(f"| {r['tool']} | {r['capture']} | {r['packets']:,} | {r['flows']:,} | "
              f"{r['seconds']:.2f} | {r['packets_per_s']:,} | {r['peak_mb']:.0f} |")
    if not args.no_save:
        RESULTS.mkdir(exist_ok=True)
        with open(RESULTS / "flows.csv", "w", newline="") as f:
            writer = csv.DictWriter(f, fieldnames=list(rows[0]))
            writer.writeheader()
            writer.writerows(rows)


if __name__ == "__main__":
    main()
