"""Model compression (nidslib.compression): pruning, exports and their parity, distillation,
measurement."""

import numpy as np
import pytest

from nidslib import training

import keras  # noqa: E402  (after nidslib.training: TF_CPP_MIN_LOG_LEVEL is set)

from nidslib import compression, evaluation, models  # noqa: E402

N_FEATURES = 12
SCALES = np.geomspace(1.0, 1e6, N_FEATURES).astype("float32")  # raw flow features span decades


def _data(n, seed):
    rng = np.random.default_rng(seed)
    z = rng.normal(size=(n, N_FEATURES)).astype("float32")
    y = (z[:, 0] > 0).astype("int64") + (z[:, 1] > 0.5) + (z[:, 2] > 1.0)
    return z * SCALES, y


@pytest.fixture(scope="module")
def splits():
    return _data(2000, 0), _data(400, 1)


@pytest.fixture(scope="module")
def teacher(splits):
    (x, y), val = splits
    training.set_seed(0)
    model = models.build_cnn(N_FEATURES, 4, filters=(8, 16), dense_units=32,
                             scaling=models.fit_scaling(x), steps_per_execution=4)
    training.fit(model, (x, y), val, epochs=6, batch_size=64)
    return model


def _copy(model):
    twin = keras.models.clone_model(model)
    twin.set_weights(model.get_weights())
    twin.compile_from_config(model.get_compile_config())
    return twin


# --- Pruning -------------------------------------------------------------------------------


def test_sparsity_counts_zero_kernel_weights():
    training.set_seed(0)
    model = models.build_dnn(4, 3, units=(8,))
    dense = model.get_layer("dense_1")
    kernel, bias = dense.get_weights()
    kernel[:2] = 0.0  # 16 of the 32 weights
    dense.set_weights([kernel, bias])
    per_layer = compression.sparsity(model, per_layer=True)
    assert per_layer == {"dense_1": 0.5, "class_probabilities": 0.0}
    assert compression.sparsity(model) == pytest.approx(16 / (32 + 24))


def test_polynomial_schedule_rises_from_initial_to_target():
    values = [compression.polynomial_sparsity(s, target=0.8, begin_step=10, end_step=110)
              for s in range(0, 200, 10)]
    assert values[0] == 0.0 and values[1] == 0.0 and values[-1] == pytest.approx(0.8)
    assert all(a <= b for a, b in zip(values, values[1:]))
    assert values[2] > 0.8 * 0.1 * 2  # cubic: fast at first
    with pytest.raises(ValueError, match="end_step"):
        compression.polynomial_sparsity(5, target=0.5, begin_step=10, end_step=10)


def test_magnitude_pruning_reaches_the_target_and_respects_its_masks(splits, teacher):
    (x, y), val = splits
    model = _copy(teacher)
    run = compression.prune_magnitude(model, (x, y), val, target_sparsity=0.75, epochs=3,
                                      schedule_fraction=0.34, frequency=4, batch_size=64,
                                      min_weights=100)
    assert set(run.layer_sparsity) == {"conv_2", "dense"}  # conv_1 (24) and the head: not
    for name, mask in run.masks.items():
        kernel = np.asarray(model.get_layer(name).kernel)
        assert run.layer_sparsity[name] == pytest.approx(0.75, abs=1 / kernel.size)
        assert np.all(kernel[mask == 0] == 0)  # fine-tuning with fixed masks kept them at zero
        assert np.all(kernel[mask == 1] != 0)
        assert model.get_layer(name).kernel.constraint is None  # masks detached afterwards
    assert run.epochs_run == run.best_epoch == 3
    assert compression.sparsity(model) > 0.6
    accuracy = np.mean(training.predict_labels(model, val[0]) == val[1])
    assert accuracy > 0.6, "the fine-tuned sparse model still classifies"


def test_magnitude_pruning_rejects_bad_arguments(splits, teacher):
    (x, y), val = splits
    with pytest.raises(ValueError, match="target_sparsity"):
        compression.prune_magnitude(teacher, (x, y), val, target_sparsity=1.0)
    with pytest.raises(ValueError, match="layer_names"):
        compression.prune_magnitude(teacher, (x, y), val, layer_names=["nope"])


