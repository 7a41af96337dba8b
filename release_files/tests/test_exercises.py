"""Your exercises as pytest tests: one per exercise, marked with its name (``pytest -m adam``).

Each runs the autograder's public tests of one exercise on ``exercises/`` and, when one fails,
shows the autograder's report: what was expected, what came, and the likely mistake.
The same report comes from ``python -m autograder check adam``.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from autograder import config, grader

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("exercise", [pytest.param(e, marks=getattr(pytest.mark, e)) for e in config.EXERCISES])
def test_exercise_passes_the_public_tests(exercise):
    report = grader.grade(ROOT, grader.Options(exercises=(exercise,)))
    assert all(t.passed for t in report.tests), "\n" + report.to_text()
