"""Write every chapter's hidden first cell, which installs ``nidslib`` on Colab and Binder, from
the repository address in ``_config.yml`` (the one place that address is written).

    .venv/bin/python tools/bootstrap_cell.py          # rewrites chapters/*.ipynb in place

``tests/test_book.py`` fails when a chapter's first cell differs from what this writes, so a
new address, or a new chapter, needs this run once.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def repository_url() -> str:
    """``repository.url`` of ``_config.yml`` (read without a YAML parser: one known line)."""
    text = (ROOT / "_config.yml").read_text()
    match = re.search(r"^repository:\s*\n\s+url:\s*(\S+)", text, re.MULTILINE)
    if not match:
        raise ValueError(f"{ROOT / '_config.yml'}: no 'repository: url:' entry")
    return match.group(1)


def bootstrap_source(url: str) -> str:
    """The cell's code: install the package and the extra the chapters need, when missing."""
    return ("# Colab and Binder: install the book's library when it is missing (hidden in the book).\n"
            "try:\n"
            "    import nidslib\n"
            "except ImportError:\n"
            f'    %pip install --quiet "nidslib[book] @ git+{url}"')


def main() -> None:
    source = bootstrap_source(repository_url())
    for path in sorted((ROOT / "chapters").glob("[0-9][0-9]_*.ipynb")):
        notebook = json.loads(path.read_text())
        first = notebook["cells"][0]
        lines = source.split("\n")
        first["source"] = [line + "\n" for line in lines[:-1]] + [lines[-1]]
        first.setdefault("metadata", {})["tags"] = ["remove-cell"]
        path.write_text(json.dumps(notebook, indent=1, ensure_ascii=False) + "\n")
        print(f"wrote {path.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