def test_structured_pruning_equals_zeroing_the_weakest_units(splits, teacher):
    _, (x_val, _) = splits
    smaller = compression.prune_structured(teacher, 0.5, layer_names=["dense"])
    assert smaller.get_layer("dense").units == 16
    assert smaller.count_params() < teacher.count_params()
    # The same network with the dropped units' weights zeroed computes the same outputs.
    kernel, bias = teacher.get_layer("dense").get_weights()
    dropped = np.argsort(-np.abs(kernel).sum(axis=0), kind="stable")[16:]
    zeroed = _copy(teacher)
    kernel[:, dropped], bias[dropped] = 0.0, 0.0
    zeroed.get_layer("dense").set_weights([kernel, bias])
    np.testing.assert_allclose(training.predict_scores(smaller, x_val),
                               training.predict_scores(zeroed, x_val), atol=1e-5)


def test_structured_pruning_through_convolutions_and_flatten(splits, teacher):
    _, (x_val, _) = splits
    same = compression.prune_structured(teacher, 1.0)
    np.testing.assert_allclose(training.predict_scores(same, x_val),
                               training.predict_scores(teacher, x_val), atol=1e-5)
    half = compression.prune_structured(teacher, 0.5)
    assert [half.get_layer(n).filters for n in ("conv_1", "conv_2")] == [4, 8]
    assert half.get_layer("dense").units == 16
    assert training.predict_scores(half, x_val).shape == (len(x_val), 4)
    with pytest.raises(ValueError, match="output layer"):
        compression.prune_structured(teacher, 0.5, layer_names=["class_probabilities"])
    with pytest.raises(ValueError, match="keep"):
        compression.prune_structured(teacher, 0.0)


# --- Distillation --------------------------------------------------------------------------


def test_student_learns_from_the_teachers_soft_targets_alone(splits, teacher):
    (x, y), (x_val, _) = splits
    before = [w.copy() for w in teacher.get_weights()]
    training.set_seed(0)
    student = models.build_dnn(N_FEATURES, 4, units=(16,), scaling=models.fit_scaling(x),
                               steps_per_execution=4)
    # alpha=0 and shuffled labels: whatever the student learns comes from the teacher.
    noise = np.random.default_rng(0).permutation(y)
    run = compression.distill(teacher, student, (x, noise), (x_val, noise[:len(x_val)]),
                              alpha=0.0, temperature=2.0, epochs=15, batch_size=64,
                              learning_rate=3e-3)
    assert run.epochs_run >= 1 and "val_loss" in run.history
    scores = training.predict_scores(student, x_val)
    np.testing.assert_allclose(scores.sum(axis=1), 1.0, atol=1e-5)  # still probabilities
    agreement = np.mean(scores.argmax(axis=1) == training.predict_labels(teacher, x_val))
    assert agreement > 0.85
    for a, b in zip(before, teacher.get_weights()):
        np.testing.assert_array_equal(a, b)
    assert teacher.trainable and all(layer.trainable for layer in teacher.layers)


def test_distill_rejects_sigmoid_models_and_bad_parameters(splits, teacher):
    (x, y), val = splits
    binary = models.build_dnn(N_FEATURES, 2, units=(4,))
    with pytest.raises(ValueError, match="softmax"):
        compression.distill(teacher, binary, (x, y > 0), val, epochs=1)
    with pytest.raises(ValueError, match="alpha"):
        compression.distill(teacher, teacher, (x, y), val, alpha=1.5)
    with pytest.raises(ValueError, match="temperature"):
        compression.distill(teacher, teacher, (x, y), val, temperature=0)


# --- Exports and parity --------------------------------------------------------------------


@pytest.mark.parametrize("quantization, agreement, max_diff", [
    ("float32", 0.999, 1e-4), ("float16", 0.99, 0.02), ("dynamic", 0.98, 0.1),
    ("int8", 0.97, 0.2)])
def test_tflite_exports_convert_and_pass_parity(splits, teacher, tmp_path, quantization,
                                                agreement, max_diff):
    (x, _), (x_val, _) = splits
    path = compression.export_tflite(teacher, tmp_path / f"{quantization}.tflite",
                                     quantization, representative=x)
    runner = compression.TFLiteRunner(path, num_threads=1)
    result = compression.check_parity(training.predict_scores(teacher, x_val),
                                      runner.predict_scores(x_val, batch_size=128),
                                      min_agreement=agreement, max_abs_diff=max_diff)
    assert result["n"] == len(x_val)
    if quantization != "float32":
        float_size = compression.export_tflite(teacher, tmp_path / "f.tflite").stat().st_size
        assert path.stat().st_size < float_size


