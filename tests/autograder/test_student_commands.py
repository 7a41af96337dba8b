"""The commands the students are told to type work, in both forms, from any folder of the course.

``.venv/bin/python -m autograder check`` (from the course folder; from a subfolder the same
interpreter is ``../.venv/bin/python``) and, with the environment activated,
``python -m autograder check``. Both find the course's exercises/ from wherever they run.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from ag_helpers import ROOT

from autograder import release

SUBFOLDERS = ["book", "exercises", "course", "tests"]


def _assert_checked_the_course(proc: subprocess.CompletedProcess) -> None:
    # the working tree's exercises/ are the stubs: every test fails cleanly, exit status 1
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert f"checking early_stopping in {ROOT / 'exercises'} ..." in proc.stdout, proc.stdout
    assert "not implemented yet" in proc.stdout and "total: 0 / 30" in proc.stdout, proc.stdout
    assert "Traceback" not in proc.stdout + proc.stderr


@pytest.mark.parametrize("folder", SUBFOLDERS)
def test_check_runs_from_a_subfolder_with_a_relative_interpreter_path(folder):
    """Like ../.venv/bin/python from book/: a path through a folder bubblewrap hides must still work."""
    cwd = ROOT / folder
    python = os.path.relpath(sys.executable, cwd)
    proc = subprocess.run([python, "-m", "autograder", "check", "early_stopping"], cwd=cwd,
                          capture_output=True, text=True, timeout=300)
    _assert_checked_the_course(proc)


def test_check_runs_from_a_subfolder_with_the_activated_environment():
    activate = Path(sys.prefix) / "bin" / "activate"
    if not activate.is_file() or not shutil.which("bash"):
        pytest.skip("the tests do not run in a virtual environment with an activate script")
    env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHONPATH")}
    script = f'source "{activate}" && cd book && python -m autograder check early_stopping'
    proc = subprocess.run(["bash", "-c", script], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    _assert_checked_the_course(proc)


@pytest.mark.parametrize("text", [
    pytest.param((ROOT / "README.md").read_text(), id="README"),
    pytest.param(release.student_readme(), id="student-README"),
])
def test_student_instructions_show_both_forms(text):
    students = text.split("## For students", 1)[1]
    assert ".venv/bin/python -m autograder check" in students
    assert "source .venv/bin/activate" in students
    assert re.search(r"^\s*python -m autograder check", students, re.M), "the activated form is missing"
