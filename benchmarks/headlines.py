"""Each chapter's headline numbers on the twin beside the same numbers on the genuine-rows week.

    .venv/bin/python benchmarks/headlines.py                      # after make test
    .venv/bin/python benchmarks/headlines.py --genuine OUT/executed

The twin's numbers are the book's stored run (seed 0) and their spread over the seed sweep's
runs (``nidslib/recorded/seed_sweep_values.csv``, written by ``benchmarks/seed_sweep.py``).
The genuine week's are glued by the chapters executed on it (``make genuine-week``, part of
``make test``, leaves them in ``_build/genuine-week/executed/``; ``tests/genuine_week.py``
builds that week from the corrected release's samples). A number whose genuine value lies
outside the twin's spread by more than the spread's own width is marked: there the twin, not
the seed, decides the result, and issue 13 asks which simulator choice causes it. The
genuine week is attack-heavy and sampled (``tests/genuine_week.py``), so its numbers are
indicative: macro-F1 is higher there because every rare class has hundreds of rows.
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


def table(genuine: dict[tuple[str, str], float]) -> pd.DataFrame:
    """One row per headline: the twin's stored value, its sweep spread, the genuine value."""
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
    return pd.DataFrame(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--genuine", type=Path,
                        default=ROOT / "_build" / "genuine-week" / "executed",
                        help="the chapters executed on the genuine-rows week")
    args = parser.parse_args()
    result = table(genuine_values(args.genuine))
    print(result.to_markdown(index=False, floatfmt=".3f"))


if __name__ == "__main__":
    main()
