"""NSL-KDD and KDD Cup 99, the classic benchmarks, for the book's reality checks.

The files come through the data home's pooch registry (:func:`nidslib.data.paths.fetch`):
a file already there is used when its SHA-256 is the published one, and downloaded
otherwise. Each loader returns a canonical frame: the 41
snake_case KDD features, ``label`` (the attack name), ``category`` (normal, DoS, Probe,
R2L, U2R), ``is_attack``, and for NSL-KDD the ``difficulty`` score.

Chapter 8 (reality check) runs the book's models on them with the helpers at the end:
:func:`kdd_preprocessor` (one-hot encoding fitted on training records only),
:func:`validation_split` (early stopping and thresholds tuned on training records only),
:func:`unseen_attacks`, :func:`copies_of` (test rows that are copies of training rows) and
:func:`skip_remaining_cells` (the chapter's skip path when the files cannot be had).

Example
-------
Two NSL-KDD records, a normal one and a flood, read from a file and compared:

>>> import tempfile
>>> from pathlib import Path
>>> record = ["0", "tcp", "http", "SF"] + ["0"] * 37  # the 41 features
>>> lines = [",".join(record + ["normal", "21"]), ",".join(record + ["neptune", "20"])]
>>> path = Path(tempfile.mkdtemp()) / "KDDTrain+.txt"
>>> _ = path.write_text("\\n".join(lines) + "\\n")
>>> frame = read_nsl_kdd(path)
>>> frame["label"].tolist(), frame["category"].tolist(), frame["is_attack"].tolist()
(['normal', 'neptune'], ['normal', 'DoS'], [False, True])
>>> category_codes(frame).tolist()  # ids into KDD_CATEGORIES
[0, 1]
>>> copies_of(frame, frame.iloc[:1]).tolist()  # same features, but another label
[True, False]
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
from pyarrow import csv as pa_csv

from sklearn.compose import ColumnTransformer
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import OneHotEncoder

from nidslib.data import schema
from nidslib.data.paths import fetch
from nidslib.data.rawcsv import DatasetFormatError
from nidslib.features import row_hashes

NSL_KDD_FILES = {"train": "KDDTrain+.txt", "train_20": "KDDTrain+_20Percent.txt",
                 "test": "KDDTest+.txt", "test_21": "KDDTest-21.txt"}
KDDCUP99_FILE = "kddcup.data_10_percent.gz"
# The five classes of the literature's "5-class" results, normal first (the benign class).
KDD_CATEGORIES: tuple[str, ...] = ("normal", "DoS", "Probe", "R2L", "U2R")


def load_nsl_kdd(split: str = "train") -> pd.DataFrame:
    """Load one NSL-KDD file: "train", "train_20", "test" or "test_21".

    The test files hold attack types never seen in training (their ``category`` still
    says which family), which is the point of chapter 8 (reality check).

    Parameters
    ----------
    split : {"train", "train_20", "test", "test_21"}
        ``KDDTrain+.txt``, ``KDDTrain+_20Percent.txt``, ``KDDTest+.txt`` or
        ``KDDTest-21.txt``.

    Returns
    -------
    pandas.DataFrame
        The 41 features, ``label``, ``difficulty``, ``category`` and ``is_attack``.

    Raises
    ------
    ValueError
        ``split`` is none of the four.
    FileNotFoundError
        The file is neither in the data home nor downloadable (see
        :func:`nidslib.data.paths.fetch`).
    DatasetFormatError
        The file is malformed (see :func:`read_nsl_kdd`).
    """
    if split not in NSL_KDD_FILES:
        raise ValueError(f"split must be one of {list(NSL_KDD_FILES)}, not {split!r}")
    return read_nsl_kdd(fetch(f"nsl-kdd/{NSL_KDD_FILES[split]}"))


def load_kddcup99() -> pd.DataFrame:
    """Load the KDD Cup 99 10 % file (494,021 rows, 70.5 % of them exact duplicates).

    Returns
    -------
    pandas.DataFrame
        The 41 features, ``label``, ``category`` and ``is_attack``.

    Raises
    ------
    FileNotFoundError
        The file is neither in the data home nor downloadable (see
        :func:`nidslib.data.paths.fetch`).
    DatasetFormatError
        The file is malformed (see :func:`read_kddcup99`).
    """
    return read_kddcup99(fetch(f"kddcup99/{KDDCUP99_FILE}"))


def read_nsl_kdd(path) -> pd.DataFrame:
    """One NSL-KDD file at ``path`` (any copy: no checksum), as :func:`load_nsl_kdd` gives it.

    Parameters
    ----------
    path : str or pathlib.Path
        A headerless file of 43 comma-separated fields per line: 41 features, the attack
        name, the difficulty score.

    Returns
    -------
    pandas.DataFrame
        The 41 features, ``label`` (the attack name, without a trailing dot), ``difficulty``
        (int8), ``category`` and ``is_attack``.

    Raises
    ------
    DatasetFormatError
        Naming the file and what is wrong: a line without 43 fields, text in a numeric
        column, an attack name without a category.
    """
    frame = _read_kdd(Path(path), [*schema.KDD_FEATURES, "label", "difficulty"])
    return frame.assign(difficulty=frame["difficulty"].astype("int8"))


def read_kddcup99(path) -> pd.DataFrame:
    """One KDD Cup 99 file at ``path`` (plain or gzip), as :func:`load_kddcup99` gives it.

    Parameters
    ----------
    path : str or pathlib.Path
        A headerless file of 42 comma-separated fields per line: 41 features and the attack
        name (``"smurf."``: the trailing dot is removed).

    Returns
    -------
    pandas.DataFrame
        The 41 features, ``label``, ``category`` and ``is_attack``.

    Raises
    ------
    DatasetFormatError
        As for :func:`read_nsl_kdd`, with 42 fields per line.
    """
    return _read_kdd(Path(path), [*schema.KDD_FEATURES, "label"])


def _read_kdd(path: Path, names: list[str]) -> pd.DataFrame:
    try:
        raw = pa_csv.read_csv(path, read_options=pa_csv.ReadOptions(column_names=names)
                              ).to_pandas()
    except pa.ArrowInvalid as error:
        raise DatasetFormatError(f"{path}: expected {len(names)} comma-separated fields per "
                                 f"line, no header ({error})") from None
    numeric = [c for c in names if c not in (*schema.KDD_TEXT_FEATURES, "label")]
    not_numeric = [c for c in numeric if not pd.api.types.is_numeric_dtype(raw[c])]
    if not_numeric:
        raise DatasetFormatError(f"{path}: columns {not_numeric} hold text; expected numbers "
                                 f"(a missing or extra field shifts the columns)")
    label = raw["label"].astype("str").str.strip().str.removesuffix(".")
    category = label.map(schema.KDD_ATTACK_CATEGORY)
    if category.isna().any():
        unknown = label[category.isna()].value_counts().to_dict()
        raise DatasetFormatError(f"{path}: attack names without a category: {unknown}; "
                                 f"known: {sorted(schema.KDD_ATTACK_CATEGORY)}")
    return raw.assign(label=label, category=category.astype("str"),
                      is_attack=(label != "normal").to_numpy())


# --- Chapter 8 (reality check): preparing the records for the book's models ---------------


def _check_frame(frame, name: str, needed=("label",)) -> None:
    if not isinstance(frame, pd.DataFrame):
        raise ValueError(f"{name} must be a DataFrame from load_nsl_kdd/load_kddcup99, "
                         f"not {type(frame).__name__}")
    missing = [c for c in needed if c not in frame.columns]
    if missing:
        raise ValueError(f"{name} lacks the columns {missing}; expected a frame from "
                         f"load_nsl_kdd/load_kddcup99")


def kdd_preprocessor() -> ColumnTransformer:
    """The 41 KDD features as numbers: one-hot text columns, numeric columns raw.

    Chapter 8 (reality check), section "The files and their encoding". ``protocol_type``,
    ``service`` and ``flag`` become one-hot columns (``OneHotEncoder(handle_unknown=
    "ignore")``: a service first seen in a test file becomes all zeros, not an error); the
    38 numeric features pass through unscaled, because the book's Keras models scale inside
    (:func:`nidslib.models.fit_scaling`) and the classical baselines inside
    :func:`nidslib.balancing.make_pipeline`. Fit it on training records only (evaluation
    rule 3 of the introduction): the categories it knows are then those of the training
    file.

    Returns
    -------
    sklearn.compose.ColumnTransformer
        Unfitted. Once fitted, ``transform`` gives a dense float array (cast it to float32
        for Keras), one-hot columns first, named by ``get_feature_names_out()``; other
        columns of the frame (``label``, ``category``, ...) are dropped.
    """
    text = list(schema.KDD_TEXT_FEATURES)
    numeric = [c for c in schema.KDD_FEATURES if c not in text]
    encoder = OneHotEncoder(handle_unknown="ignore", sparse_output=False, dtype=np.float32)
    return ColumnTransformer([("onehot", encoder, text), ("numeric", "passthrough", numeric)],
                             remainder="drop", verbose_feature_names_out=False)


def validation_split(frame: pd.DataFrame, fraction: float = 0.1, seed: int = 0
                     ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Split a *training* file into (train, validation), stratified by ``category``.

    Chapter 8 (reality check), section "The files and their encoding". Early stopping and
    thresholds are tuned on these validation records, never on KDDTest+ or KDDTest-21: a
    number tuned on the test file is no longer a test result (evaluation rule 5 of the
    introduction).

    Parameters
    ----------
    frame : pandas.DataFrame
        A training file from :func:`load_nsl_kdd` or :func:`load_kddcup99`.
    fraction : float
        The share of the rows (per category) that goes to validation, in (0, 1).
    seed : int
        The random state of the draw.

    Returns
    -------
    train, val : pandas.DataFrame
        The two parts, each in the original row order and keeping its index.

    Raises
    ------
    ValueError
        ``frame`` is not a DataFrame with ``category``, ``fraction`` is outside (0, 1), or
        a category has too few rows to be stratified.
    """
    _check_frame(frame, "frame", ("category",))
    if not 0 < fraction < 1:
        raise ValueError(f"fraction must be in (0, 1), got {fraction}")
    train, val = train_test_split(frame, test_size=fraction, random_state=seed,
                                  stratify=frame["category"])
    return train.sort_index(), val.sort_index()


