"""The book as a whole: its citations resolve, its Colab cell installs from the one repository
address, and the chapters read only files that the installed package carries."""

import json
import re
import sys
from pathlib import Path

import pytest

from nidslib import reproducibility

ROOT = Path(__file__).resolve().parents[1]
CHAPTERS = sorted((ROOT / "chapters").glob("[0-9][0-9]_*.ipynb"))
sys.path.insert(0, str(ROOT / "tools"))
import bootstrap_cell  # noqa: E402


def cells(path: Path, kind: str) -> list[str]:
    return ["".join(c["source"]) for c in json.loads(path.read_text())["cells"]
            if c["cell_type"] == kind]


def prose() -> dict[str, str]:
    """Every page's Markdown: the chapters' Markdown cells and the book's .md pages."""
    pages = {path.name: "\n".join(cells(path, "markdown")) for path in CHAPTERS}
    pages.update({name: (ROOT / name).read_text() for name in ("intro.md", "bibliography.md")})
    return pages


def bib_keys() -> set[str]:
    return set(re.findall(r"^@\w+\{([^,\s]+),", (ROOT / "references.bib").read_text(), re.M))


def cited_keys() -> dict[str, set[str]]:
    """{page: keys} of every {cite}, {cite:t}, {cite:p} role."""
    return {page: {key.strip() for keys in re.findall(r"\{cite(?::\w+)?\}`([^`]+)`", text)
                   for key in keys.split(",")}
            for page, text in prose().items()}


def test_every_citation_has_an_entry_and_every_entry_is_cited():
    cited = set().union(*cited_keys().values())
    assert len(cited) >= 15
    assert cited <= bib_keys(), f"cited but not in references.bib: {sorted(cited - bib_keys())}"
    assert bib_keys() <= cited, f"in references.bib but cited nowhere: {sorted(bib_keys() - cited)}"


@pytest.mark.parametrize("phrase", ["seed paper", "seed report", "the seed's", "BOOK rule",
                                    "review this book builds on", "the review's"])
def test_no_source_the_reader_cannot_look_up(phrase):
    found = [page for page, text in prose().items() if phrase.lower() in text.lower()]
    assert not found, f"{phrase!r} names no reference a reader can follow, in {found}"


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_bootstrap_cell_installs_from_the_configured_repository(path):
    first = json.loads(path.read_text())["cells"][0]
    expected = bootstrap_cell.bootstrap_source(bootstrap_cell.repository_url())
    assert "".join(first["source"]) == expected and first["metadata"].get("tags") == [
        "remove-cell"], f"{path.name}: first cell is not the bootstrap cell; run tools/bootstrap_cell.py"


def test_the_repository_address_is_written_once():
    url = bootstrap_cell.repository_url()
    files = [p for p in ROOT.glob("*") if p.is_file() and p.suffix in {".md", ".toml", ".yml"}]
    files += [p for p in (ROOT / "nidslib").rglob("*.py")]
    assert [p.name for p in files if url in p.read_text()] == ["_config.yml"]


def test_recorded_results_the_chapters_read_ship_with_the_package():
    read = {name for path in CHAPTERS for code in cells(path, "code")
            for name in re.findall(r'reproducibility\.RECORDED / "([^"]+)"', code)}
    read |= {reproducibility.SWEEP_VALUES.name, reproducibility.FULL_PROFILE_VALUES.name}
    assert len(read) >= 5
    missing = [name for name in read if not (reproducibility.RECORDED / name).is_file()]
    assert not missing, f"chapters read {missing}, absent from {reproducibility.RECORDED}"
    pyproject = (ROOT / "pyproject.toml").read_text()
    assert '"recorded/*.csv"' in pyproject, "pyproject.toml's package-data must ship recorded/*.csv"
    for path in CHAPTERS:
        for code in cells(path, "code"):
            assert "benchmarks/results" not in code, f"{path.name} reads a file outside the package"


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_exercise_answers_fold_with_their_code(path):
    """After "## Exercises", a code cell shows nothing until the reader opens it: its output
    would give the answer away (``hide-input`` folds only the code)."""
    notebook = json.loads(path.read_text())["cells"]
    start = next(i for i, c in enumerate(notebook) if c["cell_type"] == "markdown"
                 and "## Exercises" in "".join(c["source"]))
    shown = [i for i, c in enumerate(notebook[start:], start) if c["cell_type"] == "code"
             and not {"hide-cell", "remove-input", "remove-cell"} & set(c["metadata"].get("tags", []))]
    assert not shown, f"{path.name}: exercise cells {shown} show their output unfolded"


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_glued_values_print_in_plain_jupyter(path):
    """Every Markdown cell that cites glued values has its hidden printing cell, up to date."""
    import glue_cells

    cells = json.loads(path.read_text())["cells"]
    assert any(glue_cells.is_show_cell(c) for c in cells) == any(
        glue_cells.roles("".join(c["source"])) for c in cells if c["cell_type"] == "markdown")
    assert cells == glue_cells.with_show_cells(cells), (
        f"{path.name}: the cells that print glued values are out of date; run "
        f"tools/glue_cells.py")
    sources = "".join("".join(c["source"]) for c in cells if c["cell_type"] == "code")
    assert "from myst_nb import glue" not in sources and "display=False" not in sources, (
        f"{path.name}: glue through nidslib.reproducibility.glue, which keeps the value for "
        f"the printing cells")
