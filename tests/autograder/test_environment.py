"""Grader errors are never a score: exit status 4 (environment) or 3 (bug), no results file, advice.

A student who runs the grader with a Python that has no torch, an instructor whose sandbox is
missing, a helper process that cannot import torch inside the sandbox, a bug of the grader: none of
these may show up as "0 / 30" (a student would believe it) or as a results file Gradescope would
record. Each stops before any student code runs, says what went wrong and what to run instead.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from ag_helpers import ROOT, make_submission

from autograder import cli, environment, grader, sandbox

MODES = ["process"] + (["bwrap"] if sandbox.bwrap_available() else [])


@pytest.fixture(scope="module")
def python_without_torch(tmp_path_factory) -> str:
    """A fresh virtual environment of the same Python, without pip, NumPy or torch."""
    venv = tmp_path_factory.mktemp("bare") / "venv"
    base = getattr(sys, "_base_executable", sys.executable)
    subprocess.run([base, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120)
    python = venv / "bin" / "python"
    probe = subprocess.run([str(python), "-c", "import torch"], capture_output=True)
    assert probe.returncode != 0, "the bare venv should not see torch"
    return str(python)


def _run(python: str, *args: str, cwd: Path = ROOT / "book") -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("VIRTUAL_ENV", None)
    return subprocess.run([python, "-m", "autograder", *args], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=300)


def _assert_says_what_to_run(text: str, command: str = "check") -> None:
    assert "the grader could not run in this environment" in text, text
    assert "This is not a problem with your code" in text, text
    assert f".venv/bin/python -m autograder {command}" in text, text
    assert ".venv/bin/activate" in text and f"    python -m autograder {command}" in text, text
    assert "Traceback" not in text, text


# ------------------------------------------------------------------------- no torch in this Python ---
@pytest.mark.parametrize("exercise", ["adam", "dropout", "early_stopping", None])
def test_check_without_torch_exits_4_for_every_exercise(python_without_torch, exercise):
    proc = _run(python_without_torch, "check", *([exercise] if exercise else []))
    assert proc.returncode == cli.EXIT_ENVIRONMENT == 4, proc.stdout + proc.stderr
    _assert_says_what_to_run(proc.stderr)
    assert "cannot import numpy" in proc.stderr or "cannot import torch" in proc.stderr
    assert "points" not in proc.stdout and "total:" not in proc.stdout, proc.stdout


def test_check_with_a_python_that_has_numpy_but_no_torch_exits_4(tmp_path):
    base = getattr(sys, "_base_executable", sys.executable)
    venv = tmp_path / "numpy-only"
    subprocess.run([base, "-m", "venv", "--without-pip", "--system-site-packages", str(venv)], check=True)
    python = str(venv / "bin" / "python")
    has = {m: subprocess.run([python, "-c", f"import {m}"], capture_output=True).returncode == 0
           for m in ("numpy", "torch")}
    if has["torch"] or not has["numpy"]:
        pytest.skip(f"the base Python here is not 'NumPy without torch' ({has})")
    proc = _run(python, "check", "dropout")
    assert proc.returncode == 4, proc.stdout + proc.stderr
    assert "cannot import torch" in proc.stderr
    _assert_says_what_to_run(proc.stderr)


def test_grade_without_torch_writes_no_score(python_without_torch, tmp_path):
    out, junit, md = tmp_path / "results.json", tmp_path / "junit.xml", tmp_path / "summary.md"
    out.write_text(json.dumps({"score": 100, "max_score": 100, "tests": []}))  # stale, or forged
    junit.write_text("<testsuites/>")
    proc = _run(python_without_torch, "grade", "--submission", str(make_submission(tmp_path)),
                "--out", str(out), "--junit", str(junit), "--markdown", str(md))
    assert proc.returncode == 4, proc.stdout + proc.stderr
    assert not out.exists() and not junit.exists(), "a results file would claim a score"
    _assert_says_what_to_run(proc.stderr, "grade")
    assert "not graded" in md.read_text() and "cannot import" in md.read_text()


def test_advice_says_to_run_setup_when_there_is_no_venv(tmp_path, monkeypatch):
    monkeypatch.setattr(environment, "COURSE_ROOT", tmp_path)
    advice = environment.how_to_run("check")
    assert f"cd {tmp_path} && bash scripts/setup.sh" in advice
    assert ".venv/bin/python -m autograder check" in advice and "source" in advice


# -------------------------------------------------------------------------- the sandbox, demanded ---
@pytest.mark.parametrize("command", ["check", "grade"])
def test_bwrap_demanded_but_unavailable_exits_4(command, tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(sandbox, "_bwrap_ok", False)
    out = tmp_path / "results.json"
    args = ["check", "early_stopping"] if command == "check" else \
        ["grade", "--submission", str(make_submission(tmp_path)), "--out", str(out)]
    assert cli.main([*args, "--isolation", "bwrap"]) == 4
    err = capsys.readouterr().err
    assert "--isolation bwrap was asked for" in err and "bubblewrap" in err
    assert not out.exists()


# ------------------------------------------------------------ the harness cannot import its needs ---
def _hide_site_packages(monkeypatch) -> None:
    """The student's process gets no site-packages: its harness cannot import NumPy or torch."""
    monkeypatch.setattr(sandbox, "site_dirs", lambda: [])


@pytest.mark.parametrize("mode", MODES)
def test_harness_without_torch_is_an_environment_error_not_a_score(mode, tmp_path, monkeypatch):
    _hide_site_packages(monkeypatch)
    with pytest.raises(environment.GraderEnvironmentError) as info:
        grader.grade(make_submission(tmp_path), grader.Options(exercises=("dropout", "early_stopping"),
                                                               isolation=mode))
    text = str(info.value)
    assert "could not import what it needs" in text and "ModuleNotFoundError" in text, text
    assert "before any student code" in text or "could not import" in text
    assert "not a problem with your code" in text


def test_harness_failure_makes_grade_exit_4_without_results(tmp_path, monkeypatch, capsys):
    _hide_site_packages(monkeypatch)
    out = tmp_path / "results.json"
    code = cli.main(["grade", "--submission", str(make_submission(tmp_path)), "--out", str(out),
                     "--exercise", "early_stopping", "--isolation", "process"])
    assert code == 4 and not out.exists()
    assert "could not import what it needs" in capsys.readouterr().err


# ------------------------------------------------------------------------------- a grader bug ---
@pytest.mark.parametrize("command", ["check", "grade"])
def test_grader_bug_exits_3_without_a_score(command, tmp_path, monkeypatch, capsys):
    def broken(*args, **kwargs):
        raise ZeroDivisionError("a bug of the grader")

    monkeypatch.setattr(grader, "grade_exercises", broken)
    out = tmp_path / "results.json"
    args = ["check", "early_stopping"] if command == "check" else \
        ["grade", "--submission", str(make_submission(tmp_path)), "--out", str(out)]
    assert cli.main(args) == cli.EXIT_INTERNAL == 3
    captured = capsys.readouterr()
    assert "a bug in the grader, not in your code" in captured.err and "ZeroDivisionError" in captured.err
    assert "total:" not in captured.out and not out.exists()
