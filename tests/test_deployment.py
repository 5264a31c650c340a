"""Before an export ships (nidslib.deployment): parity values and errors, file sizes, and
one measured row for Keras models and runners alike. The toy data and teacher are in
conftest.py."""

import numpy as np
import pytest

from nidslib import deployment, evaluation, export, training

def test_parity_values_and_errors():
    reference = np.array([[0.9, 0.1], [0.2, 0.8], [0.6, 0.4]])
    result = deployment.parity(reference, np.array([[0.8, 0.2], [0.3, 0.7], [0.4, 0.6]]))
    assert result["n"] == 3 and result["agreement"] == pytest.approx(2 / 3)
    assert result["max_abs_diff"] == pytest.approx(0.2)
    assert deployment.parity([0.2, 0.7], [0.6, 0.7])["agreement"] == 0.5  # binary scores
    with pytest.raises(ValueError, match="shape"):
        deployment.parity(reference, reference[:2])
    with pytest.raises(deployment.ParityError, match="max"):
        deployment.check_parity(reference, reference + 0.1, max_abs_diff=0.05)
    assert deployment.check_parity(reference, reference)["agreement"] == 1.0


def test_int8_parity_bounds_most_inputs_not_the_worst():
    reference = np.tile([[0.9, 0.1]], (1_000, 1))
    scores = reference.copy()
    scores[:5] = [[0.5, 0.5]]  # five odd inputs of 1,000 move by 0.4, the class unchanged
    result = deployment.check_parity(reference, scores, kind="int8")
    assert result["max_abs_diff"] == pytest.approx(0.4) and result["p99_abs_diff"] == 0
    with pytest.raises(deployment.ParityError, match="max"):
        deployment.check_parity(reference, scores, kind="dynamic")
    scores[:20] = [[0.6, 0.4]]  # 2 % moved by 0.3, the class unchanged: over the int8 bound on 99 %
    with pytest.raises(deployment.ParityError, match="99th percentile"):
        deployment.check_parity(reference, scores, kind="int8")
    with pytest.raises(ValueError, match="kind"):
        deployment.check_parity(reference, scores, kind="int4")


# --- Measurement ---------------------------------------------------------------------------


def test_file_sizes_show_what_gzip_makes_of_zeros(tmp_path):
    zeros, noise = tmp_path / "zeros.bin", tmp_path / "noise.bin"
    zeros.write_bytes(bytes(10_000))
    noise.write_bytes(np.random.default_rng(0).bytes(10_000))
    assert deployment.file_sizes(zeros)["size_bytes"] == 10_000
    assert deployment.file_sizes(zeros)["gzip_bytes"] < 100
    assert deployment.file_sizes(noise)["gzip_bytes"] > 9_000


def test_measure_gives_one_row_for_keras_models_and_runners(splits, teacher, tmp_path):
    _, (x_val, y_val) = splits
    classes = ["Benign", "a", "b", "c"]
    runner = export.ONNXRunner(export.export_onnx(teacher, tmp_path / "m.onnx"))
    rows = {"keras": deployment.measure(teacher, x_val, y_val, classes=classes, repeats=1,
                                        single_calls=5, batch_size=256),
            "onnx": deployment.measure(runner, x_val, y_val, classes=classes, repeats=1,
                                       single_calls=5, batch_size=256)}
    expected = evaluation.summary_metrics(y_val, training.predict_labels(teacher, x_val),
                                          classes=classes, benign_label="Benign")["macro_f1"]
    for row in rows.values():
        assert list(row)[:5] == ["size_bytes", "gzip_bytes", "latency_ms@1",
                                 "flows_per_s@256", "macro_f1"]
        assert [k for k in row if k.startswith("recall[")] == [f"recall[{c}]" for c in classes]
        assert row["macro_f1"] == pytest.approx(expected)
        assert row["size_bytes"] > row["gzip_bytes"] > 0
        assert row["latency_ms@1"] > 0 and row["flows_per_s@256"] > 0
    assert rows["onnx"]["size_bytes"] == (tmp_path / "m.onnx").stat().st_size
    with pytest.raises(ValueError, match="model must be"):
        deployment.measure(object(), x_val, y_val, classes=classes)
