"""Reading raw CIC flow files: fast when they are sound, precise when they are not.

Chapter 1 (Data cleaning), section "Meet the raw files". The fast path hands the whole file
to pyarrow's multithreaded CSV reader. Only when that fails does a slow line-by-line pass
run, and only to say which line, column and value broke the file.

Example
-------
A one-flow file in the MachineLearningCVE format, read as it is, then damaged:

>>> import tempfile
>>> from pathlib import Path
>>> from nidslib.data import schema
>>> path = Path(tempfile.mkdtemp()) / "Monday-WorkingHours.pcap_ISCX.csv"
>>> header = ",".join(schema.MACHINE_LEARNING_CVE_HEADER)
>>> flow = ",".join(["443", "Infinity"] + ["0"] * 76 + ["BENIGN"])
>>> _ = path.write_text(header + "\\n" + flow + "\\n")
>>> frame = read_cicids2017_csv(path)
>>> frame.shape, float(frame[" Flow Duration"].iloc[0]), frame[" Label"].iloc[0]
((1, 79), inf, 'BENIGN')
>>> _ = path.write_text(header + "\\n" + flow.replace("443", "port 443", 1) + "\\n")
>>> try:
...     read_cicids2017_csv(path)
... except DatasetFormatError as error:
...     print(str(error).split(", ", 1)[1])
line 2, column 'Destination Port': 'port 443' is not a number, 'Infinity' or 'NaN'
"""

from __future__ import annotations

import re
from collections import Counter
from datetime import datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from pyarrow import csv as pa_csv

from nidslib.data import schema


class DatasetFormatError(ValueError):
    """A data file or folder that is not what its reader expects.

    The message names the file and, where it applies, the line, column and offending value,
    and says what was expected, so a reader can fix the file rather than debug the reader.
    A subclass of ``ValueError``, so code that catches ``ValueError`` catches it too.
    """


CICIDS2017_FORMATS: dict[str, tuple[str, ...]] = {
    "MachineLearningCVE": schema.MACHINE_LEARNING_CVE_HEADER,
    "TrafficLabelling": schema.TRAFFIC_LABELLING_HEADER,
}
_CSE_HEADERS = {
    "CSE-CIC-IDS2018": schema.CSE_CIC_IDS2018_HEADER,
    "CSE-CIC-IDS2018 (with Flow ID and IPs)":
        schema.CSE_CIC_IDS2018_EXTRA_COLUMNS + schema.CSE_CIC_IDS2018_HEADER,
}
_TEXT_COLUMNS = {"Flow ID", "Source IP", "Destination IP", "Src IP", "Dst IP", "Label"}

# What pyarrow accepts as a float (checked against it), a timestamp, and free text. Used only
# by the diagnosing pass; empty fields are missing values and always allowed.
_PATTERNS = {
    "number": r" *(?:[+-]?(?:(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?|(?i:inf|infinity|nan)))? *",
    "timestamp": r" *(?:\d{1,2}/\d{1,2}/\d{4} \d{1,2}:\d{2}(?::\d{2})?)? *",
    "text": r"[^,]*",
}
_EXPECTED = {
    "number": "a number, 'Infinity' or 'NaN'",
    "timestamp": "a time like '7/7/2017 3:56' or '14/02/2018 08:31:01' (day/month/year)",
    "text": "text without commas",
}
_TIMESTAMP_PARTS = re.compile(r" *(\d{1,2})/(\d{1,2})/(\d{4}) (\d{1,2}):(\d{2})(?::(\d{2}))? *")


