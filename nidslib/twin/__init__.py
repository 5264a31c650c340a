"""The offline stand-in for CICIDS2017 that every chapter runs on by default: flow types
(``traffic``), the simulated week written as CSV files (``simulation``), and how close it is
to genuine rows (``fidelity``). Chapter 1 (Data cleaning), section "The data: CICIDS2017 and
its twin", explains it."""
