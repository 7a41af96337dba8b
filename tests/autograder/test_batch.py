"""`python -m autograder batch`: a class graded side by side, safely unzipped, resumable, summarised."""

from __future__ import annotations

import csv
import json
import stat
import zipfile

from ag_helpers import ROOT, SOLUTIONS, run_cli, validate_gradescope

from autograder import batch

STUBS = ROOT / "exercises"


def _folder(parent, name, base, extra: str = ""):
    ex = parent / name / "exercises"
    ex.mkdir(parents=True)
    for p in base.glob("*.py"):
        ex.joinpath(p.name).write_text(p.read_text() + (extra if p.name == "early_stopping.py" else ""))


def _class(tmp_path):
    """Four students: a hang (graded first), the reference, the stubs, the reference in a hostile zip."""
    subs = tmp_path / "subs"
    _folder(subs, "a_hang", SOLUTIONS, "\nwhile True:\n    pass\n")
    _folder(subs, "alice", SOLUTIONS)
    _folder(subs, "bob", STUBS)
    with zipfile.ZipFile(subs / "carol smith.zip", "w") as z:
        for p in SOLUTIONS.glob("*.py"):
            z.write(p, f"carol-main/exercises/{p.name}")
        z.writestr("../escaped.py", "x = 1")
        z.writestr(str(tmp_path / "absolute.py"), "x = 1")
        link = zipfile.ZipInfo("carol-main/exercises/link.py")
        link.external_attr = (stat.S_IFLNK | 0o777) << 16
        z.writestr(link, "/etc/passwd")
    return subs


def _batch(subs, out, *extra):
    return run_cli("batch", str(subs), "--out", str(out), "--jobs", "2", "--timeout", "10",
                   "--exercise", "early_stopping", "--no-progress", *extra, timeout=400)


def test_batch_grades_a_class_despite_a_hang_and_a_hostile_zip(tmp_path):
    subs, out = _class(tmp_path), tmp_path / "out"
    proc = _batch(subs, out)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    results = {p.stem: json.loads(p.read_text()) for p in (out / "results").glob("*.json")}
    assert set(results) == {"a_hang", "alice", "bob", "carol_smith"}
    for data in results.values():
        validate_gradescope(data)
    assert results["alice"]["score"] == results["carol_smith"]["score"] == 30
    assert results["bob"]["score"] == 0 and results["a_hang"]["score"] == 0
    assert "time limit" in results["a_hang"]["tests"][0]["output"]
    # the zip's unsafe members were skipped, said so, and wrote nothing outside the scratch folder
    assert "'../escaped.py'" in results["carol_smith"]["output"] and "a link" in results["carol_smith"]["output"]
    assert not (tmp_path / "absolute.py").exists() and not (out / "escaped.py").exists()
    assert not list(tmp_path.rglob("escaped.py"))
    # the hang cost its own time only: another student was graded meanwhile, to full marks
    status = {s: json.loads((out / "status" / f"{s}.json").read_text()) for s in results}
    hang = status["a_hang"]
    overlapping = [s for s, st in status.items() if s != "a_hang"
                   and st["started"] < hang["finished"] and st["finished"] > hang["started"]]
    assert overlapping and any(results[s]["score"] == 30 for s in overlapping), status
    assert hang["seconds"] < 10 + 120
    # the gradebook and the summary
    rows = {r["student"]: r for r in csv.DictReader((out / "gradebook.csv").open())}
    assert rows["alice"]["early_stopping"] == "30" and rows["alice"]["total"] == "30"
    assert rows["bob"]["total"] == "0" and all(r["status"] == "ok" for r in rows.values())
    summary = (out / "summary.md").read_text()
    assert "| 15.00 | 15 | 0 | 30 |" in summary and "[27, 30] | 2 |" in summary
    assert (out / "scores.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert not (out / "scratch").exists()

    # interrupted, then resumed: only the student without a valid results file is graded again
    mtimes = {p.name: p.stat().st_mtime_ns for p in (out / "results").glob("*.json")}
    (out / "results" / "bob.json").unlink()
    (out / "results" / "alice.json").write_text('{"score": 1')  # a torn file is not "done"
    again = _batch(subs, out)
    assert again.returncode == 0, again.stdout + again.stderr
    assert "2 already graded, 2 to grade" in again.stdout
    graded = [line.split()[2].rstrip(":") for line in (out / "batch.log").read_text().splitlines()
              if line.split()[1:2] == ["graded"]]
    assert sorted(graded[-2:]) == ["alice", "bob"]
    for name in ("a_hang.json", "carol_smith.json"):
        assert (out / "results" / name).stat().st_mtime_ns == mtimes[name]
    assert json.loads((out / "results" / "alice.json").read_text())["score"] == 30


def test_zip_extraction_caps_and_names(tmp_path):
    bomb = tmp_path / "bomb.zip"
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("exercises/adam.py", b"#" * (batch.MAX_MEMBER_BYTES + 1))
    notes = batch.extract_zip(bomb, tmp_path / "x")
    assert "larger than" in notes[0] and not (tmp_path / "x" / "exercises" / "adam.py").exists()
    many = tmp_path / "many.zip"
    with zipfile.ZipFile(many, "w") as z:
        for i in range(batch.MAX_ZIP_MEMBERS + 1):
            z.writestr(f"f{i}", "")
    try:
        batch.extract_zip(many, tmp_path / "y")
        raise AssertionError("a zip over the member cap was extracted")
    except batch.UnsafeArchive as exc:
        assert "more than" in str(exc)
    assert batch.student_name("Doe, Jane_12345_submission.zip") == "Doe_Jane_12345_submission"
    subs = tmp_path / "subs"
    (subs / "ada").mkdir(parents=True)
    (subs / "ada.zip").write_bytes(b"")
    (subs / ".hidden").mkdir()
    (subs / "notes.txt").write_text("")
    assert [s.student for s in batch.discover(subs)] == ["ada", "ada-2"]
