"""How often each claim of the book holds: the chapters executed under several seeds and CPUs.

A claim is a finding only if it survives another machine and another seed. This script
executes the chapters in claims *report* mode (``NIDSLIB_CLAIMS=report``: a claim that does
not hold is recorded, not raised) once per configuration, and counts, for every claim, in
how many runs it held. A claim that fails in any run is to be rewritten (a wider margin, or
"no measurable difference").

Configurations: seeds 0 to 4 on this machine's own kernels, and seed 1 on the emulated
other machine that ``make test`` uses for its second execution (the Makefile's
``OTHER_MACHINE``). Seed 0 on this machine is the book's stored run.

Usage (about 10 minutes per configuration on a 2-core CPU)::

    .venv/bin/python benchmarks/seed_sweep.py                  # every configuration
    .venv/bin/python benchmarks/seed_sweep.py --runs seed2 other-machine-seed1
    .venv/bin/python benchmarks/seed_sweep.py --summarise      # only rebuild the table
    .venv/bin/python benchmarks/seed_sweep.py --runs seed0 --store   # re-execute the book

Writes ``benchmarks/results/seed_sweep_claims.jsonl`` (every claim of every run; a run's old
records are replaced), ``benchmarks/results/seed_sweep.csv`` (one row per claim: runs, runs
held, and the measured values of the runs where it failed) and
``nidslib/recorded/seed_sweep_values.csv`` (every number a chapter glues into its prose, per
run, and its spread: what the chapters quote when they state how much a number moves with
the seed and the machine; :func:`nidslib.reproducibility.recorded_spread` reads it).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import time
from pathlib import Path

import nbformat
import pandas as pd
from nbclient import NotebookClient

from nidslib import reproducibility

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"
LOG = RESULTS / "seed_sweep_claims.jsonl"
TABLE = RESULTS / "seed_sweep.csv"
VALUES = reproducibility.SWEEP_VALUES  # in the package: the chapters quote it
SHARED = ROOT.parent / "shared" / "datasets"


def other_machine() -> dict[str, str]:
    """The Makefile's OTHER_MACHINE variables (one source of truth for the emulation)."""
    text = (ROOT / "Makefile").read_text()
    line = re.search(r"^OTHER_MACHINE := (.*)$", text, re.MULTILINE).group(1)
    return dict(item.split("=", 1) for item in line.split())


def configurations() -> dict[str, dict[str, str]]:
    runs = {f"seed{seed}": {"NIDSLIB_SEED": str(seed)} for seed in range(5)}
    runs["other-machine-seed1"] = other_machine()
    return runs


def glued_numbers(notebook) -> dict[str, float]:
    """The numbers a notebook glued for its prose (``myst_nb.glue``), by name."""
    found = {}
    for cell in notebook.cells:
        for output in cell.get("outputs", []):
            name = output.get("metadata", {}).get("scrapbook", {}).get("name")
            text = output.get("data", {}).get("application/papermill.record/text/plain")
            if name and text is not None:
                try:
                    found[name] = float(text)
                except ValueError:
                    continue  # glued text (a model's name), not a number
    return found


def execute(run: str, env: dict[str, str], chapters: list[Path], cache: Path,
            store: bool = False, cell_timeout: int = 1200):
    """Execute the chapters in order under ``env``; return this run's claim records and
    glued numbers. ``store`` writes the executed notebooks back (the book's stored run);
    ``cell_timeout`` is the seconds one cell may take."""
    log = RESULTS / f".claims-{run}.jsonl"
    log.unlink(missing_ok=True)
    saved = dict(os.environ)
    timings, values = [], []
    try:
        if SHARED.is_dir():  # chapter 8's genuine files, as the Makefile sets it
            os.environ.setdefault("NIDSLIB_DATA", str(SHARED))
        os.environ.update(env)
        os.environ.update({"NIDSLIB_CLAIMS": "report", "NIDSLIB_CLAIMS_LOG": str(log),
                           "NIDSLIB_CACHE": str(cache)})
        for path in chapters:
            os.environ["NIDSLIB_CHAPTER"] = path.stem
            notebook = nbformat.read(path, as_version=4)
            start = time.perf_counter()
            error = ""
            try:
                NotebookClient(notebook, timeout=cell_timeout, kernel_name="python3",
                               resources={"metadata": {"path": str(path.parent)}}).execute()
            except Exception as exc:  # a chapter that crashes is reported, the sweep goes on
                error = f"{type(exc).__name__}: {str(exc).splitlines()[-1] if str(exc) else ''}"
            seconds = time.perf_counter() - start
            timings.append((path.stem, seconds, error))
            if store and not error:
                nbformat.write(notebook, path)
            values += [{"run": run, "chapter": path.stem, "name": name, "value": value}
                       for name, value in glued_numbers(notebook).items()]
            print(f"{run} {path.stem}: {seconds:.0f} s {error}", flush=True)
    finally:
        os.environ.clear()
        os.environ.update(saved)
    records = [json.loads(line) for line in log.read_text().splitlines()] if log.exists() else []
    log.unlink(missing_ok=True)
    for record in records:
        record["run"] = run
    records += [{"run": run, "chapter": stem, "claim": "(the chapter runs to its end)",
                 "holds": not error, "measured": {"seconds": round(seconds), "error": error}}
                for stem, seconds, error in timings]
    return records, values


