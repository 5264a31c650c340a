"""From flows to alerts: an exported model scores each flow as it finishes, alerts are JSON lines.

Chapter 9 (From packets to alerts, in preparation). :class:`Detector` runs an ONNX model
(onnxruntime, no TensorFlow) on the features :func:`nidslib.packets.flowmeter.
features_from_flows` computes, so the code that made the training rows also feeds the model
in service. Without a model of one's own, :meth:`Detector.default` loads the small model that
ships inside the package (``nidslib/shipped/detector.onnx``, rebuilt by
``tools/build_detector.py``; its card ``detector.json`` says how it was trained and what it
scored). Every flow whose most likely class is not benign becomes an alert (:func:`alerts`).

A flow whose features are not all finite (a zero-duration flow's ``Infinity`` rates) cannot
be scored: chapter 1's cleaning drops such rows from training. Here they are counted, never
dropped silently: :meth:`Detector.score` returns NaN scores for them and :func:`alerts`
leaves them out of the alerts, and ``nidslib detect`` reports how many there were.

Example
-------
>>> detector = Detector.default()
>>> detector.classes[:3], len(detector.features)
(['Benign', 'Bot', 'Brute Force'], 64)
"""

from __future__ import annotations

import datetime
import json
from pathlib import Path

import numpy as np

from nidslib.packets.table import format_addresses

__all__ = ["DEFAULT_MODEL", "Detector", "alerts"]

DEFAULT_MODEL = Path(__file__).resolve().parent / "shipped" / "detector.onnx"


class Detector:
    """An ONNX classifier of flows with its card: classes and feature columns.

    Parameters
    ----------
    path : str or pathlib.Path
        The ``.onnx`` file; its card is the ``.json`` file beside it, with ``classes``,
        ``features`` (the model's input columns, canonical names, in order) and ``benign``.

    Raises
    ------
    FileNotFoundError
        When the model or its card is missing.
    ValueError
        When the card lacks ``classes`` or ``features``, or onnxruntime cannot load the
        model.
    """

    def __init__(self, path):
        import onnxruntime  # imported here: the flows command needs no runtime

        self.path = Path(path)
        card_path = self.path.with_suffix(".json")
        for needed in (self.path, card_path):
            if not needed.is_file():
                raise FileNotFoundError(f"{needed}: no such file (a model needs its .onnx file "
                                        f"and the .json card beside it)")
        self.card = json.loads(card_path.read_text())
        missing = [k for k in ("classes", "features") if k not in self.card]
        if missing:
            raise ValueError(f"{card_path}: the card lacks {missing}")
        self.classes = list(self.card["classes"])
        self.features = list(self.card["features"])
        self.benign = self.card.get("benign", "Benign")
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = 1
        try:
            self.session = onnxruntime.InferenceSession(str(self.path), options,
                                                        providers=["CPUExecutionProvider"])
        except Exception as error:  # onnxruntime's own error types: say what failed, once
            raise ValueError(f"{self.path}: not a model onnxruntime can load "
                             f"({type(error).__name__}: {str(error)[:200]})") from None
        self.input_name = self.session.get_inputs()[0].name

    @classmethod
    def default(cls) -> Detector:
        """The model that ships with nidslib (see the module docstring).

        Returns
        -------
        Detector
        """
        return cls(DEFAULT_MODEL)

    def score(self, features: dict) -> np.ndarray:
        """Class probabilities of each flow.

        Parameters
        ----------
        features : dict of str to numpy.ndarray
            Canonical feature columns, one value per flow; every column of
            :attr:`features` must be there.

        Returns
        -------
        numpy.ndarray
            (flows, classes) float32, columns in the order of :attr:`classes`; NaN rows for
            flows with a non-finite feature.

        Raises
        ------
        KeyError
            When a feature the model needs is missing.
        """
        missing = [f for f in self.features if f not in features]
        if missing:
            raise KeyError(f"features missing for {self.path.name}: {missing}")
        x = np.column_stack([np.asarray(features[f], np.float32) for f in self.features])
        scores = np.full((len(x), len(self.classes)), np.nan, np.float32)
        finite = np.isfinite(x).all(axis=1)
        for start in range(0, int(finite.sum()), 65536):  # one batch at a time
            rows = np.flatnonzero(finite)[start:start + 65536]
            scores[rows] = self.session.run(None, {self.input_name: x[rows]})[0]
        return scores


def _iso(us) -> list[str]:
    return [datetime.datetime.fromtimestamp(t / 1e6, datetime.timezone.utc)
            .isoformat(timespec="microseconds").replace("+00:00", "Z") for t in us]


def alerts(flows, scores: np.ndarray, classes, benign: str = "Benign") -> list[dict]:
    """One alert per flow whose most likely class is not ``benign``.

    Parameters
    ----------
    flows : nidslib.packets.flows.Flows
        The scored flows.
    scores : numpy.ndarray
        (flows, classes) probabilities (:meth:`Detector.score`); NaN rows are not alerts.
    classes : list of str
        The columns of ``scores``.
    benign : str, default "Benign"
        The class that raises no alert.

    Returns
    -------
    list of dict
        ``flow_start`` and ``flow_end`` (ISO 8601, UTC), ``src_ip``, ``src_port``,
        ``dst_ip``, ``dst_port``, ``protocol``, ``family`` (the most likely class), ``score``
        (its probability), ``benign_score`` and ``flow_id``, in the order of the flows.
    """
    scored = ~np.isnan(scores).any(axis=1)
    best = np.where(scored, np.nan_to_num(scores).argmax(axis=1), -1)
    raised = np.flatnonzero(scored & (best != list(classes).index(benign)))
    if not len(raised):
        return []
    src, dst = format_addresses(flows.src[raised]), format_addresses(flows.dst[raised])
    ids = flows.flow_id()
    first, last = _iso(flows.start_us()[raised]), _iso(flows.end_us()[raised])
    benign_column = list(classes).index(benign)
    return [{"flow_start": first[i], "flow_end": last[i], "src_ip": src[i],
             "src_port": int(flows.src_port[f]), "dst_ip": dst[i],
             "dst_port": int(flows.dst_port[f]), "protocol": int(flows.protocol[f]),
             "family": classes[best[f]], "score": round(float(scores[f, best[f]]), 6),
             "benign_score": round(float(scores[f, benign_column]), 6), "flow_id": ids[f]}
            for i, f in enumerate(raised)]