def read_cicids2017_csv(
    path, format: str = "MachineLearningCVE", float_dtype: str = "float64"
) -> pd.DataFrame:
    """Read one raw CICIDS2017 CSV file, keeping its own column names.

    Chapter 1 (Data cleaning), section "Meet the raw files". Names stay exactly as in the
    file (leading spaces; pandas' ``.1`` on the duplicated ``Fwd Header Length``), numbers
    are parsed (``Infinity`` -> inf, ``NaN`` or empty -> NaN), and ``Label`` is decoded as
    latin-1, which maps bytes one to one: both the raw cp1252 dash (byte 0x96) and its
    UTF-8 re-encoding (b"\\xc2\\x96") survive for
    :func:`nidslib.data.canonical.repair_labels`. ``TrafficLabelling`` files also get
    ``Timestamp`` parsed: day/month/year on a 12-hour clock without AM/PM, so hours 1-7 are
    afternoon (13-19). Rows whose every field is empty (reported in the real Thursday
    TrafficLabelling file) are dropped and counted in ``attrs["blank_rows"]``.

    Parameters
    ----------
    path : str or pathlib.Path
        The CSV file.
    format : {"MachineLearningCVE", "TrafficLabelling"}
        Which of the two published archives the file comes from; the header must match it.
    float_dtype : {"float64", "float32"}
        Type of the numeric columns. ``"float64"`` keeps every value exact (13 % of the
        values of the genuine sample are not representable in float32); ``"float32"``
        halves the memory.

    Returns
    -------
    pandas.DataFrame
        One row per flow, the file's columns under the file's names, and
        ``attrs["blank_rows"]``.

    Raises
    ------
    ValueError
        ``format`` is neither of the two formats.
    DatasetFormatError
        The file is empty, its header is not the ``format`` header (the message says which
        reader or format fits when it is another known header), or a line is malformed: a
        wrong number of fields, a value that is not a number, or a bad timestamp.
    FileNotFoundError
        ``path`` does not exist.
    """
    if format not in CICIDS2017_FORMATS:
        raise ValueError(f"format must be one of {list(CICIDS2017_FORMATS)}, not {format!r}")
    return _to_frame(*read_flow_table(path, format, float_dtype))


def read_cse_cic_ids2018_csv(path, float_dtype: str = "float64") -> pd.DataFrame:
    """Read one raw CSE-CIC-IDS2018 daily CSV file, keeping its own column names.

    Chapter 1 (Data cleaning), section "Meet the raw files", reads a file this way when the
    book runs on CSE-CIC-IDS2018. Header lines repeated inside the file are dropped and
    counted in ``attrs["repeated_headers"]``; ``Timestamp`` ("14/02/2018 08:31:01", day
    first, 24-hour clock) is parsed. The Tuesday file's four extra identity columns are kept
    here; the canonical loader drops them.

    Parameters
    ----------
    path : str or pathlib.Path
        One of the ten daily CSV files.
    float_dtype : {"float64", "float32"}
        Type of the numeric columns, as for :func:`read_cicids2017_csv`.

    Returns
    -------
    pandas.DataFrame
        One row per flow under the file's column names, with ``attrs["repeated_headers"]``
        and ``attrs["blank_rows"]``.

    Raises
    ------
    DatasetFormatError
        The file is empty, its header is neither 2018 header (with or without the identity
        columns), or a line is malformed.
    FileNotFoundError
        ``path`` does not exist.
    """
    return _to_frame(*read_flow_table(path, "CSE-CIC-IDS2018", float_dtype))


def _to_frame(table: pa.Table, counts: dict[str, int]) -> pd.DataFrame:
    frame = table.to_pandas(split_blocks=True, self_destruct=True)
    frame.attrs.update(counts)
    return frame


def read_flow_table(path, format: str, float_dtype: str = "float64"):
    """The fast path of every CIC reader: one raw file as an Arrow table, with its counts.

    The loaders of :mod:`nidslib.data.datasets` concatenate these tables before converting
    to pandas once, which keeps the peak memory near one copy of the data.

    Parameters
    ----------
    path : str or pathlib.Path
        The CSV file.
    format : {"MachineLearningCVE", "TrafficLabelling", "CSE-CIC-IDS2018"}
        The header the file must have.
    float_dtype : {"float64", "float32"}
        Type of the numeric columns.

    Returns
    -------
    table : pyarrow.Table
        The file's rows under its own column names (pandas-style ``.1`` on a duplicate),
        ``Label`` decoded as latin-1 and ``Timestamp`` parsed.
    counts : dict of str to int
        Rows dropped: ``"blank_rows"``, and ``"repeated_headers"`` for 2018.

    Raises
    ------
    ValueError
        ``format`` is none of the three.
    DatasetFormatError
        The file is empty, has another header, or holds a malformed line.
    FileNotFoundError
        ``path`` does not exist.
    """
    if format not in (*CICIDS2017_FORMATS, "CSE-CIC-IDS2018"):
        raise ValueError(f"unknown format {format!r}")
    path = Path(path)
    names = _read_header(path)
    if format in CICIDS2017_FORMATS:
        _check_header(path, names, format, CICIDS2017_FORMATS[format])
        return _read_rows(path, names, float_dtype, afternoon_clock=True)
    keys = [_key(name) for name in names]
    if not any(keys == [_key(n) for n in header] for header in _CSE_HEADERS.values()):
        _check_header(path, names, format, schema.CSE_CIC_IDS2018_HEADER)
    return _read_rows(path, names, float_dtype, afternoon_clock=False, repeated_header=True)