def summarise() -> pd.DataFrame:
    """One row per claim: in how many runs it was checked, and in how many it held."""
    records = pd.DataFrame([json.loads(line) for line in LOG.read_text().splitlines()])
    # A claim checked several times in one run (in a loop) holds in that run if it always held.
    per_run = (records.groupby(["chapter", "claim", "run"], sort=False)
               .agg(holds=("holds", "all"), measured=("measured", "last")).reset_index())
    table = per_run.groupby(["chapter", "claim"], sort=False).agg(
        runs=("run", "nunique"), held=("holds", "sum")).reset_index()
    failed = per_run[~per_run["holds"]]
    table["failed in"] = table.apply(lambda row: "; ".join(
        f"{r.run}: {r.measured}" for r in failed[(failed["chapter"] == row["chapter"])
                                                  & (failed["claim"] == row["claim"])]
        .itertuples()), axis=1)
    table.to_csv(TABLE, index=False)
    return table


def markdown(table: pd.DataFrame) -> str:
    """Per chapter: runs, claims, claims that held in every run, and the chapter's seconds."""
    records = pd.DataFrame([json.loads(line) for line in LOG.read_text().splitlines()])
    ends = records[records["claim"] == "(the chapter runs to its end)"]
    seconds = ends.assign(s=ends["measured"].map(lambda m: m["seconds"])).groupby("chapter")["s"]
    claims = table[table["claim"] != "(the chapter runs to its end)"]
    lines = ["| chapter | runs | claims | held in every run | seconds per run (min-max) |",
             "|---|---:|---:|---:|---|"]
    for chapter, group in claims.groupby("chapter"):
        lines.append(f"| {chapter} | {group['runs'].max()} | {len(group)} | "
                     f"{int((group['held'] == group['runs']).sum())} | "
                     f"{seconds.min()[chapter]:.0f}-{seconds.max()[chapter]:.0f} |")
    return "\n".join(lines)


def main(argv=None) -> None:
    runs = configurations()
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", nargs="*", choices=list(runs), default=list(runs))
    parser.add_argument("--chapters", nargs="*", default=None,
                        help="chapter stems, e.g. 02_balancing (default: all)")
    parser.add_argument("--summarise", action="store_true", help="only rebuild the table")
    parser.add_argument("--store", action="store_true",
                        help="write the executed notebooks back into chapters/ (use with "
                             "--runs seed0: the book's stored run, whose claims are recorded too)")
    parser.add_argument("--markdown", action="store_true",
                        help="print the per-chapter summary as a Markdown table")
    args = parser.parse_args(argv)
    if not args.summarise:
        chapters = sorted((ROOT / "chapters").glob("[0-9][0-9]_*.ipynb"))
        if args.chapters:
            chapters = [p for p in chapters if p.stem in args.chapters]
        cache = ROOT / "_build" / "seed-sweep-cache"
        for run in args.runs:
            records, values = execute(run, runs[run], chapters, cache, store=args.store)
            kept = []
            if LOG.exists():  # replace this run's records of these chapters
                stems = {p.stem for p in chapters}
                kept = [line for line in LOG.read_text().splitlines()
                        if not (json.loads(line)["run"] == run
                                and json.loads(line)["chapter"] in stems)]
            LOG.write_text("".join(line + "\n" for line in kept)
                           + "".join(json.dumps(r) + "\n" for r in records))
            old = pd.read_csv(VALUES) if VALUES.exists() else pd.DataFrame(columns=["run", "chapter"])
            old = old[~((old["run"] == run) & old["chapter"].isin({p.stem for p in chapters}))]
            pd.concat([old, pd.DataFrame(values)]).to_csv(VALUES, index=False)
    table = summarise()
    if args.markdown:
        print(markdown(table))
    shaky = table[table["held"] < table["runs"]]
    print(f"{len(table)} claims; {len(shaky)} fail in at least one run", file=sys.stderr)
    if len(shaky):
        print(shaky.to_string(index=False), file=sys.stderr)


if __name__ == "__main__":
    main()
