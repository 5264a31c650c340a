"""How close is the twin to the genuine CICIDS2017 rows? Per class, two measures.

    .venv/bin/python benchmarks/twin_fidelity.py
    .venv/bin/python benchmarks/twin_fidelity.py --genuine ../shared/datasets/cicids2017

The genuine rows are those of ``shared/datasets/cicids2017`` (read by
:func:`nidslib.twin.fidelity.load_genuine_rows`): 9,998 benign flows (the head of the Friday
DDoS file), 1,000 DDoS, 1,000 PortScan, 652 XSS and 21 SQL injection flows. The twin is the
small profile (seed 0) as simulated, before it is written to CSV. Per genuine class:

- ``median_ks``: the median over the features that vary of the two-sample KS distance
  between the twin's flows of that class and the genuine ones (0 = same distribution);
- ``recall`` / ``family_recall``: a random forest trained on the whole twin (every class,
  every flow, seed 0) labels the genuine rows; the share it gets right, exactly or within
  the family (XSS called web brute force counts for the family).

Writes ``nidslib/recorded/twin_fidelity.csv`` (chapter 1 shows it) and prints the table for the README.

With ``--corrected``, the genuine rows are instead the random samples of the *corrected*
CICIDS2017 release in ``improved_rnd2500/`` (Engelen et al., WTMC 2021; up to 2,500 rows per
class, every class), read by :func:`load_corrected_rows`, and every one of the 15 classes is
measured; written to ``nidslib/recorded/twin_fidelity_corrected.csv``. That release was
made by a repaired CICFlowMeter (flows not ended by the first FIN, RST handled), so its
feature values are close to, not equal to, the original tool's: the distances say how far
the twin's *behaviour* of each class is from the genuine one, the starting point of its
calibration, not a tolerance any row must meet.
"""

from __future__ import annotations

import argparse
import datetime
import os
import time
from pathlib import Path

import pandas as pd

from nidslib import reproducibility
from nidslib.twin import fidelity, simulation

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "datasets" / "cicids2017"


def twin_flows(profile: str = "small", seed: int = 0) -> pd.DataFrame:
    """The twin's week as one frame of the 77 features and ``label``."""
    frames = [frame for _name, _day, frame in simulation.simulate_week(profile, seed)]
    return pd.concat(frames, ignore_index=True).rename(columns={"Label": "label"})


# The corrected release's column names where they differ from CICIDS2017's (as snake_case),
# and its labels where they differ from the original 15 (its "Infiltration - Portscan" rows
# were BENIGN in the original labelling, so they are measured under that name).
CORRECTED_COLUMNS = {
    "dst_port": "destination_port", "total_fwd_packet": "total_fwd_packets",
    "total_bwd_packets": "total_backward_packets",
    "total_length_of_fwd_packet": "total_length_of_fwd_packets",
    "total_length_of_bwd_packet": "total_length_of_bwd_packets",
    "packet_length_min": "min_packet_length", "packet_length_max": "max_packet_length",
    "cwr_flag_count": "cwe_flag_count", "fwd_segment_size_avg": "avg_fwd_segment_size",
    "bwd_segment_size_avg": "avg_bwd_segment_size",
    "fwd_bytes_per_bulk_avg": "fwd_avg_bytes_per_bulk",
    "fwd_packet_per_bulk_avg": "fwd_avg_packets_per_bulk",
    "fwd_bulk_rate_avg": "fwd_avg_bulk_rate", "bwd_bytes_per_bulk_avg": "bwd_avg_bytes_per_bulk",
    "bwd_packet_per_bulk_avg": "bwd_avg_packets_per_bulk",
    "bwd_bulk_rate_avg": "bwd_avg_bulk_rate", "fwd_init_win_bytes": "init_win_bytes_forward",
    "bwd_init_win_bytes": "init_win_bytes_backward", "fwd_act_data_pkts": "act_data_pkt_fwd",
    "fwd_seg_size_min": "min_seg_size_forward"}
CORRECTED_LABELS = {"Botnet": "Bot", "DoS Slowloris": "DoS slowloris", "Portscan": "PortScan",
                    "Web Attack - SQL Injection": "Web Attack - Sql Injection",
                    "Infiltration - Portscan": "Infiltration - Portscan"}


def load_corrected_rows(folder: Path) -> pd.DataFrame:
    """The ``improved_rnd2500`` samples as one canonical frame (77 features and ``label``,
    the original label names); raises if a file lacks one of the features."""
    from nidslib.data import schema

    frames = []
    for path in sorted(folder.glob("*.csv")):
        frame = pd.read_csv(path)
        frame.columns = [CORRECTED_COLUMNS.get(c, c)
                         for c in (schema.snake_case(name) for name in frame.columns)]
        missing = [f for f in schema.FEATURES if f not in frame.columns]
        if missing:
            raise ValueError(f"{path}: columns missing after renaming: {missing}")
        frame["label"] = frame["label"].replace(CORRECTED_LABELS)
        frames.append(frame[[*schema.FEATURES, "label"]])
    return pd.concat(frames, ignore_index=True)


def measure(twin: pd.DataFrame, genuine: pd.DataFrame, seed: int = 0,
            classes=("BENIGN", "DDoS", "PortScan", "Web Attack - XSS",
                     "Web Attack - Sql Injection")) -> pd.DataFrame:
    ks = fidelity.ks_by_class(twin, genuine)
    recall = fidelity.transfer_recall(twin, genuine, seed=seed)
    table = ks.join(recall.drop(columns="genuine_rows"))
    return table.loc[[c for c in classes if c in table.index]]


def markdown(table: pd.DataFrame) -> str:
    lines = ["| class | genuine flows | twin flows | median KS | worst feature (KS) | "
             "recall | family recall | most often called |",
             "|---|---:|---:|---:|---|---:|---:|---|"]
    for label, r in table.iterrows():
        lines.append(f"| {label} | {r.genuine_rows:,} | {r.twin_rows:,} | {r.median_ks:.3f} | "
                     f"{r.worst_feature} ({r.worst_ks:.2f}) | {r.recall:.3f} | "
                     f"{r.family_recall:.3f} | {r.most_often_called} |")
    return "\n".join(lines)


def main() -> None:
    default = (Path(os.environ["NIDSLIB_DATA"]) / "cicids2017"
               if os.environ.get("NIDSLIB_DATA") else SHARED)
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--genuine", type=Path, default=default,
                        help="folder holding friday_ddos_head/ and mondirkb_trafficlabelling/")
    parser.add_argument("--seed", type=int, default=0, help="seed of the twin and the forest")
    parser.add_argument("--corrected", action="store_true",
                        help="measure every class against --genuine's improved_rnd2500/")
    args = parser.parse_args()

    start = time.perf_counter()
    twin = twin_flows("small", args.seed)
    if args.corrected:
        from nidslib.data import schema

        genuine = load_corrected_rows(args.genuine / "improved_rnd2500")
        genuine = genuine[genuine["label"].isin(schema.LABELS)]  # no twin class to compare
        table = measure(twin, genuine, seed=args.seed, classes=schema.LABELS)
        name = "twin_fidelity_corrected.csv"
    else:
        table = measure(twin, fidelity.load_genuine_rows(args.genuine), seed=args.seed)
        name = "twin_fidelity.csv"
    table.round(4).to_csv(reproducibility.RECORDED / name)
    print(f"{datetime.date.today()}; twin: small profile, seed {args.seed}; genuine rows: "
          f"{args.genuine}; {time.perf_counter() - start:.0f} s\n")
    print(markdown(table))


if __name__ == "__main__":
    main()