def _read_header(path: Path) -> list[str]:
    with open(path, "rb") as file:
        first = file.readline()
    if not first.strip():
        what = "is empty" if not first else "starts with a blank line"
        raise DatasetFormatError(f"{path}: the file {what}; expected a header line of "
                                 "column names ending in 'Label'")
    text = first.decode("latin-1").removeprefix("\xef\xbb\xbf")  # a UTF-8 BOM
    return re.split(r"\r\n?|\n", text)[0].split(",")


def _key(name: str) -> str:
    """A header name without spaces and without the ``.1`` pandas adds to a duplicate."""
    return re.sub(r"\.\d+$", "", name.strip())


def _kind(name: str) -> str:
    key = _key(name)
    return "timestamp" if key == "Timestamp" else "text" if key in _TEXT_COLUMNS else "number"


def _recognise(keys: list[str]) -> str | None:
    known = {**CICIDS2017_FORMATS, **_CSE_HEADERS}
    return next((fmt for fmt, header in known.items() if keys == [_key(n) for n in header]), None)


def _check_header(path: Path, names: list[str], format: str, header: tuple[str, ...]) -> None:
    keys, expected = [_key(n) for n in names], [_key(n) for n in header]
    if keys == expected:
        return
    looks_like = _recognise(keys)
    if "Label" not in keys:
        raise DatasetFormatError(
            f"{path}: line 1 (the header) has no 'Label' column; a {format} file has "
            f"{len(expected)} columns ending in 'Label' (this header has {len(keys)} columns, "
            f"starting {names[:3]})")
    if looks_like:
        hint = ("read it with read_cse_cic_ids2018_csv" if looks_like.startswith("CSE")
                else f"read it with format={looks_like!r}")
        raise DatasetFormatError(f"{path}: this is a {looks_like} file, not {format}; {hint}")
    # Counted as multisets: the official header holds 'Fwd Header Length' twice, and a file
    # that lost the copy must be told so, not that nothing is missing.
    missing = list((Counter(expected) - Counter(keys)).elements())
    unexpected = list((Counter(keys) - Counter(expected)).elements())
    once = [k for k in missing if k in keys]
    raise DatasetFormatError(
        f"{path}: line 1 (the header) is not the {format} header: {len(keys)} columns, "
        f"expected {len(expected)}; missing {missing[:5]}, unexpected {unexpected[:5]}"
        + (f"; {once} appear once, and the {format} header has them twice" if once else "")
        + ("" if missing or unexpected else "; the columns are out of order"))


def _mangle(names: list[str]) -> list[str]:
    """Make duplicated names unique the way pandas does (``name``, ``name.1``, ...)."""
    seen: dict[str, int] = {}
    unique = []
    for name in names:
        count = seen.get(name, 0)
        seen[name] = count + 1
        unique.append(f"{name}.{count}" if count else name)
    return unique


