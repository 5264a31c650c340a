"""How close is the twin to the real CICIDS2017? Measured against genuine rows.

Two measures, reported per class in ``benchmarks/README.md`` and checked by a test:

- the median, over the features that vary, of the two-sample Kolmogorov-Smirnov distance
  between the twin's flows and the genuine flows of a class (0 = same distribution,
  1 = disjoint);
- transfer: a random forest trained on the twin alone, asked to label the genuine rows;
  its recall per class says whether what a model learns on the twin holds on real traffic.

:func:`benign_separation` asks another question: how far a class lies from the benign
traffic beside it, which is what an anomaly detector (chapter 6) depends on and what the
forests, which only need a class to be recognisable, do not measure.

:func:`both_ways` adds the reverse (a forest trained on genuine rows labels the twin's) and
the ceiling (a forest cross-validated on the genuine rows alone), on the features whose
meaning the original and the repaired meter share (:data:`COMPARABLE`), for the samples of
the corrected release that :func:`load_corrected_rows` reads.

Chapter 1 (Data cleaning), section "The data: CICIDS2017 and its twin", points the reader
to these numbers; ``benchmarks/README.md`` ("Twin fidelity") lists them.
:func:`load_genuine_rows` reads the genuine rows both of them are measured on.

Example
-------
One feature, two classes; one genuine DDoS flow is as short as benign ones:

>>> import pandas as pd
>>> twin = pd.DataFrame({"flow_duration": [1.0, 2.0, 3.0, 4.0, 50.0, 60.0, 70.0, 80.0],
...                      "label": ["BENIGN"] * 4 + ["DDoS"] * 4})
>>> genuine = twin.assign(flow_duration=[2.0, 3.0, 5.0, 6.0, 55.0, 65.0, 3.5, 75.0])
>>> ks_by_class(twin, genuine, features=["flow_duration"])["median_ks"].tolist()
[0.5, 0.25]
>>> transfer_recall(twin, genuine, features=["flow_duration"])["recall"].tolist()
[1.0, 0.75]
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from scipy.stats import ks_2samp
from sklearn.ensemble import IsolationForest, RandomForestClassifier
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import StratifiedKFold, cross_val_predict

from nidslib.data import schema
from nidslib.data.canonical import (add_category, drop_duplicated_column,
                                    normalise_column_names, repair_labels)
from nidslib.data.rawcsv import read_cicids2017_csv

# The genuine CICIDS2017 samples of ``shared/datasets/cicids2017`` and their formats: the
# head of the Friday DDoS file (all benign) and rows of four attacks in TrafficLabelling
# format (their file names are not the week's, so each file is read on its own).
GENUINE_FOLDERS = {"friday_ddos_head": "MachineLearningCVE",
                   "mondirkb_trafficlabelling": "TrafficLabelling"}


def load_genuine_rows(folder) -> pd.DataFrame:
    """The genuine CICIDS2017 rows under ``folder`` as one canonical frame.

    Every CSV file in the subfolders of :data:`GENUINE_FOLDERS` is read with
    :func:`nidslib.data.rawcsv.read_cicids2017_csv` in its format, then gets canonical
    names, loses the duplicated column and has its labels repaired and its families added
    (:mod:`nidslib.data.canonical`). Infinite values and duplicates are kept, as in the
    files (the measures skip non-finite values themselves).

    Parameters
    ----------
    folder : str or pathlib.Path
        The folder holding the subfolders of :data:`GENUINE_FOLDERS`
        (``shared/datasets/cicids2017``, or ``$NIDSLIB_DATA/cicids2017`` in CI).

    Returns
    -------
    pandas.DataFrame
        The 77 features, ``label``, ``category`` and ``source_file`` (subfolder and name).

    Raises
    ------
    FileNotFoundError
        No CSV file in any of the subfolders.
    nidslib.data.rawcsv.DatasetFormatError
        A file is malformed, or holds an unknown label.
    """
    folder = Path(folder)
    parts = []
    for subfolder, format in GENUINE_FOLDERS.items():
        for path in sorted((folder / subfolder).glob("*.csv")):
            raw = read_cicids2017_csv(path, format=format)
            frame = add_category(
                repair_labels(drop_duplicated_column(normalise_column_names(raw))))
            parts.append(frame[list(schema.FEATURES) + ["label", "category"]].assign(
                source_file=f"{subfolder}/{path.name}"))
    if not parts:
        raise FileNotFoundError(
            f"no genuine CICIDS2017 rows in {folder}: expected CSV files in "
            f"{[str(folder / s) for s in GENUINE_FOLDERS]}")
    return pd.concat(parts, ignore_index=True)


def _finite(frame: pd.DataFrame, features, label: str | None = None) -> pd.DataFrame:
    """The rows whose ``features`` are all finite, as floats, with ``label`` beside them when
    given; taken by position, so that frames put together with a repeated index stay whole."""
    values = frame[list(features)].astype(np.float64)
    keep = np.isfinite(values.to_numpy()).all(axis=1)
    rows = values[keep]
    if label is not None:
        rows = rows.assign(**{label: frame[label].to_numpy()[keep]})
    return rows


def ks_by_class(twin: pd.DataFrame, genuine: pd.DataFrame, features=schema.FEATURES,
                label: str = "label") -> pd.DataFrame:
    """Per class present in ``genuine``: median and worst KS distance over varying features.

    Features that are constant in both samples of a class are left out: they would pull
    the median to 0. Non-finite values are skipped (a row with one is left out).

    Parameters
    ----------
    twin, genuine : pandas.DataFrame
        Canonical frames: snake_case features and a label column.
    features : sequence of str
        The features compared (the 77 by default).
    label : str
        The column naming each row's class.

    Returns
    -------
    pandas.DataFrame
        One row per class of ``genuine`` (index ``label``): ``genuine_rows``,
        ``twin_rows``, ``features_compared``, ``median_ks``, ``worst_feature``, ``worst_ks``.

    Raises
    ------
    ValueError
        The twin has no flow of a class that ``genuine`` has.
    """
    rows = []
    for cls, real in genuine.groupby(label, observed=True):
        sim = twin[twin[label] == cls]
        if sim.empty:
            raise ValueError(f"the twin has no flows labelled {cls!r} to compare with")
        a, b = _finite(sim, features), _finite(real, features)
        distances = {f: ks_2samp(a[f], b[f]).statistic for f in features
                     if a[f].nunique() > 1 or b[f].nunique() > 1 or a[f].iloc[0] != b[f].iloc[0]}
        series = pd.Series(distances)
        rows.append({"label": cls, "genuine_rows": len(real), "twin_rows": len(sim),
                     "features_compared": len(series), "median_ks": series.median(),
                     "worst_feature": series.idxmax(), "worst_ks": series.max()})
    return pd.DataFrame(rows).set_index("label")


def _forest(seed: int) -> RandomForestClassifier:
    """The forest every fidelity measure trains (100 trees)."""
    return RandomForestClassifier(n_estimators=100, min_samples_leaf=2, n_jobs=-1,
                                  random_state=seed)


def benign_separation(frame: pd.DataFrame, attack: str, features=schema.FEATURES,
                      label: str = "label", seed: int = 0) -> float:
    """How unusual the ``attack`` rows of ``frame`` are beside its benign rows.

    An Isolation Forest (200 trees) learns half of the benign rows (chosen at random), after
    a signed logarithm and a standardisation fitted on them, as chapter 6's detectors do;
    the result is the ROC-AUC with which it ranks the ``attack`` rows above the other half.
    0.5: the class looks benign to a detector that knows only benign traffic; 1: every
    attack row is more unusual than every benign one. Computed on the twin and on genuine
    rows of the same capture, it says whether the twin puts a class as far from benign
    traffic as the real network did. ``destination_port`` is left out: an anomaly detector
    should not learn which services the testbed ran. Chapter 6, section 6.3.

    Parameters
    ----------
    frame : pandas.DataFrame
        Canonical rows with the features and ``label``, benign ones among them; rows with a
        non-finite value are left out.
    attack : str
        The class to score.
    features : sequence of str
        The detector's inputs (``destination_port`` dropped).
    label : str
        The column naming each row's class.
    seed : int
        Which benign half is learnt, and the Isolation Forest's random state.

    Returns
    -------
    float
        The ROC-AUC.

    Raises
    ------
    ValueError
        Fewer than 10 benign rows, or no ``attack`` row.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> frame = pd.DataFrame({"flow_duration": rng.lognormal(5, 1, 400),
    ...                       "label": ["BENIGN"] * 300 + ["DDoS"] * 100})
    >>> frame.loc[300:, "flow_duration"] *= 1000  # DDoS flows last far longer
    >>> benign_separation(frame, "DDoS", features=["flow_duration"]) > 0.95
    True
    """
    columns = [f for f in features if f != "destination_port"]
    rows = _finite(frame, columns, label)
    benign = rows[rows[label] == schema.BENIGN]
    attacks = rows[rows[label] == attack]
    if len(benign) < 10 or attacks.empty:
        raise ValueError(f"benign_separation needs 10 benign rows and a {attack!r} row; "
                         f"found {len(benign)} and {len(attacks)}")
    order = np.random.default_rng(seed).permutation(len(benign))
    learnt, held = benign.iloc[order[: len(benign) // 2]], benign.iloc[order[len(benign) // 2:]]

    def logs(part):
        values = part[columns].to_numpy(np.float64)
        return np.sign(values) * np.log1p(np.abs(values))

    reference = logs(learnt)
    mean, scale = reference.mean(axis=0), reference.std(axis=0) + 1e-6
    detector = IsolationForest(n_estimators=200, random_state=seed).fit((reference - mean) / scale)
    held_scores = -detector.score_samples((logs(held) - mean) / scale)
    attack_scores = -detector.score_samples((logs(attacks) - mean) / scale)
    truth = np.r_[np.zeros(len(held_scores)), np.ones(len(attack_scores))]
    return float(roc_auc_score(truth, np.r_[held_scores, attack_scores]))


def time_concentration(frame: pd.DataFrame, label: str = "label", min_packets: int = 4,
                       quantiles=(0.1, 0.5, 0.9)) -> pd.DataFrame:
    """How much of a flow's duration its longest gap takes, per class: quantiles of
    ``flow_iat_max / flow_duration`` (percent), over the flows of ``min_packets`` packets
    or more that last longer than zero.

    Near 100: the flow is a burst, then a wait (or a wait, then a burst); near
    100 / (packets - 1): its packets are evenly paced. Compared between the twin and genuine
    rows written by the same meter, it says whether the twin paces a class's packets as the
    real traffic did, which the features of a whole flow (its mean gap, its duration) do
    not tell apart. Chapter 6, section 6.3.

    Parameters
    ----------
    frame : pandas.DataFrame
        Canonical rows: ``flow_duration``, ``flow_iat_max``, ``total_fwd_packets``,
        ``total_backward_packets`` and ``label``.
    label : str
        The column naming each row's class.
    min_packets : int
        Flows with fewer packets are left out (a flow of two packets has one gap).
    quantiles : sequence of float
        Which quantiles to report.

    Returns
    -------
    pandas.DataFrame
        One row per class: ``flows`` counted and one column per quantile (``p10``, ...).

    Examples
    --------
    >>> frame = pd.DataFrame({"flow_duration": [100.0, 100.0, 100.0, 90.0],
    ...                       "flow_iat_max": [25.0, 97.0, 99.0, 30.0],
    ...                       "total_fwd_packets": [3, 3, 3, 3],
    ...                       "total_backward_packets": [2, 2, 2, 2],
    ...                       "label": ["BENIGN", "DDoS", "DDoS", "BENIGN"]})
    >>> table = time_concentration(frame, quantiles=(0.5,))
    >>> table.index.tolist(), table["flows"].tolist(), table["p50"].tolist()
    (['BENIGN', 'DDoS'], [2, 2], [29.17, 98.0])
    """
    packets = frame["total_fwd_packets"] + frame["total_backward_packets"]
    rows = frame[(packets >= min_packets) & (frame["flow_duration"] > 0)]
    share = 100 * rows["flow_iat_max"] / rows["flow_duration"]
    grouped = share.groupby(rows[label])
    table = pd.DataFrame({"flows": grouped.size()})
    for q in quantiles:
        table[f"p{round(100 * q)}"] = grouped.quantile(q).round(2)
    return table


def transfer_recall(twin: pd.DataFrame, genuine: pd.DataFrame, features=schema.FEATURES,
                    label: str = "label", seed: int = 0) -> pd.DataFrame:
    """Recall on the genuine rows of a random forest trained on the twin only.

    The forest sees every class of the twin, so a genuine DDoS flow called "DoS Hulk" counts
    as a miss: the question is whether the twin teaches the right class. ``family_recall``
    counts a prediction in the right family (XSS called web brute force) as a hit.

    Parameters
    ----------
    twin, genuine : pandas.DataFrame
        Canonical frames; labels are the 15 CICIDS2017 labels (families come from
        :data:`nidslib.data.schema.LABEL_FAMILY`). Rows with a non-finite value are left out.
    features : sequence of str
        The forest's inputs (the 77 by default).
    label : str
        The column naming each row's class.
    seed : int
        The forest's random state.

    Returns
    -------
    pandas.DataFrame
        One row per class of ``genuine`` (index ``label``): ``genuine_rows``, ``recall``,
        ``family_recall`` and ``most_often_called``.
    """
    train = _finite(twin, features, label)
    test = _finite(genuine, features, label)
    forest = _forest(seed)
    forest.fit(train[list(features)].to_numpy(np.float32), train[label].astype(str))
    predicted = forest.predict(test[list(features)].to_numpy(np.float32))
    truth = test[label].astype(str).to_numpy()
    family = np.vectorize(schema.LABEL_FAMILY.get)
    rows = []
    for cls in pd.unique(truth):
        mine = truth == cls
        top = pd.Series(predicted[mine]).value_counts()
        rows.append({"label": cls, "genuine_rows": int(mine.sum()),
                     "recall": float((predicted[mine] == cls).mean()),
                     "family_recall": float((family(predicted[mine]) == family([cls])[0]).mean()),
                     "most_often_called": top.index[0]})
    return pd.DataFrame(rows).set_index("label")


# The corrected release's column names where they differ from CICIDS2017's (as snake_case),
# and its labels where they differ from the original 15 (its "Infiltration - Portscan" class,
# BENIGN in the original labelling, keeps its name).
CORRECTED_COLUMNS = {
    "dst_port": "destination_port", "total_fwd_packet": "total_fwd_packets",
    "total_bwd_packets": "total_backward_packets",
    "total_length_of_fwd_packet": "total_length_of_fwd_packets",
    "total_length_of_bwd_packet": "total_length_of_bwd_packets",
    "packet_length_min": "min_packet_length", "packet_length_max": "max_packet_length",
    "cwr_flag_count": "cwe_flag_count", "fwd_segment_size_avg": "avg_fwd_segment_size",
    "bwd_segment_size_avg": "avg_bwd_segment_size",
    "fwd_bytes_per_bulk_avg": "fwd_avg_bytes_per_bulk",
    "fwd_packet_per_bulk_avg": "fwd_avg_packets_per_bulk",
    "fwd_bulk_rate_avg": "fwd_avg_bulk_rate", "bwd_bytes_per_bulk_avg": "bwd_avg_bytes_per_bulk",
    "bwd_packet_per_bulk_avg": "bwd_avg_packets_per_bulk",
    "bwd_bulk_rate_avg": "bwd_avg_bulk_rate", "fwd_init_win_bytes": "init_win_bytes_forward",
    "bwd_init_win_bytes": "init_win_bytes_backward", "fwd_act_data_pkts": "act_data_pkt_fwd",
    "fwd_seg_size_min": "min_seg_size_forward"}
CORRECTED_LABELS = {"Botnet": "Bot", "DoS Slowloris": "DoS slowloris", "Portscan": "PortScan",
                    "Web Attack - SQL Injection": "Web Attack - Sql Injection"}


def load_corrected_rows(folder: Path) -> pd.DataFrame:
    """The ``improved_rnd2500`` samples as one canonical frame.

    Parameters
    ----------
    folder : str or pathlib.Path
        The folder of the corrected release's samples, one CSV file per class.

    Returns
    -------
    pandas.DataFrame
        The 77 features under their CICIDS2017 names, ``label`` (the original release's
        spelling; ``Infiltration - Portscan`` kept), and the repaired meter's ``protocol``,
        ``src_ip``, ``dst_ip``, ``timestamp`` and ``source_file``.

    Raises
    ------
    ValueError
        A file lacks one of the features after renaming, or the folder has no CSV file.
    """
    frames = []
    for path in sorted(Path(folder).glob("*.csv")):
        frame = pd.read_csv(path)
        frame.columns = [CORRECTED_COLUMNS.get(c, c)
                         for c in (schema.snake_case(name) for name in frame.columns)]
        missing = [f for f in schema.FEATURES if f not in frame.columns]
        if missing:
            raise ValueError(f"{path}: columns missing after renaming: {missing}")
        frame["label"] = frame["label"].replace(CORRECTED_LABELS)
        frame["source_file"] = path.name
        frames.append(frame[[*schema.FEATURES, "label", "protocol", "src_ip", "dst_ip",
                             "timestamp", "source_file"]])
    if not frames:
        raise ValueError(f"{folder}: expected the corrected release's CSV samples, found none")
    return pd.concat(frames, ignore_index=True)


# Columns whose meaning differs between the original meter and the repaired one that wrote
# the corrected release (``nidslib/packets/cicflowmeter_rules.md``): the original wrote the
# first packet's flags under shuffled names (rule 6.12) where the repaired one counts every
# packet's; it wrote the flow's totals as its "subflow" (so 0 subflows on the repaired one
# are the whole flow there), an integer down/up ratio, and zeros for bulk transfers. The
# two-way comparison leaves them out.
METER_SPECIFIC = ("fwd_psh_flags", "bwd_psh_flags", "fwd_urg_flags", "bwd_urg_flags",
                  "fin_flag_count", "syn_flag_count", "rst_flag_count", "psh_flag_count",
                  "ack_flag_count", "urg_flag_count", "cwe_flag_count", "ece_flag_count",
                  "subflow_fwd_packets", "subflow_fwd_bytes", "subflow_bwd_packets",
                  "subflow_bwd_bytes", "down_up_ratio", "fwd_avg_bytes_per_bulk",
                  "fwd_avg_packets_per_bulk", "fwd_avg_bulk_rate", "bwd_avg_bytes_per_bulk",
                  "bwd_avg_packets_per_bulk", "bwd_avg_bulk_rate")
COMPARABLE = tuple(f for f in schema.FEATURES if f not in METER_SPECIFIC)


def harmonise(frame: pd.DataFrame) -> pd.DataFrame:
    """Both meters' rows on common ground: "no window seen" is -1 in the original, 0 in the
    repaired meter; here it is 0 for both."""
    windows = [w for w in ("init_win_bytes_forward", "init_win_bytes_backward") if w in frame]
    return frame.assign(**{w: frame[w].clip(lower=0) for w in windows})


def both_ways(twin: pd.DataFrame, genuine: pd.DataFrame, features=COMPARABLE,
              label: str = "label", seed: int = 0, folds: int = 5) -> pd.DataFrame:
    """Per class of ``genuine``: how well each side's forest recognises the other side.

    Three random forests (100 trees), on the :data:`COMPARABLE` features of
    :func:`harmonise` d rows: one trained on the twin labels the genuine rows
    (``twin_to_genuine``, the recall that says whether the twin teaches the class); one
    trained on the genuine rows labels the twin's (``genuine_to_twin``: do the twin's flows
    look like the class?); and a stratified ``folds``-fold cross-validation on the genuine
    rows alone (``ceiling``: what a forest can reach on them at all). ``benign_false_alarms``
    is the share of genuine benign rows that the twin-trained forest calls an attack.

    Parameters
    ----------
    twin, genuine : pandas.DataFrame
        Canonical frames with the features and ``label``; rows with a non-finite value are
        left out.
    features : sequence of str
        The forests' inputs.
    label : str
        The column naming each row's class.
    seed : int
        The forests' and the folds' random state.
    folds : int
        Folds of the ceiling's cross-validation; fewer (at least 2) when the smallest
        genuine class has fewer rows.

    Returns
    -------
    pandas.DataFrame
        One row per class of ``genuine`` (index ``label``): ``genuine_rows``,
        ``twin_rows``, ``twin_to_genuine`` (and ``twin_to_genuine_family``, a prediction in
        the right family counting), ``genuine_to_twin``, ``ceiling``,
        ``most_often_called`` (the twin-trained forest's commonest answer), and, on the
        ``BENIGN`` row, ``benign_false_alarms``.
    """
    columns = list(features)
    twin = _finite(harmonise(twin), columns, label)
    genuine = _finite(harmonise(genuine), columns, label)
    x_twin, y_twin = twin[columns].to_numpy(np.float32), twin[label].astype(str).to_numpy()
    x_real, y_real = genuine[columns].to_numpy(np.float32), genuine[label].astype(str).to_numpy()
    on_real = _forest(seed).fit(x_twin, y_twin).predict(x_real)
    on_twin = _forest(seed).fit(x_real, y_real).predict(x_twin)
    smallest = int(pd.Series(y_real).value_counts().min())
    cv = StratifiedKFold(n_splits=max(2, min(folds, smallest)), shuffle=True, random_state=seed)
    crossed = cross_val_predict(_forest(seed), x_real, y_real, cv=cv)
    family = np.vectorize(lambda name: schema.LABEL_FAMILY.get(name, name))
    rows = []
    for cls in pd.unique(y_real):
        real, sim = y_real == cls, y_twin == cls
        row = {"label": cls, "genuine_rows": int(real.sum()), "twin_rows": int(sim.sum()),
               "twin_to_genuine": float((on_real[real] == cls).mean()),
               "twin_to_genuine_family": float((family(on_real[real]) == family(cls)).mean()),
               "genuine_to_twin": float((on_twin[sim] == cls).mean()) if sim.any() else np.nan,
               "ceiling": float((crossed[real] == cls).mean()),
               "most_often_called": pd.Series(on_real[real]).value_counts().index[0]}
        if cls == schema.BENIGN:
            row["benign_false_alarms"] = float((on_real[real] != cls).mean())
        rows.append(row)
    return pd.DataFrame(rows).set_index("label")


def twin_flows(profile: str = "small", seed: int = 0, meter: str = "original") -> pd.DataFrame:
    """The twin's week, its rows written by ``meter``, as one frame: the 77 features,
    ``label``, ``corrected_label`` and ``start_hour``."""
    from nidslib.twin import simulation

    frames = [frame for _name, _day, frame in simulation.simulate_week(profile, seed, meter)]
    return pd.concat(frames, ignore_index=True).rename(columns={"Label": "label"})


def corrected_twin(profile: str = "small", seed: int = 0, at_least: int = 100) -> pd.DataFrame:
    """The twin as the corrected release would have it, to compare with that release's rows.

    Its rows are written by the repaired meter (one per connection) and labelled by the
    corrected rules (attempted attacks BENIGN, the missed port scan named). A class the
    week holds fewer than ``at_least`` connections of gets more, simulated on their own
    (seed ``seed + 1``): the small week holds a single real XSS connection (18 of the 652
    XSS rows of the original release are real), too few to say what the twin's XSS looks
    like.

    Parameters
    ----------
    profile : {"small", "full"}
        The twin's size.
    seed : int
        The twin's seed.
    at_least : int
        Connections per class, at least.

    Returns
    -------
    pandas.DataFrame
        The 77 features and ``label`` (the corrected label).
    """
    from nidslib.twin import simulation

    twin = twin_flows(profile, seed, "repaired")
    twin = twin.drop(columns="label").rename(columns={"corrected_label": "label"})
    rng = np.random.default_rng(seed + 1)
    extra = []
    for label in [*schema.LABELS, "Infiltration - Portscan"]:
        missing = at_least - int((twin["label"] == label).sum())
        if missing > 0:
            rows = simulation.repaired_rows(simulation.simulate_label(label, missing, rng))
            extra.append(rows.assign(label=label))
    return pd.concat([twin[[*schema.FEATURES, "label"]], *extra], ignore_index=True)
