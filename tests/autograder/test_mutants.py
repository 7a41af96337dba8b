"""Every catalogued mistake, as a mutant submission under tests/mutants/, loses points and is named."""

from __future__ import annotations

import pytest
from ag_helpers import ROOT

from autograder import grader, mistakes

MUTANTS = ROOT / "tests" / "mutants"


def test_mutant_submissions_are_up_to_date():
    import subprocess
    import sys

    proc = subprocess.run([sys.executable, "tools/make_mutants.py", "--check"], cwd=ROOT, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr


@pytest.mark.parametrize("mistake", mistakes.CATALOGUE, ids=lambda m: m.name)
def test_mutant_loses_points_and_is_named(mistake):
    report = grader.grade(MUTANTS / mistake.name, grader.Options(exercises=(mistake.exercise,)))
    assert report.score < report.max_score, f"{mistake.name} scored full marks"
    named = [t for t in report.tests if t.mistake == mistake.name]
    assert named, f"{mistake.name} lost points but was never named: " + "; ".join(
        f"{t.id}: {t.output}" for t in report.tests if not t.passed)
    for t in named:
        assert t.status == "failed" and t.score == 0
        assert mistake.hint in t.output and f"[{mistake.name}]" in t.output
    # a mistake is never blamed on a test it did not fail, and no other mistake is named
    assert all(t.mistake in (None, mistake.name) for t in report.tests)
