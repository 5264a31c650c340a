"""The library's docstrings: every section they cite exists in the chapter they name, and
every public function documents its parameters the numpydoc way."""

import importlib
import inspect
import json
import pkgutil
import re
from pathlib import Path

import pytest

import nidslib

CHAPTERS = Path(__file__).parents[1] / "chapters"
# 'Chapter 3 (CNN), section "Training"', 'chapter 1, sections "A", "B" and "C"'
CITATION = re.compile(r'[Cc]hapter (\d+)\b[^"]{0,80}?sections? ((?:"[^"]+"(?:,\s*|\s+and\s+)?)+)')


def modules():
    return [importlib.import_module(info.name)
            for info in pkgutil.walk_packages(nidslib.__path__, "nidslib.")]


def headings(number: int) -> set[str]:
    """The chapter's headings, without their numbers ("3.2 Scaling" -> "scaling")."""
    [path] = CHAPTERS.glob(f"{number:02d}_*.ipynb")
    found = set()
    for cell in json.loads(path.read_text())["cells"]:
        if cell["cell_type"] == "markdown":
            for line in "".join(cell["source"]).splitlines():
                if line.startswith("#"):
                    title = re.sub(r"^#+\s*(\d+(\.\d+)*\.?\s+)?", "", line).strip()
                    found.add(title.lower())
    return found


def citations():
    """(module, chapter, section) for every section a docstring cites."""
    for module in modules():
        text = inspect.getsource(module)
        for match in CITATION.finditer(text):
            for section in re.findall(r'"([^"]+)"', match.group(2)):
                yield module.__name__, int(match.group(1)), " ".join(section.split())


def test_docstrings_cite_sections():
    assert len(list(citations())) > 50


@pytest.mark.parametrize("module, chapter, section", sorted(set(citations())))
def test_every_cited_section_exists(module, chapter, section):
    assert section.lower() in headings(chapter), (
        f"{module} cites chapter {chapter}, section {section!r}, which has no such heading; "
        f"its headings: {sorted(headings(chapter))}")
