"""How the twin paces a connection's packets, beside the genuine rows: per class, the share
of a flow's duration that its longest gap takes.

    .venv/bin/python benchmarks/twin_timing.py     # writes results/twin_timing.csv

Two comparisons, each between rows of one meter. The repaired meter (one row per
connection): the corrected release's samples in ``improved_rnd2500/``
(:func:`nidslib.twin.fidelity.load_corrected_rows`) beside the twin's small week, seed 0,
as the corrected release would have it (:func:`nidslib.twin.fidelity.corrected_twin`). The
original meter (flows cut at the first FIN): the genuine rows of ``friday_ddos_head`` and
``mondirkb_trafficlabelling`` (:func:`nidslib.twin.fidelity.load_genuine_rows`) beside the
twin's week as written (:func:`nidslib.twin.fidelity.twin_flows`).
Per class: :func:`nidslib.twin.fidelity.time_concentration` (percent; flows of 4 packets or
more that last longer than zero) at the 10th, 50th and 90th percentiles. The twin draws a
connection's gaps from one pace per flow; where the genuine connections spend their time in
one wait between bursts, the twin's longest gap takes a smaller share.
"""

from __future__ import annotations

import argparse
import datetime
import os
from pathlib import Path

import pandas as pd

from nidslib.twin import fidelity

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "datasets" / "cicids2017"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--genuine", type=Path,
                        default=Path(os.environ.get("NIDSLIB_DATA", SHARED.parent)) / "cicids2017")
    parser.add_argument("--no-save", action="store_true")
    args = parser.parse_args()

    tables = []
    for meter, genuine_rows, twin_rows in (
            ("repaired", fidelity.load_corrected_rows(args.genuine / "improved_rnd2500"),
             fidelity.corrected_twin()),
            ("original", fidelity.load_genuine_rows(args.genuine), fidelity.twin_flows())):
        genuine = fidelity.time_concentration(genuine_rows)
        twin = fidelity.time_concentration(twin_rows)
        table = genuine.add_suffix("_genuine").join(twin.add_suffix("_twin"), how="inner")
        table["median_gap"] = (table["p50_genuine"] - table["p50_twin"]).round(2)
        table = table.sort_values("median_gap", ascending=False)
        print(f"\nRows of the {meter} meter\n\n"
              "| class | genuine flows | genuine p10 / p50 / p90 | twin flows "
              "| twin p10 / p50 / p90 | p50 genuine - twin |\n|---|---:|---|---:|---|---:|")
        for name, r in table.iterrows():
            print(f"| {name} | {r['flows_genuine']:,.0f} | {r['p10_genuine']:.0f} / "
                  f"{r['p50_genuine']:.0f} / {r['p90_genuine']:.0f} | "
                  f"{r['flows_twin']:,.0f} | {r['p10_twin']:.0f} / {r['p50_twin']:.0f} / "
                  f"{r['p90_twin']:.0f} | {r['median_gap']:+.0f} |")
        tables.append(table.assign(meter=meter))
    if not args.no_save:
        (ROOT / "benchmarks" / "results").mkdir(exist_ok=True)
        pd.concat(tables).assign(date=datetime.date.today().isoformat()).to_csv(
            ROOT / "benchmarks" / "results" / "twin_timing.csv", index_label="class")


if __name__ == "__main__":
    main()
