"""Gradebooks from a batch's results: Canvas's import layout, a column per case, late penalties from
Gradescope's metadata or a CSV of times, class insight and a page per student."""

from __future__ import annotations

import csv
import json
import shutil
import zipfile
from datetime import timedelta
from pathlib import Path

import pytest
from ag_helpers import ROOT, run_cli

from autograder import gradebook, insight, late
from autograder.cases import PUBLIC
from autograder.results import Report
from autograder.results import TestResult as Outcome

ASSIGNMENT = ROOT / "instructor" / "assignment.toml"  # due 2025-03-07 23:59 -08:00, 10%/day, cap 30, grace 15 min


def metadata(created_at: str, name: str, sid: str, email: str, late_due: str | None = "2025-03-10T23:59:00.000000-08:00") -> dict:
    """Gradescope's /autograder/submission_metadata.json, as its documentation lays it out."""
    return {
        "id": 183917462, "created_at": created_at,
        "assignment": {"due_date": "2025-03-07T23:59:00.000000-08:00", "group_size": None, "group_submission": False,
                       "id": 5523011, "course_id": 912744, "late_due_date": late_due,
                       "release_date": "2025-02-21T00:00:00.000000-08:00", "title": "Programming assignment 1",
                       "total_points": "96.0"},
        "submission_method": "upload",
        "users": [{"email": email, "id": 7781234, "name": name, "sid": sid}],
        "previous_submissions": [{"submission_time": "2025-03-06T20:01:44.087023-08:00", "score": 61.0,
                                  "results": {"score": 61.0}}],
    }


def results_for(failing: dict[str, str | None], exercises=("adam", "dropout", "early_stopping")) -> dict:
    """Gradescope results over the public cases: ``failing`` maps a case id to the mistake named (or None)."""
    report = Report(isolation="bwrap", device="cpu")
    for c in PUBLIC:
        if c.exercise not in exercises:
            continue
        if c.id in failing:
            report.tests.append(Outcome(c.id, c.exercise, c.title, 0.0, c.points, "failed",
                                           f"{c.title}: differs at step 3", c.visibility, mistake=failing[c.id]))
        else:
            report.tests.append(Outcome(c.id, c.exercise, c.title, c.points, c.points, "passed", "", c.visibility))
    return report.to_gradescope()


def _batch_out(tmp_path: Path, students: dict[str, tuple[Path, dict]]) -> Path:
    """A batch's --out folder: results/ and status/ as batch writes them, each status naming its source."""
    out = tmp_path / "out"
    for key, (source, data) in students.items():
        (out / "results").mkdir(parents=True, exist_ok=True)
        (out / "status").mkdir(parents=True, exist_ok=True)
        (out / "results" / f"{key}.json").write_text(json.dumps(data))
        (out / "status" / f"{key}.json").write_text(json.dumps({"student": key, "status": "ok", "exit_code": 0,
                                                                 "source": str(source)}))
    return out


ROSTER = """Student,ID,SIS User ID,SIS Login ID,Section,Programming assignment 1 (48213),Quiz 1 (48190),Current Score
    Points Possible,,,,,96,10,(read only)
"Lovelace, Ada",4021,A0001,alovelace,CS 189 LEC 001,,9,90
"Hopper, Grace",4022,A0002,ghopper,CS 189 LEC 001,,8,80
"Turing, Alan",4023,A0003,aturing,CS 189 LEC 002,,10,100
"Noether, Emmy",4024,A0004,enoether,CS 189 LEC 002,,7,70
"Student, Test",4099,,b0f3a1c2test,,,,
"""


