"""Assignments: an assignment file selects exercises and cases and sets their points; `check`, `grade`,
`batch`, `package gradescope` and `release` apply it, and the student copy and the Gradescope zip hold
only the selected exercises."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile

import pytest
from ag_helpers import ROOT, SOLUTIONS, make_submission, run_cli

from autograder import graded
from autograder.assignment import AssignmentError, load_selection
from autograder.cases import PUBLIC, load_hidden

HIDDEN = ROOT / "instructor" / "hidden_cases.json"

# dropout's NumPy function only, at 10 points; early stopping whole, with its hidden case
SELECTION = """
[assignment]
title = "Assignment 2: regularization"

[[exercise]]
name = "dropout"
cases = ["dropout.numpy_*", "dropout.invalid_p"]
points = 10

[[exercise]]
name = "early_stopping"
"""


def _write(tmp_path, text: str, name: str = "assignment.toml"):
    path = tmp_path / name
    path.write_text(text)
    return path


def _ids(exercise: str, prefix: str = "") -> list[str]:
    return [c.id for c in PUBLIC if c.exercise == exercise and c.id.startswith(prefix)]


def test_selection_filters_cases_and_scales_points(tmp_path):
    selection = load_selection(_write(tmp_path, SELECTION))
    assert selection.exercises == ("dropout", "early_stopping")
    cases = selection.apply(list(PUBLIC) + load_hidden(HIDDEN))
    by = {e: [c for c in cases if c.exercise == e] for e in ("adam", "dropout", "early_stopping")}
    assert by["adam"] == []
    assert [c.id for c in by["dropout"]] == _ids("dropout", "dropout.numpy_") + ["dropout.invalid_p"]
    assert sum(c.points for c in by["dropout"]) == pytest.approx(10)
    original = {c.id: c.points for c in PUBLIC}
    shares = {c.id: c.points / original[c.id] for c in by["dropout"]}
    assert max(shares.values()) - min(shares.values()) < 1e-12  # each case keeps its share
    assert "early_stopping.hidden_max_min_delta" in [c.id for c in by["early_stopping"]]
    assert [c.points for c in by["early_stopping"] if c.id in original] == [original[i] for i in _ids("early_stopping")]


def test_no_exercise_section_means_every_exercise(tmp_path):
    assert load_selection(_write(tmp_path, '[assignment]\ntitle = "all"\n')) is None
    assert load_selection(None) is None


@pytest.mark.parametrize("text, message", [
    ('[[exercise]]\nname = "adamw"\n', "'adamw' is not an exercise; the exercises are"),
    ('[[exercise]]\nname = "adam"\nweight = 2\n', "unknown key(s) weight"),
    ('[[exercise]]\nname = "adam"\npoints = 0\n', "points must be a number > 0"),
    ('[[exercise]]\nname = "adam"\npoints = true\n', "points must be a number > 0"),
    ('[[exercise]]\nname = "adam"\ncases = []\n', "cases must be a list of case ids or patterns"),
    ('[[exercise]]\nname = "adam"\n[[exercise]]\nname = "adam"\n', "the exercise adam is listed twice"),
    ('exercise = "adam"\n', "write each exercise of the assignment as an [[exercise]] table"),
    ("[[exercise]\n", "not a TOML file"),
])
def test_a_malformed_selection_says_what_is_wrong(tmp_path, text, message):
    with pytest.raises(AssignmentError) as info:
        load_selection(_write(tmp_path, text))
    assert message in str(info.value) and "assignment.toml" in str(info.value)


def test_a_pattern_that_matches_no_case_is_an_error(tmp_path):
    selection = load_selection(_write(tmp_path, '[[exercise]]\nname = "dropout"\ncases = ["dropout.numpy_*", "dropout.nmupy_*"]\n'))
    with pytest.raises(AssignmentError, match=r"the pattern 'dropout.nmupy_\*' matches no case; its cases are dropout\."):
        selection.check_patterns(PUBLIC)


def test_grade_applies_the_assignment(tmp_path, grade_json):
    assignment = _write(tmp_path, SELECTION)
    code, data = grade_json(make_submission(tmp_path), "--hidden", str(HIDDEN), "--assignment", str(assignment))
    assert code == 0
    ids = [t["number"] for t in data["tests"]]
    wanted = _ids("dropout", "dropout.numpy_") + ["dropout.invalid_p"] + _ids("early_stopping") + \
        ["early_stopping.hidden_max_min_delta"]
    assert sorted(ids) == sorted(wanted), ids
    es_points = sum(c.points for c in PUBLIC if c.exercise == "early_stopping") + 2
    assert data["max_score"] == pytest.approx(10 + es_points) and data["score"] == pytest.approx(data["max_score"])
    assert "extra_data" not in data and not data["output"].startswith("Late")  # no --metadata: no penalty


def test_grade_refuses_an_exercise_outside_the_assignment(tmp_path):
    assignment = _write(tmp_path, SELECTION)
    out = tmp_path / "results.json"
    proc = run_cli("grade", "--submission", str(make_submission(tmp_path)), "--out", str(out),
                   "--assignment", str(assignment), "--exercise", "adam")
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "adam: not part of the assignment" in proc.stderr and "its exercises are dropout, early_stopping" in proc.stderr
    bad = _write(tmp_path, '[[exercise]]\nname = "dropout"\ncases = ["dropout.nope"]\n', "bad.toml")
    proc = run_cli("check", "--dir", str(ROOT), "--assignment", str(bad))
    assert proc.returncode == 2 and "matches no case" in proc.stderr and "Traceback" not in proc.stderr


def test_malformed_metadata_alone_is_refused(tmp_path):
    meta = _write(tmp_path, json.dumps({"users": []}), "submission_metadata.json")
    proc = run_cli("grade", "--submission", str(make_submission(tmp_path)), "--out", str(tmp_path / "r.json"),
                   "--metadata", str(meta))
    assert proc.returncode == 2 and "has no created_at" in proc.stderr


def test_gradescope_zip_holds_only_the_assigned_exercises(tmp_path):
    assignment = _write(tmp_path, SELECTION)
    out = tmp_path / "autograder.zip"
    proc = run_cli("package", "gradescope", "--out", str(out), "--assignment", str(assignment))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    with zipfile.ZipFile(out) as z:
        names = z.namelist()
        hidden = json.loads(z.read("hidden_cases.json"))
    packages = {n.split("/")[2] for n in names if n.startswith("autograder/graded/") and n.count("/") >= 3}
    assert packages == {"dropout", "early_stopping"}
    assert {n for n in names if n.startswith("solutions/")} == {"solutions/__init__.py", "solutions/dropout.py",
                                                                 "solutions/early_stopping.py"}
    assert {c["exercise"] for c in hidden["cases"]} == {"dropout", "early_stopping"}
    assert "assignment.toml" in names


@pytest.fixture(scope="module")
def assignment_release(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("assigned")
    assignment = _write(tmp, SELECTION)
    out = tmp / "course"
    proc = run_cli("release", "--out", str(out), "--assignment", str(assignment))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return out


def test_release_holds_only_the_assigned_exercises(assignment_release):
    out = assignment_release
    assert sorted(p.stem for p in (out / "exercises").glob("*.py") if p.stem != "__init__") == ["dropout", "early_stopping"]
    assert sorted(p.name for p in (out / "autograder" / "graded").iterdir() if p.is_dir()) == ["dropout", "early_stopping"]
    assert (out / "assignment.toml").read_text() == SELECTION
    assert not (out / "instructor").exists() and not (out / "solutions").exists()


def _in_release(release, tmp_path, *args, exercises_from=None):
    course = tmp_path / "course"
    shutil.copytree(release, course)
    if exercises_from is not None:
        for name in ("dropout.py", "early_stopping.py"):
            shutil.copy(exercises_from / name, course / "exercises" / name)
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1", "PYTHONPATH": str(course)}
    return subprocess.run([sys.executable, *args], cwd=course, env=env, capture_output=True, text=True, timeout=600)


def test_check_in_the_release_grades_the_assignment(assignment_release, tmp_path):
    proc = _in_release(assignment_release, tmp_path, "-m", "autograder", "check", exercises_from=SOLUTIONS)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    total = 10 + sum(c.points for c in PUBLIC if c.exercise == "early_stopping")
    assert f"total: {total:g} / {total:g}" in proc.stdout
    assert "checking dropout, early_stopping" in proc.stdout and "dropout.module_" not in proc.stdout


def test_the_book_in_the_release_says_an_exercise_is_not_part_of_it(assignment_release, tmp_path):
    code = ("import course.impl as impl\n"
            "m = impl.load('adam')\n"
            "with impl.attempt('adam'):\n"
            "    m.Adam\n"
            "print(impl.show_source('adam', 'Adam').data)\n"
            "from autograder.notebook import check\n"
            "print(check('adam'))\n")
    proc = _in_release(assignment_release, tmp_path, "-c", code)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    out = proc.stdout
    assert "Not run: the exercise 'adam' is not part of this copy's assignment (its exercises: dropout, early_stopping)" in out
    assert "adam: not checked: not part of this copy's assignment" in out
    assert set(graded.names()) > {"dropout", "early_stopping"}  # the instructor's copy still has them all


def test_the_instructor_copy_refuses_an_unknown_exercise():
    import course.impl as impl

    with pytest.raises(ValueError, match="unknown exercise 'adamw'"):
        impl.load("adamw")


def test_batch_grades_the_assignment(tmp_path):
    import csv

    assignment = _write(tmp_path, SELECTION)
    subs = tmp_path / "subs"
    shutil.copytree(SOLUTIONS, subs / "ann" / "exercises", ignore=shutil.ignore_patterns("__pycache__"))
    out = tmp_path / "out"
    proc = run_cli("batch", str(subs), "--out", str(out), "--assignment", str(assignment), "--no-progress")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    [row] = list(csv.DictReader((out / "gradebook.csv").open()))
    total = 10 + sum(c.points for c in PUBLIC if c.exercise == "early_stopping")
    assert float(row["total"]) == pytest.approx(total) and float(row["dropout"]) == pytest.approx(10), row
    assert row["status"] == "ok" and not row.get("adam"), row
