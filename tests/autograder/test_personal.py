"""Per-student hidden cases: inputs drawn from the instructor's ranges, seeded from the student's identity;
the same student gets the same inputs and grade again, two students get different ones, the instructor
sees what was drawn and the student does not."""

from __future__ import annotations

import json

import pytest
from ag_helpers import ROOT, SOLUTIONS, make_submission, run_cli

from autograder import mistakes, personal
from autograder.cases import load_hidden
from autograder.exercise import Case

HIDDEN = ROOT / "instructor" / "hidden_cases.json"

CASE = Case("x.personal", "dropout", "a personal case", "dropout_numpy",
            {"p": 0.5, "shape": [4, 5], "seed": 1, "kwargs": {"lr": 0.1, "mode": "min"}}, "exact", 2,
            visibility="after_published",
            vary={"p": {"uniform": [0.2, 0.8], "round": 2}, "seed": {"int": [0, 10**6]},
                  "kwargs.lr": {"uniform": [1e-4, 1e-1], "log": True}, "kwargs.mode": {"choice": ["min", "max"]}})
FIXED = Case("x.fixed", "dropout", "a fixed case", "dropout_numpy", {"p": 0.5}, "exact", 1)


def test_the_same_student_gets_the_same_inputs_and_two_students_different_ones():
    a1, drawn_a = personal.personalize([CASE, FIXED], "alice")
    a2, _ = personal.personalize([CASE, FIXED], "alice")
    b, drawn_b = personal.personalize([CASE, FIXED], "bob")
    assert a1 == a2 and a1[0].args != b[0].args and a1[1] is FIXED
    args = a1[0].args
    assert 0.2 <= args["p"] <= 0.8 and round(args["p"], 2) == args["p"] and 0 <= args["seed"] <= 10**6
    assert 1e-4 <= args["kwargs"]["lr"] <= 1e-1 and args["kwargs"]["mode"] in ("min", "max")
    assert args["shape"] == [4, 5] and CASE.args["p"] == 0.5  # the rest unchanged, the case itself untouched
    assert set(drawn_a) == {"x.personal"} and drawn_a["x.personal"]["args"]["p"] == args["p"]
    assert drawn_a["x.personal"]["seed"] == personal.seed_for("alice", "x.personal") != drawn_b["x.personal"]["seed"]
    # across a class, the draws differ (no two students of 200 share the seed argument)
    seeds = {personal.personalize([CASE], f"student{i}")[0][0].args["seed"] for i in range(200)}
    assert len(seeds) == 200


def test_without_a_student_the_default_inputs_are_used():
    cases, drawn = personal.personalize([CASE, FIXED], None)
    assert cases == [CASE, FIXED] and drawn == {}


@pytest.mark.parametrize("vary, message", [
    ({"q": {"int": [0, 3]}}, "have no 'q' to vary"),
    ({"kwargs.beta": {"int": [0, 3]}}, "have no 'kwargs.beta' to vary"),
    ({"p": {"uniform": [0.9, 0.1]}}, "uniform must be [lo, hi] with lo <= hi"),
    ({"p": {"int": [0.5, 2]}}, "int bounds must be integers"),
    ({"p": {"uniform": [0, 1], "int": [0, 1]}}, "exactly one of int, uniform, choice"),
    ({"p": {"choice": []}}, "choice must be a non-empty list"),
    ({"p": {"uniform": [0, 1], "log": True}}, "a log range needs lo > 0"),
    ({"p": {"uniform": [0, 1], "step": 2}}, "unknown key(s) step"),
    ([], "'vary' must map argument names to ranges"),
])
def test_a_malformed_vary_is_refused_with_the_case_and_key(tmp_path, vary, message):
    path = tmp_path / "hidden.json"
    path.write_text(json.dumps({"cases": [{"id": "dropout.h", "exercise": "dropout", "title": "t",
                                           "probe": "dropout_numpy", "judge": "exact", "points": 1,
                                           "args": {"p": 0.5, "kwargs": {"lr": 0.1}}, "vary": vary}]}))
    with pytest.raises(ValueError) as info:
        load_hidden(path)
    assert message in str(info.value) and "dropout.h" in str(info.value)


