"""From the publishers' columns and labels to the book's canonical frame.

Chapter 1 (Data cleaning), sections "Load the whole week" and
"From 15 labels to 9 families". Every loader of :mod:`nidslib.data.datasets` applies these
four steps, and :func:`nidslib.cleaning.clean` runs them first, so a frame is canonical
whichever way it came: snake_case feature names, one ``fwd_header_length``, labels spelled
as in :data:`nidslib.data.schema.LABELS`, and a ``category`` (the attack family, through
:data:`nidslib.data.schema.LABEL_FAMILY`, the book's one label map). Each step records what
it did in a :class:`CleaningReport`, the report every cleaning step of chapter 1 fills in.

Example
-------
>>> import pandas as pd
>>> raw = pd.DataFrame({" Flow Duration": [3, 5], " Label": ["BENIGN", "Web Attack \x96 XSS"]})
>>> report = CleaningReport()
>>> frame = add_category(repair_labels(normalise_column_names(raw, report), report), report)
>>> frame[["label", "category"]].to_dict("list")
{'label': ['BENIGN', 'Web Attack - XSS'], 'category': ['Benign', 'Web Attack']}
>>> list(frame.columns)
['flow_duration', 'label', 'category']
>>> report.to_frame()["step"].tolist()
['normalise_column_names', 'repair_labels', 'add_category']
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from nidslib.data import schema
from nidslib.data.rawcsv import DatasetFormatError

__all__ = ["CleaningReport", "StepRecord", "add_category", "drop_duplicated_column",
           "normalise_column_names", "record_step", "repair_labels"]

# Byte sequences that stand for the dash of "Web Attack - XSS" in the copies in circulation:
# UTF-8 re-encoded cp1252 (read as latin-1), raw cp1252, decoded cp1252, a replaced byte.
_BROKEN_DASHES = ("\u00c2\x96", "\x96", "\u2013", "\ufffd")


@dataclass(frozen=True)
class StepRecord:
    """What one cleaning step did: rows in and out, columns dropped, values changed, why.

    Attributes
    ----------
    step : str
        The step's function name, such as ``"drop_duplicate_rows"``.
    rows_before, rows_after : int
        Rows of the frame before and after the step.
    columns_dropped : tuple of str
        Columns the step removed.
    values_repaired : int
        Values the step changed in place (labels spelled anew, infinities made missing).
    details : dict of str to float
        Counts worth showing, such as rows dropped per label or column.
    why : str
        One line of reason.
    """

    step: str
    rows_before: int
    rows_after: int
    columns_dropped: tuple[str, ...]
    values_repaired: int
    details: dict[str, float]
    why: str


@dataclass
class CleaningReport:
    """The record of a cleaning run, one :class:`StepRecord` per step, in order.

    ``report["drop_missing"]`` is the latest record of that step; a notebook displays the
    report as the table of :meth:`to_frame`.

    Attributes
    ----------
    steps : list of StepRecord
        The records, in the order the steps ran.
    """

    steps: list[StepRecord] = field(default_factory=list)

    def __getitem__(self, step: str) -> StepRecord:
        """The latest record of the step called ``step``.

        Raises
        ------
        KeyError
            No step of that name ran; the message lists those that did.
        """
        for record in reversed(self.steps):
            if record.step == step:
                return record
        raise KeyError(f"no step {step!r} in this report; steps: {[r.step for r in self.steps]}")

    def to_frame(self) -> pd.DataFrame:
        """One row per step, ready to display in a notebook.

        Returns
        -------
        pandas.DataFrame
            Columns ``step``, ``rows_before``, ``rows_after``, ``rows_dropped``,
            ``columns_dropped``, ``values_repaired``, ``details`` (text) and ``why``.
        """
        return pd.DataFrame({
            "step": [r.step for r in self.steps],
            "rows_before": [r.rows_before for r in self.steps],
            "rows_after": [r.rows_after for r in self.steps],
            "rows_dropped": [r.rows_before - r.rows_after for r in self.steps],
            "columns_dropped": [", ".join(r.columns_dropped) for r in self.steps],
            "values_repaired": [r.values_repaired for r in self.steps],
            "details": ["; ".join(f"{k}: {v:,}" for k, v in r.details.items())
                        for r in self.steps],
            "why": [r.why for r in self.steps],
        })

    def _repr_html_(self) -> str:
        return self.to_frame()._repr_html_()


def record_step(report, step, before, after, why, *, dropped=(), repaired=0, details=None):
    """Append what ``step`` did to ``report`` (when there is one); return ``after``.

    Every step of :mod:`nidslib.cleaning` and of this module reports through it.

    Parameters
    ----------
    report : CleaningReport or None
        The report to append to; ``None`` records nothing.
    step : str
        The step's name.
    before, after : pandas.DataFrame
        The frames around the step (only their lengths are recorded).
    why : str
        One line of reason.
    dropped : sequence of str
        The columns the step dropped.
    repaired : int
        The values it changed.
    details : dict of str to float, optional
        Counts worth showing.

    Returns
    -------
    pandas.DataFrame
        ``after``, unchanged, so that a step can end with ``return record_step(...)``.
    """
    if report is not None:
        report.steps.append(StepRecord(step, len(before), len(after), tuple(dropped),
                                       int(repaired), dict(details or {}), why))
    return after


def normalise_column_names(frame: pd.DataFrame, report: CleaningReport | None = None):
    """Canonical snake_case names: ``' Flow Bytes/s'`` -> ``flow_bytes_per_s``.

    Chapter 1 (Data cleaning), section "Load the whole week".

    pandas' ``... .1`` for the duplicated ``Fwd Header Length`` becomes
    ``fwd_header_length_copy`` so that :func:`drop_duplicated_column` can check it.

    Parameters
    ----------
    frame : pandas.DataFrame
        A frame under the publisher's column names.
    report : CleaningReport, optional
        Where to record how many columns were renamed.

    Returns
    -------
    pandas.DataFrame
        The same data under the names of :func:`nidslib.data.schema.snake_case`.

    Raises
    ------
    DatasetFormatError
        Two columns would get the same canonical name.
    """
    names = [str(c) for c in frame.columns]
    renamed = []
    for name in names:
        mangled = re.fullmatch(r"(.*)\.(\d+)", name)
        if mangled and mangled.group(1) in names:
            number = int(mangled.group(2))
            renamed.append(schema.snake_case(mangled.group(1))
                           + ("_copy" if number == 1 else f"_copy{number}"))
        else:
            renamed.append(schema.snake_case(name))
    clashes = sorted({n for n in renamed if renamed.count(n) > 1})
    if clashes:
        raise DatasetFormatError(f"columns {names} give clashing canonical names {clashes}")
    changed = sum(old != new for old, new in zip(names, renamed))
    after = frame.set_axis(renamed, axis=1)
    return record_step(report, "normalise_column_names", frame, after,
                   "raw names carry leading spaces, capitals and '/'",
                   details={"columns renamed": changed})


def drop_duplicated_column(frame: pd.DataFrame, report: CleaningReport | None = None):
    """Drop the copy of fwd_header_length.

    Chapter 1 (Data cleaning), sections "Meet the raw files" and "Load the whole week".

    CICFlowMeter writes ``Fwd Header Length`` twice; the report says in how many rows the
    copies differ (0 in CICIDS2017), so the drop is checked rather than assumed.

    Parameters
    ----------
    frame : pandas.DataFrame
        A frame with canonical names (:func:`normalise_column_names`).
    report : CleaningReport, optional
        Where to record the drop and the number of rows in which the copies differ.

    Returns
    -------
    pandas.DataFrame
        The frame without ``fwd_header_length_copy``; unchanged when it has no copy.
    """
    copy, original = schema.DUPLICATED_FEATURE_COPY, schema.DUPLICATED_FEATURE
    if copy not in frame.columns:
        return record_step(report, "drop_duplicated_column", frame, frame, "no copy present")
    first, second = frame[original], frame[copy]
    differ = int((~((first == second) | (first.isna() & second.isna()))).sum())
    after = frame.drop(columns=[copy])
    return record_step(report, "drop_duplicated_column", frame, after,
                   "CICFlowMeter writes Fwd Header Length twice", dropped=[copy],
                   details={"rows differing": differ})


def _repair_label(label: str) -> str:
    for dash in _BROKEN_DASHES:
        label = label.replace(dash, "-")
    return label.strip()


def repair_labels(frame: pd.DataFrame, report: CleaningReport | None = None, *,
                  known=schema.LABELS):
    """"Web Attack \\x96 XSS" -> "Web Attack - XSS".

    Chapter 1 (Data cleaning), sections "Meet the raw files" and "Load the whole week".

    Repairs every form the cp1252 dash takes in circulating copies, strips spaces, then
    checks each label is one of ``known``.

    Parameters
    ----------
    frame : pandas.DataFrame
        A frame with a ``label`` column.
    report : CleaningReport, optional
        Where to record how many labels of each spelling were repaired.
    known : collection of str
        The labels allowed after repair (CICIDS2017's 15 by default).

    Returns
    -------
    pandas.DataFrame
        The frame with ``label`` repaired, as strings.

    Raises
    ------
    DatasetFormatError
        A label is unknown or missing; the message names the labels, their counts and,
        when the frame has ``source_file``, their files.
    """
    codes, uniques = pd.factorize(frame["label"], use_na_sentinel=True)
    repaired = [_repair_label(str(u)) for u in uniques]
    counts = np.bincount(codes[codes >= 0], minlength=len(uniques))
    is_unknown = np.array([r not in known for r in repaired] + [True])  # last: missing (-1)
    if is_unknown[codes].any():
        unknown = {r: int(n) for r, n, bad in zip(repaired, counts, is_unknown) if bad}
        missing = int((codes < 0).sum())
        where = ""
        if "source_file" in frame.columns:
            files = frame.loc[is_unknown[codes], "source_file"].astype("str").unique()
            where = f" in {sorted(files)}"
        raise DatasetFormatError(
            f"unknown labels{where}: {unknown}"
            + (f", {missing} rows without a label" if missing else "")
            + f"; expected one of {list(known)}")
    changes = {f"{u!r} -> {r!r}": int(n) for u, r, n in zip(uniques, repaired, counts) if u != r}
    labels = pd.Series(pd.array(repaired, dtype="str").take(codes), index=frame.index)
    after = frame.assign(label=labels)
    return record_step(report, "repair_labels", frame, after,
                   "the files write the web-attack dash as the cp1252 byte 0x96",
                   repaired=sum(changes.values()), details=changes)


def add_category(frame: pd.DataFrame, report: CleaningReport | None = None, *,
                 families=schema.LABEL_FAMILY):
    """Add ``category`` from ``label``.

    Chapter 1 (Data cleaning), section "From 15 labels to 9 families".

    Parameters
    ----------
    frame : pandas.DataFrame
        A frame with repaired labels (:func:`repair_labels`).
    report : CleaningReport, optional
        Where to record the number of flows per family.
    families : dict of str to str
        Label -> family (CICIDS2017's :data:`nidslib.data.schema.LABEL_FAMILY` by default).

    Returns
    -------
    pandas.DataFrame
        The frame with a ``category`` column of strings.

    Raises
    ------
    DatasetFormatError
        A label has no family in ``families``.
    """
    codes, labels = pd.factorize(frame["label"])  # map the 15 labels, not every row
    mapped = [families.get(label) for label in labels] + [None]  # last: missing (-1)
    unknown = np.array([family is None for family in mapped])[codes]
    if unknown.any():
        counts = frame.loc[unknown, "label"].value_counts().to_dict()
        raise DatasetFormatError(f"labels without a family: {counts}; known: {list(families)}")
    category = pd.array(mapped[:-1], dtype="str").take(codes)
    after = frame.assign(category=pd.Series(category, index=frame.index))
    counts = after["category"].value_counts().to_dict()
    return record_step(report, "add_category", frame, after,
                   "attack families pool rare labels into learnable classes", details=counts)
