"""Tests of nidslib.plots: every figure has a title and labelled axes and renders quietly."""

import re
from types import SimpleNamespace

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from nidslib import plots  # noqa: E402
from nidslib.results import ResultsTable  # noqa: E402
from nidslib.data.schema import FAMILIES, LABELS  # noqa: E402

from conftest import toy_scores  # noqa: E402

pytestmark = pytest.mark.filterwarnings("error")


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def _labels_and_scores(classes, n=1500, seed=0):
    """Labels named by ``classes`` and scores where the true class usually wins."""
    y = np.random.default_rng(seed).integers(0, len(classes), n)
    return np.asarray(classes)[y], toy_scores(y, len(classes), seed)


def _check(ax, tmp_path, name):
    """Title and axis labels set, and the figure renders to PNG."""
    assert ax.get_title() and ax.get_xlabel() and ax.get_ylabel()
    path = tmp_path / f"{name}.png"
    ax.figure.savefig(path, dpi=60)
    assert path.stat().st_size > 1000


def _legend_values(ax, key):
    return [float(m) for t in ax.get_legend().get_texts()
            for m in re.findall(rf"{key} ([0-9.]+)\)", t.get_text())]


@pytest.mark.parametrize("classes", [list(FAMILIES), list(LABELS)], ids=["families", "labels"])
@pytest.mark.parametrize("normalize", ["true", None])
def test_confusion_matrix(tmp_path, classes, normalize):
    y, scores = _labels_and_scores(classes)
    y_pred = np.asarray(classes)[scores.argmax(1)]
    ax = plots.plot_confusion_matrix(y, y_pred, labels=classes, normalize=normalize)
    _check(ax, tmp_path, f"cm_{len(classes)}_{normalize}")
    assert [t.get_text() for t in ax.get_xticklabels()] == classes
    assert ax.get_yticklabels()[0].get_text().startswith(f"{classes[0]} (n=")
    diagonal = ax.images[0].get_array()[0, 0]
    assert 0 < diagonal <= (100 if normalize else len(y))


def test_confusion_matrix_ids_and_given_axes(tmp_path):
    fig, (left, right) = plt.subplots(1, 2, figsize=(7, 3), layout="constrained")
    ax = plots.plot_confusion_matrix([0, 1, 1, 0], [0, 1, 0, 0], classes=["BENIGN", "Attack"],
                                     ax=right)
    assert ax is right
    assert [t.get_text() for t in ax.get_xticklabels()] == ["BENIGN", "Attack"]
    _check(ax, tmp_path, "cm_binary")


def test_learning_curves_mark_the_best_epoch(tmp_path):
    epochs = np.arange(1, 21)
    logs = {"loss": 1 / epochs, "val_loss": 1 / epochs + 0.004 * (epochs - 7) ** 2,
            "accuracy": 1 - 0.5 / epochs, "val_accuracy": 0.9 - 0.001 * (epochs - 7) ** 2}
    best = int(np.argmin(logs["val_loss"])) + 1
    ax = plots.plot_learning_curves(SimpleNamespace(history=logs))  # a Keras History
    _check(ax, tmp_path, "learning_curve")
    assert any(list(line.get_xdata()) == [best, best] for line in ax.get_lines())
    axes = plots.plot_learning_curves(logs, metrics=("loss", "accuracy"))
    assert len(axes) == 2
    for i, axis in enumerate(axes):
        _check(axis, tmp_path, f"learning_curves_{i}")
    with pytest.raises(KeyError, match="auc"):
        plots.plot_learning_curves(logs, metrics=("auc",))


def test_learning_curves_mark_the_epoch_a_training_run_kept():
    """A TrainingRun's best epoch is the one EarlyStopping restored (with min_delta it can
    differ from the minimum of the history), and that is the epoch marked."""
    from nidslib.training import TrainingRun

    logs = {"loss": [3.0, 2.0, 1.9, 1.8], "val_loss": [3.0, 2.0, 1.99, 1.98]}
    run = TrainingRun(history=logs, epochs_run=4, best_epoch=2, seconds=1.0)
    ax = plots.plot_learning_curves(run)
    assert any(list(line.get_xdata()) == [2, 2] for line in ax.get_lines())


