"""Parse + clean a CICIDS2017 week: nidslib against the naive pandas way, side by side.

    .venv/bin/python benchmarks/parse_clean.py                  # the full twin, 2.83 M flows
    .venv/bin/python benchmarks/parse_clean.py --profile small  # a quick try (71 k flows)
    .venv/bin/python benchmarks/parse_clean.py --folder data/cicids2017/MachineLearningCVE

Two ways from the eight raw MachineLearningCVE CSV files to a clean frame:

- naive: what the seed tutorials do: ``pd.concat([pd.read_csv(f) for f in files])`` (with
  ``encoding="latin-1"``, the one change they need: the default UTF-8 fails on the cp1252
  byte 0x96 of the web-attack labels), strip the column names, infinity -> NaN,
  ``dropna()``, ``drop_duplicates()``, all in float64;
- nidslib: ``datasets.load_cicids2017(folder, float_dtype="float32")`` and
  ``cleaning.clean``, which does more: label repair and families, impossible negatives,
  duplicates judged on float32 values, constant columns, and a report of every step.

Each way runs ``--repeats`` times, alternating, each run in a fresh Python process that
times its own work (imports and interpreter start excluded) and reads its own peak
resident memory (``ru_maxrss``) when the work is done. A last, untimed process applies
nidslib's extra rules to the naive result and checks that it then holds exactly the flows
nidslib kept, label by label. The twin is written into ``nidslib.data.paths.cache_dir()``
first if it is not there (about 4 minutes for the full profile).

Prints the table for ``benchmarks/README.md``; for the full twin (the recorded run) also
writes ``benchmarks/results/parse_clean.csv`` (medians and ratios) and
``parse_clean_runs.csv`` (every run).
"""

from __future__ import annotations

import argparse
import csv
import datetime
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"
WAYS = ("naive", "nidslib")


def naive(folder: Path):
    """The seed tutorials' way; returns the clean frame and the seconds spent parsing."""
    import numpy as np
    import pandas as pd

    start = time.perf_counter()
    files = sorted(folder.glob("*.csv"))
    frame = pd.concat([pd.read_csv(f, encoding="latin-1") for f in files], ignore_index=True)
    parsed = time.perf_counter()
    frame.columns = frame.columns.str.strip()
    frame = frame.replace([np.inf, -np.inf], np.nan)
    frame = frame.dropna()
    frame = frame.drop_duplicates()
    return frame, parsed - start


def with_nidslib(folder: Path):
    """nidslib's way; returns the clean frame and the seconds spent parsing."""
    from nidslib import cleaning
    from nidslib.data import datasets

    start = time.perf_counter()
    raw = datasets.load_cicids2017(folder, float_dtype="float32")
    parsed = time.perf_counter()
    clean, _report = cleaning.clean(raw)
    return clean, parsed - start


def _label_counts(labels) -> dict[str, int]:
    """Flows per label, labels repaired the simple way (the cp1252 dash, spaces)."""
    counts: dict[str, int] = {}
    for label, n in labels.astype(str).value_counts().items():
        key = label.replace("\x96", "-").strip()
        counts[key] = counts.get(key, 0) + int(n)
    return counts


def child(way: str, folder: Path) -> dict:
    """One timed run in this (fresh) process."""
    import pandas  # noqa: F401  (imported before the clock starts, for both ways)

    if way == "nidslib":
        import nidslib.data.datasets  # noqa: F401
    cpu, start = time.process_time(), time.perf_counter()
    frame, parse_s = (naive if way == "naive" else with_nidslib)(folder)
    total_s, cpu_s = time.perf_counter() - start, time.process_time() - cpu
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # KiB on Linux
    return {"way": way, "rows": len(frame), "columns": frame.shape[1],
            "parse_s": parse_s, "clean_s": total_s - parse_s, "total_s": total_s,
            "cpu_s": cpu_s, "peak_gib": peak / 2**30,
            "labels": _label_counts(frame["Label" if way == "naive" else "label"])}


def check(folder: Path) -> dict:
    """Untimed: the naive result with nidslib's two extra rules applied."""
    import numpy as np

    from nidslib.data import schema

    frame, _ = naive(folder)
    frame.columns = [schema.snake_case(c) for c in frame.columns]
    negative = np.zeros(len(frame), dtype=bool)
    for column in schema.NON_NEGATIVE_FEATURES:
        negative |= frame[column].to_numpy() < 0
    for column in schema.INIT_WIN_FEATURES:
        negative |= frame[column].to_numpy() < schema.INIT_WIN_SENTINEL
    kept = frame[~negative]
    as_float32 = kept[list(schema.FEATURES)].astype(np.float32).assign(label=kept["label"])
    duplicated = as_float32.duplicated().to_numpy()
    return {"naive_rows": len(frame), "negative_rows": int(negative.sum()),
            "float32_duplicates": int(duplicated.sum()),
            "labels": _label_counts(kept.loc[~duplicated, "label"])}


