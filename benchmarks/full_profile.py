"""What the small profile's budget costs: chapters 3-6 executed in the full profile.

The book executes its networks in a *small profile* (a fifth of the benign training flows,
an epoch cap of 8 to 15 with patience 3) so that each chapter runs in minutes on a laptop.
Whether a conclusion comes from deep learning or from a truncated training run is a question
only a full run answers: every benign training flow, up to 100 epochs, patience 10, the
chapters' ``FULL = True`` (set here through ``NIDSLIB_FULL=1``, which each chapter reads).

This script executes chapters 3 to 6 that way, seed 0, claims in report mode, in a cache of
its own, after chapters 1 and 2 in the small profile (they build the small week and chapter
2's baselines, which chapter 5 compares against; the networks then see the same week as in the
small profile, so only the training budget differs). It records per chapter the seconds and
the headline numbers beside the small profile's seed-0 run of ``seed_sweep.py``::

    .venv/bin/python benchmarks/full_profile.py              # every chapter (~45 min)
    .venv/bin/python benchmarks/full_profile.py --chapters 04_lstm   # one (1 and 2 cached)
    .venv/bin/python benchmarks/full_profile.py --summarise  # only the Markdown table

Writes ``nidslib/recorded/full_profile_values.csv`` (every glued number; in the package,
since the chapters quote it), ``benchmarks/results/full_profile_claims.jsonl`` (the claims, with what was measured; several are stated for the
small profile only), each after every chapter, and prints the table recorded in
``benchmarks/README.md`` ("The full profile"). Chapters 3 to 6 quote the recorded values
(:func:`nidslib.reproducibility.recorded_value`): after re-recording, re-execute them.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import pandas as pd

from nidslib import reproducibility

sys.path.insert(0, str(Path(__file__).parent))
import seed_sweep  # noqa: E402  (its executor: one definition of how a chapter is run)

ROOT = seed_sweep.ROOT
VALUES = reproducibility.FULL_PROFILE_VALUES  # in the package: chapters 3-6 quote it
CLAIMS = seed_sweep.RESULTS / "full_profile_claims.jsonl"
SMALL = ["01_data_cleaning", "02_balancing"]  # executed in the small profile, first
CHAPTERS = ["03_cnn", "04_lstm", "05_cnn_lstm", "06_lstm_autoencoder"]
# The numbers each chapter's conclusion rests on (glue names), and what they mean.
HEADLINES = {
    "03_cnn": {"cnn_epochs": "CNN epochs run", "cnn_best_epoch": "CNN epoch kept",
               "test_f1_cnn": "CNN test macro-F1", "test_f1_dnn": "DNN test macro-F1",
               "test_f1_forest": "forest test macro-F1"},
    "04_lstm": {"lstm_epochs": "LSTM epochs run", "lstm_best_epoch": "LSTM epoch kept",
                "window_f1": "LSTM on windows, test macro-F1",
                "single_f1": "LSTM on single flows, test macro-F1",
                "window_acc_gain": "window's accuracy gain (points)"},
    "05_cnn_lstm": {"hybrid_epochs": "CNN-LSTM epochs run",
                    "hybrid_best_epoch": "CNN-LSTM epoch kept",
                    "hybrid_f1": "CNN-LSTM test macro-F1", "best_deep_f1": "best network, test macro-F1",
                    "forest_f1": "forest test macro-F1"},
    "06_lstm_autoencoder": {"ae_epochs": "autoencoder epochs run",
                            "ae_best_epoch": "autoencoder epoch kept",
                            "ae_auc": "autoencoder ROC-AUC",
                            "fpr_detection": "detection at 1 % FPR (%)"},
}


def table() -> str:
    """Markdown: per chapter, seconds and headline numbers, small profile (seed 0) and full."""
    full = pd.read_csv(VALUES)
    small = pd.read_csv(seed_sweep.VALUES)
    small = small[small["run"] == "seed0"]
    records = [json.loads(line) for line in CLAIMS.read_text().splitlines()]
    seconds = {r["chapter"]: r["measured"]["seconds"] for r in records
               if r["claim"] == "(the chapter runs to its end)"}
    sweep = [json.loads(line) for line in seed_sweep.LOG.read_text().splitlines()]
    small_seconds = {r["chapter"]: r["measured"]["seconds"] for r in sweep
                     if r["run"] == "seed0" and r["claim"] == "(the chapter runs to its end)"}

    def value(frame, chapter, name):
        picked = frame.loc[(frame["chapter"] == chapter) & (frame["name"] == name), "value"]
        return f"{picked.iloc[0]:.3g}" if len(picked) else "-"

    lines = ["| chapter | number | small profile | full profile |", "|---|---|---:|---:|"]
    for chapter, names in HEADLINES.items():
        lines.append(f"| {chapter} | seconds to execute | {small_seconds.get(chapter, '-')} | "
                     f"{seconds.get(chapter, '-')} |")
        for name, label in names.items():
            lines.append(f"| | {label} | {value(small, chapter, name)} | "
                         f"{value(full, chapter, name)} |")
    return "\n".join(lines)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--summarise", action="store_true", help="only print the table")
    parser.add_argument("--chapters", nargs="+", default=CHAPTERS, choices=CHAPTERS,
                        help="chapters to execute in the full profile (the others keep "
                             "their recorded rows)")
    args = parser.parse_args(argv)
    if not args.summarise:
        cache = ROOT / "_build" / "full-profile-cache"
        path = ROOT / "chapters"
        seed_sweep.execute("small-first", {"NIDSLIB_SEED": "0"},
                           [path / f"{stem}.ipynb" for stem in SMALL], cache)
        for stem in args.chapters:  # one at a time: a chapter's rows are kept as it ends
            records, values = seed_sweep.execute(
                "full-profile", {"NIDSLIB_FULL": "1", "NIDSLIB_SEED": "0"},
                [path / f"{stem}.ipynb"], cache, cell_timeout=4 * 3600)
            keep = ([json.loads(line) for line in CLAIMS.read_text().splitlines()
                     if json.loads(line)["chapter"] != stem] if CLAIMS.exists() else [])
            CLAIMS.write_text("".join(json.dumps(r) + "\n" for r in keep + records))
            kept = pd.read_csv(VALUES) if VALUES.exists() else pd.DataFrame()
            kept = kept[kept["chapter"] != stem] if len(kept) else kept
            pd.concat([kept, pd.DataFrame(values)]).to_csv(VALUES, index=False)
    print(table())


if __name__ == "__main__":
    main()
