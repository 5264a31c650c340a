"""The seed setting, checked claims, and the emulated other machine of `make test`."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from nidslib import reproducibility
from nidslib.reproducibility import claim, claims_report

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def mode(monkeypatch):
    """Set NIDSLIB_CLAIMS for one test; the recorded claims are cleared afterwards."""
    def set_mode(value):
        monkeypatch.setenv("NIDSLIB_CLAIMS", value)
    yield set_mode
    reproducibility._CLAIMS.clear()


def test_strict_mode_raises_with_what_was_measured(mode):
    mode("strict")
    gain = 0.01
    assert claim("gain > 0.005", "the search helps") is True
    with pytest.raises(AssertionError, match=r"the search helps.*gain = 0.01"):
        claim("gain > 0.05", "the search helps")


def test_report_mode_prints_and_records(mode, capsys):
    mode("report")
    recall = 0.5
    assert claim("recall > 0.9 and recall < 1", "most flows are caught") is False
    assert "Does not hold on this data: most flows are caught (measured: recall = 0.5" \
        in capsys.readouterr().out
    assert claims_report()["holds"].tolist() == [False]


def test_a_claim_that_cannot_be_evaluated(mode, capsys):
    mode("report")
    table = {"DoS": 0.9}
    assert claim('table["Heartbleed"] > 0.5', "Heartbleed is caught") is False
    assert "KeyError" in capsys.readouterr().out
    mode("strict")
    with pytest.raises(KeyError):
        claim('table["Heartbleed"] > 0.5')


def test_default_mode_follows_the_dataset(monkeypatch):
    monkeypatch.delenv("NIDSLIB_CLAIMS", raising=False)
    monkeypatch.setenv("NIDSLIB_DATASET", "twin")
    assert reproducibility.claims_mode() == "strict"
    monkeypatch.setenv("NIDSLIB_DATASET", "cicids2017")
    assert reproducibility.claims_mode() == "report"
    monkeypatch.setenv("NIDSLIB_CLAIMS", "loose")
    with pytest.raises(ValueError, match="NIDSLIB_CLAIMS"):
        reproducibility.claims_mode()


def test_claims_log(mode, monkeypatch, tmp_path):
    mode("report")
    log = tmp_path / "claims.jsonl"
    monkeypatch.setenv("NIDSLIB_CLAIMS_LOG", str(log))
    claim(True, "first")
    claim(False, "second")
    assert [line.count('"holds": true') for line in log.read_text().splitlines()] == [1, 0]


def _python(code: str, **env) -> str:
    done = subprocess.run([sys.executable, "-c", code], env={**os.environ, **env}, check=True,
                          capture_output=True, text=True)
    return done.stdout + done.stderr


def test_the_seed_comes_from_the_environment():
    code = "from nidslib import reproducibility, training; print(reproducibility.SEED, training.SEED)"
    assert _python(code, NIDSLIB_SEED="3").split()[:2] == ["3", "3"]
    with pytest.raises(subprocess.CalledProcessError):
        subprocess.run([sys.executable, "-c", code], env={**os.environ, "NIDSLIB_SEED": "x"},
                       check=True, capture_output=True)


def other_machine() -> dict:
    line = re.search(r"^OTHER_MACHINE := (.*)$", (ROOT / "Makefile").read_text(), re.MULTILINE)
    return dict(item.split("=", 1) for item in line.group(1).split())


def test_each_variable_of_the_other_machine_takes_effect():
    """The second execution of `make test` is only worth it if its kernels really differ."""
    env = other_machine()
    assert set(env) == {"OPENBLAS_CORETYPE", "ONEDNN_MAX_CPU_ISA", "OMP_NUM_THREADS",
                        "NIDSLIB_SEED"}
    blas = _python("import numpy, threadpoolctl; i = threadpoolctl.threadpool_info()[0]; "
                   "print(i['architecture'], i['num_threads'])", **env)
    assert blas.split()[:2] == [env["OPENBLAS_CORETYPE"], "1"], blas
    native = _python("import numpy, threadpoolctl; "
                     "print(threadpoolctl.threadpool_info()[0]['architecture'])")
    assert native.split()[0] != env["OPENBLAS_CORETYPE"], "the emulation must differ from here"
    code = ("import numpy as np; from nidslib import training; import keras; "
            "keras.layers.Dense(4)(np.ones((8, 3), 'float32'))")
    onednn = _python(code, ONEDNN_VERBOSE="1", **env)
    assert "isa:Intel AVX\n" in onednn or "isa:Intel AVX," in onednn, onednn[-500:]
    assert _python(code, ONEDNN_VERBOSE="1").count("isa:Intel AVX\n") == 0


def test_recorded_spread(tmp_path):
    values = tmp_path / "values.csv"
    values.write_text("run,chapter,name,value\nseed0,03_cnn,f1,0.6\nseed1,03_cnn,f1,0.7\n"
                      "seed1,03_cnn,other,5\n")
    spread = reproducibility.recorded_spread("03_cnn", "f1", values)
    assert spread["runs"] == 2 and spread["min"] == 0.6 and spread["max"] == 0.7
    assert spread["mean"] == pytest.approx(0.65)
    assert reproducibility.recorded_spread("03_cnn", "absent", values)["runs"] == 0
    assert reproducibility.recorded_spread("03_cnn", "f1", tmp_path / "none.csv")["runs"] == 0


def test_spread_table(tmp_path):
    values = tmp_path / "values.csv"
    values.write_text("run,chapter,name,value\nseed0,03_cnn,f1,0.6\nseed1,03_cnn,f1,0.7\n")
    table = reproducibility.spread_table("03_cnn", {"CNN macro-F1": ("f1", 0.65)}, values)
    assert table.loc["CNN macro-F1"].tolist() == [0.65, 0.6, 0.7, 2]
