"""How each flow dataset becomes one canonical frame, and the week every chapter starts from.

Chapter 1 (Data cleaning), section "Load the whole week". The canonical frame has the 77
:data:`nidslib.data.schema.FEATURES` as float columns, ``label`` (repaired), ``category``
(its family), ``day`` and ``source_file`` (categorical), plus ``timestamp`` and the flow's
identity where the files carry them; rows are in time order. ``load_week`` is the book's one
switch between the offline twin and the real data. Where the files live (the data home, the
cache, downloads) is :mod:`nidslib.data.paths`; NSL-KDD and KDD Cup 99 live in
:mod:`nidslib.data.kdd`; raw file readers in :mod:`nidslib.data.rawcsv`.

Example
-------
A folder holding one of the eight CICIDS2017 files, with two flows, as a canonical frame:

>>> import tempfile
>>> from pathlib import Path
>>> from nidslib.data import schema
>>> folder = Path(tempfile.mkdtemp())
>>> labels = ("BENIGN", "Web Attack \\u2013 XSS")  # the dash: byte 0x96 in cp1252
>>> lines = [",".join(schema.MACHINE_LEARNING_CVE_HEADER)]
>>> lines += [",".join(["80"] + ["1"] * 77 + [label]) for label in labels]
>>> name = "Thursday-WorkingHours-Morning-WebAttacks.pcap_ISCX.csv"
>>> _ = (folder / name).write_bytes("\\r\\n".join(lines).encode("cp1252"))  # as published
>>> week = load_cicids2017(folder)
>>> week.shape, week.columns[:2].tolist()
((2, 81), ['destination_port', 'flow_duration'])
>>> week["label"].tolist(), week["category"].tolist()
(['BENIGN', 'Web Attack - XSS'], ['Benign', 'Web Attack'])
>>> str(week["day"].iloc[0]), len(week.attrs["load_report"]["missing"])
('Thursday', 7)
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa

from nidslib.data import schema
from nidslib.data.canonical import (CleaningReport, add_category, drop_duplicated_column,
                                    normalise_column_names, repair_labels)
from nidslib.data.paths import cache_dir, data_home, library_digest
from nidslib.data.rawcsv import DatasetFormatError, read_cicids2017_csv, read_flow_table

__all__ = ["DATASETS", "DatasetFormatError", "load_cicids2017", "load_cse_cic_ids2018",
           "load_unsw_nb15", "load_week", "read_cicids2017_csv", "resolve_dataset", "week_folder"]

DATASETS = ("twin", "cicids2017", "cse-cic-ids2018")
_ID_COLUMNS = ("timestamp", "flow_id", "source_ip", "source_port", "destination_ip", "protocol")
_CICIDS2017_ARCHIVES = {
    "MachineLearningCVE": "MachineLearningCSV.zip (MD5 4f83860afbf29cac8163854095bf6cf7)",
    "TrafficLabelling": "GeneratedLabelledFlows.zip",
}
UNSW_NB15_FILES = {"train": "UNSW_NB15_training-set.csv", "test": "UNSW_NB15_testing-set.csv"}


def _csv_files(folder: Path, known: list[str], dataset: str) -> dict[str, Path]:
    files = {p.name: p for p in folder.glob("*.csv")} if folder.is_dir() else {}
    unknown = sorted(set(files) - set(known))
    if unknown:
        raise DatasetFormatError(f"{folder}: {unknown} are not {dataset} file names; "
                                 f"expected some of {known}")
    return files


def load_cicids2017(folder=None, format: str = "MachineLearningCVE",
                    float_dtype: str = "float64") -> pd.DataFrame:
    """Load the CICIDS2017 CSV files of ``folder`` as one canonical frame, in week order.

    Chapter 1 (Data cleaning), section "Load the whole week". Any subset of the eight week
    files may be present (``attrs["load_report"]`` says which were loaded). Names, the
    duplicated column, label repair and families come from :mod:`nidslib.data.canonical`,
    whose report is in the load report. Rows keep file order (Monday to Friday) and row
    order; ``TrafficLabelling`` rows are sorted by time within each day.

    Parameters
    ----------
    folder : str or pathlib.Path, optional
        The folder of the CSV files; by default ``data_home()/"cicids2017"/format``.
    format : {"MachineLearningCVE", "TrafficLabelling"}
        Which published archive the files come from.
    float_dtype : {"float64", "float32"}
        Type of the feature columns (see :func:`nidslib.data.rawcsv.read_cicids2017_csv`).

    Returns
    -------
    pandas.DataFrame
        The canonical frame, with ``attrs["load_report"]``: the folder, the files loaded and
        missing, rows per file, blank rows dropped and the steps applied.

    Raises
    ------
    FileNotFoundError
        ``folder`` holds none of the eight files; the message says where to get them.
    DatasetFormatError
        ``folder`` holds a CSV file that is not one of the week's, or a file is malformed,
        or a label is unknown.
    """
    folder = Path(folder) if folder is not None else data_home() / "cicids2017" / format
    week = [name for name, *_ in schema.WEEK_FILES]
    files = _csv_files(folder, week, f"CICIDS2017 {format}")
    if not files:
        raise FileNotFoundError(
            f"No CICIDS2017 {format} files in {folder}. Expected (any of) the 8 files "
            f"{week}. The publisher asks for a form first: "
            f"https://www.unb.ca/cic/datasets/ids-2017.html ; download the archive "
            f"{_CICIDS2017_ARCHIVES[format]} and unzip it so that the CSV files lie directly "
            f"in {folder} (or set NIDSLIB_DATA to a folder holding cicids2017/{format}/).")
    tables, blank = [], {}
    for name, day, *_ in schema.WEEK_FILES:
        if name in files:
            table, counts = read_flow_table(files[name], format, float_dtype)
            blank[name] = counts["blank_rows"]
            tables.append(_with_provenance(table, day, name, tables))
    report = CleaningReport()
    frame = normalise_column_names(_to_pandas(tables), report)
    frame = add_category(repair_labels(drop_duplicated_column(frame, report), report), report)
    if format == "TrafficLabelling":
        frame = _sort_within_day(frame)
        frame = frame.assign(source_port=frame["source_port"].astype("Int32"),
                             protocol=frame["protocol"].astype("Int32"))
    frame = _canonical_order(frame)
    frame.attrs["load_report"] = {
        "folder": str(folder), "format": format,
        "loaded": list(blank), "missing": [n for n in week if n not in files],
        "rows": frame["source_file"].value_counts(sort=False).to_dict(),
        "blank_rows_dropped": blank, "steps": report.to_frame().to_dict("records"),
    }
    return frame


def _with_provenance(table: pa.Table, day: str, name: str, earlier: list[pa.Table]):
    """Add ``day`` and ``source_file``, categorical (one byte per row; as strings the two
    took about 60 MB per million rows); take the first file's spelling of the column names
    (files of one format differ at most in leading spaces, checked by the reader)."""
    if earlier:
        table = table.rename_columns(earlier[0].column_names[:table.num_columns])
    zeros = pa.array(np.zeros(table.num_rows, dtype=np.int8))
    return (table.append_column("day", pa.DictionaryArray.from_arrays(zeros, [day]))
            .append_column("source_file", pa.DictionaryArray.from_arrays(zeros, [name])))


def _to_pandas(tables: list[pa.Table]) -> pd.DataFrame:
    """Convert all files at once, freeing Arrow memory as columns convert: the peak stays
    near one copy of the data instead of two (per-file frames plus their concatenation)."""
    table = pa.concat_tables(tables)
    tables.clear()
    frame = table.to_pandas(split_blocks=True, self_destruct=True)
    return frame.assign(**{c: frame[c].cat.reorder_categories(sorted(frame[c].cat.categories))
                           for c in ("day", "source_file")})  # the order astype gives


def _sort_within_day(frame: pd.DataFrame) -> pd.DataFrame:
    """Stable sort by (day, timestamp): interleaves files of one day, keeps row order."""
    day_rank = frame["day"].map({d: i for i, d in enumerate(pd.unique(frame["day"]))})
    order = np.lexsort((frame["timestamp"].to_numpy().view("int64"), day_rank.to_numpy()))
    if (np.diff(order) > 0).all():
        return frame
    return frame.take(order).reset_index(drop=True)


def _canonical_order(frame: pd.DataFrame) -> pd.DataFrame:
    columns = [*schema.FEATURES, "label", "category", "day", "source_file"]
    return frame[columns + [c for c in _ID_COLUMNS if c in frame.columns]]


def load_cse_cic_ids2018(folder=None, float_dtype: str = "float64") -> pd.DataFrame:
    """Load the CSE-CIC-IDS2018 daily CSV files of ``folder`` as one canonical frame.

    Chapter 1 (Data cleaning), section "Load the whole week", when the book runs on
    CSE-CIC-IDS2018. Same canonical frame as CICIDS2017 (2018 names mapped by
    :data:`nidslib.data.schema.CSE_CIC_IDS2018_COLUMNS`, labels to the same families), plus
    ``protocol`` and ``timestamp``; ``day`` is the capture date. Repeated header lines are
    dropped and counted in ``attrs["load_report"]``, as are the Tuesday file's four identity
    columns. Rows are sorted by time within a day.

    Parameters
    ----------
    folder : str or pathlib.Path, optional
        The folder of the daily files; by default ``data_home()/"cse-cic-ids2018"``.
    float_dtype : {"float64", "float32"}
        Type of the feature columns.

    Returns
    -------
    pandas.DataFrame
        The canonical frame, with ``attrs["load_report"]``.

    Raises
    ------
    FileNotFoundError
        ``folder`` holds none of the ten files; the message says how to download them.
    DatasetFormatError
        ``folder`` holds a CSV file that is not one of the ten, or a file is malformed, or a
        label is unknown.
    """
    folder = Path(folder) if folder is not None else data_home() / "cse-cic-ids2018"
    days = dict(schema.CSE_CIC_IDS2018_FILES)
    files = _csv_files(folder, list(days), "CSE-CIC-IDS2018")
    if not files:
        raise FileNotFoundError(
            f"No CSE-CIC-IDS2018 files in {folder}. Expected (any of) the 10 files "
            f"{list(days)}, from the public bucket: aws s3 cp --no-sign-request --recursive "
            f"\"s3://cse-cic-ids2018/Processed Traffic Data for ML Algorithms/\" \"{folder}\" "
            f"(see https://www.unb.ca/cic/datasets/ids-2018.html).")
    tables, repeated, extra = [], {}, {}
    for name, day in days.items():
        if name in files:
            table, counts = read_flow_table(files[name], "CSE-CIC-IDS2018", float_dtype)
            repeated[name] = counts["repeated_headers"]
            extra[name] = [c for c in schema.CSE_CIC_IDS2018_EXTRA_COLUMNS
                           if c in table.column_names]
            tables.append(_with_provenance(table.drop_columns(extra[name]), day, name, tables))
    report = CleaningReport()
    families = schema.CSE_CIC_IDS2018_LABEL_FAMILY
    frame = _to_pandas(tables).rename(columns=schema.CSE_CIC_IDS2018_COLUMNS)
    frame = add_category(repair_labels(frame, report, known=families), report, families=families)
    frame = _sort_within_day(frame)
    frame = _canonical_order(frame.assign(protocol=frame["protocol"].astype("Int32")))
    frame.attrs["load_report"] = {
        "folder": str(folder), "loaded": list(repeated),
        "missing": [n for n in days if n not in files],
        "rows": frame["source_file"].value_counts(sort=False).to_dict(),
        "repeated_headers_dropped": repeated,
        "extra_columns_dropped": {n: c for n, c in extra.items() if c},
        "steps": report.to_frame().to_dict("records"),
    }
    return frame


def load_unsw_nb15(split: str = "train") -> pd.DataFrame:
    """Load UNSW-NB15's training or testing set as a canonical frame.

    For checks beyond CICIDS2017. ``attack_cat`` becomes ``label`` (already a family, so
    ``category`` repeats it) and the 0/1 ``label`` becomes ``is_attack``. The ``id`` column
    (the row number, not a property of the flow) is dropped so that no model can learn the
    file's row order. The files have no time order.

    Parameters
    ----------
    split : {"train", "test"}
        ``UNSW_NB15_training-set.csv`` or ``UNSW_NB15_testing-set.csv`` of
        ``data_home()/"unsw-nb15"``.

    Returns
    -------
    pandas.DataFrame
        The file's features (their own names), ``label``, ``category`` and ``is_attack``.

    Raises
    ------
    ValueError
        ``split`` is neither "train" nor "test".
    FileNotFoundError
        The file is not in the data home; the message says where to get it.
    DatasetFormatError
        The file is not readable CSV, its header is not UNSW-NB15's, or an ``attack_cat``
        value is unknown.
    """
    if split not in UNSW_NB15_FILES:
        raise ValueError(f"split must be one of {list(UNSW_NB15_FILES)}, not {split!r}")
    folder = data_home() / "unsw-nb15"
    path = folder / UNSW_NB15_FILES[split]
    if not path.exists():
        raise FileNotFoundError(
            f"{path} is missing. UNSW-NB15 has no stable download address: from "
            f"https://research.unsw.edu.au/projects/unsw-nb15-dataset take the files "
            f"{list(UNSW_NB15_FILES.values())} (folder 'CSV Files/Training and Testing Sets') "
            f"and put them into {folder}.")
    try:
        raw = pd.read_csv(path, engine="pyarrow")
    except (pa.ArrowException, ValueError) as error:
        raise DatasetFormatError(f"{path}: not a readable CSV file ({error})") from None
    names = [str(c).strip() for c in raw.columns]
    if names != list(schema.UNSW_NB15_COLUMNS):
        raise DatasetFormatError(
            f"{path}: line 1 (the header) is not the UNSW-NB15 header; missing "
            f"{sorted(set(schema.UNSW_NB15_COLUMNS) - set(names))}, unexpected "
            f"{sorted(set(names) - set(schema.UNSW_NB15_COLUMNS))}")
    raw.columns = names
    attack = raw["attack_cat"].astype("str").str.strip()
    unknown = attack[~attack.isin(schema.UNSW_NB15_ATTACK_CATEGORIES)].value_counts()
    if len(unknown):
        raise DatasetFormatError(f"{path}: unknown attack_cat values {unknown.to_dict()}; "
                                 f"expected {list(schema.UNSW_NB15_ATTACK_CATEGORIES)}")
    return raw.drop(columns=["id", "attack_cat", "label"]).assign(
        label=attack, category=attack, is_attack=raw["label"].astype(bool))


def resolve_dataset(dataset: str | None) -> str:
    """``dataset``, else ``$NIDSLIB_DATASET``, else ``"twin"``, checked.

    Parameters
    ----------
    dataset : str or None
        One of :data:`DATASETS`, or ``None`` for the environment's setting.

    Returns
    -------
    str
        One of :data:`DATASETS`.

    Raises
    ------
    ValueError
        The name (given or from ``$NIDSLIB_DATASET``) is not one of :data:`DATASETS`.
    """
    dataset = dataset or os.environ.get("NIDSLIB_DATASET") or "twin"
    if dataset not in DATASETS:
        raise ValueError(f"dataset must be one of {DATASETS}, not {dataset!r} "
                         f"(check the NIDSLIB_DATASET environment variable)")
    return dataset


def week_folder(dataset: str | None = None, profile: str = "small", seed: int = 0) -> Path:
    """The folder of the week's raw CSV files; for the twin, written on first use.

    Chapter 1 (Data cleaning), section "The data: CICIDS2017 and its twin".
    ``$NIDSLIB_DATASET`` is the book's one data setting. The twin goes to
    ``cache_dir()/"twin-<profile>-seed<seed>-<hash>"``, the hash naming the version of the
    simulation code that wrote it.

    Parameters
    ----------
    dataset : str, optional
        One of :data:`DATASETS`; ``None`` reads ``$NIDSLIB_DATASET`` (default ``"twin"``).
    profile : {"small", "full"}
        The twin's size (:data:`nidslib.twin.simulation.PROFILES`); ignored for real data.
    seed : int
        The twin's random seed; ignored for real data.

    Returns
    -------
    pathlib.Path
        The folder. For real data it is not checked: the loaders say what is missing.

    Raises
    ------
    ValueError
        ``dataset`` is not one of :data:`DATASETS`, or ``profile`` is unknown.
    """
    dataset = resolve_dataset(dataset)
    if dataset == "cicids2017":
        return data_home() / "cicids2017" / "MachineLearningCVE"
    if dataset == "cse-cic-ids2018":
        return data_home() / "cse-cic-ids2018"
    code = library_digest()
    folder = cache_dir() / f"twin-{profile}-seed{seed}-{code}"
    from nidslib.twin import simulation  # imported late: writing the twin is rarely needed

    needed = [name for name, *_ in schema.WEEK_FILES] + [simulation.CORRECTED_LABELS_FILE]
    if not all((folder / name).exists() for name in needed):
        simulation.write_week(folder, profile=profile, seed=seed)
    return folder


def load_week(dataset: str | None = None, profile: str = "small", seed: int = 0,
              corrected_labels: bool = False):
    """The week of flows every chapter starts from, as one canonical frame.

    Chapter 1 (Data cleaning), section "Load the whole week". The twin is read back from its
    CSV files exactly like the real data, so chapter 1 cleans raw files either way.

    Parameters
    ----------
    dataset : str, optional
        One of :data:`DATASETS`; ``None`` reads ``$NIDSLIB_DATASET`` (default ``"twin"``).
    profile : {"small", "full"}
        The twin's size; ignored for real data.
    seed : int
        The twin's random seed; ignored for real data.
    corrected_labels : bool, default False
        Add ``corrected_label``: each flow's label by the corrected release's rules
        (Engelen et al. 2021: attempted attacks are BENIGN, the infiltrated host's port
        scan is "Infiltration - Portscan"). Chapter 1, section "What a label means". Only
        the twin knows it for every row.

    Returns
    -------
    pandas.DataFrame
        The canonical frame of :func:`load_cicids2017` (the twin and CICIDS2017) or of
        :func:`load_cse_cic_ids2018`.

    Raises
    ------
    ValueError
        ``dataset`` is not one of :data:`DATASETS`, or ``profile`` is unknown, or
        ``corrected_labels`` is asked of real data.
    FileNotFoundError
        The real files are not in the data home.
    DatasetFormatError
        A file is malformed.
    """
    dataset = resolve_dataset(dataset)
    if corrected_labels and dataset != "twin":
        raise ValueError(
            f"corrected labels are known row by row only for the twin, not for {dataset!r}: "
            "the corrected CICIDS2017 release (Engelen et al. 2021) is a new set of flows, "
            "not a column for the original files")
    folder = week_folder(dataset, profile, seed)
    if dataset == "cse-cic-ids2018":
        return load_cse_cic_ids2018(folder)
    week = load_cicids2017(folder)
    if corrected_labels:
        from nidslib.twin.simulation import CORRECTED_LABELS_FILE

        corrected = (folder / CORRECTED_LABELS_FILE).read_text().splitlines()
        if len(corrected) != len(week):
            raise ValueError(f"{folder / CORRECTED_LABELS_FILE}: {len(corrected)} labels for "
                             f"{len(week)} rows; delete the folder to rebuild the twin")
        week["corrected_label"] = pd.Categorical(corrected)
    return week
