"""The CICIDS2017 schema: raw column names, canonical names, labels, families and the week.

Everything here is a fact about the published dataset, kept in one place so the twin
(:mod:`nidslib.twin.simulation`), the loaders (:mod:`nidslib.data.datasets`) and the cleaning
steps (:mod:`nidslib.cleaning`) agree byte for byte. Chapter 1 (Data cleaning), section
"Meet the raw files", walks through these quirks with the reader. The module also holds the
schemas of CSE-CIC-IDS2018, KDD Cup 99, NSL-KDD and UNSW-NB15, mapped onto the same names
where they measure the same thing.

Example
-------
>>> snake_case(" Flow Bytes/s"), snake_case("Fwd Avg Bytes/Bulk")
('flow_bytes_per_s', 'fwd_avg_bytes_per_bulk')
>>> MACHINE_LEARNING_CVE_HEADER.count(" Fwd Header Length"), len(FEATURES)
(2, 77)
>>> len(LABELS), len(FAMILIES), LABEL_FAMILY["Web Attack - XSS"]
(15, 9, 'Web Attack')
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
    alphanumerics becomes one underscore. Chapter 1 (Data cleaning), section
    "Load the whole week", shows the names before and after.

    Parameters
    ----------
    name : str
        A column name as the publisher wrote it, stray spaces included.

    Returns
    -------
    str
        The name in lower-case snake_case, without leading or trailing underscores.
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

# --- Canonical frames ---------------------------------------------------------------------
# pandas renames the second ``Fwd Header Length`` to ``... .1``; normalised, it is this copy.
DUPLICATED_FEATURE_COPY = "fwd_header_length_copy"

# Columns of a canonical frame that describe a flow but are not model inputs: identities,
# time, provenance and the targets. Every other column is a feature.
METADATA_COLUMNS: frozenset[str] = frozenset({
    "label", "category", "is_attack", "difficulty", "day", "source_file", "block",
    "timestamp", "flow_id", "source_ip", "source_port", "destination_ip", "protocol",
})

# Durations, IATs, lengths, packet/byte counts, header lengths, rates and flag counts
# cannot be negative. The exception: CICFlowMeter writes -1 into ``init_win_bytes_*``
# when no packet in that direction carried a TCP window (a sentinel, not an error).
INIT_WIN_SENTINEL = -1
INIT_WIN_FEATURES: tuple[str, ...] = ("init_win_bytes_forward", "init_win_bytes_backward")
NON_NEGATIVE_FEATURES: tuple[str, ...] = tuple(
    f for f in FEATURES if f not in INIT_WIN_FEATURES
)

# --- CSE-CIC-IDS2018 ----------------------------------------------------------------------
# The 2018 header (CICFlowMeter-V3 names) mapped onto the 2017 canonical names, in file
# order. ``Protocol`` and ``Timestamp`` are kept as metadata; the 2017 files have neither.
CSE_CIC_IDS2018_COLUMNS: dict[str, str] = {
    "Dst Port": "destination_port", "Protocol": "protocol", "Timestamp": "timestamp",
    "Flow Duration": "flow_duration", "Tot Fwd Pkts": "total_fwd_packets",
    "Tot Bwd Pkts": "total_backward_packets", "TotLen Fwd Pkts": "total_length_of_fwd_packets",
    "TotLen Bwd Pkts": "total_length_of_bwd_packets",
    "Fwd Pkt Len Max": "fwd_packet_length_max", "Fwd Pkt Len Min": "fwd_packet_length_min",
    "Fwd Pkt Len Mean": "fwd_packet_length_mean", "Fwd Pkt Len Std": "fwd_packet_length_std",
    "Bwd Pkt Len Max": "bwd_packet_length_max", "Bwd Pkt Len Min": "bwd_packet_length_min",
    "Bwd Pkt Len Mean": "bwd_packet_length_mean", "Bwd Pkt Len Std": "bwd_packet_length_std",
    "Flow Byts/s": "flow_bytes_per_s", "Flow Pkts/s": "flow_packets_per_s",
    "Flow IAT Mean": "flow_iat_mean", "Flow IAT Std": "flow_iat_std",
    "Flow IAT Max": "flow_iat_max", "Flow IAT Min": "flow_iat_min",
    "Fwd IAT Tot": "fwd_iat_total", "Fwd IAT Mean": "fwd_iat_mean", "Fwd IAT Std": "fwd_iat_std",
    "Fwd IAT Max": "fwd_iat_max", "Fwd IAT Min": "fwd_iat_min",
    "Bwd IAT Tot": "bwd_iat_total", "Bwd IAT Mean": "bwd_iat_mean", "Bwd IAT Std": "bwd_iat_std",
    "Bwd IAT Max": "bwd_iat_max", "Bwd IAT Min": "bwd_iat_min",
    "Fwd PSH Flags": "fwd_psh_flags", "Bwd PSH Flags": "bwd_psh_flags",
    "Fwd URG Flags": "fwd_urg_flags", "Bwd URG Flags": "bwd_urg_flags",
    "Fwd Header Len": "fwd_header_length", "Bwd Header Len": "bwd_header_length",
    "Fwd Pkts/s": "fwd_packets_per_s", "Bwd Pkts/s": "bwd_packets_per_s",
    "Pkt Len Min": "min_packet_length", "Pkt Len Max": "max_packet_length",
    "Pkt Len Mean": "packet_length_mean", "Pkt Len Std": "packet_length_std",
    "Pkt Len Var": "packet_length_variance",
    "FIN Flag Cnt": "fin_flag_count", "SYN Flag Cnt": "syn_flag_count",
    "RST Flag Cnt": "rst_flag_count", "PSH Flag Cnt": "psh_flag_count",
    "ACK Flag Cnt": "ack_flag_count", "URG Flag Cnt": "urg_flag_count",
    "CWE Flag Count": "cwe_flag_count", "ECE Flag Cnt": "ece_flag_count",
    "Down/Up Ratio": "down_up_ratio", "Pkt Size Avg": "average_packet_size",
    "Fwd Seg Size Avg": "avg_fwd_segment_size", "Bwd Seg Size Avg": "avg_bwd_segment_size",
    "Fwd Byts/b Avg": "fwd_avg_bytes_per_bulk", "Fwd Pkts/b Avg": "fwd_avg_packets_per_bulk",
    "Fwd Blk Rate Avg": "fwd_avg_bulk_rate", "Bwd Byts/b Avg": "bwd_avg_bytes_per_bulk",
    "Bwd Pkts/b Avg": "bwd_avg_packets_per_bulk", "Bwd Blk Rate Avg": "bwd_avg_bulk_rate",
    "Subflow Fwd Pkts": "subflow_fwd_packets", "Subflow Fwd Byts": "subflow_fwd_bytes",
    "Subflow Bwd Pkts": "subflow_bwd_packets", "Subflow Bwd Byts": "subflow_bwd_bytes",
    "Init Fwd Win Byts": "init_win_bytes_forward", "Init Bwd Win Byts": "init_win_bytes_backward",
    "Fwd Act Data Pkts": "act_data_pkt_fwd", "Fwd Seg Size Min": "min_seg_size_forward",
    "Active Mean": "active_mean", "Active Std": "active_std",
    "Active Max": "active_max", "Active Min": "active_min",
    "Idle Mean": "idle_mean", "Idle Std": "idle_std",
    "Idle Max": "idle_max", "Idle Min": "idle_min",
    "Label": "label",
}
CSE_CIC_IDS2018_HEADER: tuple[str, ...] = tuple(CSE_CIC_IDS2018_COLUMNS)
assert set(CSE_CIC_IDS2018_COLUMNS.values()) == set(FEATURES) | {"protocol", "timestamp", "label"}
# Only the Tuesday file (misspelt "Thuesday") starts with these four identity columns.
CSE_CIC_IDS2018_EXTRA_COLUMNS: tuple[str, ...] = ("Flow ID", "Src IP", "Src Port", "Dst IP")

# The ten daily files in time order, with the capture date (the ``day`` of the canonical frame).
CSE_CIC_IDS2018_FILES: tuple[tuple[str, str], ...] = (
    ("Wednesday-14-02-2018_TrafficForML_CICFlowMeter.csv", "2018-02-14"),
    ("Thursday-15-02-2018_TrafficForML_CICFlowMeter.csv", "2018-02-15"),
    ("Friday-16-02-2018_TrafficForML_CICFlowMeter.csv", "2018-02-16"),
    ("Thuesday-20-02-2018_TrafficForML_CICFlowMeter.csv", "2018-02-20"),
    ("Wednesday-21-02-2018_TrafficForML_CICFlowMeter.csv", "2018-02-21"),
    ("Thursday-22-02-2018_TrafficForML_CICFlowMeter.csv", "2018-02-22"),
    ("Friday-23-02-2018_TrafficForML_CICFlowMeter.csv", "2018-02-23"),
    ("Wednesday-28-02-2018_TrafficForML_CICFlowMeter.csv", "2018-02-28"),
    ("Thursday-01-03-2018_TrafficForML_CICFlowMeter.csv", "2018-03-01"),
    ("Friday-02-03-2018_TrafficForML_CICFlowMeter.csv", "2018-03-02"),
)

# 2018 labels (spelling and case as published, "Infilteration" included) -> 2017 families.
CSE_CIC_IDS2018_LABEL_FAMILY: dict[str, str] = {
    "Benign": "Benign",
    "FTP-BruteForce": "Brute Force", "SSH-Bruteforce": "Brute Force",
    "DoS attacks-GoldenEye": "DoS", "DoS attacks-Slowloris": "DoS",
    "DoS attacks-SlowHTTPTest": "DoS", "DoS attacks-Hulk": "DoS",
    "DDoS attacks-LOIC-HTTP": "DDoS", "DDOS attack-LOIC-UDP": "DDoS", "DDOS attack-HOIC": "DDoS",
    "Brute Force -Web": "Web Attack", "Brute Force -XSS": "Web Attack",
    "SQL Injection": "Web Attack",
    "Infilteration": "Infiltration",
    "Bot": "Bot",
}

# --- KDD Cup 99 and NSL-KDD ---------------------------------------------------------------
# The 41 features of both (no header in the files); NSL-KDD adds a difficulty score.
KDD_FEATURES: tuple[str, ...] = (
    "duration", "protocol_type", "service", "flag", "src_bytes", "dst_bytes", "land",
    "wrong_fragment", "urgent", "hot", "num_failed_logins", "logged_in", "num_compromised",
    "root_shell", "su_attempted", "num_root", "num_file_creations", "num_shells",
    "num_access_files", "num_outbound_cmds", "is_host_login", "is_guest_login", "count",
    "srv_count", "serror_rate", "srv_serror_rate", "rerror_rate", "srv_rerror_rate",
    "same_srv_rate", "diff_srv_rate", "srv_diff_host_rate", "dst_host_count",
    "dst_host_srv_count", "dst_host_same_srv_rate", "dst_host_diff_srv_rate",
    "dst_host_same_src_port_rate", "dst_host_srv_diff_host_rate", "dst_host_serror_rate",
    "dst_host_srv_serror_rate", "dst_host_rerror_rate", "dst_host_srv_rerror_rate",
)
assert len(KDD_FEATURES) == 41
KDD_TEXT_FEATURES: tuple[str, ...] = ("protocol_type", "service", "flag")

# Attack name -> category, covering every name in the four NSL-KDD files and the KDD Cup 99
# 10 % file (checked by the tests). Sources disagree on two names: ``httptunnel`` and ``worm``
# follow the widely used split of Dhanabal & Shantharajah (2015) (R2L and DoS).
KDD_ATTACK_CATEGORY: dict[str, str] = {
    "normal": "normal",
    **dict.fromkeys(("apache2", "back", "land", "mailbomb", "neptune", "pod", "processtable",
                     "smurf", "teardrop", "udpstorm", "worm"), "DoS"),
    **dict.fromkeys(("ipsweep", "mscan", "nmap", "portsweep", "saint", "satan"), "Probe"),
    **dict.fromkeys(("ftp_write", "guess_passwd", "httptunnel", "imap", "multihop", "named",
                     "phf", "sendmail", "snmpgetattack", "snmpguess", "spy", "warezclient",
                     "warezmaster", "xlock", "xsnoop"), "R2L"),
    **dict.fromkeys(("buffer_overflow", "loadmodule", "perl", "ps", "rootkit", "sqlattack",
                     "xterm"), "U2R"),
}

# --- UNSW-NB15 ----------------------------------------------------------------------------
# Header of UNSW_NB15_training-set.csv and UNSW_NB15_testing-set.csv. ``attack_cat`` names
# the attack family (``Normal`` for benign traffic); ``label`` is 0/1.
UNSW_NB15_COLUMNS: tuple[str, ...] = (
    "id", "dur", "proto", "service", "state", "spkts", "dpkts", "sbytes", "dbytes", "rate",
    "sttl", "dttl", "sload", "dload", "sloss", "dloss", "sinpkt", "dinpkt", "sjit", "djit",
    "swin", "stcpb", "dtcpb", "dwin", "tcprtt", "synack", "ackdat", "smean", "dmean",
    "trans_depth", "response_body_len", "ct_srv_src", "ct_state_ttl", "ct_dst_ltm",
    "ct_src_dport_ltm", "ct_dst_sport_ltm", "ct_dst_src_ltm", "is_ftp_login", "ct_ftp_cmd",
    "ct_flw_http_mthd", "ct_src_ltm", "ct_srv_dst", "is_sm_ips_ports", "attack_cat", "label",
)
UNSW_NB15_ATTACK_CATEGORIES: tuple[str, ...] = (
    "Normal", "Generic", "Exploits", "Fuzzers", "DoS", "Reconnaissance", "Analysis",
    "Backdoor", "Shellcode", "Worms",
)
