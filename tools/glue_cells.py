"""Write, after every Markdown cell of the chapters that cites glued values, a hidden cell that
prints those values, so that a reader in plain Jupyter or Colab sees the numbers that Jupyter
Book writes into the prose.

    .venv/bin/python tools/glue_cells.py          # rewrites chapters/*.ipynb in place

Jupyter Book fills each ``{glue:text}`name:format``` role in and removes the printing cell
(tag ``remove-cell``); plain Jupyter leaves the role as written and shows the cell's output,
``name = value · ...``, under the paragraph (:func:`nidslib.reproducibility.show_glued`).
Run it after editing a chapter's prose; ``tests/test_book.py`` fails while a chapter's cells
are out of date.
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ROLE = re.compile(r"\{glue:text\}`([^`]+)`")
GLUE_CALL = re.compile(r'\bglue\(\s*"([^"]+)"')
CALL = "show_glued"


def roles(markdown: str) -> list[str]:
    """The glue roles of a Markdown text, in order, each once (``"name:format"``)."""
    return list(dict.fromkeys(ROLE.findall(markdown)))


def show_cell_source(found: list[str]) -> str:
    lines, line = [], f"{CALL}("
    for i, role in enumerate(found):
        item = json.dumps(role) + (", " if i < len(found) - 1 else ")")
        if len(line) + len(item) > 95:
            lines.append(line.rstrip())
            line = " " * (len(CALL) + 1)
        line += item
    return "\n".join(lines + [line])


def is_show_cell(cell: dict) -> bool:
    return cell["cell_type"] == "code" and "".join(cell["source"]).startswith(f"{CALL}(")


def with_show_cells(cells: list[dict]) -> list[dict]:
    """``cells`` without their old printing cells, and a fresh one for each Markdown cell
    with glue roles: right after it, or, when the roles' values are glued further down, after
    the code cell that glues the last of them. Its id derives from the Markdown cell's id and
    the roles, and an existing cell with that id and source is kept as it is (with the
    outputs of the last execution), so that an unchanged chapter stays unchanged."""
    existing = {c.get("id"): c for c in cells if is_show_cell(c)}  # kept with their outputs
    cells = [c for c in cells if not is_show_cell(c)]
    glued_at: dict[str, int] = {}  # name -> the first code cell that glues it by name
    for i, cell in enumerate(cells):
        if cell["cell_type"] == "code":
            for name in GLUE_CALL.findall("".join(cell["source"])):
                glued_at.setdefault(name, i)
    after: dict[int, list[dict]] = {}
    for i, cell in enumerate(cells):
        found = roles("".join(cell["source"])) if cell["cell_type"] == "markdown" else []
        if not found:
            continue
        where = max([i] + [glued_at[n] for n in (r.partition(":")[0] for r in found)
                           if glued_at.get(n, -1) > i])
        source = show_cell_source(found)
        lines = source.split("\n")
        key = f"{cell.get('id', '')}\n{source}"
        cell_id = hashlib.sha1(key.encode()).hexdigest()[:8]
        old = existing.get(cell_id)
        if old is not None and "".join(old["source"]) == source:
            after.setdefault(where, []).append(old)
            continue
        after.setdefault(where, []).append({
            "cell_type": "code", "execution_count": None, "id": cell_id,
            "metadata": {"tags": ["remove-cell"]}, "outputs": [],
            "source": [line + "\n" for line in lines[:-1]] + [lines[-1]]})
    return [c for i, cell in enumerate(cells) for c in [cell, *after.get(i, [])]]


def main() -> None:
    for path in sorted((ROOT / "chapters").glob("[0-9][0-9]_*.ipynb")):
        notebook = json.loads(path.read_text())
        notebook["cells"] = with_show_cells(notebook["cells"])
        path.write_text(json.dumps(notebook, indent=1, ensure_ascii=False) + "\n")
        print(f"wrote {path.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
