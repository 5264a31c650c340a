"""nidslib: the helper library of *Deep Learning for Network Intrusion Detection*.

One module per concern, in the order the data flows through the book:

- ``schema``: facts about CICIDS2017 (headers, labels, families, the week);
- ``traffic``, ``flowmeter``, ``simulation``: the offline twin (flow types, features from
  packets, the week written as CSV files); ``fidelity`` measures it against genuine rows;
- ``rawcsv``, ``datasets``, ``kdd``: readers and loaders for the twin and the real datasets;
- ``cleaning``, ``splits``: chapter 1's cleaning steps and time-blocked splits;
- ``balancing``: chapter 2's pipeline factory (scaling, resampling, class weights);
- ``evaluation``, ``plots``: the reports and figures every chapter uses;
- ``training``, ``models``, ``sequences``, ``search``: the book's seed call and training
  loop, the Keras model builders, windows of flows, and random search (chapters 3-5);
- ``anomaly``: chapter 6's LSTM autoencoder, its thresholds and the two-stage detector;
- ``compression``, ``export``: chapter 7's pruning and distillation; its TFLite and ONNX exports,
  their runtimes, parity checks and measurements.

Each public function's docstring names the chapter that explains it.
"""

__version__ = "0.1.0"
