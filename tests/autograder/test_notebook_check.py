"""``autograder.notebook.check``: the in-notebook check grades with the grader's own cases and
isolation, picks up an edit without a restart, and says "not implemented yet" for a stub."""

from __future__ import annotations

import shutil

import pytest
from ag_helpers import ROOT, SOLUTIONS

from autograder import config
from autograder.cases import PUBLIC
from autograder.notebook import CheckResult, check, course_root


def _course(tmp_path, base):
    course = tmp_path / "course"
    shutil.copytree(base, course / "exercises", ignore=shutil.ignore_patterns("__pycache__"))
    (course / "book").mkdir()
    return course


def test_a_stub_says_not_implemented_and_scores_zero(tmp_path):
    course = _course(tmp_path, ROOT / "exercises")
    result = check("early_stopping", root=course / "book")  # found from book/, as a notebook runs
    assert result.problem is None and result.score == 0
    assert result.not_implemented and "not implemented yet" in result.summary()
    assert {r[0] for r in result.rows} == {c.id for c in PUBLIC if c.exercise == "early_stopping"}
    assert "<table>" in result._repr_html_()


def test_the_reference_scores_full_and_an_edit_is_picked_up_on_rerun(tmp_path):
    course = _course(tmp_path, SOLUTIONS)
    first = check("early_stopping", root=course)
    assert first.score == first.max_score > 0 and not first.feedback
    path = course / "exercises" / "early_stopping.py"
    path.write_text(path.read_text().replace("self.counter >= self.patience", "self.counter > self.patience"))
    second = check("early_stopping", root=course)  # same interpreter, no restart: the edit counts
    assert second.score < second.max_score
    failed = dict(second.feedback)
    assert "early_stopping.patience" in failed and "epoch" in failed["early_stopping.patience"]
    assert "FAIL" in repr(second) and "<details>" in second._repr_html_()


def test_outside_a_course_it_says_so_instead_of_a_score(tmp_path):
    result = check("adam", root=tmp_path)
    assert result.problem and "exercises/" in result.problem and "not checked" in result.summary()
    assert isinstance(result, CheckResult) and result.rows == []


def test_unknown_exercise_is_a_clear_error():
    with pytest.raises(ValueError, match="the exercises are"):
        check("nonsense")


def test_course_root_is_found_from_a_subfolder():
    assert course_root(ROOT / "book") == ROOT
    assert set(config.EXERCISES) >= {"adam", "dropout", "early_stopping"}
