"""The CICIDS2017 schema: raw column names, canonical names, labels, families and the week.

Everything here is a fact about the published dataset, kept in one place so the twin
(:mod:`nidslib.simulation`), the loaders (:mod:`nidslib.datasets`) and the cleaning steps
(:mod:`nidslib.cleaning`) agree byte for byte. Chapter 1 ("Meet the raw files") walks
through these quirks with the reader.
"""

from __future__ import annotations

import re

# The header of every MachineLearningCVE file, byte for byte: leading spaces included, and
# ``Fwd Header Length`` twice (the second copy is a CICFlowMeter export bug).
MACHINE_LEARNING_CVE_HEADER: tuple[str, ...] = (
    " Destination Port", " Flow Duration", " Total Fwd Packets", " Total Backward Packets",
    "Total Length of Fwd Packets", " Total Length of Bwd Packets", " Fwd Packet Length Max",
    " Fwd Packet Length Min", " Fwd Packet Length Mean", " Fwd Packet Length Std",
    "Bwd Packet Length Max", " Bwd Packet Length Min", " Bwd Packet Length Mean",
    " Bwd Packet Length Std", "Flow Bytes/s", " Flow Packets/s", " Flow IAT Mean",
    " Flow IAT Std", " Flow IAT Max", " Flow IAT Min", "Fwd IAT Total", " Fwd IAT Mean",
    " Fwd IAT Std", " Fwd IAT Max", " Fwd IAT Min", "Bwd IAT Total", " Bwd IAT Mean",
    " Bwd IAT Std", " Bwd IAT Max", " Bwd IAT Min", "Fwd PSH Flags", " Bwd PSH Flags",
    " Fwd URG Flags", " Bwd URG Flags", " Fwd Header Length", " Bwd Header Length",
    "Fwd Packets/s", " Bwd Packets/s", " Min Packet Length", " Max Packet Length",
    " Packet Length Mean", " Packet Length Std", " Packet Length Variance", "FIN Flag Count",
    " SYN Flag Count", " RST Flag Count", " PSH Flag Count", " ACK Flag Count",
    " URG Flag Count", " CWE Flag Count", " ECE Flag Count", " Down/Up Ratio",
    " Average Packet Size", " Avg Fwd Segment Size", " Avg Bwd Segment Size",
    " Fwd Header Length", "Fwd Avg Bytes/Bulk", " Fwd Avg Packets/Bulk", " Fwd Avg Bulk Rate",
    " Bwd Avg Bytes/Bulk", " Bwd Avg Packets/Bulk", "Bwd Avg Bulk Rate", "Subflow Fwd Packets",
    " Subflow Fwd Bytes", " Subflow Bwd Packets", " Subflow Bwd Bytes",
    "Init_Win_bytes_forward", " Init_Win_bytes_backward", " act_data_pkt_fwd",
    " min_seg_size_forward", "Active Mean", " Active Std", " Active Max", " Active Min",
    "Idle Mean", " Idle Std", " Idle Max", " Idle Min", " Label",
)

# The TrafficLabelling (GeneratedLabelledFlows) files put the flow's identity first and
# ``Destination Port`` inside it; the remaining 77 features and the label follow.
TRAFFIC_LABELLING_ID_COLUMNS: tuple[str, ...] = (
    "Flow ID", " Source IP", " Source Port", " Destination IP", " Destination Port",
    " Protocol", " Timestamp",
)
TRAFFIC_LABELLING_HEADER: tuple[str, ...] = (
    TRAFFIC_LABELLING_ID_COLUMNS + MACHINE_LEARNING_CVE_HEADER[1:]
)


def snake_case(name: str) -> str:
    """Canonical column name: ``' Flow Bytes/s'`` -> ``'flow_bytes_per_s'``.

    Rates (``/s``, ``/Bulk``) read ``_per_``; any other ``/`` and every run of non
    alphanumerics becomes one underscore. Explained in chapter 1, "Normalise the names".
    """
    name = name.strip()
    name = re.sub(r"/(s|Bulk)\b", r" per \1", name)
    name = re.sub(r"[^0-9A-Za-z]+", "_", name).strip("_")
    return name.lower()


