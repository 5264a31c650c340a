"""The book's seed setting and its checked claims.

Every claim the prose makes ("SMOTE before the split inflates macro-F1", "the window helps
DoS") is checked in a hidden cell by :func:`claim`. What happens when a claim does not hold
depends on who runs the chapter:

- on the twin (the book's stored run, and CI), a broken claim is an error: the chapter
  fails, so the prose can never go stale;
- on a reader's own data (``NIDSLIB_DATASET`` other than ``twin``), the chapter runs to its
  end and prints, where the claim is made, that it does not hold on this data and what was
  measured; :func:`claims_report` lists every claim of the chapter at its end.

``NIDSLIB_CLAIMS=strict`` or ``=report`` overrides that default (the seed sweep in
``benchmarks/seed_sweep.py`` runs the twin in report mode to count how often each claim
holds). ``NIDSLIB_CLAIMS_LOG`` names a JSON-lines file every claim is appended to.

``NIDSLIB_SEED`` (default 0) is the training seed: :func:`nidslib.training.set_seed`, the
scikit-learn models' ``random_state`` and the resamplers all read :data:`SEED`, so any
chapter re-runs with another seed. The twin's data seed is separate and fixed.

The introduction says why: every claim is checked each time the book is built, once more as
another machine with another seed would run it, and a difference counts only when it is
larger than that spread (evaluation rule 6 of the introduction). Every chapter checks its
claims with :func:`claim`; chapter 2 (Class imbalance), section "The leak, measured" is the
first to show a :func:`spread_table`.

Example
-------
>>> import os
>>> os.environ["NIDSLIB_CLAIMS"] = "report"
>>> recall = 0.8
>>> claim("recall > 0.9", "the forest catches more than 90 %")
Does not hold on this data: the forest catches more than 90 % (measured: recall = 0.8)
False
>>> claims_report()[["claim", "holds"]].values.tolist()
[['the forest catches more than 90 %', False]]
>>> _ = os.environ.pop("NIDSLIB_CLAIMS"); _CLAIMS.clear()
"""

from __future__ import annotations

import ast
import json
import os
import sys

from pathlib import Path

import pandas as pd

__all__ = ["FULL_PROFILE_VALUES", "GLUED", "RECORDED", "SEED", "SWEEP_VALUES", "claim",
           "claims_mode", "claims_report", "claims_summary", "glue", "recorded_spread",
           "recorded_value", "show_glued", "spread_table"]


def _seed_from_environment() -> int:
    value = os.environ.get("NIDSLIB_SEED", "0")
    try:
        return int(value)
    except ValueError:
        raise ValueError(f"NIDSLIB_SEED must be an integer, got {value!r}") from None


#: The training seed of this run: ``NIDSLIB_SEED``, 0 when unset.
SEED = _seed_from_environment()

_CLAIMS: list[dict] = []


def claims_mode() -> str:
    """``"strict"`` (a broken claim raises) or ``"report"`` (it is printed and recorded).

    ``NIDSLIB_CLAIMS`` when set; otherwise strict on the twin and report on any other dataset.

    Returns
    -------
    str
        ``"strict"`` or ``"report"``.

    Raises
    ------
    ValueError
        If ``NIDSLIB_CLAIMS`` is set to anything but ``strict`` or ``report``.
    """
    mode = os.environ.get("NIDSLIB_CLAIMS")
    if mode is None:
        return "strict" if os.environ.get("NIDSLIB_DATASET", "twin") == "twin" else "report"
    if mode not in ("strict", "report"):
        raise ValueError(f"NIDSLIB_CLAIMS must be 'strict' or 'report', got {mode!r}")
    return mode


