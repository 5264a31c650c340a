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

- ``separation_twin`` / ``separation_genuine`` (DDoS and PortScan): how unusual the class
  is beside the benign rows of the same capture, for a detector that learnt only benign
  traffic (:func:`nidslib.twin.fidelity.benign_separation`, the ROC-AUC of an Isolation
  Forest; 0.5 = looks benign). The genuine side uses the head of the Friday DDoS file as its
  benign rows; the twin's side, the benign rows of the twin's file of that attack. Crossed,
  to say which side of the twin makes a gap: ``separation_twin_attack`` (the twin's attack
  beside the genuine benign rows) and ``separation_twin_benign`` (the genuine attack beside
  the twin's benign rows).

Writes ``nidslib/recorded/twin_fidelity.csv`` (chapter 1 shows it) and prints the table for the README.

With ``--corrected``, the genuine rows are instead the random samples of the *corrected*
CICIDS2017 release in ``improved_rnd2500/`` (Engelen et al., WTMC 2021; up to 2,500 rows per
class, every class), read by :func:`nidslib.twin.fidelity.load_corrected_rows`, and every
one of the 15 classes is measured: the two measures above, and both ways
(:func:`nidslib.twin.fidelity.both_ways`): the twin-trained forest on the genuine rows, a
genuine-trained forest on the twin's rows, the genuine ceiling (5-fold
cross-validation on the genuine rows) and the twin's (the same, on the twin's rows with each
class cut to the genuine sample's size), on the features whose meaning both meters share
(:data:`nidslib.twin.fidelity.COMPARABLE`). Written to
``nidslib/recorded/twin_fidelity_corrected.csv``. That release was made by a repaired
CICFlowMeter (flows not ended by the first FIN, RST handled), so its feature values are
close to, not equal to, the original tool's. How unusual each class is beside the benign
rows of the whole week, on the same shared features (Isolation Forest ROC-AUC, as above):
``separation_genuine`` on the corrected release's rows, ``separation_twin`` on the twin's
rows written by the same repaired meter, and ``separation_twin_original`` on the twin's
rows as the original meter writes them (its original labels): the same traffic, so the
last two differ by the meter alone.
"""

from __future__ import annotations

import argparse
import datetime
import os
import time
from pathlib import Path

import numpy as np
import pandas as pd

from nidslib import reproducibility
from nidslib.data import schema
from nidslib.twin import fidelity

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "datasets" / "cicids2017"


def measure(twin: pd.DataFrame, genuine: pd.DataFrame, seed: int = 0,
            classes=("BENIGN", "DDoS", "PortScan", "Web Attack - XSS",
                     "Web Attack - Sql Injection")) -> pd.DataFrame:
    ks = fidelity.ks_by_class(twin, genuine)
    recall = fidelity.transfer_recall(twin, genuine, seed=seed)
    table = ks.join(recall.drop(columns="genuine_rows"))
    return table.loc[[c for c in classes if c in table.index]]


# Columns of the printed tables: heading, cell format (``r`` is the class's row), numeric.
TWO_MEASURES = [("genuine flows", "{r.genuine_rows:,}", True), ("twin flows", "{r.twin_rows:,}", True),
                ("median KS", "{r.median_ks:.3f}", True),
                ("worst feature (KS)", "{r.worst_feature} ({r.worst_ks:.2f})", False),
                ("recall", "{r.recall:.3f}", True), ("family recall", "{r.family_recall:.3f}", True),
                ("most often called", "{r.most_often_called}", False)]
BOTH_WAYS = [*TWO_MEASURES[:3], ("twin → genuine recall", "{r.twin_to_genuine:.3f}", True),
             ("(family)", "{r.twin_to_genuine_family:.3f}", True),
             ("genuine → twin recall", "{r.genuine_to_twin:.3f}", True),
             ("genuine ceiling", "{r.ceiling:.3f}", True),
             ("twin ceiling", "{r.twin_ceiling:.3f}", True)]

BY_METER = [("genuine (repaired meter)", "{r.separation_genuine:.3f}", True),
            ("twin, repaired meter", "{r.separation_twin:.3f}", True),
            ("twin, original meter", "{r.separation_twin_original:.3f}", True)]
SEPARATION = [("twin", "{r.separation_twin:.3f}", True),
              ("genuine", "{r.separation_genuine:.3f}", True),
              ("twin attack, genuine benign", "{r.separation_twin_attack:.3f}", True),
              ("genuine attack, twin benign", "{r.separation_twin_benign:.3f}", True)]


def markdown(table: pd.DataFrame, columns=TWO_MEASURES) -> str:
    lines = ["| class | " + " | ".join(name for name, _, _ in columns) + " |",
             "|---|" + "|".join("---:" if numeric else "---" for _, _, numeric in columns) + "|"]
    for label, r in table.iterrows():
        lines.append(f"| {label} | " + " | ".join(cell.format(r=r) for _, cell, _ in columns) + " |")
    if "benign_false_alarms" in table and columns is BOTH_WAYS:
        lines.append(f"\nGenuine benign rows called an attack by the twin-trained forest: "
                     f"{100 * table.loc['BENIGN', 'benign_false_alarms']:.1f} %.")
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
    if args.corrected:

        twin = fidelity.corrected_twin("small", args.seed)
        genuine = fidelity.load_corrected_rows(args.genuine / "improved_rnd2500")
        table = measure(twin, genuine, seed=args.seed,
                        classes=[*schema.LABELS, "Infiltration - Portscan"])
        both = fidelity.both_ways(twin, genuine, seed=args.seed)
        table = table.join(both[["twin_to_genuine", "twin_to_genuine_family", "genuine_to_twin",
                                 "ceiling", "benign_false_alarms"]])
        # The ceiling's measure on the twin: its rows, each class cut to the genuine sample's
        # size, cross-validated alone (both_ways of a frame with itself): are the twin's
        # classes easier to tell apart than the genuine ones?
        rng = np.random.default_rng(args.seed)
        sized = pd.concat([rows.iloc[rng.permutation(len(rows))[:table.loc[label, "genuine_rows"]]]
                           for label, rows in twin.groupby("label") if label in table.index])
        table["twin_ceiling"] = fidelity.both_ways(sized, sized, seed=args.seed)["ceiling"]
        original = fidelity.twin_flows("small", args.seed, "original")
        for column, rows in (("separation_genuine", genuine), ("separation_twin", twin),
                             ("separation_twin_original", original)):
            rows = fidelity.harmonise(rows)
            for label in table.index.drop(schema.BENIGN):
                if (rows["label"] == label).any():
                    table.loc[label, column] = fidelity.benign_separation(
                        rows, label, features=fidelity.COMPARABLE, seed=args.seed)
        name = "twin_fidelity_corrected.csv"
    else:
        from nidslib.twin import simulation

        # One simulation of the week: its files for the separation, together for the rest.
        files = {name: frame.rename(columns={"Label": "label"})
                 for name, _day, frame in simulation.simulate_week("small", args.seed)}
        twin = pd.concat(files.values(), ignore_index=True)
        genuine = fidelity.load_genuine_rows(args.genuine)
        table = measure(twin, genuine, seed=args.seed)
        columns = [*schema.FEATURES, "label"]
        for attack, file in (("DDoS", "Friday-WorkingHours-Afternoon-DDos.pcap_ISCX.csv"),
                             ("PortScan", "Friday-WorkingHours-Afternoon-PortScan.pcap_ISCX.csv")):
            table.loc[attack, "separation_twin"] = fidelity.benign_separation(
                files[file], attack, seed=args.seed)
            table.loc[attack, "separation_genuine"] = fidelity.benign_separation(
                genuine, attack, seed=args.seed)
            for name, benign, attacks in (("separation_twin_attack", genuine, files[file]),
                                          ("separation_twin_benign", files[file], genuine)):
                crossed = pd.concat([benign.loc[benign["label"] == "BENIGN", columns],
                                     attacks.loc[attacks["label"] == attack, columns]],
                                    ignore_index=True)
                table.loc[attack, name] = fidelity.benign_separation(crossed, attack, seed=args.seed)
        name = "twin_fidelity.csv"
    table.round(4).to_csv(reproducibility.RECORDED / name)
    print(f"{datetime.date.today()}; twin: small profile, seed {args.seed}; genuine rows: "
          f"{args.genuine}; {time.perf_counter() - start:.0f} s\n")
    print(markdown(table))
    if args.corrected:
        print("\nBoth ways, on the features both meters share:\n")
        print(markdown(table, BOTH_WAYS))
        print(f"\nMean ceiling over the classes: genuine {table['ceiling'].mean():.3f}, "
              f"twin (at the genuine class sizes) {table['twin_ceiling'].mean():.3f}.")
        print("\nHow unusual beside the week's benign rows (Isolation Forest ROC-AUC), by meter:\n")
        print(markdown(table.dropna(subset=["separation_genuine"]), BY_METER))
    else:
        print("\nHow unusual beside the benign rows of the same capture (Isolation Forest "
              "ROC-AUC):\n")
        print(markdown(table.dropna(subset=["separation_twin"]), SEPARATION))


if __name__ == "__main__":
    main()
