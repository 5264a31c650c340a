"""Rebuild the small default model that ``nidslib detect`` runs when no ``-m`` is given.

    .venv/bin/python tools/build_detector.py          # writes nidslib/shipped/detector.*

A DNN on single flows (``models.build_dnn``, its scaling inside the model), trained on the
twin's small week as chapter 3 trains its baseline (chapter 1's time split, attack families
as classes, early stopping on the validation part, seed 0), exported to ONNX
(``export.export_onnx``; never a pickle) and checked for parity with the Keras model on
the test part (``deployment.check_parity``: every label the same, scores within 1e-5). It
writes, beside the ONNX file, ``detector.json``: the classes, the feature columns in input
order, the validation and test macro-F1, and 64 reference rows with the Keras model's
scores, which ``tests/test_serving.py`` checks the shipped file against. About a minute on
the project's 2-core machine.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

from nidslib import deployment, export, models, splits, training
from nidslib.cleaning import feature_columns
from nidslib.evaluation import summary_metrics

SHIPPED = Path(__file__).resolve().parents[1] / "nidslib" / "shipped"


def main() -> None:
    start = time.perf_counter()
    training.set_seed(0)
    parts = splits.load_clean_splits("twin", profile="small", seed=0)
    columns = feature_columns(parts.train)
    classes = sorted(parts.train["category"].astype(str).unique())
    code = {name: i for i, name in enumerate(classes)}

    def xy(frame):
        return (frame[columns].to_numpy("float32"),
                frame["category"].astype(str).map(code).to_numpy("int64"))

    (x_train, y_train), (x_val, y_val), (x_test, y_test) = (xy(parts.train), xy(parts.val),
                                                            xy(parts.test))
    model = models.build_dnn(len(columns), len(classes), units=(64, 32),
                             scaling=models.fit_scaling(x_train), name="default_detector")
    run = training.fit(model, (x_train, y_train), (x_val, y_val), epochs=200, patience=5,
                       batch_size=512)
    SHIPPED.mkdir(exist_ok=True)
    path = export.export_onnx(model, SHIPPED / "detector.onnx")
    runner = export.ONNXRunner(path)
    parity = deployment.check_parity(training.predict_scores(model, x_test),
                                     runner.predict_scores(x_test), min_agreement=1.0,
                                     max_abs_diff=1e-5, name="default detector, ONNX")
    macro = {part: summary_metrics(y, training.scores_to_labels(runner.predict_scores(x)),
                                   classes=classes)["macro_f1"]
             for part, (x, y) in (("val", (x_val, y_val)), ("test", (x_test, y_test)))}
    reference = x_test[:64]
    card = {
        "model": "models.build_dnn(units=(64, 32)), scaling inside the model",
        "trained_on": "the twin's small week, seed 0: chapter 1's time split, train part",
        "classes": classes, "benign": "Benign", "features": columns,
        "epochs_kept": run.best_epoch, "macro_f1": {k: round(float(v), 4) for k, v in macro.items()},
        "parity": {k: float(v) for k, v in parity.items()},
        "reference_inputs": reference.tolist(),
        "reference_scores": training.predict_scores(model, reference).tolist(),
        "rebuild": "tools/build_detector.py",
    }
    (SHIPPED / "detector.json").write_text(json.dumps(card, indent=1) + "\n")
    print(f"wrote {path} ({path.stat().st_size:,} bytes) and detector.json: "
          f"{len(classes)} classes, {len(columns)} features, macro-F1 val {macro['val']:.3f} "
          f"test {macro['test']:.3f}, {time.perf_counter() - start:.0f} s")


if __name__ == "__main__":
    main()
