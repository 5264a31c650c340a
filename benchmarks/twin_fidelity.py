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

Writes ``benchmarks/results/twin_fidelity.csv`` and prints the table for the README.
"""

from __future__ import annotations

import argparse
import datetime
import os
import time
from pathlib import Path

import pandas as pd

from nidslib.twin import fidelity, simulation

RESULTS = Path(__file__).resolve().parent / "results"
SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "datasets" / "cicids2017"


def twin_flows(profile: str = "small", seed: int = 0) -> pd.DataFrame:
    """The twin's week as one frame of the 77 features and ``label``."""
    frames = [frame for _name, _day, frame in simulation.simulate_week(profile, seed)]
    return pd.concat(frames, ignore_index=True).rename(columns={"Label": "label"})


def measure(twin: pd.DataFrame, genuine: pd.DataFrame, seed: int = 0) -> pd.DataFrame:
    ks = fidelity.ks_by_class(twin, genuine)
    recall = fidelity.transfer_recall(twin, genuine, seed=seed)
    table = ks.join(recall.drop(columns="genuine_rows"))
    return table.loc[[c for c in ("BENIGN", "DDoS", "PortScan", "Web Attack - XSS",
                                  "Web Attack - Sql Injection") if c in table.index]]


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
    args = parser.parse_args()

    start = time.perf_counter()
    genuine = fidelity.load_genuine_rows(args.genuine)
    table = measure(twin_flows("small", args.seed), genuine, seed=args.seed)
    RESULTS.mkdir(exist_ok=True)
    table.round(4).to_csv(RESULTS / "twin_fidelity.csv")
    print(f"{datetime.date.today()}; twin: small profile, seed {args.seed}; genuine rows: "
          f"{args.genuine}; {time.perf_counter() - start:.0f} s\n")
    print(markdown(table))


if __name__ == "__main__":
    main()
