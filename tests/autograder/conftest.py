"""Fixtures of the autograder tests."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ag_helpers import run_cli, validate_gradescope


@pytest.fixture
def grade_json(tmp_path):
    """Grade with the CLI; return (exit code, parsed results.json)."""

    def _grade(submission: Path, *extra: str, timeout: float = 600):
        out = tmp_path / "results.json"
        proc = run_cli("grade", "--submission", str(submission), "--out", str(out), *extra, timeout=timeout)
        assert out.exists(), f"no results file written; stderr:\n{proc.stderr}"
        data = json.loads(out.read_text())
        validate_gradescope(data)
        return proc.returncode, data

    return _grade