def _plain(value):
    """A JSON-friendly, short form of a measured value."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        return " ".join(str(value).split())[:80]
    return round(number, 4) if number == number else None


def _operands(tree: ast.AST) -> list[ast.expr]:
    """The non-constant sides of the comparisons in a condition: what was measured."""
    found, todo = [], [tree]
    while todo:
        node = todo.pop()
        if isinstance(node, (ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp,
                             ast.Lambda)):
            continue  # their names exist only inside them
        if isinstance(node, ast.Compare):
            found += [side for side in (node.left, *node.comparators)
                      if not isinstance(side, ast.Constant)]
        todo.extend(reversed(list(ast.iter_child_nodes(node))))
    return found


def claim(condition, statement: str | None = None, **measured) -> bool:
    """Check one claim of the prose; in strict mode a claim that does not hold is an error.

    Parameters
    ----------
    condition : str or bool-like
        The claim as a Python expression over the chapter's variables, for example
        ``"f1_leaky - f1_clean > 0.05"``; it is evaluated in the caller's namespace, and
        the sides of its comparisons are reported as what was measured. A plain boolean
        (or NumPy bool) works too.
    statement : str, optional
        The claim as the prose makes it, with its margin; the condition's text by default.
    **measured
        Further numbers to show beside the claim in the error or the report.

    Returns
    -------
    bool
        Whether the claim holds (strict mode only ever returns ``True``).

    Raises
    ------
    AssertionError
        In strict mode, when the claim does not hold.
    Exception
        In strict mode, whatever evaluating a string ``condition`` raises (e.g.
        ``NameError``), unchanged; in report mode such a claim is recorded as not holding.
    ValueError
        If ``NIDSLIB_CLAIMS`` is set to anything but ``strict`` or ``report`` (checked only
        when the claim does not hold or cannot be evaluated).
    """
    values = {}
    if isinstance(condition, str):
        caller = sys._getframe(1)
        namespace = {**caller.f_globals, **caller.f_locals}
        text = " ".join(condition.split())
        try:
            held = bool(eval(text, namespace))  # noqa: S307 - the book's own expressions
        except Exception as error:  # a claim that cannot be evaluated here does not hold
            if claims_mode() == "strict":
                raise
            held, values = False, {"error": f"{type(error).__name__}: {error}"}
        else:
            for side in _operands(ast.parse(text, mode="eval")):
                source = ast.unparse(side)
                try:
                    values[source] = eval(source, namespace)  # noqa: S307
                except Exception:  # noqa: BLE001 - a side that cannot stand alone
                    continue
        statement = statement or text
    else:
        held = bool(condition)
        statement = statement or "(unnamed claim)"
    numbers = {name: _plain(value) for name, value in {**values, **measured}.items()}
    record = {"chapter": os.environ.get("NIDSLIB_CHAPTER", ""), "claim": statement,
              "holds": held, "measured": numbers, "seed": SEED,
              "dataset": os.environ.get("NIDSLIB_DATASET", "twin")}
    _CLAIMS.append(record)
    log = os.environ.get("NIDSLIB_CLAIMS_LOG")
    if log:
        with open(log, "a", encoding="utf-8") as out:
            out.write(json.dumps(record) + "\n")
    if held:
        return True
    detail = "; ".join(f"{k} = {v}" for k, v in numbers.items())
    if claims_mode() == "strict":
        raise AssertionError(f"claim does not hold: {statement}"
                             + (f" (measured: {detail})" if detail else ""))
    print(f"Does not hold on this data: {statement}" + (f" (measured: {detail})" if detail else ""))
    return False


def claims_report() -> pd.DataFrame:
    """Every claim checked so far in this kernel: the statement, whether it held, the numbers.

    Returns
    -------
    pandas.DataFrame
        Columns ``claim``, ``holds`` and ``measured``, one row per :func:`claim` call.
    """
    rows = [{"claim": c["claim"], "holds": c["holds"],
             "measured": "; ".join(f"{k} = {v}" for k, v in c["measured"].items())}
            for c in _CLAIMS]
    return pd.DataFrame(rows, columns=["claim", "holds", "measured"])


#: Every value this kernel glued into the prose, by name (what :func:`show_glued` prints).
GLUED: dict = {}


def glue(name: str, value) -> None:
    """Put ``value`` into the chapter's prose, where it cites ``{glue:text}`name```.

    Stores it with :func:`myst_nb.glue` (not displayed), from which Jupyter Book fills in the
    prose, and keeps it in :data:`GLUED` for :func:`show_glued`, which prints it where plain
    Jupyter or Colab leaves the role as it is written. Every chapter glues its numbers
    through this; the convention is in ``chapters/CONVENTIONS.md``.

    Parameters
    ----------
    name : str
        The name the prose cites.
    value : object
        A number or a string.
    """
    from myst_nb import glue as myst_glue  # the [book] extra; only a notebook needs it

    GLUED[name] = value
    myst_glue(name, value, display=False)


def show_glued(*roles: str) -> None:
    """Print the glued values that the Markdown cell above cites, formatted as it formats them.

    Jupyter Book replaces each ``{glue:text}`name:format``` with its value and removes the
    cell that calls this (tag ``remove-cell``); in plain Jupyter and Colab the roles stay as
    written and this cell's output gives their values. ``tools/glue_cells.py`` writes one such
    cell after every Markdown cell with glue roles.

    Parameters
    ----------
    *roles : str
        ``"name"`` or ``"name:format"``, as in the roles.

    Examples
    --------
    >>> GLUED.update(share=12.345, family="DoS")
    >>> show_glued("share:.1f", "family")
    share = 12.3 · family = DoS
    """
    shown = []
    for role in roles:
        name, _, spec = role.partition(":")
        if name not in GLUED:
            shown.append(f"{name} = (computed further down)")
            continue
        try:
            shown.append(f"{name} = {format(GLUED[name], spec)}")
        except (TypeError, ValueError):  # e.g. a NaN of a skipped section with a "," format
            shown.append(f"{name} = {GLUED[name]}")
    print(" · ".join(shown))


def claims_summary() -> None:
    """Print, at a chapter's end, how many of its claims were checked and which did not hold.

    Each distinct statement counts once (a claim checked in a loop holds if it always held).
    Every chapter calls it in its last section.

    Returns
    -------
    None
        The summary is printed.
    """
    report = claims_report()
    if report.empty:
        print("This chapter checked no claims on this run.")
        return
    held = report.groupby("claim", sort=False)["holds"].all()
    if held.all():
        print(f"All {len(held)} claims this chapter makes were checked on this run, "
              f"with seed {SEED}, and hold.")
        return
    failed = report[~report["holds"]].drop_duplicates("claim")
    print(f"Of the {len(held)} claims this chapter makes, {int((~held).sum())} do not hold "
          f"on this data (seed {SEED}):")
    for row in failed.itertuples():
        print(f"- {row.claim}" + (f" (measured: {row.measured})" if row.measured else ""))


#: The benchmark results that chapters plot or quote, shipped inside the package so that an
#: installed ``nidslib`` (Colab, Binder) has them too; ``nidslib/recorded/README.md`` says
#: which benchmark writes each file.
RECORDED = Path(__file__).resolve().parent / "recorded"
#: Every number the chapters glue, per run of ``benchmarks/seed_sweep.py``.
SWEEP_VALUES = RECORDED / "seed_sweep_values.csv"
#: Every number chapters 3-6 glue in their one recorded full-profile run
#: (``benchmarks/full_profile.py``: every benign training flow, up to 100 epochs).
FULL_PROFILE_VALUES = RECORDED / "full_profile_values.csv"


def recorded_value(chapter: str, name: str, path=FULL_PROFILE_VALUES) -> float:
    """A glued number of a recorded run, by default the full profile's.

    Chapters 3 to 6 run a small training budget; each quotes what its full-profile run
    (``benchmarks/full_profile.py``) measured beside its own numbers, so that a reader sees
    which conclusions depend on the budget (evaluation rule 6 of the introduction).

    Parameters
    ----------
    chapter : str
        The chapter's file stem, e.g. ``"04_lstm"``.
    name : str
        The glue name of the number.
    path : path-like
        A file of recorded values with the columns ``chapter``, ``name`` and ``value``.

    Returns
    -------
    float
        The recorded value (the last one, if recorded more than once); NaN when the file or
        the number is missing, e.g. in an installation without the benchmarks.
    """
    picked = _recorded(chapter, name, path)
    return float(picked.iloc[-1]) if len(picked) else float("nan")


def _recorded(chapter: str, name: str, path) -> pd.Series:
    """Every recorded value of one glued number (empty when the file or number is missing)."""
    if not Path(path).exists():
        return pd.Series(dtype=float)
    values = pd.read_csv(path)
    return values.loc[(values["chapter"] == chapter) & (values["name"] == name), "value"]


def recorded_spread(chapter: str, name: str, path=SWEEP_VALUES) -> dict:
    """How much a glued number moved across the recorded seed sweep.

    ``benchmarks/seed_sweep.py`` executes the chapters under seeds 0 to 4 and on an emulated
    other CPU and records every number each chapter glues into its prose. A chapter quotes
    this spread beside its own value, so the reader sees which differences are larger than
    what a seed or a machine changes.

    Parameters
    ----------
    chapter : str
        The chapter's file stem, e.g. ``"03_cnn"``.
    name : str
        The glue name of the number.
    path : path-like
        The recorded values (default: the package's ``recorded/seed_sweep_values.csv``).

    Returns
    -------
    dict
        ``runs``, ``min``, ``max``, ``mean`` and ``std`` (NaN, with ``runs`` 0, when the
        number was never recorded, e.g. in an installation without the benchmarks).
    """
    empty = {"runs": 0, "min": float("nan"), "max": float("nan"), "mean": float("nan"),
             "std": float("nan")}
    picked = _recorded(chapter, name, path)
    if picked.empty:
        return empty
    return {"runs": int(picked.size), "min": float(picked.min()), "max": float(picked.max()),
            "mean": float(picked.mean()), "std": float(picked.std(ddof=1)) if picked.size > 1
            else 0.0}


def spread_table(chapter: str, numbers: dict, path=SWEEP_VALUES) -> pd.DataFrame:
    """This run's numbers beside their recorded spread over seeds and machines.

    Parameters
    ----------
    chapter : str
        The chapter's file stem, e.g. ``"03_cnn"``.
    numbers : dict
        ``{label: (glue name, value in this run)}``, in the order to show.
    path : path-like
        The recorded values (see :func:`recorded_spread`).

    Returns
    -------
    pandas.DataFrame
        One row per label: ``this run``, ``lowest`` and ``highest`` over the recorded runs,
        and ``runs``.
    """
    rows = {}
    for label, (name, value) in numbers.items():
        spread = recorded_spread(chapter, name, path)
        rows[label] = {"this run": float(value), "lowest": spread["min"],
                       "highest": spread["max"], "runs": spread["runs"]}
    return pd.DataFrame.from_dict(rows, orient="index")
