"""Exports (nidslib.export): TFLite and ONNX exports pass parity with the Keras model, a wrong
export is caught. The toy data and teacher are in conftest.py."""

import numpy as np
import pytest

from nidslib import training

from conftest import TOY_FEATURES as N_FEATURES  # noqa: E402
from conftest import toy_data  # noqa: E402
from nidslib import deployment, export, models  # noqa: E402

import keras  # noqa: E402


# --- Exports and parity --------------------------------------------------------------------


@pytest.mark.parametrize("quantization, agreement, max_diff", [
    ("float32", 0.999, 1e-4), ("float16", 0.99, 0.02), ("dynamic", 0.98, 0.1),
    ("int8", 0.97, 0.2)])
def test_tflite_exports_convert_and_pass_parity(splits, teacher, tmp_path, quantization,
                                                agreement, max_diff):
    (x, _), (x_val, _) = splits
    path = export.export_tflite(teacher, tmp_path / f"{quantization}.tflite",
                                quantization, representative=x)
    runner = export.TFLiteRunner(path, num_threads=1)
    result = deployment.check_parity(training.predict_scores(teacher, x_val),
                                     runner.predict_scores(x_val, batch_size=128),
                                     min_agreement=agreement, max_abs_diff=max_diff)
    assert result["n"] == len(x_val)
    if quantization != "float32":
        float_size = export.export_tflite(teacher, tmp_path / "f.tflite").stat().st_size
        assert path.stat().st_size < float_size


def test_int8_of_raw_inputs_is_caught_by_the_parity_check(splits, teacher, tmp_path):
    (x, _), (x_val, _) = splits
    path = export.export_tflite(teacher, tmp_path / "raw.tflite", "int8",
                                representative=x, float_front=False)
    scores = export.TFLiteRunner(path).predict_scores(x_val)
    with pytest.raises(deployment.ParityError, match="agreement"):
        deployment.check_parity(training.predict_scores(teacher, x_val), scores)


def test_onnx_exports_feed_forward_and_recurrent_models(splits, teacher, tmp_path):
    _, (x_val, _) = splits
    path = export.export_onnx(teacher, tmp_path / "cnn.onnx")
    deployment.check_parity(training.predict_scores(teacher, x_val),
                            export.ONNXRunner(path).predict_scores(x_val),
                            min_agreement=1.0, max_abs_diff=1e-5)
    windows, _ = toy_data(64, 2, window=5)
    windows[:8, :2] = 0.0  # padded starts, skipped by the mask
    training.set_seed(0)
    lstm = models.build_lstm(5, N_FEATURES, 3, units=(8,), scaling=models.fit_scaling(windows))
    path = export.export_onnx(lstm, tmp_path / "lstm.onnx")
    deployment.check_parity(training.predict_scores(lstm, windows),
                            export.ONNXRunner(path).predict_scores(windows, batch_size=16),
                            min_agreement=1.0, max_abs_diff=1e-5)
    with pytest.raises(ValueError, match="export_onnx"):
        export.export_tflite(lstm, tmp_path / "lstm.tflite")
    # a recurrent layer nested in a wrapper inside a sub-model is found too
    inputs = keras.Input((5, N_FEATURES))
    inner = keras.Sequential([keras.layers.Bidirectional(keras.layers.GRU(4))])
    nested = keras.Model(inputs, keras.layers.Dense(2)(inner(inputs)))
    with pytest.raises(ValueError, match=r"recurrent layers \['forward_gru', 'backward_gru'\]"):
        export.export_tflite(nested, tmp_path / "nested.tflite")


def test_keras_int8_quantization_leaves_the_original_alone(splits, teacher):
    _, (x_val, _) = splits
    before = training.predict_scores(teacher, x_val)
    quantized = export.quantize_keras(teacher)
    deployment.check_parity(before, training.predict_scores(quantized, x_val),
                            min_agreement=0.97, max_abs_diff=0.2)
    np.testing.assert_array_equal(training.predict_scores(teacher, x_val), before)
