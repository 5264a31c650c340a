"""Where the data lives: the data home, the cache of generated files, and downloads.

Chapter 1 (Data cleaning) reads the week from :func:`data_home` (the real files) or
:func:`cache_dir` (the twin's), chapter 8 (reality check) downloads NSL-KDD and KDD Cup 99
through :func:`fetch`. Both folders are settings (``NIDSLIB_DATA``, ``NIDSLIB_CACHE``), and
cached files are keyed on :func:`library_digest`, so an older library's files are never
served as if the current one had made them.

Example
-------
>>> cache_dir().is_dir(), len(library_digest())
(True, 10)
>>> fetch("nsl-kdd/KDDTrain.txt")  # doctest: +ELLIPSIS
Traceback (most recent call last):
    ...
KeyError: "'nsl-kdd/KDDTrain.txt' is not a file nidslib downloads; known: [...]"
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pooch

__all__ = ["DOWNLOADS", "cache_dir", "data_home", "fetch", "library_digest"]

_PACKAGE = Path(__file__).resolve().parents[1]  # nidslib/
_REPO = _PACKAGE.parent
# Where relative settings and the default folders live: the repository root in a checkout;
# in an installed package (pip, Colab) the user's cache folder, never site-packages.
_ROOT = _REPO if (_REPO / "pyproject.toml").is_file() else Path(pooch.os_cache("nidslib"))


def _from_repo(value: str) -> Path:
    """Relative settings are taken from the repository root, so notebooks executed in
    ``chapters/`` find the same folder as CI and the Makefile, which run at the root (from
    the user's cache folder in an installed package)."""
    path = Path(value).expanduser()
    return path if path.is_absolute() else _ROOT / path


def data_home() -> Path:
    """The folder of the real datasets: ``$NIDSLIB_DATA``, else ``<repo>/data``.

    In an installed package, which has no repository, the default is ``data`` in the user's
    cache folder (``pooch.os_cache("nidslib")``, e.g. ``~/.cache/nidslib/data`` on Linux).

    Its layout follows the publishers' archives: ``cicids2017/MachineLearningCVE/*.csv``,
    ``cicids2017/TrafficLabelling/*.csv``, ``cse-cic-ids2018/*.csv``, ``nsl-kdd/``,
    ``kddcup99/``, ``unsw-nb15/``. It may be read-only (CI points it at shared files).

    Returns
    -------
    pathlib.Path
        The folder (not created, and perhaps absent); a relative ``$NIDSLIB_DATA`` is taken
        from the repository root.
    """
    return _from_repo(os.environ.get("NIDSLIB_DATA") or "data")


# Every file nidslib can download, by its path under the data home: SHA-256 and address.
# The hashes are those of the genuine files in ../shared/datasets/SHA256SUMS; that the NSL-KDD
# mirror serves the same bytes was not verified (no network where this was written): if it
# does not, pooch refuses the download and fetch's error says so.
_NSL_KDD_MIRROR = "https://raw.githubusercontent.com/defcom17/NSL_KDD/master/"
DOWNLOADS: dict[str, tuple[str, str]] = {
    "nsl-kdd/KDDTrain+.txt": (
        "1b86d2f957b33082081bba410fe129b475efebcc13c9014c3f447c8271aadf95",
        _NSL_KDD_MIRROR + "KDDTrain+.txt"),
    "nsl-kdd/KDDTrain+_20Percent.txt": (
        "7ea86479faab5ca2190b7f18b4982fb058ce5bf2b46e0e1017d0d9ef90f9c16e",
        _NSL_KDD_MIRROR + "KDDTrain+_20Percent.txt"),
    "nsl-kdd/KDDTest+.txt": (
        "fa46b0935342616aa83b7c2578db355b6a7aaabbc492248172c7a1e8b7ab8f84",
        _NSL_KDD_MIRROR + "KDDTest+.txt"),
    "nsl-kdd/KDDTest-21.txt": (
        "746993ac9e25868827cacf09eab450050a2a1056e1ce48a1ad39f5dc801d531d",
        _NSL_KDD_MIRROR + "KDDTest-21.txt"),
    # The mirror scikit-learn's fetch_kddcup99 uses.
    "kddcup99/kddcup.data_10_percent.gz": (
        "8045aca0d84e70e622d1148d7df782496f6333bf6eb979a1b0837c42a9fd9561",
        "https://ndownloader.figshare.com/files/5976042"),
}


def fetch(name: str) -> Path:
    """``data_home()/name``, checked against its SHA-256, downloaded first when needed.

    Chapter 8 (reality check), section "The files and their encoding". One pooch registry
    holds every file of :data:`DOWNLOADS`: a file already in the data home is used when its
    SHA-256 is the published one (no network then); a missing file, or one whose checksum
    differs, is downloaded, and the download is checked too. The registry is built on each
    call at :func:`data_home` (not with pooch's ``env=``: a relative ``NIDSLIB_DATA`` is
    taken from the repository root, so that notebooks running in ``chapters/`` find it).

    Parameters
    ----------
    name : str
        A key of :data:`DOWNLOADS`, such as ``"nsl-kdd/KDDTrain+.txt"``.

    Returns
    -------
    pathlib.Path
        The verified file.

    Raises
    ------
    KeyError
        ``name`` is not a file nidslib knows how to download.
    FileNotFoundError
        The file is missing or differs from the published one, and the download failed
        (no network, a read-only data home, a checksum mismatch); the message names the
        file, the folder, the address and the cause, so the reader can fetch it by hand.
    """
    if name not in DOWNLOADS:
        raise KeyError(f"{name!r} is not a file nidslib downloads; known: {sorted(DOWNLOADS)}")
    home = data_home()
    registry = pooch.create(path=home, base_url="",
                            registry={n: f"sha256:{h}" for n, (h, _) in DOWNLOADS.items()},
                            urls={n: url for n, (_, url) in DOWNLOADS.items()})
    path, url = home / name, DOWNLOADS[name][1]
    state = ("is in {} but is not the published file (its SHA-256 differs)" if path.exists()
             else "is not in {}").format(path.parent)
    try:
        return Path(registry.fetch(name, progressbar=False))
    except (OSError, ValueError) as error:
        raise FileNotFoundError(
            f"{path.name} {state}, and it could not be downloaded from {url} "
            f"({type(error).__name__}: {error}). Download it by hand into {path.parent}, or "
            f"set NIDSLIB_DATA to a folder that holds {name}.") from error


def cache_dir() -> Path:
    """The folder for generated files (the twin's CSVs, saved splits), created on demand.

    ``$NIDSLIB_CACHE``, else ``<repo>/data/cache`` (in an installed package,
    ``data/cache`` in the user's cache folder); never inside a read-only data home.

    Returns
    -------
    pathlib.Path
        The folder, which exists on return; a relative ``$NIDSLIB_CACHE`` is taken from the
        repository root.
    """
    folder = _from_repo(os.environ.get("NIDSLIB_CACHE") or "data/cache")
    folder.mkdir(parents=True, exist_ok=True)
    return folder



def library_digest() -> str:
    """A short hash of every source file of nidslib (subpackages included), and of the
    twin's fitted parameters (``twin/calibration.json``).

    Cached files are keyed on it, so that files made by an older library are never served
    as if the current one had made them.

    Returns
    -------
    str
        The first 10 hex digits of a SHA-256 over the files' paths and bytes.
    """
    digest = hashlib.sha256()
    for path in sorted([*_PACKAGE.rglob("*.py"), _PACKAGE / "twin" / "calibration.json"]):
        digest.update(path.relative_to(_PACKAGE).as_posix().encode() + b"\0")
        digest.update(path.read_bytes())
    return digest.hexdigest()[:10]
