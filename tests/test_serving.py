"""The shipped detector and ``nidslib detect`` (nidslib.serving, nidslib.cli): the ONNX file
gives the scores its Keras model gave when it was built, it still scores the twin as its card
says, and alerts come out as JSON lines with the fields the book promises."""

import json

import numpy as np
import pytest

from nidslib import cli, serving
from nidslib.packets.capture_write import Packet, write_pcap

ALERT_FIELDS = {"flow_start", "flow_end", "src_ip", "src_port", "dst_ip", "dst_port",
                "protocol", "family", "score"}


@pytest.fixture(scope="module")
def detector():
    return serving.Detector.default()


def test_the_shipped_onnx_file_gives_its_keras_models_scores(detector):
    card = detector.card
    x = np.array(card["reference_inputs"], np.float32)
    features = dict(zip(detector.features, x.T))
    scores = detector.score(features)
    reference = np.array(card["reference_scores"])
    np.testing.assert_allclose(scores, reference, atol=1e-5)
    assert (scores.argmax(1) == reference.argmax(1)).all()


def test_the_shipped_model_still_scores_the_twin_as_its_card_says(detector):
    """If the twin or the cleaning changes, this fails: rebuild with tools/build_detector.py."""
    from nidslib import splits
    from nidslib.evaluation import summary_metrics

    test = splits.load_clean_splits("twin", profile="small", seed=0).test
    scores = detector.score({f: test[f].to_numpy() for f in detector.features})
    predicted = np.asarray(detector.classes)[scores.argmax(1)]
    macro = summary_metrics(test["category"].astype(str), predicted)["macro_f1"]
    assert macro == pytest.approx(detector.card["macro_f1"]["test"], abs=0.005)


def test_unscorable_flows_are_nan_not_dropped(detector):
    features = {f: np.ones(3) for f in detector.features}
    features[detector.features[0]] = np.array([1.0, np.inf, np.nan])
    scores = detector.score(features)
    assert np.isfinite(scores[0]).all() and np.isnan(scores[1:]).all()
    with pytest.raises(KeyError, match=detector.features[-1]):
        detector.score({f: np.ones(1) for f in detector.features[:-1]})


def test_detect_writes_json_lines_and_fails_cleanly(tmp_path, capsys):
    capture = tmp_path / "scan.pcap"
    t0 = 1_499_348_407_000_000
    packets = []
    for port in range(20, 60):  # a SYN scan: SYN, RST-ACK, one flow per port
        packets += [Packet(t0 + 100 * port, "172.16.0.1", "192.168.10.50", 6, 45000, port,
                           tcp_flags=0x02, tcp_window=1024),
                    Packet(t0 + 100 * port + 20, "192.168.10.50", "172.16.0.1", 6, port, 45000,
                           tcp_flags=0x14, tcp_window=0)]
    write_pcap(capture, packets)
    out = tmp_path / "alerts.jsonl"
    assert cli.main(["detect", str(capture), "-o", str(out)]) == 0
    summary = capsys.readouterr().err
    assert "80 packets, 40 flows" in summary
    lines = [json.loads(line) for line in out.read_text().splitlines()]
    assert f"{len(lines)} alerts" in summary
    for alert in lines:
        assert ALERT_FIELDS <= set(alert) and alert["family"] != "Benign"
        assert alert["src_ip"] == "172.16.0.1" and 0 < alert["score"] <= 1
        assert alert["flow_start"].startswith("2017-07-06T13:40")
    (tmp_path / "lonely.onnx").write_bytes(b"")
    assert cli.main(["detect", str(capture), "-m", str(tmp_path / "lonely.onnx")]) == 2
    error = capsys.readouterr().err
    assert "lonely.json" in error and "Traceback" not in error
    (tmp_path / "lonely.json").write_text(json.dumps({"classes": ["Benign"], "features": []}))
    assert cli.main(["detect", str(capture), "-m", str(tmp_path / "lonely.onnx")]) == 2
    error = capsys.readouterr().err
    assert "not a model onnxruntime can load" in error and len(error.splitlines()) == 1
