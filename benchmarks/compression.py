"""Size, latency, throughput and macro-F1 of chapter 7's compressed variants, on one core.

Usage (from the repository root):

    .venv/bin/python benchmarks/compression.py      # writes nidslib/recorded/compression.csv
    .venv/bin/python benchmarks/compression.py --single-calls 200 --repeats 3 --out /tmp/c.csv

It builds the variants as chapter 7 builds them (same data, seeds and settings: the teacher
CNN, magnitude pruning to 80 %, structured pruning to half the channels, the TFLite float32 /
float16 / dynamic / int8 and ONNX exports, Keras int8, the distilled student and its
exports, and the same student trained on labels alone), then times each through
``nidslib.deployment.measure`` with more repetitions than the chapter. TensorFlow runs on one thread (``export.use_one_core()`` before
anything else), TFLite with ``num_threads=1``, onnxruntime with one intra-op thread. Every
export passes its parity check before it is timed. The machine is shared: expect ±50 %.
"""

from __future__ import annotations

import argparse
import datetime
import platform
import subprocess
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

from nidslib import (cleaning, compression, deployment, distillation, export, models,
                     reproducibility, splits, training)

export.use_one_core()

import keras  # noqa: E402

RESULTS = reproducibility.RECORDED / "compression.csv"  # chapter 7 plots it


def _machine() -> str:
    try:
        cpu = next(line.split(":", 1)[1].strip() for line in
                   subprocess.run(["lscpu"], capture_output=True, text=True).stdout.splitlines()
                   if line.startswith("Model name"))
    except (StopIteration, OSError):
        cpu = platform.processor() or "unknown CPU"
    return f"{cpu}, {subprocess.run(['nproc'], capture_output=True, text=True).stdout.strip()} vCPUs"


def build_variants(folder: Path, dataset: str = "twin", benign_keep: float = 0.2,
                   epochs: int = 20, patience: int = 5):
    """Chapter 7's variants: ``({name: (runnable, source Keras model or None)}, test data,
    families)``."""
    parts = splits.load_clean_splits(dataset)
    features = cleaning.feature_columns(parts.train)
    families = list(parts.train["category"].cat.categories)

    def arrays(frame):
        return (frame[features].to_numpy(np.float32),
                frame["category"].cat.codes.to_numpy().astype(np.int64))

    x_all, y_all = arrays(parts.train)
    val, test = arrays(parts.val), arrays(parts.test)
    keep = (y_all != 0) | (np.random.default_rng(0).random(len(y_all)) < benign_keep)
    train = x_all[keep], y_all[keep]
    scaling = models.fit_scaling(train[0])
    n_features, n_classes = len(features), len(families)

    training.set_seed()
    teacher = models.build_cnn(n_features, n_classes, scaling=scaling, learning_rate=3e-3)
    training.fit(teacher, train, val, epochs=epochs, patience=patience)
    pruned = compression.copy_model(teacher)
    compression.prune_magnitude(pruned, train, val, target_sparsity=0.8, epochs=4,
                                schedule_fraction=0.5)
    narrow = compression.prune_structured(teacher, keep=0.5)
    training.fit(narrow, train, val, epochs=6, patience=3)
    training.set_seed()
    student = models.build_dnn(n_features, n_classes, units=(32,), dropout=0.0, scaling=scaling)
    distillation.distill(teacher, student, train, val, temperature=4.0, alpha=0.1, epochs=25,
                         patience=patience, learning_rate=3e-3)
    training.set_seed()
    alone = models.build_dnn(n_features, n_classes, units=(32,), dropout=0.0, scaling=scaling,
                             learning_rate=3e-3)
    training.fit(alone, train, val, epochs=25, patience=patience)

    def tflite(model, name, quantization="float32"):
        path = export.export_tflite(model, folder / f"{name}.tflite", quantization,
                                    representative=train[0])
        return export.TFLiteRunner(path)

    variants = {
        "teacher (Keras)": (teacher, None),
        "teacher, TFLite float32": (tflite(teacher, "t32"), teacher),
        "teacher, TFLite float16": (tflite(teacher, "t16", "float16"), teacher),
        "teacher, TFLite dynamic": (tflite(teacher, "tdyn", "dynamic"), teacher),
        "teacher, TFLite int8": (tflite(teacher, "t8", "int8"), teacher),
        "teacher, ONNX float32": (export.ONNXRunner(
            export.export_onnx(teacher, folder / "t.onnx")), teacher),
        "teacher, Keras int8": (export.quantize_keras(teacher), teacher),
        "pruned 80 % (Keras)": (pruned, None),
        "pruned 80 %, TFLite float32": (tflite(pruned, "p32"), pruned),
        "narrow (Keras)": (narrow, None),
        "narrow, TFLite float32": (tflite(narrow, "n32"), narrow),
        "student (Keras)": (student, None),
        "student, TFLite float32": (tflite(student, "s32"), student),
        "student, TFLite int8": (tflite(student, "s8", "int8"), student),
        "labels-only DNN (Keras)": (alone, None),
        "labels-only DNN, TFLite int8": (tflite(alone, "a8", "int8"), alone),
    }
    return variants, test, families


def main(argv=None) -> pd.DataFrame:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--single-calls", type=int, default=500)
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        variants, (x_test, y_test), families = build_variants(Path(folder))
        for name, (runnable, source) in variants.items():
            row = {"variant": name}
            if source is not None:
                kind = "int8" if "int8" in name else name.split()[-1]
                scores = (training.predict_scores(runnable, x_test)
                          if isinstance(runnable, keras.Model) else runnable.predict_scores(x_test))
                row.update(deployment.check_parity(
                    training.predict_scores(source, x_test), scores, kind=kind, name=name))
            row.update(deployment.measure(runnable, x_test, y_test, classes=families,
                                          repeats=args.repeats, single_calls=args.single_calls))
            rows.append(row)
            print(f"{name:32s} {row['size_bytes']:>9,} B {row['latency_ms@1']:8.3f} ms "
                  f"{row['flows_per_s@4096']:>12,.0f} flows/s  macro-F1 {row['macro_f1']:.3f}",
                  flush=True)
    frame = pd.DataFrame(rows)
    frame["threads"] = 1
    frame["machine"] = _machine()
    frame["date"] = datetime.date.today().isoformat()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    frame.to_csv(args.out, index=False)
    return frame


if __name__ == "__main__":
    main()
