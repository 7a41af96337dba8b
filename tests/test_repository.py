"""Repository invariants: stubs mirror the solutions, notebooks carry no outputs, docs are consistent."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
EXERCISES = ("adam", "dropout", "early_stopping")


def _public_api(path: Path) -> dict[str, str]:
    """Every top-level and class-level def/class with its signature and docstring."""
    tree = ast.parse(path.read_text())
    api = {}
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            api[node.name] = ast.get_docstring(node) or ""
            if isinstance(node, ast.FunctionDef):
                api[node.name] += ast.unparse(node.args)
            else:
                for item in node.body:
                    if isinstance(item, ast.FunctionDef):
                        api[f"{node.name}.{item.name}"] = (ast.get_docstring(item) or "") + ast.unparse(item.args)
    return api


def test_solutions_mirror_exercises_file_for_file_and_name_for_name():
    ex = sorted(p.name for p in (ROOT / "exercises").glob("*.py"))
    sol = sorted(p.name for p in (ROOT / "solutions").glob("*.py"))
    assert ex == sol
    for name in EXERCISES:
        assert _public_api(ROOT / "exercises" / f"{name}.py") == _public_api(ROOT / "solutions" / f"{name}.py")


def test_stubs_are_generated_from_the_current_solutions():
    proc = subprocess.run([sys.executable, "tools/make_stubs.py", "--check"], cwd=ROOT, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr


@pytest.mark.parametrize("name", EXERCISES)
def test_every_stub_raises_not_implemented_naming_its_exercise(name):
    text = (ROOT / "exercises" / f"{name}.py").read_text()
    assert f'raise NotImplementedError("exercise {name}: implement' in text


def test_notebooks_are_stored_without_outputs():
    notebooks = sorted((ROOT / "book").glob("*.ipynb"))
    assert len(notebooks) >= 8
    for path in notebooks:
        nb = nbformat.read(path, as_version=4)
        for cell in nb.cells:
            if cell.cell_type == "code":
                assert cell.outputs == [] and cell.execution_count is None, f"{path.name} has stored outputs"


def test_every_checked_cell_has_a_recorded_output():
    sys.path.insert(0, str(ROOT / "tools"))
    from record_outputs import checked as is_checked

    for path in sorted((ROOT / "book").glob("*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        checked = [c.id for c in nb.cells if is_checked(c)]
        assert checked, f"{path.name} checks no output"
        recorded = json.loads((ROOT / "tests" / "notebook_outputs" / f"{path.stem}.json").read_text())
        assert set(checked) == set(recorded), f"{path.name}: run tools/record_outputs.py {path}"


def test_toc_lists_every_chapter():
    toc = (ROOT / "_toc.yml").read_text()
    for path in sorted((ROOT / "book").glob("*.ipynb")):
        assert f"book/{path.stem}" in toc


def test_readme_starts_with_the_two_commands_and_ci_runs_the_second():
    lines = [l for l in (ROOT / "README.md").read_text().splitlines() if l.strip()]
    assert lines[0] == "```sh"
    build, test = lines[1].split("#")[0].strip(), lines[2].split("#")[0].strip()
    assert "jupyter-book build" in build and "pytest" in test
    assert test in (ROOT / ".ci" / "run").read_text()
