"""nidslib: the helper library of *Deep Learning for Network Intrusion Detection*.

The folders follow the path the data takes through the book:

- ``data/``: where flows enter. ``schema`` (facts about CICIDS2017: headers, labels,
  families, the week), ``rawcsv`` (reading the publishers' CSV files, format errors),
  ``datasets`` (the data home, the cache, and the loaders every chapter starts from) and
  ``kdd`` (NSL-KDD and KDD Cup 99, chapter 8);
- ``packets/``: where packets enter (chapter 9). ``capture`` reads pcap and pcapng files,
  ``capture_write`` writes them, ``flowmeter`` turns packets into CICFlowMeter's features;
- ``twin/``: the offline stand-in for CICIDS2017. ``traffic`` (the flow types),
  ``simulation`` (the week written as CSV files, features from ``packets.flowmeter``) and
  ``fidelity`` (how close it is to genuine rows);
- then the taught stages, flat, in the order the chapters use them: ``cleaning`` and
  ``splits`` (chapter 1), ``balancing`` (chapter 2), ``sequences`` (windows of flows,
  chapter 4), ``layers`` (scaling and padding inside a model), ``models``, ``training`` and
  ``search`` (chapters 3-5), ``anomaly`` (chapter 6), ``evaluation``, ``uncertainty`` and
  ``plots`` (every chapter), ``compression`` and ``export`` (chapter 7), and
  ``reproducibility`` (the seed setting and the chapters' checked claims).

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
