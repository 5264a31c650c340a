"""A week of genuine CICIDS2017 flows in the official MachineLearningCVE format.

The chapters teach on the twin; this week lets the test command execute them on genuine
rows too (``make genuine-week``), so that every claim reports whether it holds on real
traffic. It is built from ``improved_rnd2500/`` in the shared datasets: random samples of
the corrected CICIDS2017 release (Engelen et al. 2021), one file per class, 25,127 rows.

What the builder does, and why:
- columns: the repaired meter's names are mapped, in order, onto the 78 original feature
  columns (the duplicated ``Fwd Header Length`` included); its five extra columns (RST flag
  counts per direction, ICMP code and type, total TCP flow time) are dropped;
- labels: the original release's spelling (``Bot``, ``DoS slowloris``, ``PortScan``, the
  web attacks with the cp1252 dash 0x96), and ``Infiltration - Portscan`` written as
  ``BENIGN``, as the original CSVs label those flows;
- files: rows go to the original eight files by capture time (the timestamps are UTC, three
  hours ahead of the lab's clock), sorted by time, since a MachineLearningCVE file has no
  timestamp column and its row order is the only time order.

The week is attack-heavy (every class up to 2,500 rows, benign too) and sampled at random,
so windows of consecutive flows are not consecutive in the capture: results on it are
indicative, not a replacement for the full dataset.

Usage: ``python tests/genuine_week.py OUT [--execute CHAPTER ...]`` writes
``OUT/cicids2017/MachineLearningCVE/`` and executes the chapters on it, printing for each
the claims that do not hold there (``make genuine-week`` does this for chapters 1-7; the
executed notebooks land in ``OUT/executed/``). The samples are read from ``$NIDSLIB_DATA``,
else ``../shared/datasets``. By hand, ``NIDSLIB_DATA=OUT NIDSLIB_DATASET=cicids2017`` runs
a chapter on the week.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from nidslib.data import schema

# The repaired meter's columns that the original one does not have.
EXTRA_COLUMNS = ("Fwd RST Flags", "Bwd RST Flags", "ICMP Code", "ICMP Type",
                 "Total TCP Flow Time")
IDENTITY_COLUMNS = ("id", "Flow ID", "Src IP", "Src Port", "Dst IP", "Protocol", "Timestamp")
ORIGINAL_LABELS = {
    "BENIGN": "BENIGN", "Botnet": "Bot", "DDoS": "DDoS", "DoS GoldenEye": "DoS GoldenEye",
    "DoS Hulk": "DoS Hulk", "DoS Slowhttptest": "DoS Slowhttptest",
    "DoS Slowloris": "DoS slowloris", "FTP-Patator": "FTP-Patator", "Heartbleed": "Heartbleed",
    "Infiltration": "Infiltration", "Infiltration - Portscan": "BENIGN",
    "Portscan": "PortScan", "SSH-Patator": "SSH-Patator",
    "Web Attack - Brute Force": "Web Attack \u2013 Brute Force",
    "Web Attack - SQL Injection": "Web Attack \u2013 Sql Injection",
    "Web Attack - XSS": "Web Attack \u2013 XSS",
}


def _file_of(time: pd.Series) -> pd.Series:
    """The original week file of each flow, from its capture time (UTC)."""
    files = [name for name, *_ in schema.WEEK_FILES]
    day, hour = time.dt.day, time.dt.hour + time.dt.minute / 60
    index = day.map({3: 0, 4: 1, 5: 2, 6: 3, 7: 5})
    index = index.where(~((day == 6) & (hour >= 15)), 4)        # Thursday afternoon
    index = index.where(~((day == 7) & (hour >= 15)), 6)        # Friday afternoon: port scan
    index = index.where(~((day == 7) & (hour >= 18.5)), 7)      # ... then the DDoS
    if index.isna().any():
        raise ValueError(f"flows outside the week: {time[index.isna()].head().tolist()}")
    return index.astype(int).map(dict(enumerate(files)))


def build(source: Path, out: Path) -> list[Path]:
    """Write the genuine week into ``out/cicids2017/MachineLearningCVE``; return the files."""
    frames = [pd.read_csv(path, low_memory=False) for path in sorted(Path(source).glob("*.csv"))]
    if not frames:
        raise FileNotFoundError(f"no CSV files in {source}")
    rows = pd.concat(frames, ignore_index=True)
    unknown = set(rows["Label"]) - set(ORIGINAL_LABELS)
    if unknown:
        raise ValueError(f"{source}: unexpected labels {sorted(unknown)}")
    features = [c for c in rows.columns
                if c not in (*IDENTITY_COLUMNS, *EXTRA_COLUMNS, "Label", "Attempted Category")]
    header = schema.MACHINE_LEARNING_CVE_HEADER
    # Original order: Destination Port, 76 features with the copy of Fwd Header Length at
    # position 55, Label.
    copy_at = [i for i, name in enumerate(header) if name == " Fwd Header Length"][1]
    first = features.index("Fwd Header Length")
    if len(features) != len(header) - 2:
        raise ValueError(f"{len(features)} feature columns, expected {len(header) - 2}")
    table = rows[features].copy()
    table.insert(copy_at, "Fwd Header Length copy", table.iloc[:, first])
    table.columns = list(header[:-1])
    table[header[-1]] = rows["Label"].map(ORIGINAL_LABELS)
    time = pd.to_datetime(rows["Timestamp"])
    table["_file"], table["_time"] = _file_of(time), time
    folder = Path(out) / "cicids2017" / "MachineLearningCVE"
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, *_ in schema.WEEK_FILES:
        part = table[table["_file"] == name].sort_values("_time", kind="stable")
        path = folder / name
        part.drop(columns=["_file", "_time"]).to_csv(path, index=False, encoding="cp1252",
                                                      lineterminator="\r\n")
        written.append(path)
    return written


def execute_chapters(week: Path, chapters: list[Path], out: Path) -> dict[str, str]:
    """Execute ``chapters`` on the genuine week in claims report mode; save them to ``out``.

    Returns ``{chapter: error}`` for the chapters that did not run to their end (a claim
    that does not hold is no error here: the chapter prints it where the claim is made).
    """
    import os

    import nbformat
    from nbclient import NotebookClient

    out.mkdir(parents=True, exist_ok=True)
    saved = dict(os.environ)
    errors = {}
    os.environ.update({"NIDSLIB_DATASET": "cicids2017", "NIDSLIB_DATA": str(week),
                       "NIDSLIB_CACHE": str(week / "cache"), "NIDSLIB_CLAIMS": "report"})
    try:
        for path in chapters:
            notebook = nbformat.read(path, as_version=4)
            try:
                NotebookClient(notebook, timeout=1200, kernel_name="python3",
                               resources={"metadata": {"path": str(path.parent)}}).execute()
            except Exception as error:  # reported below; the other chapters still run
                last = str(error).strip().splitlines()[-1]
                errors[path.stem] = re.sub(r"\x1b\[[0-9;]*m", "", last)  # no terminal colours
            nbformat.write(notebook, out / path.name)
            failed = [line for cell in notebook.cells for o in cell.get("outputs", [])
                      for line in o.get("text", "").splitlines()
                      if line.startswith("Does not hold on this data")]
            print(f"{path.stem}: {'ERROR ' + errors[path.stem] if path.stem in errors else 'ran to its end'}; "
                  f"{len(failed)} claims do not hold on the genuine week", flush=True)
            for line in failed:
                print("   ", line[len("Does not hold on this data: "):][:300], flush=True)
    finally:
        os.environ.clear()
        os.environ.update(saved)
    return errors


if __name__ == "__main__":
    import argparse
    import os

    parser = argparse.ArgumentParser(description="Build the genuine week; optionally run chapters on it.")
    parser.add_argument("out", type=Path, help="folder for the week (and the executed chapters)")
    parser.add_argument("--execute", nargs="*", metavar="CHAPTER",
                        help="execute these chapter notebooks on the week (report mode)")
    args = parser.parse_args()
    shared = Path(os.environ.get("NIDSLIB_DATA")
                  or Path(__file__).resolve().parents[2] / "shared" / "datasets")
    source = shared / "cicids2017" / "improved_rnd2500"
    out = args.out.resolve()
    print(f"{len(build(source, out))} week files written to {out}")
    if args.execute:
        errors = execute_chapters(out, [Path(p).resolve() for p in args.execute],
                                  out / "executed")
        if errors:
            raise SystemExit(f"chapters that did not run to their end: {errors}")