def category_codes(frame: pd.DataFrame) -> np.ndarray:
    """``frame["category"]`` as integer ids into :data:`KDD_CATEGORIES` (normal is 0).

    Chapter 8 (reality check), section "The files and their encoding": the labels a Keras
    softmax model of five classes is trained on.

    Parameters
    ----------
    frame : pandas.DataFrame
        A frame with ``category``.

    Returns
    -------
    numpy.ndarray of int64
        One id per row.

    Raises
    ------
    ValueError
        ``frame`` has no ``category`` column, or holds a category outside
        :data:`KDD_CATEGORIES`.
    """
    _check_frame(frame, "frame", ("category",))
    unknown = sorted(set(frame["category"]) - set(KDD_CATEGORIES))
    if unknown:
        raise ValueError(f"frame['category'] holds {unknown}; expected {list(KDD_CATEGORIES)}")
    return pd.Categorical(frame["category"], categories=KDD_CATEGORIES).codes.astype(np.int64)


def unseen_attacks(train: pd.DataFrame, test: pd.DataFrame) -> list[str]:
    """Attack names of ``test`` that never occur in ``train``, sorted.

    Chapter 8 (reality check), section "Attacks never seen in training". In NSL-KDD,
    KDDTest+ holds 37 attack names, KDDTrain+ 22, and 17 of the test file's are new: a
    classifier cannot name what it never saw, but it may still flag it as an attack.

    Parameters
    ----------
    train, test : pandas.DataFrame
        Frames with a ``label`` column (the attack name, ``"normal"`` for normal traffic).

    Returns
    -------
    list of str
        The new attack names; ``"normal"`` is never among them.

    Raises
    ------
    ValueError
        ``train`` or ``test`` is not a DataFrame with ``label``.
    """
    _check_frame(train, "train")
    _check_frame(test, "test")
    return sorted(set(test["label"]) - set(train["label"]) - {"normal"})


