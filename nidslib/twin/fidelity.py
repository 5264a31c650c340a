"""How close is the twin to the real CICIDS2017? Measured against genuine rows.

Two measures, reported per class in ``benchmarks/README.md`` and checked by a test:

- the median, over the features that vary, of the two-sample Kolmogorov-Smirnov distance
  between the twin's flows and the genuine flows of a class (0 = same distribution,
  1 = disjoint);
- transfer: a random forest trained on the twin alone, asked to label the genuine rows;
  its recall per class says whether what a model learns on the twin holds on real traffic.

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
from sklearn.ensemble import RandomForestClassifier

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


def _finite(frame: pd.DataFrame, features) -> pd.DataFrame:
    values = frame[list(features)].astype(np.float64)
    return values.replace([np.inf, -np.inf], np.nan).dropna()


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
    train = _finite(twin, features).join(twin[label])
    test = _finite(genuine, features).join(genuine[label])
    forest = RandomForestClassifier(n_estimators=100, min_samples_leaf=2, n_jobs=-1,
                                    random_state=seed)
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
