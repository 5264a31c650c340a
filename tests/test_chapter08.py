"""Chapter 8 (reality check) skips cleanly when the genuine files cannot be had."""

from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from nidslib.data import kdd

CHAPTER = Path(__file__).parents[1] / "chapters" / "08_reality_check.ipynb"


def test_chapter_skips_with_a_reason_without_the_files(monkeypatch, tmp_path):
    """Execute the chapter with an empty data home and no way out to the network: every
    cell must run without error, the load cell must say why and where the files go, and
    no later cell may do any work."""
    if not CHAPTER.exists():
        pytest.skip(f"{CHAPTER} not found")
    home = tmp_path / "empty"
    home.mkdir()
    monkeypatch.setenv("NIDSLIB_DATA", str(home))
    monkeypatch.setenv("NIDSLIB_CACHE", str(tmp_path / "cache"))
    # A proxy on a closed port: any download attempt fails at once, network or not.
    for proxy in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy"):
        monkeypatch.setenv(proxy, "http://127.0.0.1:9")
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    notebook = nbformat.read(CHAPTER, as_version=4)
    for cell in notebook.cells:
        if cell.cell_type == "code":
            cell.outputs = []
    NotebookClient(notebook, timeout=120, kernel_name="python3",
                   resources={"metadata": {"path": str(CHAPTER.parent)}}).execute()

    code = [cell for cell in notebook.cells if cell.cell_type == "code"]
    load = next(i for i, cell in enumerate(code) if "kdd.load_nsl_kdd" in cell.source)
    printed = "".join(out.get("text", "") for out in code[load].outputs
                      if out.get("name") == "stdout")  # pooch logs its attempt on stderr
    assert printed.startswith("Skipping the rest of this chapter:")
    assert str(home / "nsl-kdd") in printed and "KDDTrain+.txt" in printed
    assert "https://raw.githubusercontent.com/defcom17/NSL_KDD/master/KDDTrain+.txt" in printed
    assert not (home / "nsl-kdd" / "KDDTrain+.txt").exists()
    # the prose's numbers are glued as NaN, so that the book still builds without them
    glued = {out.metadata["scrapbook"]["name"] for out in code[load].outputs
             if "scrapbook" in out.get("metadata", {})}
    assert glued == set(kdd.prose_glue_keys(CHAPTER)) and len(glued) > 20
    later = [cell for cell in code[load + 1:] if cell.outputs]
    assert later == [], f"cells after the skip produced output: {later[0].source[:80]!r}"
