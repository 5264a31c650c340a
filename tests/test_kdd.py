"""NSL-KDD and KDD Cup 99 on the genuine files; downloads without a network."""

import hashlib
import json
from pathlib import Path

import pandas as pd
import pooch
import pytest
from conftest import SHARED_DATASETS, genuine_or_skip

from nidslib.cleaning import duplicated_rows
from nidslib.data import kdd, paths, schema
from nidslib.data.rawcsv import DatasetFormatError

GENUINE = SHARED_DATASETS
NSL_KDD_ROWS = {"train": 125_973, "test": 22_544, "test_21": 11_850, "train_20": 25_192}


@pytest.fixture(scope="module")
def genuine_home():
    """Point the data home at the genuine files, and make any download attempt fail: each
    file there has its published checksum."""
    genuine_or_skip(GENUINE)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("NIDSLIB_DATA", str(GENUINE))
        patch.setattr(pooch.HTTPDownloader, "__call__", _no_network)
        yield GENUINE


def _no_network(*args, **kwargs):
    raise AssertionError("a file in the data home must be used without the network")


@pytest.fixture(scope="module")
def nsl_kdd(genuine_home):
    return {split: kdd.load_nsl_kdd(split) for split in kdd.NSL_KDD_FILES}


@pytest.fixture(scope="module")
def kddcup99(genuine_home):
    return kdd.load_kddcup99()


def test_nsl_kdd_row_counts_and_columns(nsl_kdd):
    assert {split: len(frame) for split, frame in nsl_kdd.items()} == NSL_KDD_ROWS
    for frame in nsl_kdd.values():
        assert list(frame.columns) == [*schema.KDD_FEATURES, "label", "difficulty", "category",
                                       "is_attack"]
        assert frame["difficulty"].between(0, 21).all()
        assert (frame["is_attack"] == (frame["category"] != "normal")).all()


def test_category_map_covers_every_attack_name(nsl_kdd, kddcup99):
    names = set(kddcup99["label"]).union(*(set(f["label"]) for f in nsl_kdd.values()))
    assert names == set(schema.KDD_ATTACK_CATEGORY)  # every name mapped, no name unused
    assert len(set(nsl_kdd["test"]["label"])) == 38 and len(set(nsl_kdd["train"]["label"])) == 23


def test_nsl_kdd_test_set_holds_attacks_never_seen_in_training(nsl_kdd):
    unseen = set(nsl_kdd["test"]["label"]) - set(nsl_kdd["train"]["label"])
    assert {"apache2", "mscan", "snmpguess", "httptunnel"} <= unseen


def test_kddcup99_labels_lose_the_dot_and_most_rows_are_duplicates(kddcup99):
    assert len(kddcup99) == 494_021 and kddcup99["label"].nunique() == 23
    assert not kddcup99["label"].str.endswith(".").any()
    assert kddcup99["label"].value_counts()["smurf"] == 280_790
    assert duplicated_rows(kddcup99).mean() == pytest.approx(0.705, abs=0.001)


NSL_LINE = "0,tcp,http,SF" + ",0" * 37 + ",normal,21\n"


@pytest.fixture
def downloads(monkeypatch, tmp_path):
    """A data home in tmp_path whose one download serves NSL_LINE; returns the calls."""
    monkeypatch.setenv("NIDSLIB_DATA", str(tmp_path))
    sha = hashlib.sha256(NSL_LINE.encode()).hexdigest()
    monkeypatch.setitem(paths.DOWNLOADS, "nsl-kdd/KDDTest-21.txt",
                        (sha, "https://example.org/KDDTest-21.txt"))
    calls = []

    def download(self, url, output_file, pooch_, check_only=False):
        calls.append(url)
        Path(output_file).write_text(NSL_LINE)

    monkeypatch.setattr(pooch.HTTPDownloader, "__call__", download)
    return calls


def test_fetch_downloads_into_the_data_home_once(downloads, tmp_path):
    frame = kdd.load_nsl_kdd("test_21")
    assert downloads == ["https://example.org/KDDTest-21.txt"]
    assert list(frame["label"]) == ["normal"] and (tmp_path / "nsl-kdd" / "KDDTest-21.txt").exists()
    kdd.load_nsl_kdd("test_21")
    assert len(downloads) == 1, "a file with the published checksum is used as is"


def test_a_file_that_differs_from_the_published_one_is_downloaded_again(downloads, tmp_path):
    (tmp_path / "nsl-kdd").mkdir()
    (tmp_path / "nsl-kdd" / "KDDTest-21.txt").write_text("a damaged copy\n")
    frame = kdd.load_nsl_kdd("test_21")
    assert len(downloads) == 1 and list(frame["label"]) == ["normal"]


