"""The ``nidslib`` command: from a packet capture to CICFlowMeter flows, and to alerts.

Chapter 9 (From packets to alerts, in preparation)::

    nidslib flows CAPTURE -o FLOWS.csv
    nidslib detect CAPTURE [-m MODEL.onnx] [-o ALERTS.jsonl]

Both read a pcap or pcapng file (:mod:`nidslib.packets.capture`; ``--count-padding``
counts short Ethernet frames' padding as payload, as the original tool did), build flows by the
original CICFlowMeter's rules as the capture is read (:mod:`nidslib.packets.flows`) and
compute their 77 features with the code the twin uses (:mod:`nidslib.packets.flowmeter`).
``flows`` writes CICIDS2017's TrafficLabelling CSV (:mod:`nidslib.packets.flowcsv`);
``detect`` scores each flow with an ONNX model (the one shipped in the package by default,
:mod:`nidslib.serving`) and writes one JSON line per alert, to stdout when no ``-o`` is
given. Progress goes to stderr while reading, when stderr is a terminal (one line per chunk
of a million packets), then a one-line summary: packets, flows, alerts, seconds, packets/s.
Bad input (a missing file, a file that is not a capture, a model without its card) ends
with exit code 2 and a one-line message, no traceback.

Example
-------
>>> main(["flows", "no-such-file.pcap", "-o", "flows.csv"])  # stderr: "nidslib: ...: no such file"
2
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

from nidslib.packets import flowcsv, flowmeter
from nidslib.packets.capture import CaptureFormatError, read_packets
from nidslib.packets.flows import FlowReport, stream_flows
from nidslib.serving import Detector, alerts

__all__ = ["main"]


UDP_HEADER_HELP = ("write a UDP packet's header length as the last TCP packet's, as the "
                   "CICFlowMeter that made CICIDS2017 did; the twin's captures need it too")
PADDING_HELP = ("count the padding of short Ethernet frames as payload, as the original "
                "CICFlowMeter's rows show it did; the twin's captures need it to give back "
                "the twin's rows")


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
    flows.add_argument("--count-padding", action="store_true", help=PADDING_HELP)
    flows.add_argument("--udp-header-from-tcp", action="store_true", help=UDP_HEADER_HELP)
    detect = commands.add_parser(
        "detect", help="score each flow of a capture and write alerts as JSON lines",
        description="Build flows as 'nidslib flows' does, score them with an ONNX model and "
                    "write one JSON line per flow whose most likely class is not benign.")
    detect.add_argument("capture", type=Path, help="a pcap or pcapng file")
    detect.add_argument("-m", "--model", type=Path,
                        help="an .onnx model with its .json card beside it (default: the "
                             "model shipped with nidslib)")
    detect.add_argument("-o", "--output", type=Path,
                        help="the JSON-lines file to write (default: standard output)")
    detect.add_argument("--ipv6", action="store_true",
                        help="also build IPv6 flows (the 2017 tool read IPv4 only)")
    detect.add_argument("--count-padding", action="store_true", help=PADDING_HELP)
    detect.add_argument("--udp-header-from-tcp", action="store_true", help=UDP_HEADER_HELP)
    return parser


def _read_flows(args, say):
    """The capture's flows, part by part as they finish, the reader and the flow report
    (for what was left out)."""
    if not args.capture.is_file():
        raise FileNotFoundError(f"{args.capture}: no such file")
    reader = read_packets(args.capture, padding_as_payload=args.count_padding)

    def chunks():  # progress after each chunk of a million packets
        for chunk in reader:
            yield chunk
            say(f"nidslib: {args.capture}: {reader.report.packets_read:,} packets read")

    report = FlowReport()  # counts what is left out, even if no flow comes out
    return stream_flows(chunks(), ipv6=args.ipv6, udp_header_from_tcp=args.udp_header_from_tcp,
                        report=report), reader, report


def _left_out(reader, report) -> str:
    left_out = {k: v for k, v in reader.report.skipped.items() if v}
    if report.ipv6_packets:
        left_out["ipv6"] = report.ipv6_packets
    if report.one_packet_flows:
        left_out["one-packet flows"] = report.one_packet_flows
    return f" (left out: {', '.join(f'{k} {v:,}' for k, v in left_out.items())})" if left_out else ""


def _flows(args, say) -> str:
    started = time.perf_counter()
    parts, reader, report = _read_flows(args, say)

    def frames():
        for flows in parts:
            yield flowcsv.flows_frame(flows, flowmeter.features_from_flows(flows))

    n_flows = flowcsv.write_flows_csv(args.output, frames())
    seconds = time.perf_counter() - started
    packets = reader.report.packets_read
    return (f"nidslib flows: {packets:,} packets, {n_flows:,} flows, {seconds:.1f} s, "
            f"{packets / max(seconds, 1e-9):,.0f} packets/s{_left_out(reader, report)} "
            f"-> {args.output}")


def _detect(args, say) -> str:
    started = time.perf_counter()
    detector = Detector(args.model) if args.model else Detector.default()
    parts, reader, report = _read_flows(args, say)
    n_flows, n_alerts, unscored = 0, 0, 0
    out = open(args.output, "w") if args.output else sys.stdout
    try:
        for flows in parts:
            scores = detector.score(flowmeter.features_from_flows(flows))
            unscored += int(np.isnan(scores).any(axis=1).sum())
            raised = alerts(flows, scores, detector.classes, detector.benign)
            out.writelines(json.dumps(a) + "\n" for a in raised)
            out.flush()
            n_flows, n_alerts = n_flows + flows.n_flows, n_alerts + len(raised)
    finally:
        if args.output:
            out.close()
    seconds = time.perf_counter() - started
    packets = reader.report.packets_read
    note = f", {unscored:,} not scored (non-finite features)" if unscored else ""
    return (f"nidslib detect: {packets:,} packets, {n_flows:,} flows, {n_alerts:,} alerts"
            f"{note}, {seconds:.1f} s, {packets / max(seconds, 1e-9):,.0f} packets/s"
            f"{_left_out(reader, report)} -> {args.output or 'stdout'}")


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
        summary = (_flows if args.command == "flows" else _detect)(args, say)
    except (CaptureFormatError, FileNotFoundError, IsADirectoryError, PermissionError,
            ValueError) as error:
        print(f"nidslib: {error}", file=sys.stderr)
        return 2
    print(summary, file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
