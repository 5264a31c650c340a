"""The cost of SMOTE at scale: time and memory of each balancing recipe against the rows.

    .venv/bin/python benchmarks/smote_scaling.py                  # the full twin, up to 400 k rows
    .venv/bin/python benchmarks/smote_scaling.py --profile small  # a quick try (up to 63 k rows)

Chapter 2 (Class imbalance), section "The cost of SMOTE at scale", plots the result. The
rows come from the cleaned twin week (the full profile: CICIDS2017's class proportions, so
rare families stay rare), standardised once, then shuffled with a fixed seed; each size
takes the first ``n`` rows of that order, so every sample contains the smaller ones. Each
recipe is the resampling step(s) of :func:`nidslib.balancing.make_pipeline`:

- ``smote``: SMOTE (``k_neighbors=3``) raising every family to the size of the largest
  (ratio 1, what most tutorials do);
- ``smote_0.1``: SMOTE raising every family to a tenth of the largest;
- ``oversample``: random oversampling to the size of the largest;
- ``scalable``: benign undersampled to twice the attack rows, then SMOTE on the families
  still below 5 % of the largest (the book's recipe for millions of rows);
- ``class_weight``: no new rows, one weight per row (:func:`nidslib.weighting.sample_weights`).

Every (size, recipe) runs in a fresh Python process, which runs the recipe once on 2,000
rows to warm up, then times ``fit_resample`` alone (loading and scaling excluded) and reports
the peak memory that ``tracemalloc`` saw during it (NumPy reports its arrays to
``tracemalloc``, so this is the extra memory the recipe needs, output included) and the
rows it returns. Writes ``nidslib/recorded/smote_scaling.csv`` (rows of recipes and sizes
not measured in this run are kept). Timings vary by about 50 % with the machine's load; the
rows and the memory do not.
"""

from __future__ import annotations

import argparse
import csv
import datetime
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

from nidslib.reproducibility import RECORDED

RECIPES = {  # make_pipeline keywords of each recipe (None: class weights, no sampler)
    "smote": {"balance": "smote", "ratio": 1.0},
    "smote_0.1": {"balance": "smote", "ratio": 0.1},
    "oversample": {"balance": "oversample", "ratio": 1.0},
    "scalable": {"balance": "scalable", "benign_ratio": 2.0, "ratio": 0.05},
    "class_weight": None,
}
SIZES = (10_000, 25_000, 50_000, 100_000, 200_000, 400_000)


def pool_path(profile: str) -> Path:
    from nidslib.data import paths

    return paths.cache_dir() / f"smote-scaling-pool-{profile}.parquet"


def make_pool(profile: str, max_rows: int, seed: int) -> Path:
    """The cleaned week, scaled as the pipeline would, shuffled, cut to ``max_rows``."""
    import numpy as np
    import pandas as pd

    from sklearn.dummy import DummyClassifier

    from nidslib import balancing, cleaning
    from nidslib.data import datasets

    path = pool_path(profile)
    week, _ = cleaning.clean(datasets.load_week("twin", profile=profile, seed=seed))
    features = cleaning.feature_columns(week)
    order = np.random.default_rng(seed).permutation(len(week))[:max_rows]
    rows = week.iloc[order]
    scaler = balancing.make_pipeline(DummyClassifier(), None)  # the pipeline's own scaling
    scaled = scaler[:-1].fit_transform(rows[features]).astype(np.float32)
    frame = pd.DataFrame(scaled, columns=features)
    frame["category"] = rows["category"].astype(str).to_numpy()
    frame.to_parquet(path, index=False)
    return path


def measure(path: Path, rows: int, recipe: str, seed: int) -> dict:
    """One measurement, in this process: the recipe's fit_resample on the first ``rows``."""
    import tracemalloc

    import numpy as np
    import pandas as pd

    from sklearn.dummy import DummyClassifier

    from nidslib import balancing, weighting

    frame = pd.read_parquet(path).iloc[:rows]
    X = frame.drop(columns="category").to_numpy(np.float32)
    y = frame["category"].to_numpy()
    del frame
    keywords = RECIPES[recipe]

    def run(X, y):
        if keywords is None:
            return len(weighting.sample_weights(y, power=1.0))
        pipeline = balancing.make_pipeline(DummyClassifier(), seed=seed, scale=None, **keywords)
        for _name, sampler in pipeline.steps[:-1]:
            X, y = sampler.fit_resample(X, y)
        return len(y)

    run(X[:2000], y[:2000])  # warm up (lazy imports, first calls), untimed
    tracemalloc.start()
    start = time.perf_counter()
    rows_out = run(X, y)
    seconds = time.perf_counter() - start
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return {"rows": rows, "recipe": recipe, "rows_out": int(rows_out),
            "seconds": round(seconds, 3), "peak_mb": round(peak / 2**20, 1)}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--profile", default="full", choices=("small", "full"))
    parser.add_argument("--sizes", type=int, nargs="+", default=list(SIZES))
    parser.add_argument("--recipes", nargs="+", default=list(RECIPES), choices=list(RECIPES))
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--output", type=Path, default=RECORDED / "smote_scaling.csv")
    parser.add_argument("--one", nargs=2, metavar=("ROWS", "RECIPE"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.one:  # a child process: one measurement, as JSON on stdout
        print(json.dumps(measure(pool_path(args.profile), int(args.one[0]), args.one[1],
                                 args.seed)))
        return 0

    started = time.perf_counter()
    path = make_pool(args.profile, max(args.sizes), args.seed)
    import pandas as pd

    available = len(pd.read_parquet(path, columns=["category"]))
    sizes = sorted({min(n, available) for n in args.sizes})
    print(f"pool: {available:,} rows of the {args.profile} twin "
          f"({time.perf_counter() - started:.0f} s)")
    env = {**os.environ, "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1"}
    results = []
    for rows in sizes:
        for recipe in args.recipes:
            child = subprocess.run(
                [sys.executable, __file__, "--profile", args.profile, "--seed", str(args.seed),
                 "--one", str(rows), recipe], capture_output=True, text=True, env=env)
            if child.returncode:
                sys.stderr.write(child.stderr)
                return child.returncode
            result = json.loads(child.stdout.strip().splitlines()[-1])
            results.append(result)
            print(f"{rows:>9,} rows  {recipe:<13} -> {result['rows_out']:>10,} rows  "
                  f"{result['seconds']:8.2f} s  {result['peak_mb']:9.1f} MB", flush=True)
    machine = f"{platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}"
    today = datetime.date.today().isoformat()
    rows_out = [{**r, "profile": args.profile, "machine": machine, "date": today} for r in results]
    # Re-measuring some recipes or sizes keeps the other rows of the file.
    done = {(str(r["rows"]), r["recipe"], args.profile) for r in rows_out}
    if args.output.exists():
        with open(args.output, newline="") as handle:
            kept = [r for r in csv.DictReader(handle)
                    if (r["rows"], r["recipe"], r["profile"]) not in done]
        rows_out = kept + rows_out
    order = list(RECIPES)
    rows_out.sort(key=lambda r: (r["profile"], int(r["rows"]), order.index(r["recipe"])))
    args.output.parent.mkdir(parents=True, exist_ok=True)
    with open(args.output, "w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows_out[0]))
        writer.writeheader()
        writer.writerows(rows_out)
    print(f"wrote {args.output} ({time.perf_counter() - started:.0f} s in all)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
