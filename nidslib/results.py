"""The book's running results table: one row per model, dataset and split, across chapters.

Introduced in chapter 3 (CNN), section "Keeping score", and completed in chapter 5
(CNN-LSTM), section "All models on one split": every chapter from 2 to 7 adds its models'
:func:`nidslib.evaluation.classification_report_frame` results, so one table compares them
all, and chapter 7 puts compressed models beside the originals.

Example
-------
>>> from nidslib.evaluation import classification_report_frame
>>> report = classification_report_frame(["Benign"] * 6 + ["DoS"] * 3 + ["Bot"],
...                                      ["Benign"] * 5 + ["DoS"] * 3 + ["Benign"] * 2)
>>> table = ResultsTable().add("toy model", report, dataset="toy", chapter=2)
>>> table.to_frame()[["model", "split", "macro_f1", "recall[Bot]"]].round(3)
       model split  macro_f1  recall[Bot]
0  toy model  test     0.479          0.0
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd

__all__ = ["ResultsTable"]

_KEY = ("model", "dataset", "split")
_FRONT = (*_KEY, "chapter")
_METRICS = ("accuracy", "macro_f1", "weighted_f1", "benign_fpr", "attack_detection_rate",
            "roc_auc", "average_precision")
_TAIL = ("parameters", "train_seconds", "flows_per_second", "n_samples", "notes")
_STRINGS, _INTEGERS = (*_FRONT, "notes"), ("parameters", "n_samples")
_RECALL = "recall[{}]"


def _is_recall(column: str) -> bool:
    return column.startswith("recall[") and column.endswith("]")


class ResultsTable:
    """One row per (model, dataset, split), accumulated across chapters.

    Chapters 3 to 7 each ``load`` the table, ``add`` their models and ``save`` it, so
    chapter 5 compares every model on one split and chapter 7 puts compressed models beside
    the originals. Re-adding a (model, dataset, split) replaces its row in place: re-running
    a chapter never duplicates rows. Columns: the key, ``chapter``, the summary metrics,
    one ``recall[<class>]`` per class, ``parameters``, ``train_seconds``,
    ``flows_per_second``, ``n_samples``, ``notes``, then extras in the order first added.
    Introduced in chapter 3 (CNN), section "Keeping score"; used in chapter 5 (CNN-LSTM),
    section "All models on one split".

    Parameters
    ----------
    frame : pandas.DataFrame, optional
        Rows to start from (e.g. a saved table read back); missing cells are left out of
        each row.

    Raises
    ------
    ValueError
        When ``frame`` lacks one of the key columns ``model``, ``dataset``, ``split``.
    """

    def __init__(self, frame: pd.DataFrame | None = None):
        self._rows: list[dict] = []
        self._seen: dict[str, None] = {}  # every column ever added, in order
        if frame is not None:
            self._seen.update(dict.fromkeys(frame.columns))
            missing = [c for c in _KEY if c not in frame.columns]
            if missing:
                raise ValueError(f"a results frame needs the columns {missing}")
            for record in frame.to_dict(orient="records"):
                self._upsert({k: v for k, v in record.items() if not _missing(v)})

    def add(self, model: str, report, *, dataset: str = "", split: str = "test",
            chapter=None, parameters: int | None = None, train_seconds: float | None = None,
            flows_per_second: float | None = None, notes: str = "", **extra) -> ResultsTable:
        """Add (or replace) the row of ``model`` on ``dataset``/``split``; returns ``self``.

        ``report`` is a :func:`classification_report_frame` result (its summary and
        per-class recalls are taken) or a plain mapping of summary metrics. ``extra``
        keywords become columns of their own (e.g. ``size_bytes=86_824``).

        Parameters
        ----------
        model : str
            The model's name, part of the row's key.
        report : pandas.DataFrame or Mapping
            A :func:`classification_report_frame` result, or a mapping of summary metrics
            (only the known metric names and ``n_samples`` are taken from it).
        dataset : str, default ""
            The dataset, part of the key.
        split : str, default "test"
            The split the model was scored on, part of the key.
        chapter : optional
            The chapter that adds the row (stored as text).
        parameters : int, optional
            The model's parameter count.
        train_seconds : float, optional
            Training time in seconds.
        flows_per_second : float, optional
            Inference throughput.
        notes : str, default ""
            Free text.
        **extra
            Further columns; missing values (``None``, NaN) are left out.

        Returns
        -------
        ResultsTable
            ``self``, so calls can be chained.

        Raises
        ------
        ValueError
            When a DataFrame ``report`` has no ``attrs["summary"]`` (a derived copy), or an
            ``extra`` keyword reuses the name of a standard column.
        TypeError
            When ``report`` is neither a DataFrame nor a mapping.
        """
        if isinstance(report, pd.DataFrame):
            if "summary" not in report.attrs:
                raise ValueError("report has no attrs['summary']: pass the frame that "
                                 "classification_report_frame returned, not a derived copy")
            summary = report.attrs["summary"]
            recalls = {_RECALL.format(c): float(r) for c, r in report["recall"].items()}
        elif isinstance(report, Mapping):
            summary, recalls = report, {}
        else:
            raise TypeError(f"report must be a DataFrame or a mapping, not {type(report)}")
        row = {"model": str(model), "dataset": str(dataset), "split": str(split),
               "chapter": "" if chapter is None else str(chapter)}
        row.update({m: float(summary[m]) for m in _METRICS if m in summary})
        row.update(recalls)
        optional = {"parameters": parameters, "train_seconds": train_seconds,
                    "flows_per_second": flows_per_second,
                    "n_samples": summary.get("n_samples"), "notes": str(notes)}
        row.update({k: v for k, v in optional.items() if v is not None})
        clash = set(extra) & {*_FRONT, *_METRICS, *_TAIL}
        if clash:
            raise ValueError(f"{sorted(clash)} are named arguments, not extras")
        row.update({k: v for k, v in extra.items() if not _missing(v)})
        self._upsert(row)
        return self

    def _upsert(self, row: dict) -> None:
        self._seen.update(dict.fromkeys(row))
        key = tuple(row.get(k, "") for k in _KEY)
        for i, old in enumerate(self._rows):
            if tuple(old.get(k, "") for k in _KEY) == key:
                self._rows[i] = row
                return
        self._rows.append(row)

    def columns(self) -> list[str]:
        """Column names in display order (see the class docstring).

        Returns
        -------
        list of str
            The key, ``chapter``, the metrics, the ``recall[<class>]`` columns, the fixed
            tail, then the extras; only columns some row fills.
        """
        used = {c for row in self._rows for c in row}  # a replaced row may leave columns empty
        seen = [c for c in self._seen if c in used]
        recalls = [c for c in seen if _is_recall(c)]
        fixed = {*_FRONT, *_METRICS, *_TAIL, *recalls}
        extras = [c for c in seen if c not in fixed]
        return [*_FRONT, *_METRICS, *recalls, *_TAIL, *extras]

    def to_frame(self) -> pd.DataFrame:
        """The table as a DataFrame, one row per (model, dataset, split).

        Returns
        -------
        pandas.DataFrame
            Columns in :meth:`columns` order, with fixed dtypes: text for the key,
            ``chapter`` and ``notes``, nullable integers for ``parameters`` and
            ``n_samples``, floats for metrics, timings and recalls.
        """
        columns = self.columns()
        frame = pd.DataFrame.from_records(self._rows, columns=columns)
        for c in columns:
            if c in _STRINGS:
                frame[c] = pd.Series([v if isinstance(v, str) else "" for v in frame[c]],
                                     index=frame.index, dtype="str")
            elif c in _INTEGERS:
                frame[c] = frame[c].astype("Float64").astype("Int64")
            elif c in _METRICS or c in ("train_seconds", "flows_per_second") or _is_recall(c):
                frame[c] = frame[c].astype("float64")
        return frame

    def __len__(self) -> int:
        return len(self._rows)

    def __repr__(self) -> str:
        return f"ResultsTable({len(self)} rows)\n{self.to_frame()!r}"

    def _repr_html_(self) -> str:  # a notebook shows the table itself
        return self.to_frame()._repr_html_()

    def save(self, path) -> Path:
        """Write the table to ``.parquet`` (exact dtypes) or ``.csv``; returns the path.

        Parameters
        ----------
        path : str or Path
            The file; its suffix (``.parquet``, ``.pq`` or ``.csv``) picks the format, and
            missing parent folders are created.

        Returns
        -------
        pathlib.Path
            ``path``.

        Raises
        ------
        ValueError
            When the suffix is none of the above.
        """
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        frame = self.to_frame()
        if path.suffix in (".parquet", ".pq"):
            frame.to_parquet(path, index=False)
        elif path.suffix == ".csv":
            frame.to_csv(path, index=False)
        else:
            raise ValueError(f"unknown format {path.suffix!r}: use .parquet or .csv")
        return path

    @classmethod
    def load(cls, path, *, missing_ok: bool = False) -> ResultsTable:
        """Read a saved table (``.parquet``, ``.pq`` or ``.csv``).

        ``missing_ok`` gives an empty table for a missing file, so a chapter also runs
        before the chapters that precede it have written the file.

        Parameters
        ----------
        path : str or Path
            The file written by :meth:`save`.
        missing_ok : bool, default False
            Return an empty table when ``path`` does not exist.

        Returns
        -------
        ResultsTable

        Raises
        ------
        ValueError
            When the suffix is not ``.parquet``, ``.pq`` or ``.csv``, or the file lacks a
            key column.
        FileNotFoundError
            When ``path`` does not exist and ``missing_ok`` is False.
        """
        path = Path(path)
        if missing_ok and not path.exists():
            return cls()
        if path.suffix in (".parquet", ".pq"):
            frame = pd.read_parquet(path)
        elif path.suffix == ".csv":
            # Only empty cells are missing: a model called "NA" stays "NA".
            frame = pd.read_csv(path, dtype={c: "str" for c in _STRINGS},
                                keep_default_na=False, na_values=[""])
        else:
            raise ValueError(f"unknown format {path.suffix!r}: use .parquet or .csv")
        return cls(frame)


def _missing(value) -> bool:
    return value is None or (np.ndim(value) == 0 and bool(pd.isna(value)))
