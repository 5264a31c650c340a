"""The ``nidslib`` command: from a packet capture to CICFlowMeter flows.

Chapter 9 (From packets to alerts, in preparation)::

    nidslib flows CAPTURE -o FLOWS.csv

reads a pcap or pcapng file (:mod:`nidslib.packets.capture`), builds flows by the original
CICFlowMeter's rules (:mod:`nidslib.packets.flows`), computes their 77 features with the code
the twin uses (:mod:`nidslib.packets.flowmeter`) and writes CICIDS2017's TrafficLabelling CSV
(:mod:`nidslib.packets.flowcsv`). Progress goes to stderr while reading (one line per chunk
of a million packets), then a one-line summary: packets, flows, seconds, packets/s. Bad
input (a missing file, a file that is not a capture) ends with exit code 2 and a one-line
message, no traceback.

Example
-------
>>> main(["flows", "no-such-file.pcap", "-o", "flows.csv"])  # stderr: "nidslib: ...: no such file"
2
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from nidslib.packets import flowcsv, flowmeter
from nidslib.packets.capture import CaptureFormatError, read_packets
from nidslib.packets.flows import stream_flows

__all__ = ["main"]


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="nidslib", description=__doc__.split("\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    flows = commands.add_parser(
        "flows", help="build CICFlowMeter flows from a capture and write them as CSV",
        description="Build flows by the original CICFlowMeter's rules and write them in "
                    "CICIDS2017's TrafficLabelling format.")
    flows.add_argument("capture", type=Path, help="a pcap or pcapng file")
    flows.add_argument("-o", "--output", type=Path, required=True, help="the CSV to write")
    flows.add_argument("--ipv6", action="store_true",
                       help="also build IPv6 flows (the 2017 tool read IPv4 only)")
    return parser


def _flows(args, say) -> str:
    started = time.perf_counter()
    if not args.capture.is_file():
        raise FileNotFoundError(f"{args.capture}: no such file")
    reader = read_packets(args.capture)

    def chunks():  # progress after each chunk of a million packets
        for chunk in reader:
            yield chunk
            say(f"nidslib: {args.capture}: {reader.report.packets_read:,} packets read")

    parts = stream_flows(chunks(), ipv6=args.ipv6)
    report = None

    def frames():
        nonlocal report
        for flows in parts:
            report = flows.report
            yield flowcsv.flows_frame(flows, flowmeter.features_from_flows(flows))

    n_flows = flowcsv.write_flows_csv(args.output, frames())
    seconds = time.perf_counter() - started
    left_out = {k: v for k, v in reader.report.skipped.items() if v}
    if report is not None and report.ipv6_packets:
        left_out["ipv6"] = report.ipv6_packets
    if report is not None and report.one_packet_flows:
        left_out["one-packet flows"] = report.one_packet_flows
    notes = f" (left out: {', '.join(f'{k} {v:,}' for k, v in left_out.items())})" if left_out else ""
    packets = reader.report.packets_read
    return (f"nidslib flows: {packets:,} packets, {n_flows:,} flows, {seconds:.1f} s, "
            f"{packets / max(seconds, 1e-9):,.0f} packets/s{notes} -> {args.output}")


def main(argv=None) -> int:
    """Run the ``nidslib`` command.

    Parameters
    ----------
    argv : list of str, optional
        The arguments; ``sys.argv[1:]`` by default.

    Returns
    -------
    int
        0 on success, 2 on bad input (the message printed, no traceback).
    """
    args = _parser().parse_args(argv)
    say = (lambda line: print(line, file=sys.stderr)) if sys.stderr.isatty() else (lambda _: None)
    try:
        summary = _flows(args, say)
    except (CaptureFormatError, FileNotFoundError, IsADirectoryError, PermissionError) as error:
        print(f"nidslib: {error}", file=sys.stderr)
        return 2
    print(summary, file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
