"""The book's colours: one per attack family, a shade of it per label, the same in every figure.

Chapter 1 (Data cleaning), section "From 15 labels to 9 families", introduces them;
:mod:`nidslib.plots` and the chapters' own figures draw with them.

Example
-------
>>> family_colors(["Benign", "DoS", "Bot"])
{'Benign': '#7f7f7f', 'DoS': '#d62728', 'Bot': '#8c564b'}
>>> family_colors(["normal", "dos"])      # NSL-KDD's names: the same grey and red
{'normal': '#7f7f7f', 'dos': '#d62728'}
"""

from __future__ import annotations

import numpy as np
from matplotlib import colors as mcolors
from matplotlib import pyplot as plt

from nidslib.data.schema import LABEL_FAMILY

__all__ = ["family_colors"]

# One colour per CICIDS2017 family (tab10, colour-blind-safer order), benign in grey.
_FAMILY_COLORS = {
    "Benign": "#7f7f7f",
    "DoS": "#d62728",
    "DDoS": "#9467bd",
    "PortScan": "#ff7f0e",
    "Brute Force": "#1f77b4",
    "Web Attack": "#2ca02c",
    "Bot": "#8c564b",
    "Infiltration": "#e377c2",
    "Heartbleed": "#bcbd22",
    "Attack": "#b2182b",  # the binary problem's positive class
}
_ALIASES = {"benign": "Benign", "normal": "Benign", "attack": "Attack", "malicious": "Attack"}
# Other datasets' categories: distinct colours first (Dark2), then the tab20b pairs.
_FALLBACK = [*plt.get_cmap("Dark2").colors, "#17becf", *plt.get_cmap("tab20b").colors[::2],
             *plt.get_cmap("tab20b").colors[1::2]]


def _shade(color, i: int, n: int) -> str:
    """The i-th of n shades of ``color``, from darker to lighter."""
    if n == 1:
        return mcolors.to_hex(color)
    rgb = np.array(mcolors.to_rgb(color))
    t = -0.35 + 0.75 * i / (n - 1)  # -0.35 (towards black) .. +0.4 (towards white)
    mixed = rgb * (1 + t) if t < 0 else rgb + (1 - rgb) * t
    return mcolors.to_hex(np.clip(mixed, 0, 1))


def _label_colors() -> dict[str, str]:
    by_family: dict[str, list[str]] = {}
    for label, family in LABEL_FAMILY.items():
        by_family.setdefault(family, []).append(label)
    out = {}
    for family, labels in by_family.items():
        for i, label in enumerate(labels):
            out[label] = _shade(_FAMILY_COLORS[family], i, len(labels))
    out["BENIGN"] = _FAMILY_COLORS["Benign"]
    return out


# Case-insensitive, so NSL-KDD's "dos" is the DoS red and "normal" the benign grey.
_COLORS = {k.lower(): v for k, v in {**_label_colors(), **_FAMILY_COLORS}.items()}
_COLORS.update({alias: _FAMILY_COLORS[name] for alias, name in _ALIASES.items()})


def family_colors(names) -> dict:
    """A colour for each class or family name, the same in every figure of the book.

    CICIDS2017 families have fixed colours; each of the 15 labels is a shade of its
    family's colour (the four DoS labels are reds); benign/normal is grey, and the binary
    ``0``/``1`` read as benign/attack. Other names (NSL-KDD, UNSW-NB15 categories) get
    distinct fallback colours in the order given. Explained in chapter 1 (Data cleaning),
    section "From 15 labels to 9 families".

    Parameters
    ----------
    names : iterable
        Class or family names (matched case-insensitively), or the binary ids ``0``/``1``.

    Returns
    -------
    dict
        ``{name: hex colour}`` in the order of ``names``; black once the fallback colours
        run out.
    """
    names = list(names)
    integer = all(isinstance(n, (int, np.integer)) and not isinstance(n, bool) for n in names)
    out, unknown = {}, []
    for name in names:
        key = str(name)
        if integer and len(names) <= 2 and name in (0, 1):
            key = "Benign" if name == 0 else "Attack"
        color = _COLORS.get(key.lower())
        if color is None:
            unknown.append(name)
        else:
            out[name] = color
    used = set(out.values())
    spare = iter(c for c in map(mcolors.to_hex, _FALLBACK) if c not in used)
    for name in unknown:
        out[name] = next(spare, "#000000")
    return {name: out[name] for name in names}
