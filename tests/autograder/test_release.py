"""`python -m autograder release`: the student copy holds no reference code and still checks exercises."""

from __future__ import annotations

import ast
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from ag_helpers import ROOT, SOLUTIONS, run_cli

from autograder.cases import PUBLIC
from autograder.observing import build_reference_data

PUBLIC_POINTS = sum(c.points for c in PUBLIC)

sys.path.insert(0, str(ROOT / "tools"))
from make_stubs import TODO, _functions  # noqa: E402

MIN_CHARS = 25


@pytest.fixture(scope="module")
def release(tmp_path_factory):
    out = tmp_path_factory.mktemp("release") / "course"
    proc = run_cli("release", "--out", str(out), "--grader-repo", "course-org/course-grader",
                   "--grader-sha", "a" * 40)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return out


def _reference_lines() -> set[str]:
    """Lines (>= 25 characters) of every function body that the stubs replace."""
    lines = set()
    for exercise, names in TODO.items():
        source = (SOLUTIONS / f"{exercise}.py").read_text()
        text = source.splitlines()
        for name, node in _functions(ast.parse(source)):
            if name in names:
                body = node.body[1:] if ast.get_docstring(node) is not None else node.body
                lines |= {line.strip() for line in text[body[0].lineno - 1: body[-1].end_lineno]
                          if len(line.strip()) >= MIN_CHARS}
    return lines


def test_release_holds_no_reference_code_text_or_bytecode(release):
    lines = _reference_lines()
    assert len(lines) > 30  # the scan has something to find
    files = [p for p in release.rglob("*") if p.is_file()]
    assert not [p for p in release.rglob("*") if p.name == "__pycache__" or p.suffix in (".pyc", ".pyo")]
    for path in files:
        blobs = [path.read_bytes()]
        if zipfile.is_zipfile(path):
            blobs += [zipfile.ZipFile(path).read(n) for n in zipfile.ZipFile(path).namelist()]
        for blob in blobs:
            leaked = [line for line in lines if line.encode() in blob]
            assert not leaked, f"{path.relative_to(release)} holds reference code: {leaked[:3]}"


def test_release_layout(release):
    rel = {p.relative_to(release).as_posix() for p in release.rglob("*") if p.is_file()}
    for absent in ("solutions", "instructor", "tests/mutants", "tests/notebook_outputs", "tests/autograder"):
        assert not any(r == absent or r.startswith(absent + "/") for r in rel), absent
    assert "tools/make_mutants.py" not in rel and "autograder/graded/adam/patches.py" not in rel
    assert {"exercises/adam.py", "book/03_optimizers.ipynb", "course/impl.py", "README.md", "requirements.txt",
            "scripts/setup.sh", "_config.yml", "_toc.yml", "autograder/reference_data.json",
            ".github/workflows/classroom.yml", "tests/test_exercises.py"} <= rel
    for name in TODO:
        assert (release / "exercises" / f"{name}.py").read_text() == (ROOT / "exercises" / f"{name}.py").read_text()
    readme = (release / "README.md").read_text()
    assert "## For students" in readme and "For instructors" not in readme and "hidden_cases" not in readme
    workflow = (release / ".github" / "workflows" / "classroom.yml").read_text()
    assert "repository: course-org/course-grader" in workflow and f"ref: {'a' * 40}" in workflow
    assert "GITHUB_STEP_SUMMARY" in workflow and "__GRADER" not in workflow
    for path in (release / "tests").rglob("*.py"):
        assert "solutions" not in path.read_text(), path


def _check(release, tmp_path, exercises_from: Path | None, *args):
    """`python -m autograder check` in a copy of the release, where `solutions` cannot be imported."""
    course = tmp_path / "course"
    shutil.copytree(release, course)
    if exercises_from is not None:
        for p in exercises_from.glob("*.py"):
            shutil.copy(p, course / "exercises" / p.name)
    poison = tmp_path / "poison" / "solutions"  # found before this venv's editable install of the course
    poison.mkdir(parents=True)
    (poison / "__init__.py").write_text("raise ImportError('the release imported the reference')\n")
    env = {**os.environ, "PYTHONPATH": str(poison.parent), "PYTHONDONTWRITEBYTECODE": "1"}
    return subprocess.run([sys.executable, "-m", "autograder", "check", *args], cwd=course, env=env,
                          capture_output=True, text=True, timeout=600)


def test_check_in_the_release_scores_the_stubs_zero(release, tmp_path):
    proc = _check(release, tmp_path, None)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert f"total: 0 / {PUBLIC_POINTS}" in proc.stdout and "not implemented yet" in proc.stdout
    assert "Traceback" not in proc.stdout + proc.stderr


def test_check_in_the_release_gives_the_reference_full_marks_from_shipped_data(release, tmp_path):
    proc = _check(release, tmp_path, SOLUTIONS)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert f"total: {PUBLIC_POINTS} / {PUBLIC_POINTS}" in proc.stdout


def test_check_in_the_release_names_a_mutant_mistake(release, tmp_path):
    from autograder import mistakes

    [m] = [m for m in mistakes.CATALOGUE if m.name == "es_not_strict"]
    mutant = tmp_path / "mutant" / "exercises"
    mutant.mkdir(parents=True)
    (mutant / "early_stopping.py").write_text(mistakes.patched_source(m, (SOLUTIONS / "early_stopping.py").read_text()))
    proc = _check(release, tmp_path, mutant, "early_stopping")
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "likely mistake [es_not_strict]" in proc.stdout


def test_release_refuses_to_overwrite(release):
    proc = run_cli("release", "--out", str(release))
    assert proc.returncode == 2 and "not empty" in proc.stderr


def test_shipped_reference_data_refuses_a_case_it_does_not_hold(tmp_path):
    from dataclasses import replace

    from autograder import grader, mistakes, reference_data
    from autograder.cases import PUBLIC

    case = next(c for c in PUBLIC if c.id == "early_stopping.plateau")
    path = tmp_path / "reference_data.json"
    reference_data.write(path, build_reference_data([case]))
    got = reference_data.expected(case, path)
    assert got == grader.observe(grader.reference_module(case), case)
    mistake = mistakes.BY_NAME["es_not_strict"]
    assert reference_data.mutant(mistake, case, path) == grader.observe(mistakes.mutant_module(mistake), case)
    edited = replace(case, args={**case.args, "metrics": [0.4, 0.4, 0.4]})
    with pytest.raises(reference_data.MissingReference, match="ships no reference values"):
        reference_data.expected(edited, path)
