"""nidslib: the helper library of *Deep Learning for Network Intrusion Detection*.

The folders follow the path the data takes through the book:

- ``data/``: where flows enter. ``schema`` (facts about CICIDS2017: headers, labels,
  families, the week), ``rawcsv`` (reading the publishers' CSV files, format errors),
  ``canonical`` (the four steps every loader applies), ``paths`` (the data home, the cache,
  downloads), ``datasets`` (the loaders and the week every chapter starts from) and ``kdd``
  (NSL-KDD and KDD Cup 99, chapter 8);
- ``packets/``: where packets enter (chapter 9). ``capture`` reads pcap and pcapng files
  (``records`` finds their records, ``decode`` their headers, into a ``table``),
  ``capture_write`` writes them, ``flows`` (with ``assembly``) groups packets into flows by
  the original CICFlowMeter's rules, ``flowmeter`` computes their features, ``flowcsv``
  writes them as CICIDS2017's CSV;
- ``twin/``: the offline stand-in for CICIDS2017. ``traffic`` (the flow types),
  ``simulation`` (the week written as CSV files, features from ``packets.flowmeter``) and
  ``fidelity`` (how close it is to genuine rows);
- then the taught stages, flat, in the order the chapters use them: ``cleaning`` and
  ``splits`` (chapter 1); ``balancing`` and ``weighting`` (chapter 2); ``features`` (the
  signed log, the padding rule, row hashes) and ``layers`` (the same inside a model);
  ``sequences`` (windows of flows, chapter 4); ``models``, ``training`` and ``search``
  (chapters 3-5); ``anomaly`` and ``detection`` (chapter 6); ``compression``,
  ``distillation``, ``export`` and ``deployment`` (chapter 7); and, for every chapter,
  ``evaluation`` (the per-class report), ``results`` (the table across chapters),
  ``uncertainty`` (bootstrap intervals), ``palette`` and ``plots`` (figures) and
  ``reproducibility`` (the seed setting and the chapters' checked claims);
- last, where the book's detectors meet packets (chapter 9): ``serving`` (an exported model
  scores flows, alerts as JSON lines; the default model is in ``shipped/``) and ``cli`` (the
  ``nidslib flows`` and ``nidslib detect`` commands).

Importing the package has one side effect, here: TensorFlow's C++ log lines are silenced
(``TF_CPP_MIN_LOG_LEVEL=3`` unless already set), which must happen before TensorFlow is
first imported, so a chapter's first import is a ``nidslib`` one. Two lines still reach
stderr when TensorFlow 2.21 loads (absl's notice that logging has not started, and oneDNN's
"custom operations are on"): no setting silences them. Each public function's docstring
names the chapter that explains it.
"""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

__version__ = "0.1.0"
