"""Repository-wide pytest setup.

Notebooks are stored without outputs, so nbval's ``NBVAL_CHECK_OUTPUT`` cells would have nothing
to compare with. The expected outputs live in ``tests/notebook_outputs/<notebook>.json`` (written
by ``tools/record_outputs.py``); this hook merges them into the notebook as nbval reads it.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import nbformat

os.environ.setdefault("MPLBACKEND", "Agg")

EXPECTED = Path(__file__).parent / "tests" / "notebook_outputs"

try:
    import nbval.plugin as _nbval
except ImportError:  # nbval missing: notebooks are simply not collected
    _nbval = None


class _NbformatWithExpectedOutputs:
    """``nbformat`` as nbval sees it: ``read`` adds the recorded outputs of checked cells."""

    def __getattr__(self, name):
        return getattr(nbformat, name)

    @staticmethod
    def read(path, as_version, **kwargs):
        nb = nbformat.read(path, as_version=as_version, **kwargs)
        expected_file = EXPECTED / f"{Path(str(path)).stem}.json"
        expected = json.loads(expected_file.read_text()) if expected_file.exists() else {}
        for cell in nb.cells:
            if cell.cell_type == "code" and cell.get("id") in expected:
                cell.outputs = [nbformat.from_dict(o) for o in expected[cell.id]]
                cell.execution_count = cell.execution_count or 1  # nbval: "unrun cell has outputs"
        return nb


if _nbval is not None:
    _nbval.nbformat = _NbformatWithExpectedOutputs()
