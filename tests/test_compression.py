"""Model compression (nidslib.compression): magnitude and structured pruning, distillation.
The toy data and teacher are in conftest.py."""

import pytest

from nidslib import training

import numpy as np

from conftest import TOY_FEATURES as N_FEATURES  # noqa: E402
from nidslib import compression, distillation, models  # noqa: E402


def test_copy_model_is_an_independent_compiled_twin(splits, teacher):
    _, (x_val, _) = splits
    twin = compression.copy_model(teacher)
    np.testing.assert_array_equal(training.predict_scores(twin, x_val),
                                  training.predict_scores(teacher, x_val))
    assert twin.get_compile_config() == teacher.get_compile_config()
    assert twin.optimizer is not teacher.optimizer
    kernel = twin.get_layer("dense").kernel
    kernel.assign(np.zeros(kernel.shape, "float32"))
    assert np.abs(np.asarray(teacher.get_layer("dense").kernel)).sum() > 0


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
    model = compression.copy_model(teacher)
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
    zeroed = compression.copy_model(teacher)
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
    run = distillation.distill(teacher, student, (x, noise), (x_val, noise[:len(x_val)]),
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
        distillation.distill(teacher, binary, (x, y > 0), val, epochs=1)
    with pytest.raises(ValueError, match="alpha"):
        distillation.distill(teacher, teacher, (x, y), val, alpha=1.5)
    with pytest.raises(ValueError, match="temperature"):
        distillation.distill(teacher, teacher, (x, y), val, temperature=0)