def copies_of(test: pd.DataFrame, train: pd.DataFrame) -> np.ndarray:
    """True for each ``test`` row whose 41 features and label equal some ``train`` row's.

    Chapter 8 (reality check), section "KDD Cup 99: duplicates and random splits". On a
    random split of a file full of duplicates, such test rows were in effect seen during
    training: the model is scored on memory, not on generalisation. Rows are compared
    through 64-bit hashes (:func:`nidslib.features.row_hashes`; a false match needs a hash
    collision).

    Parameters
    ----------
    test, train : pandas.DataFrame
        Frames with the 41 KDD features and ``label``.

    Returns
    -------
    numpy.ndarray of bool
        One value per row of ``test``.

    Raises
    ------
    ValueError
        ``test`` or ``train`` is not a DataFrame, or lacks one of the columns.
    """
    _check_frame(test, "test", (*schema.KDD_FEATURES, "label"))
    _check_frame(train, "train", (*schema.KDD_FEATURES, "label"))
    columns = [*schema.KDD_FEATURES, "label"]
    return np.isin(row_hashes(test, columns), row_hashes(train, columns))


def skip_remaining_cells(reason: str, notebook=None) -> None:
    """Print why, then make every later cell of the running notebook a no-op.

    Chapter 8 (reality check), section "The files and their encoding" (the skip path):
    the chapter needs the genuine NSL-KDD and KDD Cup 99 files, and when they are neither
    in the data home nor downloadable it must still execute without error (a reader
    offline, CI without the files). Registers an IPython input transformer that empties
    each later cell before it runs, so the chapter's code needs no ``if`` around every
    cell; restart the kernel to undo it.

    Parameters
    ----------
    reason : str
        Why the rest is skipped; printed, and shown to the reader.
    notebook : str or pathlib.Path, optional
        The chapter's file, relative to the kernel's folder. Given, it lets the book still
        build: every ``{glue:text}`` key of its prose is glued as NaN, since the cells that
        would compute them never run, and a missing key fails the build.

    Raises
    ------
    ValueError
        ``reason`` is empty.
    RuntimeError
        Called outside IPython; the message is ``reason``.
    FileNotFoundError
        ``notebook`` is given but does not exist.
    """
    if not reason:
        raise ValueError("reason must say why the rest is skipped, got an empty string")
    try:
        from IPython import get_ipython
        shell = get_ipython()
    except ImportError:
        shell = None
    if shell is None:
        raise RuntimeError(reason)
    print(f"Skipping the rest of this chapter: {reason}")
    if notebook is not None:
        from nidslib.reproducibility import glue

        for key in prose_glue_keys(notebook):
            glue(key, float("nan"))
    shell.input_transformers_cleanup.append(_skip_cell)


def prose_glue_keys(notebook) -> list[str]:
    """The keys of the ``{glue:text}`` roles in a notebook's markdown cells, sorted.

    Chapter 8 (reality check), section "The files and their encoding": the skip path of
    :func:`skip_remaining_cells` glues each of them.

    Parameters
    ----------
    notebook : str or pathlib.Path
        The ``.ipynb`` file.

    Returns
    -------
    list of str
        The keys, each once.

    Raises
    ------
    FileNotFoundError
        ``notebook`` does not exist.
    """
    path = Path(notebook)
    if not path.exists():
        raise FileNotFoundError(f"{path.resolve()} not found: pass the chapter's own file, "
                                f"relative to the folder the kernel runs in")
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    prose = "".join("".join(c["source"]) for c in cells if c["cell_type"] == "markdown")
    return sorted(set(re.findall(r"\{glue:text\}`([^`:]+)", prose)))


def _skip_cell(lines: list[str]) -> list[str]:
    return []
