"""NSL-KDD and KDD Cup 99 on the genuine files; downloads without a network."""

from pathlib import Path

import pooch
import pytest

from nidslib import kdd, schema
from nidslib.cleaning import duplicated_rows
from nidslib.rawcsv import DatasetFormatError

GENUINE = Path(__file__).parents[1].parent / "shared" / "datasets"
NSL_KDD_ROWS = {"train": 125_973, "test": 22_544, "test_21": 11_850, "train_20": 25_192}


@pytest.fixture(scope="module")
def genuine_home():
    """Point the data home at the genuine files, and make any download attempt fail."""
    if not GENUINE.is_dir():
        pytest.skip(f"genuine dataset files not found at {GENUINE}")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("NIDSLIB_DATA", str(GENUINE))
        patch.setattr(pooch, "retrieve", _no_network)
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


def test_fetch_downloads_into_the_data_home(monkeypatch, tmp_path):
    monkeypatch.setenv("NIDSLIB_DATA", str(tmp_path))
    calls = []

    def retrieve(url, known_hash, fname, path, progressbar):
        calls.append((url, known_hash, fname))
        Path(path).mkdir(parents=True, exist_ok=True)
        (Path(path) / fname).write_text("0,tcp,http,SF" + ",0" * 37 + ",normal,21\n")
        return str(Path(path) / fname)

    monkeypatch.setattr(pooch, "retrieve", retrieve)
    frame = kdd.load_nsl_kdd("test_21")
    assert calls == [("https://raw.githubusercontent.com/defcom17/NSL_KDD/master/KDDTest-21.txt",
                      "sha256:746993ac9e25868827cacf09eab450050a2a1056e1ce48a1ad39f5dc801d531d",
                      "KDDTest-21.txt")]
    assert list(frame["label"]) == ["normal"] and (tmp_path / "nsl-kdd" / "KDDTest-21.txt").exists()


@pytest.mark.parametrize("failure", [PermissionError("read-only file system"),
                                     OSError("network is unreachable"),
                                     ValueError("SHA256 hash of downloaded file does not match")])
def test_failed_download_names_file_folder_and_address(monkeypatch, tmp_path, failure):
    monkeypatch.setenv("NIDSLIB_DATA", str(tmp_path))

    def retrieve(*args, **kwargs):
        raise failure

    monkeypatch.setattr(pooch, "retrieve", retrieve)
    with pytest.raises(FileNotFoundError) as caught:
        kdd.load_kddcup99()
    message = str(caught.value)
    for needed in ["kddcup.data_10_percent.gz", str(tmp_path / "kddcup99"),
                   "https://ndownloader.figshare.com/files/5976042", str(failure)]:
        assert needed in message


def write_nsl(home: Path, line: str) -> None:
    (home / "nsl-kdd").mkdir()
    (home / "nsl-kdd" / "KDDTrain+.txt").write_text(line + "\n")


@pytest.mark.parametrize("line, message", [
    ("0,tcp,http,SF" + ",0" * 37 + ",normal", "expected 43 comma-separated fields"),
    ("0,tcp,http,SF" + ",0" * 37 + ",0,normal,21", "expected 43 comma-separated fields"),
    ("0,tcp,http,SF" + ",0" * 35 + ",x,0,normal,21", r"columns \['dst_host_rerror_rate'\]"),
    ("0,tcp,http,SF" + ",0" * 37 + ",zeroday,21", "'zeroday': 1"),
])
def test_malformed_nsl_kdd_file(monkeypatch, tmp_path, line, message):
    monkeypatch.setenv("NIDSLIB_DATA", str(tmp_path))
    write_nsl(tmp_path, line)
    with pytest.raises(DatasetFormatError, match=f"KDDTrain\\+.txt.*{message}"):
        kdd.load_nsl_kdd()


def test_unknown_split():
    with pytest.raises(ValueError, match="split must be one of"):
        kdd.load_nsl_kdd("validation")
