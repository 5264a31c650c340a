"""nidslib: the helper library of *Deep Learning for Network Intrusion Detection*.

One module per concern, in the order the data flows through the book:
``schema`` (facts about CICIDS2017), ``simulation`` (the offline twin), ``datasets``
(loaders for real and simulated data), ``cleaning``, ``splits``, ``evaluation``.
Each public function's docstring names the chapter that explains it.
"""

__version__ = "0.1.0"