def test_identity_from_gradescope_users():
    assert personal.identity(" s123 ") == "s123"
    assert personal.identity(None, ({"email": "a@b.edu", "id": 7},)) == "email:a@b.edu"
    assert personal.identity(None, ({"sid": "42", "email": "a@b.edu"},)) == "sid:42"
    assert personal.identity(None, ()) is None


def _grade(tmp_path, sub, *extra):
    out = tmp_path / f"r{len(list(tmp_path.glob('r*.json')))}.json"
    proc = run_cli("grade", "--submission", str(sub), "--out", str(out), "--exercise", "dropout",
                   "--hidden", str(HIDDEN), *extra)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return json.loads(out.read_text())


def _personal_test(data):
    [t] = [t for t in data["tests"] if t["number"] == "dropout.hidden_p055"]
    return t


def test_grades_are_reproducible_per_student_and_the_draws_are_for_the_instructor(tmp_path):
    sub = make_submission(tmp_path)
    alice, again = _grade(tmp_path, sub, "--student-id", "alice"), _grade(tmp_path, sub, "--student-id", "alice")
    meta = tmp_path / "submission_metadata.json"
    meta.write_text(json.dumps({"created_at": "2025-03-01T10:00:00Z", "users": [{"email": "bob@uni.edu", "id": 9}]}))
    bob = _grade(tmp_path, sub, "--metadata", str(meta))
    for data in (alice, again, bob):
        assert data["score"] == data["max_score"]  # the reference passes its own drawn inputs
    assert alice["extra_data"] == again["extra_data"] and alice["extra_data"]["student"] == "alice"
    assert bob["extra_data"]["student"] == "email:bob@uni.edu"
    drawn_a = alice["extra_data"]["hidden_inputs"]["dropout.hidden_p055"]
    drawn_b = bob["extra_data"]["hidden_inputs"]["dropout.hidden_p055"]
    assert drawn_a["args"] != drawn_b["args"] and set(drawn_a) == {"seed", "args"}
    assert _personal_test(alice)["visibility"] == "after_published"
    plain = _grade(tmp_path, sub)  # no identity: the default inputs, said in the output, nothing drawn
    assert "extra_data" not in plain and "no student identity" in plain["output"]


def test_a_wrong_submission_fails_its_personal_case_without_seeing_the_inputs(tmp_path):
    [m] = [m for m in mistakes.CATALOGUE if m.name == "dropout_no_rescale"]
    sub = make_submission(tmp_path, {"dropout.py": mistakes.patched_source(m, (SOLUTIONS / "dropout.py").read_text())})
    data = _grade(tmp_path, sub, "--student-id", "carol")
    t = _personal_test(data)
    assert t["score"] < t["max_score"]
    drawn = data["extra_data"]["hidden_inputs"]["dropout.hidden_p055"]["args"]
    assert str(drawn["seed"]) not in t["output"] and "hidden test" in t["output"]


def test_a_missing_student_id_is_a_clear_error(tmp_path):
    sub = make_submission(tmp_path)
    meta = tmp_path / "submission_metadata.json"
    meta.write_text(json.dumps({"created_at": "2025-03-01T10:00:00Z", "users": []}))
    for extra in (["--metadata", str(meta)], ["--student-id", "  "]):
        out = tmp_path / "r.json"
        proc = run_cli("grade", "--submission", str(sub), "--out", str(out), "--exercise", "dropout",
                       "--hidden", str(HIDDEN), *extra)
        assert proc.returncode == 2, proc.stdout + proc.stderr
        assert ("names no user" in proc.stderr or "--student-id is empty" in proc.stderr) and "Traceback" not in proc.stderr
        assert json.loads(out.read_text())["score"] == 0  # a usage error: the reason, no grade
