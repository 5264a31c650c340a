"""Tests of nidslib.palette: fixed, distinct colours for families and labels, any spelling."""

from nidslib import palette
from nidslib.data.schema import FAMILIES, LABELS


def test_family_colors_are_fixed_and_distinct():
    colors = palette.family_colors(FAMILIES)
    assert len(set(colors.values())) == len(FAMILIES)
    assert palette.family_colors(["DoS", "Benign"]) == {"DoS": colors["DoS"],
                                                      "Benign": colors["Benign"]}
    assert len(set(palette.family_colors(LABELS).values())) == len(LABELS)
    # Benign under any of its names, and the binary 0, share the benign grey.
    benign = {palette.family_colors([n])[n] for n in ["BENIGN", "Benign", "normal"]}
    assert benign == {colors["Benign"]} == {palette.family_colors([0, 1])[0]}
    # Unknown names (UNSW-NB15 categories) get colours distinct from the known ones.
    mixed = palette.family_colors(["Normal", "Exploits", "Fuzzers", "DoS"])
    assert len(set(mixed.values())) == 4
    assert palette.family_colors(["dos"])["dos"] == colors["DoS"]  # NSL-KDD spelling