def test_int8_of_raw_inputs_is_caught_by_the_parity_check(splits, teacher, tmp_path):
    (x, _), (x_val, _) = splits
    path = compression.export_tflite(teacher, tmp_path / "raw.tflite", "int8",
                                     representative=x, float_front=False)
    scores = compression.TFLiteRunner(path).predict_scores(x_val)
    with pytest.raises(compression.ParityError, match="agreement"):
        compression.check_parity(training.predict_scores(teacher, x_val), scores)


def test_onnx_exports_feed_forward_and_recurrent_models(splits, teacher, tmp_path):
    _, (x_val, _) = splits
    path = compression.export_onnx(teacher, tmp_path / "cnn.onnx")
    compression.check_parity(training.predict_scores(teacher, x_val),
                             compression.ONNXRunner(path).predict_scores(x_val),
                             min_agreement=1.0, max_abs_diff=1e-5)
    rng = np.random.default_rng(2)
    windows = rng.normal(size=(64, 5, N_FEATURES)).astype("float32") * SCALES
    windows[:8, :2] = 0.0  # padded starts, skipped by the mask
    training.set_seed(0)
    lstm = models.build_lstm(5, N_FEATURES, 3, units=(8,), scaling=models.fit_scaling(windows))
    path = compression.export_onnx(lstm, tmp_path / "lstm.onnx")
    compression.check_parity(training.predict_scores(lstm, windows),
                             compression.ONNXRunner(path).predict_scores(windows, batch_size=16),
                             min_agreement=1.0, max_abs_diff=1e-5)
    with pytest.raises(ValueError, match="export_onnx"):
        compression.export_tflite(lstm, tmp_path / "lstm.tflite")


def test_keras_int8_quantization_leaves_the_original_alone(splits, teacher):
    _, (x_val, _) = splits
    before = training.predict_scores(teacher, x_val)
    quantized = compression.quantize_keras(teacher)
    compression.check_parity(before, training.predict_scores(quantized, x_val),
                             min_agreement=0.97, max_abs_diff=0.2)
    np.testing.assert_array_equal(training.predict_scores(teacher, x_val), before)


def test_parity_values_and_errors():
    reference = np.array([[0.9, 0.1], [0.2, 0.8], [0.6, 0.4]])
    result = compression.parity(reference, np.array([[0.8, 0.2], [0.3, 0.7], [0.4, 0.6]]))
    assert result["n"] == 3 and result["agreement"] == pytest.approx(2 / 3)
    assert result["max_abs_diff"] == pytest.approx(0.2)
    assert compression.parity([0.2, 0.7], [0.6, 0.7])["agreement"] == 0.5  # binary scores
    with pytest.raises(ValueError, match="shape"):
        compression.parity(reference, reference[:2])
    with pytest.raises(compression.ParityError, match="max"):
        compression.check_parity(reference, reference + 0.1, max_abs_diff=0.05)
    assert compression.check_parity(reference, reference)["agreement"] == 1.0


# --- Measurement ---------------------------------------------------------------------------


def test_file_sizes_show_what_gzip_makes_of_zeros(tmp_path):
    zeros, noise = tmp_path / "zeros.bin", tmp_path / "noise.bin"
    zeros.write_bytes(bytes(10_000))
    noise.write_bytes(np.random.default_rng(0).bytes(10_000))
    assert compression.file_sizes(zeros)["size_bytes"] == 10_000
    assert compression.file_sizes(zeros)["gzip_bytes"] < 100
    assert compression.file_sizes(noise)["gzip_bytes"] > 9_000


def test_measure_gives_one_row_for_keras_models_and_runners(splits, teacher, tmp_path):
    _, (x_val, y_val) = splits
    classes = ["Benign", "a", "b", "c"]
    runner = compression.ONNXRunner(compression.export_onnx(teacher, tmp_path / "m.onnx"))
    rows = {"keras": compression.measure(teacher, x_val, y_val, classes=classes, repeats=1,
                                         single_calls=5, batch_size=256),
            "onnx": compression.measure(runner, x_val, y_val, classes=classes, repeats=1,
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
        compression.measure(object(), x_val, y_val, classes=classes)