def test_pr_and_roc_curves_perfect_scores(tmp_path):
    classes = ["BENIGN", "Bot", "DoS", "PortScan"]
    y = np.asarray(classes)[np.arange(400) % 4]
    scores = np.eye(4)[np.arange(400) % 4]
    ax = plots.plot_pr_curves(y, scores, classes)
    _check(ax, tmp_path, "pr_perfect")
    assert _legend_values(ax, "AP") == [1.0] * 4
    ax = plots.plot_roc_curves(y, scores, classes)
    _check(ax, tmp_path, "roc_perfect")
    assert _legend_values(ax, "AUC") == [1.0] * 4


def test_roc_curves_random_scores_near_chance(tmp_path):
    rng = np.random.default_rng(3)
    classes = list(LABELS)  # 15 classes: the legend moves outside the axes
    y = np.asarray(classes)[rng.integers(0, 15, 6000)]
    scores = rng.dirichlet(np.ones(15), 6000)
    ax = plots.plot_roc_curves(y, scores, classes, log_fpr=True)
    _check(ax, tmp_path, "roc_random")
    aucs = _legend_values(ax, "AUC")
    assert len(aucs) == 15 and np.mean(aucs) == pytest.approx(0.5, abs=0.03)


def test_binary_curves_from_one_score_column(tmp_path):
    rng = np.random.default_rng(4)
    y = rng.integers(0, 2, 1000)
    score = np.clip(0.35 * y + 0.65 * rng.random(1000), 0, 1)
    for plot, key in [(plots.plot_pr_curves, "AP"), (plots.plot_roc_curves, "AUC")]:
        ax = plot(y, score)
        _check(ax, tmp_path, f"binary_{key}")
        assert "attack" in ax.get_title()
        (value,) = _legend_values(ax, key)
        assert 0.7 < value < 1.0


def test_model_comparison(tmp_path):
    table = ResultsTable()
    for i, model in enumerate(["Random forest", "MLP", "CNN", "LSTM", "CNN-LSTM"]):
        table.add(model, {"macro_f1": 0.6 + 0.05 * i, "weighted_f1": 0.95, "accuracy": 0.98,
                          "benign_fpr": 0.01})
    ax = plots.plot_model_comparison(table, metrics=("macro_f1", "accuracy", "benign_fpr"))
    _check(ax, tmp_path, "comparison")
    assert len(ax.patches) == 5 * 3
    assert [t.get_text() for t in ax.get_yticklabels()][0] == "Random forest"
    ax = plots.plot_model_comparison(table.to_frame())  # default metrics, a plain frame
    _check(ax, tmp_path, "comparison_default")
    table.add("CNN", {"macro_f1": 0.5}, split="validation")
    with pytest.raises(ValueError, match="splits"):
        plots.plot_model_comparison(table)


def test_plot_architecture_draws_every_layer_with_its_shape():
    from nidslib import diagrams, models

    model = models.build_cnn(12, 4, scaling={"mean": [0.0] * 12, "variance": [1.0] * 12})
    ax = diagrams.plot_architecture(model)
    texts = [t.get_text() for t in ax.texts]
    assert len(ax.patches) == len(model.layers)
    assert "Conv1D 16, 3, relu  conv_1" in texts and "(12, 16)" in texts
    scaling = [p for p, layer in zip(ax.patches, model.layers)
               if type(layer).__name__ in diagrams.SCALING_LAYERS]
    assert len(scaling) == 2 and len({p.get_facecolor() for p in scaling}) == 1
    assert ax.get_title() == f"cnn: {model.count_params():,} parameters"
    plt.close("all")


def test_plot_windows_labels_each_window_by_its_last_flow_and_by_any():
    from nidslib import diagrams

    flags = [False] * 6 + [True] * 2 + [False] * 4
    ax = diagrams.plot_windows(flags, 4, show=4)
    labels = [t.get_text() for t in ax.texts if t.get_text().startswith("last")]
    # the first window (3 padded), the attack's first flow, the first benign flow after it, the end
    assert labels == ["last: benign · any: benign · 3 padded", "last: attack · any: attack",
                      "last: benign · any: attack", "last: benign · any: benign"]
    plt.close("all")