# Canonical feature names in file order; the duplicated header column is left out
# (cleaning drops it after checking it equals the first copy).
FEATURES: tuple[str, ...] = tuple(
    dict.fromkeys(snake_case(c) for c in MACHINE_LEARNING_CVE_HEADER[:-1])
)
assert len(FEATURES) == 77, len(FEATURES)
DUPLICATED_FEATURE = "fwd_header_length"

# Columns that never vary in CICIDS2017 (CICFlowMeter never filled them in).
ALWAYS_ZERO_FEATURES: tuple[str, ...] = (
    "bwd_psh_flags", "bwd_urg_flags", "fwd_avg_bytes_per_bulk", "fwd_avg_packets_per_bulk",
    "fwd_avg_bulk_rate", "bwd_avg_bytes_per_bulk", "bwd_avg_packets_per_bulk",
    "bwd_avg_bulk_rate",
)

# --- Labels -------------------------------------------------------------------------------
# The 15 labels after repair. The raw files write the web-attack dash as the cp1252 byte
# 0x96 ("Web Attack \x96 XSS"); some copies carry it re-encoded as UTF-8 (b"\xc2\x96").
LABEL_FAMILY: dict[str, str] = {
    "BENIGN": "Benign",
    "FTP-Patator": "Brute Force",
    "SSH-Patator": "Brute Force",
    "DoS slowloris": "DoS",
    "DoS Slowhttptest": "DoS",
    "DoS Hulk": "DoS",
    "DoS GoldenEye": "DoS",
    "Heartbleed": "Heartbleed",
    "Web Attack - Brute Force": "Web Attack",
    "Web Attack - XSS": "Web Attack",
    "Web Attack - Sql Injection": "Web Attack",
    "Infiltration": "Infiltration",
    "Bot": "Bot",
    "PortScan": "PortScan",
    "DDoS": "DDoS",
}
LABELS: tuple[str, ...] = tuple(LABEL_FAMILY)
FAMILIES: tuple[str, ...] = tuple(dict.fromkeys(LABEL_FAMILY.values()))
BENIGN = "BENIGN"

# --- The week -----------------------------------------------------------------------------
# (file name, day, rows in the real file, labels in the real file). Names are the real ones,
# typos included ("workingHours", "Infilteration").
WEEK_FILES: tuple[tuple[str, str, int, tuple[str, ...]], ...] = (
    ("Monday-WorkingHours.pcap_ISCX.csv", "Monday", 529_918, ("BENIGN",)),
    ("Tuesday-WorkingHours.pcap_ISCX.csv", "Tuesday", 445_909,
     ("BENIGN", "FTP-Patator", "SSH-Patator")),
    ("Wednesday-workingHours.pcap_ISCX.csv", "Wednesday", 692_703,
     ("BENIGN", "DoS slowloris", "DoS Slowhttptest", "DoS Hulk", "DoS GoldenEye", "Heartbleed")),
    ("Thursday-WorkingHours-Morning-WebAttacks.pcap_ISCX.csv", "Thursday", 170_366,
     ("BENIGN", "Web Attack - Brute Force", "Web Attack - XSS", "Web Attack - Sql Injection")),
    ("Thursday-WorkingHours-Afternoon-Infilteration.pcap_ISCX.csv", "Thursday", 288_602,
     ("BENIGN", "Infiltration")),
    ("Friday-WorkingHours-Morning.pcap_ISCX.csv", "Friday", 191_033, ("BENIGN", "Bot")),
    ("Friday-WorkingHours-Afternoon-PortScan.pcap_ISCX.csv", "Friday", 286_467,
     ("BENIGN", "PortScan")),
    ("Friday-WorkingHours-Afternoon-DDos.pcap_ISCX.csv", "Friday", 225_745, ("BENIGN", "DDoS")),
)
DAYS: tuple[str, ...] = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday")

# Raw class counts of the whole real dataset (2,830,743 rows).
REAL_LABEL_COUNTS: dict[str, int] = {
    "BENIGN": 2_273_097, "DoS Hulk": 231_073, "PortScan": 158_930, "DDoS": 128_027,
    "DoS GoldenEye": 10_293, "FTP-Patator": 7_938, "SSH-Patator": 5_897,
    "DoS slowloris": 5_796, "DoS Slowhttptest": 5_499, "Bot": 1_966,
    "Web Attack - Brute Force": 1_507, "Web Attack - XSS": 652, "Infiltration": 36,
    "Web Attack - Sql Injection": 21, "Heartbleed": 11,
}
