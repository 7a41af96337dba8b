"""Helpers of the autograder tests: build a submission folder, grade it, read what the grader wrote."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SOLUTIONS = ROOT / "solutions"


def make_submission(tmp_path: Path, replace: dict[str, str] | None = None, base: Path = SOLUTIONS) -> Path:
    """A student's copy: ``base`` as exercises/, with some files' text replaced."""
    sub = tmp_path / "submission"
    shutil.copytree(base, sub / "exercises", ignore=shutil.ignore_patterns("__pycache__"))
    for name, text in (replace or {}).items():
        (sub / "exercises" / name).write_text(text)
    return sub


def solution_text(exercise: str) -> str:
    return (SOLUTIONS / f"{exercise}.py").read_text()


def run_cli(*args: str, timeout: float = 600) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "autograder", *args], cwd=ROOT, capture_output=True,
                          text=True, timeout=timeout)


def validate_gradescope(data: dict) -> None:
    """The fields and types Gradescope reads from results.json."""
    assert isinstance(data["score"], (int, float))
    assert isinstance(data["max_score"], (int, float))
    assert isinstance(data["execution_time"], (int, float))
    assert isinstance(data["tests"], list)
    for t in data["tests"]:
        assert set(t) >= {"name", "score", "max_score", "status", "output", "visibility"}
        assert t["status"] in ("passed", "failed")
        assert t["visibility"] in ("visible", "hidden", "after_due_date", "after_published")
        assert 0 <= t["score"] <= t["max_score"]
    assert abs(sum(t["score"] for t in data["tests"]) - data["score"]) < 1e-9
