"""Nothing left behind: every temporary file of a grading run lies in one folder removed afterwards.

The student's process gets its TMPDIR inside the run's scratch folder in both isolation modes, and
the probes that run in the grader's own process (on the reference, on the catalogued mistakes)
clean up after themselves. The grader's TMPDIR points at a fresh folder, so "nothing new" is exact.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from ag_helpers import ROOT, make_submission, solution_text

from autograder import sandbox
from autograder.graded.early_stopping import probes
from autograder.cases import PUBLIC

MODES = ["process"] + (["bwrap"] if sandbox.bwrap_available() else [])


def _grade_with_tmpdir(submission: Path, tmpdir: Path, out: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "TMPDIR": str(tmpdir)}
    return subprocess.run([sys.executable, "-m", "autograder", "grade", "--submission", str(submission),
                           "--out", str(out), *args], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=600)


@pytest.mark.parametrize("mode", MODES)
def test_grading_the_reference_leaves_no_temporary_files(mode, tmp_path):
    tmpdir = tmp_path / "tmp"
    tmpdir.mkdir()
    out = tmp_path / "results.json"
    proc = _grade_with_tmpdir(make_submission(tmp_path), tmpdir, out, "--isolation", mode)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    data = json.loads(out.read_text())
    assert data["score"] == data["max_score"] == sum(c.points for c in PUBLIC)
    assert sorted(os.listdir(tmpdir)) == [], f"left behind in TMPDIR: {sorted(os.listdir(tmpdir))}"


STUDENT_TEMP_FILES = """
import tempfile as _tempfile
_folder = _tempfile.mkdtemp(prefix="student-")
open(_folder + "/scratch.txt", "w").write("x")
_tempfile.NamedTemporaryFile(prefix="student-", delete=False).write(b"y")
"""


@pytest.mark.parametrize("mode", MODES)
def test_temporary_files_of_the_students_code_are_removed(mode, tmp_path):
    future = "from __future__ import annotations\n"
    source = solution_text("early_stopping").replace(future, future + STUDENT_TEMP_FILES, 1)
    tmpdir = tmp_path / "tmp"
    tmpdir.mkdir()
    out = tmp_path / "results.json"
    proc = _grade_with_tmpdir(make_submission(tmp_path, {"early_stopping.py": source}), tmpdir, out,
                              "--isolation", mode, "--exercise", "early_stopping")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert json.loads(out.read_text())["score"] == 30
    assert sorted(os.listdir(tmpdir)) == []


def test_checkpoint_probe_removes_its_folder_even_when_the_code_fails(tmp_path, monkeypatch):
    import solutions.early_stopping as reference

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    case = next(c for c in PUBLIC if c.probe == "early_stopping_checkpoint")
    probes.early_stopping_checkpoint(reference, **case.args)
    assert os.listdir(tmp_path) == []

    class Broken:
        __name__ = "exercises.early_stopping"

        class EarlyStopping:
            def __init__(self, **kwargs):
                open(kwargs["save_path"], "w").write("half a checkpoint")
                raise RuntimeError("a student's bug")

    with pytest.raises(RuntimeError):
        probes.early_stopping_checkpoint(Broken, **case.args)
    assert os.listdir(tmp_path) == []
