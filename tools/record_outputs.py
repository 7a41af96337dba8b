"""Record the expected outputs of the notebook cells that nbval checks.

A checked cell carries the tag ``nbval-check-output`` (nbval's tag form of ``# NBVAL_CHECK_OUTPUT``,
which keeps the marker out of the published book; the comment form is accepted too).

Notebooks are stored without outputs. The outputs that ``pytest`` (nbval) checks are kept
beside the tests, in ``tests/notebook_outputs/<notebook>.json``, keyed by cell id, and merged
into the notebook when nbval reads it (see ``conftest.py``). Run this after changing what a
checked cell prints, and review the diff:

    .venv/bin/python tools/record_outputs.py                 # every chapter
    .venv/bin/python tools/record_outputs.py book/01_losses.ipynb
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "tests" / "notebook_outputs"
MARKER = "NBVAL_CHECK_OUTPUT"


TAG = "nbval-check-output"


def checked(cell) -> bool:
    """Whether nbval compares this cell's output (the tag, or the comment marker)."""
    if cell.cell_type != "code":
        return False
    return TAG in cell.get("metadata", {}).get("tags", []) or any(
        line.strip().lstrip("#").strip() == MARKER for line in cell.source.splitlines()
    )


# The result types nbval compares: plain text, and the Markdown of a course.report.Table (the book
# renders it as an HTML table; nbval fails on a result type the recording lacks).
COMPARED = ("text/plain", "text/markdown")


def clean(outputs: list) -> list:
    """Keep only what nbval compares: stream text and text/plain and text/markdown results."""
    kept = []
    for out in outputs:
        out = dict(out)
        out.pop("execution_count", None)
        out.pop("metadata", None)
        if "data" in out:
            out["data"] = {k: v for k, v in out["data"].items() if k in COMPARED}
        kept.append(out)
    return kept


def record(path: Path) -> Path:
    nb = nbformat.read(path, as_version=4)
    NotebookClient(nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}}).execute()
    expected = {cell.id: clean(cell.outputs) for cell in nb.cells if checked(cell)}
    OUT.mkdir(parents=True, exist_ok=True)
    target = OUT / f"{path.stem}.json"
    target.write_text(json.dumps(expected, indent=1, sort_keys=True) + "\n")
    return target


def main(argv: list[str]) -> int:
    paths = [Path(a) for a in argv] or sorted((ROOT / "book").glob("*.ipynb"))
    for p in paths:
        print("recorded", record(p.resolve()).relative_to(ROOT))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
