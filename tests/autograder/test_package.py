"""`python -m autograder package gradescope`: the zip runs as Gradescope runs it, reference and hidden tests inside."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile

import pytest
from ag_helpers import ROOT, SOLUTIONS, run_cli, validate_gradescope

from autograder.cases import PUBLIC, load_hidden


@pytest.fixture(scope="module")
def package(tmp_path_factory):
    out = tmp_path_factory.mktemp("package") / "autograder.zip"
    proc = run_cli("package", "gradescope", "--out", str(out))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return out


def _run_like_gradescope(package, tmp_path, submission_files):
    """Unzip into <tmp>/autograder/source, the submission into .../submission, run run_autograder."""
    root = tmp_path / "autograder"
    (root / "source").mkdir(parents=True)
    (root / "results").mkdir()
    with zipfile.ZipFile(package) as z:
        z.extractall(root / "source")
        mode = z.getinfo("run_autograder").external_attr >> 16
    assert mode & 0o111, "run_autograder must be executable in the zip"
    os.chmod(root / "source" / "run_autograder", 0o755)
    shutil.copytree(submission_files, root / "submission")  # Gradescope: the uploaded files, flat
    env = {**os.environ, "AUTOGRADER_ROOT": str(root), "AUTOGRADER_PYTHON": sys.executable}
    # setup.sh is skipped: this environment already has the pinned dependencies
    proc = subprocess.run([str(root / "source" / "run_autograder")], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    data = json.loads((root / "results" / "results.json").read_text())
    validate_gradescope(data)
    return data


def test_zip_layout(package):
    names = set(zipfile.ZipFile(package).namelist())
    assert {"setup.sh", "run_autograder", "hidden_cases.json", "requirements-autograder.txt",
            "autograder/cli.py", "autograder/graded/adam/patches.py", "solutions/adam.py"} <= names
    assert not any("__pycache__" in n or n.endswith(".pyc") or n.startswith("/") or ".." in n for n in names)
    assert "autograder/reference_data.json" not in names  # Gradescope computes from the reference
    z = zipfile.ZipFile(package)
    setup = z.read("setup.sh").decode()
    assert "bubblewrap" in setup and "requirements-autograder.txt" in setup
    pins = z.read("requirements-autograder.txt").decode().split()
    assert sorted(p.split("==")[0] for p in pins) == ["numpy", "torch", "torchvision"]
    assert all(p in (ROOT / "requirements.txt").read_text() for p in pins)
    run = z.read("run_autograder").decode()
    assert "AUTOGRADER_ROOT:-/autograder" in run and '--hidden "$ROOT/source/hidden_cases.json"' in run


def test_reference_scores_full_marks_with_hidden_cases(package, tmp_path):
    data = _run_like_gradescope(package, tmp_path, SOLUTIONS)
    hidden = load_hidden(ROOT / "instructor" / "hidden_cases.json")
    assert data["score"] == data["max_score"] == sum(c.points for c in (*PUBLIC, *hidden))
    assert {t["number"] for t in data["tests"]} >= {c.id for c in hidden}


def test_stubs_score_zero(package, tmp_path):
    data = _run_like_gradescope(package, tmp_path, ROOT / "exercises")
    assert data["score"] == 0 and data["max_score"] > sum(c.points for c in PUBLIC)
    for t in data["tests"]:  # a hidden test first says it is hidden, then why it failed
        first = t["output"] if t.get("visibility", "visible") == "visible" else t["output"].split("\n", 1)[-1]
        assert first.startswith("not implemented yet"), t
