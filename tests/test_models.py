"""The Keras model builders (nidslib.models): shapes, parameter counts, names, scaling, masks."""

import numpy as np
import pytest

from nidslib import models
from nidslib.features import signed_log1p
from nidslib.layers import SignedLog1p

import keras


def test_dnn_shape_parameters_and_name():
    model = models.build_dnn(5, 3, units=(8, 4))
    assert model.name == "dnn"
    assert model.output_shape == (None, 3)
    assert model.count_params() == (5 * 8 + 8) + (8 * 4 + 4) + (4 * 3 + 3)


def test_cnn_shape_parameters_and_name():
    model = models.build_cnn(8, 3, filters=(4, 6), kernel_size=3, dense_units=5, name="c")
    assert model.name == "c"
    assert model.output_shape == (None, 3)
    # conv 1x3x4, 'same' pooling 8 -> 4, conv 4x3x6, pooling 4 -> 2, flatten 2 * 6
    expected = (3 * 4 + 4) + (4 * 3 * 6 + 6) + (2 * 6 * 5 + 5) + (5 * 3 + 3)
    assert model.count_params() == expected


def test_lstm_shape_parameters_and_name():
    model = models.build_lstm(4, 5, 2, units=(6, 3))
    assert model.name == "lstm"
    assert model.input_shape == (None, 4, 5)
    assert model.output_shape == (None, 1)  # binary: one sigmoid unit
    lstm = lambda units, inputs: 4 * (units * (inputs + units) + units)  # noqa: E731
    assert model.count_params() == lstm(6, 5) + lstm(3, 6) + (3 + 1)


def test_seed_lstm_defaults():
    model = models.build_lstm(10, 65, 9)
    assert [layer.units for layer in model.layers if isinstance(layer, keras.layers.LSTM)] \
        == [64, 32]
    assert [layer.rate for layer in model.layers if isinstance(layer, keras.layers.Dropout)] \
        == [0.2, 0.2]


def test_cnn_lstm_shape_parameters_and_name():
    model = models.build_cnn_lstm(4, 8, 3, filters=(4, 6), units=(5,))
    assert model.name == "cnn_lstm"
    assert model.output_shape == (None, 3)
    lstm = 4 * (5 * (6 + 5) + 5)
    assert model.count_params() == (3 * 4 + 4) + (4 * 3 * 6 + 6) + lstm + (5 * 3 + 3)


@pytest.mark.parametrize("build", [models.build_dnn, models.build_cnn])
def test_flow_models_predict_probabilities(build):
    model = build(6, 4)
    x = np.random.default_rng(0).normal(size=(7, 6)).astype("float32")
    scores = model(x).numpy()
    assert scores.shape == (7, 4)
    np.testing.assert_allclose(scores.sum(axis=1), 1, rtol=1e-5)


def test_every_builder_compiles_with_steps_per_execution():
    for model in (models.build_dnn(4, 3), models.build_cnn(4, 3),
                  models.build_lstm(3, 4, 3), models.build_cnn_lstm(3, 4, 3)):
        assert model.compiled and model.steps_per_execution == 32


def test_scaling_uses_training_statistics_and_skips_padding():
    rng = np.random.default_rng(0)
    x = rng.lognormal(5, 3, size=(200, 3)).astype("float32")
    x[:, 1] = -1  # a constant column: variance 1, not 0
    scaling = models.fit_scaling(x)
    logged = signed_log1p(x)
    np.testing.assert_allclose(scaling["mean"], logged.mean(axis=0), rtol=1e-5)
    assert scaling["variance"][1] == 1.0
    windows = np.concatenate([np.zeros((50, 1, 3), "float32"), x[:50, None, :]], axis=1)
    padded_stats = models.fit_scaling(windows)  # the zero flows are padding, not data
    np.testing.assert_allclose(padded_stats["mean"], models.fit_scaling(x[:50])["mean"],
                               rtol=1e-6)
    model = models.build_dnn(3, 2, scaling=scaling)
    standardize = keras.Model(model.input, model.get_layer("standardize").output)
    scaled = standardize(x).numpy()
    np.testing.assert_allclose(scaled.mean(axis=0), [0, 0, 0], atol=1e-3)
    np.testing.assert_allclose(scaled[:, [0, 2]].std(axis=0), [1, 1], rtol=1e-3)


def test_signed_log_layer_matches_numpy():
    x = np.array([[-1.0, 0.0, 1e9, 3.5]], dtype="float32")
    np.testing.assert_allclose(SignedLog1p()(x).numpy(), signed_log1p(x),
                               rtol=1e-6)


@pytest.mark.parametrize("build", [models.build_lstm, models.build_cnn_lstm])
def test_padded_flows_are_skipped(build):
    """A window padded with zero flows gives the same output as the shorter window alone."""
    model = build(None, 5, 3, units=(4,), dropout=0.0)
    rng = np.random.default_rng(1)
    short = rng.lognormal(2, 1, size=(2, 3, 5)).astype("float32")
    padded = np.concatenate([np.zeros((2, 2, 5), "float32"), short], axis=1)
    np.testing.assert_allclose(model(padded).numpy(), model(short).numpy(), atol=1e-6)


def test_saved_model_round_trip(tmp_path):
    scaling = models.fit_scaling(np.random.default_rng(0).lognormal(size=(20, 4)))
    model = models.build_cnn_lstm(3, 4, 3, filters=(4,), units=(4,), scaling=scaling)
    path = tmp_path / "model.keras"
    model.save(path)
    loaded = keras.models.load_model(path, compile=False)
    x = np.random.default_rng(2).lognormal(size=(5, 3, 4)).astype("float32")
    np.testing.assert_allclose(loaded(x).numpy(), model(x).numpy(), rtol=1e-6)


def test_invalid_number_of_classes():
    with pytest.raises(ValueError, match="n_classes"):
        models.build_dnn(4, 1)