@pytest.mark.parametrize("present", [False, True])
@pytest.mark.parametrize("failure", [PermissionError("read-only file system"),
                                     OSError("network is unreachable")])
def test_failed_download_names_file_folder_and_address(monkeypatch, tmp_path, failure, present):
    monkeypatch.setenv("NIDSLIB_DATA", str(tmp_path))
    if present:
        (tmp_path / "kddcup99").mkdir()
        (tmp_path / "kddcup99" / "kddcup.data_10_percent.gz").write_bytes(b"not the file")

    def download(*args, **kwargs):
        raise failure

    monkeypatch.setattr(pooch.HTTPDownloader, "__call__", download)
    with pytest.raises(FileNotFoundError) as caught:
        kdd.load_kddcup99()
    message = str(caught.value)
    for needed in ["kddcup.data_10_percent.gz", str(tmp_path / "kddcup99"),
                   "https://ndownloader.figshare.com/files/5976042", str(failure),
                   "SHA-256 differs" if present else "is not in"]:
        assert needed in message


def test_fetch_knows_its_files():
    with pytest.raises(KeyError, match="not a file nidslib downloads"):
        paths.fetch("nsl-kdd/KDDTrain.txt")


def write_nsl(home: Path, line: str) -> None:
    (home / "nsl-kdd").mkdir()
    (home / "nsl-kdd" / "KDDTrain+.txt").write_text(line + "\n")


@pytest.mark.parametrize("line, message", [
    ("0,tcp,http,SF" + ",0" * 37 + ",normal", "expected 43 comma-separated fields"),
    ("0,tcp,http,SF" + ",0" * 37 + ",0,normal,21", "expected 43 comma-separated fields"),
    ("0,tcp,http,SF" + ",0" * 35 + ",x,0,normal,21", r"columns \['dst_host_rerror_rate'\]"),
    ("0,tcp,http,SF" + ",0" * 37 + ",zeroday,21", "'zeroday': 1"),
])
def test_malformed_nsl_kdd_file(tmp_path, line, message):
    write_nsl(tmp_path, line)
    with pytest.raises(DatasetFormatError, match=f"KDDTrain\\+.txt.*{message}"):
        kdd.read_nsl_kdd(tmp_path / "nsl-kdd" / "KDDTrain+.txt")


def test_unknown_split():
    with pytest.raises(ValueError, match="split must be one of"):
        kdd.load_nsl_kdd("validation")


# --- Chapter 8 helpers ----------------------------------------------------------------------

TRAIN_NAMES = {"back", "buffer_overflow", "ftp_write", "guess_passwd", "imap", "ipsweep", "land",
               "loadmodule", "multihop", "neptune", "nmap", "normal", "perl", "phf", "pod",
               "portsweep", "rootkit", "satan", "smurf", "spy", "teardrop", "warezclient",
               "warezmaster"}


def test_nsl_kdd_label_sets(nsl_kdd):
    assert set(nsl_kdd["train"]["label"]) == TRAIN_NAMES
    assert set(nsl_kdd["train_20"]["label"]) <= TRAIN_NAMES
    assert set(nsl_kdd["test_21"]["label"]) == set(nsl_kdd["test"]["label"])
    assert set(nsl_kdd["test"]["category"]) == set(kdd.KDD_CATEGORIES)


def test_unseen_attacks_on_the_genuine_files(nsl_kdd):
    unseen = kdd.unseen_attacks(nsl_kdd["train"], nsl_kdd["test"])
    assert len(unseen) == 17 and unseen == sorted(unseen) and "normal" not in unseen
    assert not set(unseen) & TRAIN_NAMES
    assert int(nsl_kdd["test"]["label"].isin(unseen).sum()) == 3_750
    assert kdd.unseen_attacks(nsl_kdd["train"], nsl_kdd["train_20"]) == []


def test_preprocessor_on_the_genuine_files(nsl_kdd):
    train, val = kdd.validation_split(nsl_kdd["train"], fraction=0.1, seed=0)
    encoder = kdd.kdd_preprocessor().fit(train)
    x = encoder.transform(nsl_kdd["test"])
    names = list(encoder.get_feature_names_out())
    # 3 protocols, the 69 services and 11 flags of the training part, then 38 numeric columns
    assert x.shape == (22_544, 121) and names[-38:] == [
        c for c in schema.KDD_FEATURES if c not in schema.KDD_TEXT_FEATURES]
    assert (x[:, :83].sum(axis=1) == 3).all()  # every test value was seen in training
    # the one record of service http_2784 went to validation: it encodes as no service
    rare = val[val["service"] == "http_2784"]
    assert len(rare) == 1 and encoder.transform(rare)[0, :83].sum() == 2