def _class(tmp_path: Path) -> tuple[Path, Path, Path]:
    """Four students as the three exports lay them out, their results, a roster and a CSV of times."""
    subs = tmp_path / "subs"
    subs.mkdir()
    # Canvas's download: a zip per student, named login_[LATE_]userid_submissionid_file
    for name in ("lovelaceada_4021_99120_course.zip", "hopperGrace_LATE_4022_99121_course.zip"):
        with zipfile.ZipFile(subs / name, "w") as z:
            z.writestr("course-main/exercises/adam.py", "x = 1\n")
    # a folder with Gradescope's submission_metadata.json beside the files
    (subs / "turing" / "exercises").mkdir(parents=True)
    (subs / "turing" / "submission_metadata.json").write_text(json.dumps(
        metadata("2025-03-09T10:22:32.365935-08:00", "Alan Turing", "A0003", "aturing@example.edu")))
    # Gradescope's export: submission_N folders and one submission_metadata.yml
    (subs / "submission_201" / "exercises").mkdir(parents=True)
    (subs / "submission_metadata.yml").write_text(
        "submission_201:\n  :submitters:\n  - :name: Emmy Noether\n    :sid: A0004\n    :email: enoether@example.edu\n"
        "  :created_at: 2025-03-07 23:70:00.000000000 -08:00\n  :score: 96.0\n  :status: processed\n"
        .replace("23:70", "23:58"))
    students = {
        "lovelaceada_4021_99120_course": (subs / "lovelaceada_4021_99120_course.zip", results_for({})),
        "hopperGrace_LATE_4022_99121_course": (subs / "hopperGrace_LATE_4022_99121_course.zip", results_for(
            {"early_stopping.plateau": "es_not_strict", "adam.adamw_decoupled": "adam_decay_without_lr"})),
        "turing": (subs / "turing", results_for({"early_stopping.plateau": "es_not_strict"})),
        "submission_201": (subs / "submission_201", results_for({"early_stopping.patience": None})),
    }
    out = _batch_out(tmp_path, students)
    roster = tmp_path / "canvas_export.csv"
    roster.write_text(ROSTER)
    times = tmp_path / "times.csv"
    times.write_text("student,submitted_at\nlovelaceada_4021_99120_course,2025-03-07T23:40:00-08:00\n"
                     "hopperGrace_LATE_4022_99121_course,2025-03-08 00:20:00\n")  # no offset: the file's timezone
    return out, roster, times


def test_canvas_import_cases_and_late_penalties_from_three_export_layouts(tmp_path):
    out, roster, times = _class(tmp_path)
    before = {p.name: p.read_bytes() for p in (out / "results").iterdir()}
    proc = run_cli("gradebook", str(out), "--assignment", str(ASSIGNMENT), "--times", str(times),
                   "--roster", str(roster))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    full = sum(c.points for c in PUBLIC if c.exercise in ("adam", "dropout", "early_stopping"))  # what results_for grades
    rows = list(csv.reader((out / "canvas.csv").open()))
    assert rows[0] == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", "Programming assignment 1 (48213)"]
    assert rows[1][0].strip() == "Points Possible" and rows[1][5] == f"{full:g}"
    by_id = {r[1]: r for r in rows[2:]}
    assert list(by_id) == ["4021", "4022", "4023", "4024", "4099"]  # the roster's order, its test student too
    plateau = next(c.points for c in PUBLIC if c.id == "early_stopping.plateau")
    hopper_raw = full - plateau - next(c.points for c in PUBLIC if c.id == "adam.adamw_decoupled")
    patience = next(c.points for c in PUBLIC if c.id == "early_stopping.patience")
    assert by_id["4021"][5] == f"{full:g}"  # on time (the CSV of times)
    assert by_id["4022"][5] == f"{round(hopper_raw * 0.9, 2):g}"  # 21 min late, Los Angeles time: 10%
    assert by_id["4023"][5] == f"{round((full - plateau) * 0.8, 2):g}"  # Gradescope's metadata: 1 d 10 h late, 20%
    assert by_id["4024"][5] == f"{full - patience:g}"  # Gradescope's export: one minute early
    assert by_id["4099"][5] == "" and by_id["4021"][:5] == ["Lovelace, Ada", "4021", "A0001", "alovelace", "CS 189 LEC 001"]

    lates = {r["student"]: r for r in csv.DictReader((out / "late.csv").open())}
    assert lates["turing"]["penalty_percent"] == "20" and lates["turing"]["late_by_minutes"] == str(34 * 60 + 24)
    assert lates["submission_201"]["penalty_percent"] == "0"
    cases = list(csv.DictReader((out / "cases.csv").open()))
    assert cases[0]["student"] == "(max)" and cases[0]["early_stopping.checkpoint"] == "4"
    turing = next(r for r in cases if r["student"] == "turing")
    assert turing["early_stopping.plateau"] == "0" and turing["early_stopping.checkpoint"] == "4"

    # the student's page says what the penalty took and why
    page = (out / "reports" / "turing.html").read_text()
    assert "1 day 10 h 24 min after the due date" in page and "20%" in page and "differs at step 3" in page
    assert "late penalty" not in (out / "reports" / "lovelaceada_4021_99120_course.html").read_text()
    # the results are never rewritten
    assert {p.name: p.read_bytes() for p in (out / "results").iterdir()} == before

    per_exercise = run_cli("gradebook", str(out), "--canvas-per-exercise", "--roster", str(roster))
    assert per_exercise.returncode == 0, per_exercise.stderr
    header = next(csv.reader((out / "canvas.csv").open()))
    assert header[5:] == [f"Programming assignment 1: {e}" for e in ("adam", "dropout", "early_stopping")] \
        or header[5:] == [f"Autograder: {e}" for e in ("adam", "dropout", "early_stopping")]