def _read_rows(path: Path, names: list[str], float_dtype: str, *, afternoon_clock: bool,
               repeated_header: bool = False) -> tuple[pa.Table, dict[str, int]]:
    columns, kinds = _mangle(names), [_kind(n) for n in names]
    number_type = pa.from_numpy_dtype(np.dtype(float_dtype))
    types = {c: number_type if k == "number" else pa.string() for c, k in zip(columns, kinds)}
    label = columns[[_key(n) for n in names].index("Label")]
    types[label] = pa.binary()  # decoded below as latin-1: never fails, keeps every byte
    # A repeated header line reads as missing numbers and is dropped by its label.
    nulls = ["", "NaN"] + (names if repeated_header else [])
    try:
        table = pa_csv.read_csv(
            path,
            # Blocks of 1 MiB (pyarrow's default) stay in the CPU cache while they are
            # parsed: 16 MiB blocks took twice the CPU time on the full twin.
            read_options=pa_csv.ReadOptions(column_names=columns, skip_rows=1,
                                            block_size=1 << 20),
            parse_options=pa_csv.ParseOptions(quote_char=False),
            convert_options=pa_csv.ConvertOptions(column_types=types, null_values=nulls,
                                                  strings_can_be_null=False))
    except pa.ArrowException as error:
        raise _diagnose(path, names, kinds, error, repeated_header) from None
    counts = {}
    if repeated_header:
        kept = table.filter(pc.not_equal(table.column(label), b"Label"))
        counts["repeated_headers"] = table.num_rows - kept.num_rows
        table = kept
    table, counts["blank_rows"] = _drop_blank_rows(table, label)
    for position, (column, kind) in enumerate(zip(columns, kinds)):
        if kind == "timestamp":
            times = _parse_timestamps(path, table.column(column), column, afternoon_clock)
            table = table.set_column(position, column, times)
    table = table.set_column(columns.index(label), label, _decode_latin1(table.column(label)))
    return table, counts


def _drop_blank_rows(table: pa.Table, label: str):
    """Drop rows whose every field is empty (reported in the real Thursday TrafficLabelling
    file); a row with only its label empty is kept, for repair_labels to report."""
    empty = pc.equal(table.column(label), b"")
    if not pc.any(empty).as_py():
        return table, 0
    for column in table.column_names:
        values = table.column(column)
        blank = pc.is_null(values) if pa.types.is_floating(values.type) else pc.equal(values, "")
        if column != label:
            empty = pc.and_(empty, blank)
    kept = table.filter(pc.invert(empty))
    return kept, table.num_rows - kept.num_rows


def _decode_latin1(values: pa.ChunkedArray) -> pa.Array:
    uniques = pc.unique(values)
    decoded = pa.array([b.decode("latin-1") for b in uniques.to_pylist()], pa.string())
    return pc.take(decoded, pc.index_in(values, value_set=uniques))


def _parse_timestamps(path: Path, values: pa.ChunkedArray, column: str,
                      afternoon_clock: bool) -> pa.Array:
    """Parse the few distinct timestamps of a file once each (minute or second resolution)."""
    uniques = pc.unique(values)
    parsed = []
    for text in uniques.to_pylist():
        match = _TIMESTAMP_PARTS.fullmatch(text)
        try:
            day, month, year, hour, minute, second = (int(g or 0) for g in match.groups())
            if afternoon_clock and 1 <= hour <= 7:
                hour += 12
            parsed.append(datetime(year, month, day, hour, minute, second))
        except (AttributeError, ValueError):
            row = pc.index(values, text).as_py()
            raise DatasetFormatError(
                f"{path}, data row {row + 1}, column {column.strip()!r}: {text!r} is not "
                f"{_EXPECTED['timestamp']}") from None
    times = pa.array(np.array(parsed, dtype="datetime64[ns]"))
    return pc.take(times, pc.index_in(values, value_set=uniques))


def _diagnose(path: Path, names: list[str], kinds: list[str], error: Exception,
              repeated_header: bool) -> DatasetFormatError:
    """Find the first bad line; slow (pure Python), so run only after the fast path failed."""
    row_pattern = re.compile(",".join(f"(?:{_PATTERNS[k]})" for k in kinds))
    header_keys = [_key(n) for n in names]
    with open(path, encoding="latin-1", newline="") as file:
        for number, line in enumerate(file, start=1):
            line = line.rstrip("\r\n")
            if number == 1 or not line or row_pattern.fullmatch(line):
                continue
            fields = line.split(",")
            if len(fields) != len(names):
                return DatasetFormatError(
                    f"{path}, line {number}: {len(fields)} fields, expected {len(names)} "
                    f"(a truncated or damaged row?)")
            if repeated_header and [_key(f) for f in fields] == header_keys:
                continue
            for name, kind, value in zip(names, kinds, fields):
                if not re.fullmatch(_PATTERNS[kind], value):
                    return DatasetFormatError(
                        f"{path}, line {number}, column {name.strip()!r}: {value[:40]!r} is "
                        f"not {_EXPECTED[kind]}")
    return DatasetFormatError(f"{path}: the CSV reader failed ({error}); expected "
                              f"{len(names)} comma-separated fields per line")
