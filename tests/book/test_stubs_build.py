"""Every chapter runs to its end with the stubs in place, as in a student's copy before any exercise is
done: each graded section says "not implemented yet" (or shows the check's zero) and the page goes on.

``COURSE_IMPL=exercises`` makes ``course.impl`` load ``exercises/`` even where ``solutions/`` exists.
"""

from __future__ import annotations

import os
from pathlib import Path

import nbformat
import pytest
from book_helpers import ROOT, chapter_docnames
from nbclient import NotebookClient

CHAPTERS = [n for n in chapter_docnames() if (ROOT / f"{n}.ipynb").is_file()]


@pytest.mark.slow
@pytest.mark.parametrize("chapter", CHAPTERS)
def test_chapter_runs_with_the_stubs(chapter, monkeypatch):
    monkeypatch.setenv("COURSE_IMPL", "exercises")
    monkeypatch.setenv("MPLBACKEND", "Agg")
    path = ROOT / f"{chapter}.ipynb"
    nb = nbformat.read(path, as_version=4)
    NotebookClient(nb, timeout=600, kernel_name="python3", allow_errors=False,
                   resources={"metadata": {"path": str(path.parent)}}).execute()
    text = "\n".join(o.get("text", "") if o.get("output_type") == "stream" else str(o.get("data", {}).get("text/plain", ""))
                     for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", []))
    if any(f'check("' in "".join(c.source) for c in nb.cells if c.cell_type == "code"):
        assert "not implemented yet" in text, f"{chapter}: its graded section did not run the stub"