def test_class_insight_counts_students_per_case_and_per_mistake(tmp_path):
    out, roster, times = _class(tmp_path)
    (out / "summary.md").write_text("# Grading summary\n\n4 students graded.\n")
    assert run_cli("gradebook", str(out)).returncode == 0
    summary = (out / "summary.md").read_text()
    assert summary.startswith("# Grading summary") and "| `early_stopping.plateau` | 2 | 4 |" in summary
    assert "| `early_stopping.patience` | 1 | 4 |" in summary and "| `adam.adamw_decoupled` | 1 | 4 |" in summary
    assert "| `es_not_strict` |" in summary and summary.count("| `es_not_strict` |") == 1
    assert "| 2 |" in summary.split("`es_not_strict`")[1].splitlines()[0]
    assert (out / "insight.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    # a rerun replaces the section instead of appending a second one
    assert run_cli("gradebook", str(out)).returncode == 0
    assert (out / "summary.md").read_text().count(insight.BEGIN) == 1
    results, _ = gradebook.load_results(out)
    assert insight.case_failures(results)[0][:3][0] == "early_stopping.plateau"
    assert [m for m, _, n in insight.mistake_counts(results)] == ["es_not_strict", "adam_decay_without_lr"]


def test_bad_input_gets_a_clear_error_and_loses_nothing(tmp_path):
    out, roster, times = _class(tmp_path)
    assert run_cli("gradebook", str(out), "--roster", str(roster)).returncode == 0
    assert (out / "canvas.csv").is_file()
    results_before = sorted(p.read_bytes() for p in (out / "results").iterdir())

    # without a roster, Canvas's names and Gradescope's sid identify the students; a plain folder does not:
    # it is named, and no stale canvas.csv is left
    assert run_cli("gradebook", str(out), "--canvas").returncode == 0
    rows = {r["Student"]: r for r in csv.DictReader((out / "canvas.csv").open())}
    assert rows["Alan Turing"]["SIS User ID"] == "A0003" and rows["Emmy Noether"]["SIS User ID"] == "A0004"
    assert rows["lovelaceada_4021_99120_course"]["ID"] == "4021"
    (tmp_path / "subs" / "zed" / "exercises").mkdir(parents=True)
    _batch_out(tmp_path, {"zed": (tmp_path / "subs" / "zed", results_for({}))})
    proc = run_cli("gradebook", str(out), "--canvas")
    assert proc.returncode == 2 and "no Canvas student id" in proc.stderr and "for 1 submission(s): zed" in proc.stderr
    assert not (out / "canvas.csv").exists() and (out / "cases.csv").exists()
    proc = run_cli("gradebook", str(out), "--roster", str(roster))
    assert proc.returncode == 2 and "match no student of the roster" in proc.stderr and ": zed (" in proc.stderr
    for p in ((out / "results" / "zed.json"), (out / "status" / "zed.json")):
        p.unlink()

    # late policy without a time for two students (the CSV of times left out)
    proc = run_cli("gradebook", str(out), "--assignment", str(ASSIGNMENT))
    assert proc.returncode == 2 and "no submission time for 2 student(s)" in proc.stderr
    assert "lovelaceada_4021_99120_course" in proc.stderr

    # a malformed metadata file names itself
    meta = tmp_path / "subs" / "turing" / "submission_metadata.json"
    meta.write_text('{"created_at": "2025-03-09T10:22:32-08:00", "assignment": ')
    proc = run_cli("gradebook", str(out), "--assignment", str(ASSIGNMENT), "--times", str(times))
    assert proc.returncode == 2 and "submission_metadata.json: Gradescope's metadata is not JSON" in proc.stderr
    meta.write_text(json.dumps({"id": 1, "assignment": {}}))
    proc = run_cli("gradebook", str(out), "--assignment", str(ASSIGNMENT), "--times", str(times))
    assert proc.returncode == 2 and "has no created_at" in proc.stderr

    # a roster that is not Canvas's export, times naming nobody, a missing folder
    bad = tmp_path / "bad.csv"
    bad.write_text("name,score\nada,3\n")
    proc = run_cli("gradebook", str(out), "--roster", str(bad))
    assert proc.returncode == 2 and "not a Canvas gradebook export" in proc.stderr
    proc = run_cli("gradebook", str(out), "--assignment", str(ASSIGNMENT), "--times", str(bad))
    assert proc.returncode == 2 and "needs the columns student and submitted_at" in proc.stderr
    assert run_cli("gradebook", str(tmp_path / "nowhere")).returncode == 2
    assert sorted(p.read_bytes() for p in (out / "results").iterdir()) == results_before


@pytest.mark.parametrize("text, message", [
    ("[assignment]\ndue_date = '2025-03-07 23:59'\n", "has no UTC offset"),
    ("[assignment]\ndue_date = 'Friday'\n", "not an ISO 8601 time"),
    ("[late_policy]\nper_day = -5\n", "per_day must be a number >= 0"),
    ("[late_policy]\ncap = 150\n", "at most 100"),
    ("[late_policy]\nper_week = 5\n", "unknown key(s) per_week"),
    ("[assignment\n", "not a TOML file"),
    ("[assignment]\ntimezone = 'Mars/Olympus'\n", "not a time zone name"),
    ("[assignment]\ndue_date = 2025-03-07T23:59:00-08:00\nlate_due_date = 2025-03-01T00:00:00-08:00\n",
     "late_due_date is before due_date"),
])
def test_a_malformed_assignment_file_is_refused_with_its_reason(tmp_path, text, message):
    path = tmp_path / "assignment.toml"
    path.write_text(text)
    with pytest.raises(late.LateError, match=message.replace("(", r"\(").replace(")", r"\)")):
        late.load_assignment(path)


def test_late_policy_per_day_per_hour_cap_and_grace(tmp_path):
    path = tmp_path / "a.toml"
    path.write_text("[assignment]\ndue_date = 2025-03-07T23:59:00-08:00\n"
                    "[late_policy]\nper_day = 5\nper_hour = 1\ncap = 25\ngrace_minutes = 10\n")
    a = late.load_assignment(path)
    due = a.due_date

    def pct(minutes):
        return late.penalty(a, late.Submitted(due + timedelta(minutes=minutes))).percent

    assert pct(-60) == pct(0) == pct(10) == 0  # early, on time, within the grace period
    assert pct(11) == 5 + 1  # one started day and one started hour, counted from the due date
    assert pct(61) == 5 + 2
    assert pct(24 * 60 + 1) == min(25, 10 + 25)  # capped
    assert late.penalty(a, late.Submitted(due + timedelta(hours=3))).points(80) == 80 * 0.08
    # no late due date in the file: Gradescope's is used, and after it nothing is earned
    gs = late.Submitted(due + timedelta(days=4), late_due_date=due + timedelta(days=3))
    assert late.penalty(a, gs).percent == 100 and "after the late due date" in late.penalty(a, gs).reason


def test_grade_applies_the_late_policy_to_gradescope_metadata(tmp_path):
    sub = tmp_path / "submission"
    (sub / "exercises").mkdir(parents=True)
    (sub / "exercises" / "early_stopping.py").write_text((ROOT / "solutions" / "early_stopping.py").read_text())
    meta = tmp_path / "submission_metadata.json"
    meta.write_text(json.dumps(metadata("2025-03-09T10:22:32.365935-08:00", "Alan Turing", "A0003", "a@example.edu")))
    out, md = tmp_path / "results.json", tmp_path / "summary.md"
    proc = run_cli("grade", "--submission", str(sub), "--out", str(out), "--exercise", "early_stopping",
                   "--timeout", "30", "--assignment", str(ASSIGNMENT), "--metadata", str(meta), "--markdown", str(md))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    data = json.loads(out.read_text())
    assert sum(t["score"] for t in data["tests"]) == 30 and data["score"] == 24  # 20% of 30 taken off the total
    assert data["output"].startswith("Late: submitted 2025-03-09T10:22-08:00, 1 day 10 h 24 min after the due date")
    assert data["extra_data"]["late_penalty"]["percent"] == 20
    assert "**Late:**" in md.read_text() and "score 24 / 30" in md.read_text()

    meta.write_text("{not json")
    proc = run_cli("grade", "--submission", str(sub), "--out", str(out), "--exercise", "early_stopping",
                   "--assignment", str(ASSIGNMENT), "--metadata", str(meta))
    assert proc.returncode == 2 and "Gradescope's metadata is not JSON" in proc.stderr
    meta.write_text(json.dumps({"created_at": "2025-03-09T10:22:32-08:00"}))
    proc = run_cli("grade", "--submission", str(sub), "--out", str(out), "--exercise", "early_stopping",
                   "--timeout", "30", "--metadata", str(meta))
    assert proc.returncode == 0, proc.stderr  # the metadata alone names the student; no policy, no penalty
    assert json.loads(out.read_text())["score"] == 30
    # an assignment alone selects what is graded (here every exercise: no [[exercise]]) and charges nothing
    proc = run_cli("grade", "--submission", str(sub), "--out", str(out), "--exercise", "early_stopping",
                   "--timeout", "30", "--assignment", str(ASSIGNMENT))
    assert proc.returncode == 0 and json.loads(out.read_text())["score"] == 30


def test_gradescope_package_carries_the_assignment_file(tmp_path):
    zip_path = tmp_path / "autograder.zip"
    proc = run_cli("package", "gradescope", "--out", str(zip_path), "--assignment", str(ASSIGNMENT))
    assert proc.returncode == 0, proc.stderr
    with zipfile.ZipFile(zip_path) as z:
        assert z.read("assignment.toml") == ASSIGNMENT.read_bytes()
        assert '--metadata "$ROOT/submission_metadata.json"' in z.read("run_autograder").decode()
    bad = tmp_path / "bad.toml"
    bad.write_text("[late_policy]\ncap = 500\n")
    proc = run_cli("package", "gradescope", "--out", str(zip_path), "--assignment", str(bad))
    assert proc.returncode == 2 and "at most 100" in proc.stderr


def test_batch_writes_the_class_files_and_a_rerun_keeps_what_was_graded(tmp_path):
    """A real batch: Canvas-named submissions (the reference, the stubs, a zip without exercises/),
    a CSV of times, the Canvas gradebook, similarity; interrupted results are regraded, others kept."""
    subs = tmp_path / "subs"
    shutil.copytree(ROOT / "solutions", subs / "lovelaceada_4021_99120_course" / "exercises",
                    ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(ROOT / "exercises", subs / "hoppergrace_LATE_4022_99121_course" / "exercises",
                    ignore=shutil.ignore_patterns("__pycache__"))
    with zipfile.ZipFile(subs / "turingalan_4023_99122_homework.zip", "w") as z:
        z.writestr("homework/notes.txt", "my solution is in my other folder")
    times = tmp_path / "times.csv"
    times.write_text("student,submitted_at\nlovelaceada_4021_99120_course,2025-03-09T01:00:00-08:00\n"
                     "hoppergrace_LATE_4022_99121_course,2025-03-08T00:00:00-08:00\n"
                     "turingalan_4023_99122_homework,2025-03-01T12:00:00-08:00\n")
    out = tmp_path / "out"
    args = ("batch", str(subs), "--out", str(out), "--jobs", "2", "--timeout", "20", "--exercise", "early_stopping",
            "--no-progress", "--assignment", str(ASSIGNMENT), "--times", str(times), "--canvas", "--similarity")
    proc = run_cli(*args, timeout=400)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    canvas = {r["ID"]: r for r in csv.DictReader((out / "canvas.csv").open()) if r["ID"]}
    assert canvas["4021"]["Programming assignment 1 (48213)"] == "24"  # 30 points, 1 day 1 h late: 20%
    assert canvas["4022"]["Programming assignment 1 (48213)"] == "0"  # the stubs
    assert canvas["4023"]["Programming assignment 1 (48213)"] == "0"
    page = (out / "reports" / "turingalan_4023_99122_homework.html").read_text()
    assert "no exercises/ folder with adam.py" in page
    assert "20% of the points earned" in (out / "reports" / "lovelaceada_4021_99120_course.html").read_text()
    assert "| `early_stopping.patience` | 2 | 3 |" in (out / "summary.md").read_text()
    assert (out / "similarity.csv").is_file() and (out / "cases.csv").is_file()

    # a torn results file (an interrupted run) is regraded; the others are kept as they were
    kept = (out / "results" / "lovelaceada_4021_99120_course.json").read_bytes()
    (out / "results" / "hoppergrace_LATE_4022_99121_course.json").write_text('{"score": ')
    proc = run_cli(*args, timeout=400)
    assert proc.returncode == 0 and "2 already graded, 1 to grade" in proc.stdout, proc.stdout + proc.stderr
    assert (out / "results" / "lovelaceada_4021_99120_course.json").read_bytes() == kept
    # a bad gradebook input does not cost the grading: exit 2, the results stay, the command to rerun is named
    bad = tmp_path / "bad_times.csv"
    bad.write_text("student,submitted_at\nlovelaceada_4021_99120_course,yesterday\n")
    proc = run_cli(*args[:-4], "--times", str(bad), "--canvas", timeout=400)
    assert proc.returncode == 2 and "not an ISO 8601 time" in proc.stderr
    assert (out / "results" / "lovelaceada_4021_99120_course.json").read_bytes() == kept
