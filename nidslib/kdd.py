"""NSL-KDD and KDD Cup 99, the classic benchmarks, for the book's reality checks.

The files download through pooch, pinned by SHA-256, into ``data_home()``; a file already
there is used as is, without the network. Each loader returns a canonical frame: the 41
snake_case KDD features, ``label`` (the attack name), ``category`` (normal, DoS, Probe,
R2L, U2R), ``is_attack``, and for NSL-KDD the ``difficulty`` score.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pooch
import pyarrow as pa
from pyarrow import csv as pa_csv

from nidslib import schema
from nidslib.datasets import data_home
from nidslib.rawcsv import DatasetFormatError

NSL_KDD_FILES = {"train": "KDDTrain+.txt", "train_20": "KDDTrain+_20Percent.txt",
                 "test": "KDDTest+.txt", "test_21": "KDDTest-21.txt"}
# The SHA-256 of the genuine files in ../shared/datasets/SHA256SUMS. That the mirror serves
# the same bytes was not verified (no network where this was written); if it does not,
# pooch refuses the download and the error names the file, the folder and the address.
_NSL_KDD_SHA256 = {
    "KDDTrain+.txt": "1b86d2f957b33082081bba410fe129b475efebcc13c9014c3f447c8271aadf95",
    "KDDTrain+_20Percent.txt": "7ea86479faab5ca2190b7f18b4982fb058ce5bf2b46e0e1017d0d9ef90f9c16e",
    "KDDTest+.txt": "fa46b0935342616aa83b7c2578db355b6a7aaabbc492248172c7a1e8b7ab8f84",
    "KDDTest-21.txt": "746993ac9e25868827cacf09eab450050a2a1056e1ce48a1ad39f5dc801d531d",
}
_NSL_KDD_MIRROR = "https://raw.githubusercontent.com/defcom17/NSL_KDD/master/"
# The mirror scikit-learn's fetch_kddcup99 uses; the same bytes as the shared genuine file.
KDDCUP99_FILE = "kddcup.data_10_percent.gz"
_KDDCUP99_URL = "https://ndownloader.figshare.com/files/5976042"
_KDDCUP99_SHA256 = "8045aca0d84e70e622d1148d7df782496f6333bf6eb979a1b0837c42a9fd9561"


def fetch(subfolder: str, filename: str, url: str, sha256: str) -> Path:
    """``data_home()/subfolder/filename``, downloaded from ``url`` first if it is missing.

    A file already present is used as is (no network, no checksum). A failed download
    (read-only data home, no network, checksum mismatch) raises FileNotFoundError naming
    the file, the folder and the address, so the reader can fetch it by hand.
    """
    folder = data_home() / subfolder
    path = folder / filename
    if path.exists():
        return path
    try:
        return Path(pooch.retrieve(url, known_hash=f"sha256:{sha256}", fname=filename,
                                   path=folder, progressbar=False))
    except (OSError, ValueError) as error:
        raise FileNotFoundError(
            f"{filename} is not in {folder} and could not be downloaded from {url} "
            f"({type(error).__name__}: {error}). Download it by hand into {folder}, or set "
            f"NIDSLIB_DATA to a folder that holds {subfolder}/{filename}.") from error


def load_nsl_kdd(split: str = "train") -> pd.DataFrame:
    """Load one NSL-KDD file: "train", "train_20", "test" or "test_21".

    The test files hold attack types never seen in training (their ``category`` still
    says which family), which is the point of the reality check.
    """
    if split not in NSL_KDD_FILES:
        raise ValueError(f"split must be one of {list(NSL_KDD_FILES)}, not {split!r}")
    name = NSL_KDD_FILES[split]
    path = fetch("nsl-kdd", name, _NSL_KDD_MIRROR + name, _NSL_KDD_SHA256[name])
    frame = _read_kdd(path, [*schema.KDD_FEATURES, "label", "difficulty"])
    return frame.assign(difficulty=frame["difficulty"].astype("int8"))


def load_kddcup99() -> pd.DataFrame:
    """Load the KDD Cup 99 10 % file (494,021 rows, 70.5 % of them exact duplicates)."""
    path = fetch("kddcup99", KDDCUP99_FILE, _KDDCUP99_URL, _KDDCUP99_SHA256)
    return _read_kdd(path, [*schema.KDD_FEATURES, "label"])


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
