"""Regrades: `batch --regrade POLICY` keeps the earlier results, says whose scores changed, by how much and
on which cases, and applies the instructor's policy (new, max, both); an interrupted regrade resumes."""

from __future__ import annotations

import csv
import json
import shutil

import pytest
from ag_helpers import ROOT, SOLUTIONS, run_cli

from autograder import mistakes, regrade

HIDDEN = ROOT / "instructor" / "hidden_cases.json"


def _results(score_by_case: dict[str, tuple[float, float]]) -> dict:
    tests = [{"number": c, "name": c, "score": s, "max_score": m, "tags": [c.split(".")[0]]}
             for c, (s, m) in score_by_case.items()]
    return {"score": sum(s for s, _ in score_by_case.values()), "max_score": sum(m for _, m in score_by_case.values()),
            "tests": tests}


def _folder(tmp_path, graded: dict[str, dict]):
    out = tmp_path / "out"
    (out / "results").mkdir(parents=True)
    (out / "status").mkdir()
    for student, data in graded.items():
        (out / "results" / f"{student}.json").write_text(json.dumps(data))
        (out / "status" / f"{student}.json").write_text(json.dumps({"status": "ok"}))
    (out / "gradebook.csv").write_text("student,total\n")
    return out


def test_begin_keeps_the_earlier_grading_and_resumes_after_an_interruption(tmp_path):
    out = _folder(tmp_path, {"ann": _results({"dropout.a": (2, 2)})})
    previous = regrade.begin(out)
    assert previous.parent == out / "history"
    assert json.loads((previous / "results" / "ann.json").read_text())["score"] == 2
    assert (previous / "status" / "ann.json").is_file() and (previous / "gradebook.csv").is_file()
    assert not (out / "results").exists()  # every student is graded again
    (out / "results").mkdir()
    (out / "results" / "ann.json").write_text(json.dumps(_results({"dropout.a": (1, 2)})))  # then interrupted
    assert regrade.begin(out) == previous  # resumed: no second history entry, the new results stay
    assert len(list((out / "history").iterdir())) == 1 and (out / "results" / "ann.json").is_file()


def test_begin_needs_an_earlier_grading(tmp_path):
    with pytest.raises(regrade.RegradeError, match="holds no results/ of an earlier batch"):
        regrade.begin(tmp_path)


def _regraded(tmp_path, policy):
    before = {"ann": _results({"dropout.a": (2, 2), "dropout.b": (1, 1)}),
              "ben": _results({"dropout.a": (0, 2), "dropout.b": (1, 1)}),
              "cy": _results({"dropout.a": (2, 2), "dropout.b": (1, 1)})}
    after = {"ann": _results({"dropout.a": (2, 2), "dropout.b": (0, 1), "dropout.c": (0, 3)}),  # a fixed case, an added one
             "ben": _results({"dropout.a": (2, 2), "dropout.b": (1, 1), "dropout.c": (3, 3)}),
             "cy": _results({"dropout.a": (2, 2), "dropout.b": (1, 1), "dropout.c": (3, 3)})}
    out = _folder(tmp_path, before)
    previous = regrade.begin(out)
    (out / "results").mkdir()
    for s, data in after.items():
        (out / "results" / f"{s}.json").write_text(json.dumps(data))
    written = regrade.finish(out, previous, policy)
    assert written == ["regrade.csv", "regrade.md"] and not (out / regrade.MARKER).exists()
    return out, previous


def test_regrade_report_lists_changed_cases_and_totals(tmp_path):
    out, previous = _regraded(tmp_path, "new")
    text = (out / "regrade.csv").read_text()
    changes, totals = text.split("\n\n")
    rows = list(csv.DictReader(changes.splitlines()))
    assert {(r["student"], r["case"], r["before"], r["after"], r["change"]) for r in rows} == {
        ("ann", "dropout.b", "1/1", "0/1", "-1"), ("ann", "dropout.c", "", "0/3", "+0"),
        ("ben", "dropout.a", "0/2", "2/2", "+2"), ("ben", "dropout.c", "", "3/3", "+3"),
        ("cy", "dropout.c", "", "3/3", "+3")}
    assert "ann,3/3,2/6,-1,new" in totals and "ben,1/3,6/6,+5,new" in totals
    md = (out / "regrade.md").read_text()
    assert "3 of 3 students' totals changed; 5 case results changed" in md
    assert "| ann | 3/3 | 2/6 | -1 | `dropout.b`, `dropout.c` | new |" in md
    assert json.loads((out / "results" / "ann.json").read_text())["score"] == 2  # new kept


def test_policy_max_keeps_the_better_grading_and_both_are_kept(tmp_path):
    out, previous = _regraded(tmp_path, "max")
    assert json.loads((out / "results" / "ann.json").read_text())["score"] == 3  # the earlier, better one
    assert json.loads((previous / "regraded" / "ann.json").read_text())["score"] == 2  # the new one, kept
    assert json.loads((out / "results" / "ben.json").read_text())["score"] == 6
    assert "ann,3/3,2/6,-1,previous" in (out / "regrade.csv").read_text()


def test_batch_regrade_after_cases_were_added(tmp_path):
    subs = tmp_path / "subs"
    shutil.copytree(SOLUTIONS, subs / "ann" / "exercises", ignore=shutil.ignore_patterns("__pycache__"))
    [m] = [m for m in mistakes.CATALOGUE if m.name == "dropout_modifies_input"]
    shutil.copytree(SOLUTIONS, subs / "ben" / "exercises", ignore=shutil.ignore_patterns("__pycache__"))
    (subs / "ben" / "exercises" / "dropout.py").write_text(
        mistakes.patched_source(m, (SOLUTIONS / "dropout.py").read_text()))
    out = tmp_path / "out"
    first = run_cli("batch", str(subs), "--out", str(out), "--exercise", "dropout", "--no-progress")
    assert first.returncode == 0, first.stdout + first.stderr
    old = {r["student"]: r for r in csv.DictReader((out / "gradebook.csv").open())}

    missing = run_cli("batch", str(subs), "--out", str(tmp_path / "elsewhere"), "--regrade", "new", "--no-progress")
    assert missing.returncode == 2 and "holds no results/ of an earlier batch" in missing.stderr

    again = run_cli("batch", str(subs), "--out", str(out), "--exercise", "dropout", "--hidden", str(HIDDEN),
                    "--regrade", "both", "--no-progress")
    assert again.returncode == 0, again.stdout + again.stderr
    [previous] = list((out / "history").iterdir())
    assert {p.name for p in (previous / "results").glob("*.json")} == {"ann.json", "ben.json"}
    rows = {r["student"]: r for r in csv.DictReader((out / "gradebook.csv").open())}
    assert rows["ann"]["previous_total"] == old["ann"]["total"] == "30"
    assert float(rows["ann"]["total"]) > 30  # the hidden cases added points
    md = (out / "regrade.md").read_text()
    assert "2 of 2 students' totals changed" in md and "`dropout.hidden_p055`" in md