def run_child(args: list[str]) -> dict:
    done = subprocess.run([sys.executable, __file__, *args], capture_output=True, text=True)
    if done.returncode:
        sys.exit(f"{' '.join(args)} failed:\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def machine() -> str:
    model = next((line.split(":", 1)[1].strip() for line in
                  Path("/proc/cpuinfo").read_text().splitlines()
                  if line.startswith("model name")), platform.processor())
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return f"{os.cpu_count()} CPU cores ({model}), {memory:.0f} GiB RAM, Python " \
           f"{platform.python_version()}"


def summarise(runs: list[dict]) -> list[dict]:
    rows = []
    for way in WAYS:
        mine = [r for r in runs if r["way"] == way]
        row = {"way": way, "runs": len(mine), "rows": mine[0]["rows"],
               "columns": mine[0]["columns"]}
        for key in ("parse_s", "clean_s", "total_s", "cpu_s", "peak_gib"):
            row[key] = round(statistics.median(r[key] for r in mine), 2)
        rows.append(row)
    naive_row, lib_row = rows
    for row in rows:
        row["speedup"] = round(naive_row["total_s"] / row["total_s"], 2)
        row["cpu_speedup"] = round(naive_row["cpu_s"] / row["cpu_s"], 2)
        row["memory_share"] = round(row["peak_gib"] / naive_row["peak_gib"], 2)
    return rows


def markdown(summary: list[dict]) -> str:
    names = {"naive": "naive pandas (float64)", "nidslib": "nidslib (float32)"}
    lines = ["| way | flows kept | parse (s) | clean (s) | total (s) | CPU (s) | "
             "peak memory (GiB) | speed-up (total) | speed-up (CPU) | memory share |",
             "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for r in summary:
        lines.append(f"| {names[r['way']]} | {int(r['rows']):,} | {float(r['parse_s']):.1f} | "
                     f"{float(r['clean_s']):.1f} | {float(r['total_s']):.1f} | "
                     f"{float(r['cpu_s']):.1f} | {float(r['peak_gib']):.2f} | "
                     f"{float(r['speedup']):.2f}× | {float(r['cpu_speedup']):.2f}× | "
                     f"{float(r['memory_share']):.2f} |")
    return "\n".join(lines)


def write_csv(path: Path, rows: list[dict]) -> None:
    with open(path, "w", newline="") as file:
        writer = csv.DictWriter(file, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--profile", default="full", choices=["small", "full"])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--folder", type=Path, help="a folder of MachineLearningCVE CSV "
                        "files (default: the twin of --profile, written if missing)")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--child", choices=[*WAYS, "check"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(check(args.folder) if args.child == "check"
                         else child(args.child, args.folder)))
        return

    from nidslib.data import datasets

    folder = args.folder or datasets.week_folder("twin", args.profile, args.seed)
    print(f"{folder}: {len(list(folder.glob('*.csv')))} CSV files, "
          f"{sum(f.stat().st_size for f in folder.glob('*.csv')) / 2**20:,.0f} MiB",
          flush=True)
    load = os.getloadavg()[0]
    runs = []
    for repeat in range(args.repeats):
        for way in WAYS:
            result = run_child(["--child", way, "--folder", str(folder)])
            runs.append({"repeat": repeat, **result})
            print(f"run {repeat} {way}: {result['total_s']:.1f} s, "
                  f"{result['peak_gib']:.2f} GiB, {result['rows']:,} flows", flush=True)
    expected = run_child(["--child", "check", "--folder", str(folder)])
    lib = [r for r in runs if r["way"] == "nidslib"][0]
    assert lib["labels"] == expected["labels"], (lib["labels"], expected["labels"])
    summary = summarise(runs)

    if args.folder is None and args.profile == "full":  # the recorded benchmark
        RESULTS.mkdir(exist_ok=True)
        write_csv(RESULTS / "parse_clean_runs.csv",
                  [{k: (round(v, 3) if isinstance(v, float) else v) for k, v in r.items()
                    if k != "labels"} for r in runs])
        write_csv(RESULTS / "parse_clean.csv", summary)
    print(f"\n{machine()}; {datetime.date.today()}; load average {load:.1f} at the start; "
          f"each column the median of {args.repeats} runs.\n")
    print(markdown(summary))
    print(f"\nnaive keeps {expected['naive_rows']:,} flows; nidslib also drops "
          f"{expected['negative_rows']:,} with impossible negative values and "
          f"{expected['float32_duplicates']:,} that are duplicates only in float32: "
          f"{expected['naive_rows'] - expected['negative_rows'] - expected['float32_duplicates']:,}"
          f" = {lib['rows']:,} flows, the same per label (checked).")


if __name__ == "__main__":
    main()