def text_frame(rows) -> pd.DataFrame:
    numeric = [c for c in schema.KDD_FEATURES if c not in schema.KDD_TEXT_FEATURES]
    frame = pd.DataFrame(rows, columns=["protocol_type", "service", "flag", "label"])
    for i, column in enumerate(numeric):
        frame[column] = float(i)
    frame["category"] = frame["label"].map(schema.KDD_ATTACK_CATEGORY)
    return frame[[*schema.KDD_FEATURES, "label", "category"]]


def test_preprocessor_encodes_text_and_passes_numbers_raw():
    train = text_frame([("tcp", "http", "SF", "normal"), ("udp", "dns", "S0", "neptune")])
    test = text_frame([("icmp", "http", "SF", "normal")])  # icmp never seen in training
    test["src_bytes"] = 1e9
    encoder = kdd.kdd_preprocessor().fit(train)
    names = list(encoder.get_feature_names_out())
    assert names[:6] == ["protocol_type_tcp", "protocol_type_udp", "service_dns",
                         "service_http", "flag_S0", "flag_SF"]
    row = encoder.transform(test)[0]
    assert list(row[:6]) == [0, 0, 0, 1, 0, 1]
    assert row[names.index("src_bytes")] == 1e9 and row[names.index("duration")] == 0.0


def test_validation_split_is_stratified_disjoint_and_repeatable():
    frame = text_frame([("tcp", "http", "SF", "normal")] * 80 + [("tcp", "http", "S0", "neptune")] * 20)
    train, val = kdd.validation_split(frame, fraction=0.2, seed=3)
    assert len(val) == 20 and (val["category"] == "DoS").sum() == 4
    assert not set(train.index) & set(val.index) and len(train) + len(val) == len(frame)
    assert train.index.is_monotonic_increasing
    again = kdd.validation_split(frame, fraction=0.2, seed=3)[1]
    assert val.index.equals(again.index)
    assert not val.index.equals(kdd.validation_split(frame, fraction=0.2, seed=4)[1].index)


@pytest.mark.parametrize("fraction", [0, 1, 1.5, -0.1])
def test_validation_split_rejects_bad_fractions(fraction):
    frame = text_frame([("tcp", "http", "SF", "normal")] * 10)
    with pytest.raises(ValueError, match=r"fraction must be in \(0, 1\)"):
        kdd.validation_split(frame, fraction=fraction)


def test_category_codes():
    frame = text_frame([("tcp", "http", "SF", n) for n in ("normal", "smurf", "satan", "spy", "perl")])
    assert list(kdd.category_codes(frame)) == [0, 1, 2, 3, 4]
    frame.loc[0, "category"] = "Benign"
    with pytest.raises(ValueError, match=r"holds \['Benign'\]"):
        kdd.category_codes(frame)
    with pytest.raises(ValueError, match="lacks the columns"):
        kdd.category_codes(frame.drop(columns="category"))


def test_copies_of_compares_features_and_label():
    train = text_frame([("tcp", "http", "SF", "normal"), ("udp", "dns", "S0", "neptune")])
    test = text_frame([("tcp", "http", "SF", "normal"), ("tcp", "http", "SF", "back"),
                       ("udp", "dns", "S0", "neptune"), ("udp", "dns", "SF", "neptune")])
    assert list(kdd.copies_of(test, train)) == [True, False, True, False]
    with pytest.raises(ValueError, match="test must be a DataFrame"):
        kdd.copies_of(test.to_numpy(), train)


def test_copies_of_on_a_random_split_of_kddcup99(kddcup99):
    sample = kddcup99.sample(50_000, random_state=0)
    train, test = sample.iloc[:35_000], sample.iloc[35_000:]
    copies = kdd.copies_of(test, train)
    assert 0.6 < copies.mean() < 0.9  # most of the file is duplicated
    assert not kdd.copies_of(test[~copies], train).any()


def test_skip_remaining_cells_outside_ipython():
    with pytest.raises(RuntimeError, match="files are missing"):
        kdd.skip_remaining_cells("files are missing")
    with pytest.raises(ValueError, match="reason must say why"):
        kdd.skip_remaining_cells("")


def test_prose_glue_keys_reads_the_markdown_roles(tmp_path):
    notebook = tmp_path / "chapter.ipynb"
    notebook.write_text(json.dumps({"cells": [
        {"cell_type": "markdown", "source": ["A {glue:text}`rows:,` and ", "{glue:text}`f1:.3f`"]},
        {"cell_type": "code", "source": ["glue('ignored', 1)"]}]}))
    assert kdd.prose_glue_keys(notebook) == ["f1", "rows"]
    with pytest.raises(FileNotFoundError, match="missing.ipynb"):
        kdd.prose_glue_keys(tmp_path / "missing.ipynb")
