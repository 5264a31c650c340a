"""Each chapter's headline numbers on the twin beside the same numbers on the genuine-rows week.

    .venv/bin/python benchmarks/headlines.py                      # after make test
    .venv/bin/python benchmarks/headlines.py --genuine OUT/executed
    .venv/bin/python benchmarks/headlines.py --execute-repaired   # ~15 min, then the table

The twin's numbers are the book's stored run (seed 0) and their spread over the seed sweep's
runs (``nidslib/recorded/seed_sweep_values.csv``, written by ``benchmarks/seed_sweep.py``).
The genuine week's are glued by the chapters executed on it (``make genuine-week``, part of
``make test``, leaves them in ``_build/genuine-week/executed/``; ``tests/genuine_week.py``
builds that week from the corrected release's samples). A number whose genuine value lies
outside the twin's spread by more than the spread's own width is marked: there the twin, not
the seed, decides the result, and issue 13 asks which simulator choice causes it. The
genuine week is attack-heavy and sampled (``tests/genuine_week.py``), so its numbers are
indicative: macro-F1 is higher there because every rare class has hundreds of rows.

The genuine week's rows were written by the corrected release's *repaired* meter, the twin's
by the original one. A third column separates the two causes: the same chapters executed on
the twin's week as the repaired meter writes it (``simulation.write_week(meter="repaired")``:
the same traffic and labels, one row per connection), in ``_build/repaired-twin/executed/``.
``--execute-repaired`` builds that week and executes chapters 1 to 6 on it, in claims report
mode (``tests/genuine_week.py``'s ``execute_chapters``).

``--record`` also writes the numbers those executions glued (quotes of the full-profile run
left out), one file per week, into
``nidslib/recorded/`` (``genuine_week_values.csv``, ``repaired_meter_values.csv``; the format
of ``full_profile_values.csv``): chapters 4 and 6 quote them through
``reproducibility.recorded_value``.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import nbformat
import pandas as pd

from nidslib import reproducibility

sys.path.insert(0, str(Path(__file__).parent))
from seed_sweep import glued_numbers  # noqa: E402  (one reader of glued numbers)

ROOT = Path(__file__).resolve().parents[1]
REPAIRED_WEEK = ROOT / "_build" / "repaired-twin"

# The numbers each chapter's argument rests on (names the chapters glue).
HEADLINES = {
    "02_balancing": {"smote_leak": "SMOTE before the split: macro-F1 inflation",
                     "split_leak": "the random split alone: macro-F1 inflation",
                     "total_leak": "the leaky protocol's total inflation"},
    "03_cnn": {"test_f1_forest": "random forest, test macro-F1",
               "test_f1_dnn": "DNN, test macro-F1",
               "test_f1_best": "searched CNN, test macro-F1"},
    "04_lstm": {"window_acc_gain": "10-flow windows: accuracy gain (points)",
                "window_f1_gain": "10-flow windows: macro-F1 gain",
                "pitfall_f1": "LSTM over the feature index: macro-F1"},
    "05_cnn_lstm": {"forest_f1": "random forest, test macro-F1",
                    "best_deep_f1": "best network, test macro-F1",
                    "f1_range": "spread of macro-F1 across the models"},
    "06_lstm_autoencoder": {"ae_auc": "autoencoder, test ROC-AUC",
                            "forest_auc": "supervised forest, test ROC-AUC"},
}


def genuine_values(folder: Path) -> dict[tuple[str, str], float]:
    """Glued numbers of the chapters executed on the genuine week, by (chapter, name)."""
    values = {}
    for path in sorted(folder.glob("*.ipynb")):
        for name, value in glued_numbers(nbformat.read(path, as_version=4)).items():
            values[(path.stem, name)] = value
    if not values:
        raise FileNotFoundError(f"no executed chapters with glued numbers in {folder}; "
                                "run `make genuine-week` (part of `make test`) first")
    return values


def execute_repaired(out: Path = REPAIRED_WEEK) -> Path:
    """Write the twin's week (small profile, seed 0) as the repaired meter would, and execute
    chapters 1 to 6 on it; return the folder of the executed chapters."""
    sys.path.insert(0, str(ROOT / "tests"))
    from genuine_week import execute_chapters

    from nidslib.twin import simulation

    simulation.write_week(out / "cicids2017" / "MachineLearningCVE", "small", 0, meter="repaired")
    chapters = sorted((ROOT / "chapters").glob("0[1-6]_*.ipynb"))
    errors = execute_chapters(out, chapters, out / "executed")
    if errors:
        raise SystemExit(f"chapters that did not run to their end: {errors}")
    return out / "executed"


def table(genuine: dict[tuple[str, str], float],
          repaired: dict[tuple[str, str], float] | None = None) -> pd.DataFrame:
    """One row per headline: the twin's stored value, its sweep spread, the genuine value
    and, when given, the value on the twin's week written by the repaired meter."""
    sweep = pd.read_csv(reproducibility.SWEEP_VALUES)
    rows = []
    for chapter, names in HEADLINES.items():
        for name, meaning in names.items():
            runs = sweep[(sweep["chapter"] == chapter) & (sweep["name"] == name)]
            stored = runs.loc[runs["run"] == "seed0", "value"]
            low, high = runs["value"].min(), runs["value"].max()
            real = genuine.get((chapter, name), float("nan"))
            width = high - low
            rows.append({"chapter": chapter, "number": meaning,
                         "twin": float(stored.iloc[0]) if len(stored) else float("nan"),
                         "twin's spread": f"{low:.3f} to {high:.3f}", "genuine week": real,
                         "outside the spread": bool(real < low - width or real > high + width)})
            if repaired is not None:
                rows[-1]["twin, repaired meter"] = repaired.get((chapter, name), float("nan"))
    return pd.DataFrame(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--genuine", type=Path,
                        default=ROOT / "_build" / "genuine-week" / "executed",
                        help="the chapters executed on the genuine-rows week")
    parser.add_argument("--execute-repaired", action="store_true",
                        help="first build the twin's week by the repaired meter and execute "
                             f"chapters 1-6 on it (into {REPAIRED_WEEK.relative_to(ROOT)})")
    parser.add_argument("--record", action="store_true",
                        help="write the glued numbers of both weeks into nidslib/recorded/")
    args = parser.parse_args()
    if args.execute_repaired:
        execute_repaired()
    executed = REPAIRED_WEEK / "executed"
    repaired = genuine_values(executed) if list(executed.glob("*.ipynb")) else None
    genuine = genuine_values(args.genuine)
    if args.record:
        # A week not executed keeps its recorded file: an empty one would leave the
        # chapters' quotes NaN.
        weeks = (("genuine-week", genuine), ("repaired-meter", repaired))
        for run, values in ((run, values) for run, values in weeks if values):
            # Numbers a chapter quotes from its full-profile run are not this week's.
            frame = pd.DataFrame([(run, chapter, name, value)
                                  for (chapter, name), value in sorted(values.items())
                                  if not name.startswith("full_")],
                                 columns=["run", "chapter", "name", "value"])
            frame.to_csv(reproducibility.RECORDED / f"{run.replace('-', '_')}_values.csv",
                         index=False)
    result = table(genuine, repaired)
    print(result.to_markdown(index=False, floatfmt=".3f"))


if __name__ == "__main__":
    main()
