"""How close is the twin to the real CICIDS2017? Measured against genuine rows.

Two measures, reported per class in ``benchmarks/README.md`` and checked by a test:

- the median, over the features that vary, of the two-sample Kolmogorov-Smirnov distance
  between the twin's flows and the genuine flows of a class (0 = same distribution,
  1 = disjoint);
- transfer: a random forest trained on the twin alone, asked to label the genuine rows;
  its recall per class says whether what a model learns on the twin holds on real traffic.

Chapter 1, "The twin", shows these numbers to the reader.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.stats import ks_2samp
from sklearn.ensemble import RandomForestClassifier

from . import schema


def _finite(frame: pd.DataFrame, features) -> pd.DataFrame:
    values = frame[list(features)].astype(np.float64)
    return values.replace([np.inf, -np.inf], np.nan).dropna()


def ks_by_class(twin: pd.DataFrame, genuine: pd.DataFrame, features=schema.FEATURES,
                label: str = "label") -> pd.DataFrame:
    """Per class present in ``genuine``: median and worst KS distance over varying features.

    Both frames are canonical (snake_case features and a ``label`` column). Features that
    are constant in both samples of a class are left out: they would pull the median to 0.
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
