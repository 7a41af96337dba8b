"""The set-up cell that opens every chapter notebook (``tools/setup_cells.py``).

Every ``book/*.ipynb`` must open with exactly the cell the tool renders from ``_config.yml``, so
the repository's address lives in one place. The tool itself is tested on copies.
"""

from __future__ import annotations

import importlib.util
import json
import shutil
import subprocess
import sys
from pathlib import Path
from unittest import mock

import pytest

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = sorted((ROOT / "book").glob("*.ipynb"))

spec = importlib.util.spec_from_file_location("setup_cells", ROOT / "tools" / "setup_cells.py")
setup_cells = importlib.util.module_from_spec(spec)
spec.loader.exec_module(setup_cells)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_every_notebook_opens_with_the_setup_cell(path):
    assert setup_cells.is_current(path, setup_cells.setup_cell()), (
        f"{path.relative_to(ROOT)} does not open with the set-up cell for the repository in "
        f"_config.yml; run: .venv/bin/python tools/setup_cells.py")


def test_the_cell_installs_the_course_from_the_repository_in_config():
    url, branch = setup_cells.repository()
    assert url.startswith("https://")
    source = "".join(setup_cells.setup_cell()["source"])
    assert f"git+{url}@{branch}" in source
    assert source.count("https://") == 1, "the cell must hold no address but the configured one"


def _run(source: str, course_installed: bool) -> list:
    """Execute the cell's code with pip replaced by a recorder; return pip's calls."""
    calls = []
    real_find_spec = importlib.util.find_spec

    def find_spec(name, *args, **kwargs):
        if name == "course":
            return object() if course_installed else None
        return real_find_spec(name, *args, **kwargs)

    with mock.patch("importlib.util.find_spec", find_spec), \
            mock.patch("subprocess.check_call", lambda cmd, **kw: calls.append(cmd)):
        exec(compile(source, "<setup cell>", "exec"), {})
    return calls


def test_the_cell_pip_installs_only_where_the_course_is_missing():
    url, branch = setup_cells.repository()
    source = "".join(setup_cells.setup_cell()["source"])
    assert _run(source, course_installed=True) == []
    (call,) = _run(source, course_installed=False)
    assert call[:4] == [sys.executable, "-m", "pip", "install"] and call[-1] == f"git+{url}@{branch}"


def test_the_cell_is_silent_in_this_environment():
    source = "".join(setup_cells.setup_cell()["source"])
    result = subprocess.run([sys.executable, "-c", source], capture_output=True, text=True,
                            cwd=ROOT, timeout=120)
    assert result.returncode == 0 and result.stdout == "" and result.stderr == "", result


@pytest.fixture
def copies(tmp_path):
    paths = []
    for src in NOTEBOOKS:
        shutil.copy(src, tmp_path / src.name)
        paths.append(tmp_path / src.name)
    return paths


def _tool(*args) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(ROOT / "tools" / "setup_cells.py"), *map(str, args)],
                          capture_output=True, text=True, timeout=120)


def test_tool_inserts_the_cell_first_and_keeps_every_other_cell(copies):
    before = {p: json.loads(p.read_text()) for p in copies}
    assert _tool(*copies).returncode == 0
    assert _tool("--check", *copies).returncode == 0
    for p in copies:
        nb = json.loads(p.read_text())
        assert nb["cells"][0] == setup_cells.setup_cell()
        old = [c for c in before[p]["cells"] if c.get("id") != setup_cells.CELL_ID]
        assert nb["cells"][1:] == old, f"{p.name}: the tool changed another cell"
        assert nb["metadata"] == before[p]["metadata"]
        assert not any(c.get("outputs") for c in nb["cells"]), "the tool must not add outputs"


def test_tool_is_idempotent(copies):
    _tool(*copies)
    first = [p.read_bytes() for p in copies]
    result = _tool(*copies)
    assert result.returncode == 0 and result.stdout == ""
    assert [p.read_bytes() for p in copies] == first


def test_tool_refreshes_a_stale_cell_when_the_repository_moves(copies, tmp_path):
    _tool(*copies)
    config = tmp_path / "_config.yml"
    config.write_text((ROOT / "_config.yml").read_text().replace(
        setup_cells.repository()[0], "https://github.com/someone-else/fork"))
    assert _tool("--check", "--config", config, *copies).returncode == 1
    assert _tool("--config", config, *copies).returncode == 0
    for p in copies:
        nb = json.loads(p.read_text())
        assert "git+https://github.com/someone-else/fork@" in "".join(nb["cells"][0]["source"])
        assert sum(c.get("id") == setup_cells.CELL_ID for c in nb["cells"]) == 1


def test_tool_moves_a_misplaced_cell_to_the_front(copies):
    p = copies[0]
    nb = json.loads(p.read_text())
    nb["cells"] = [c for c in nb["cells"] if c.get("id") != setup_cells.CELL_ID]
    nb["cells"].append(setup_cells.setup_cell())
    p.write_text(setup_cells.dumps(nb))
    assert _tool("--check", p).returncode == 1
    _tool(p)
    cells = json.loads(p.read_text())["cells"]
    assert cells[0]["id"] == setup_cells.CELL_ID and [c["id"] for c in cells].count(setup_cells.CELL_ID) == 1
