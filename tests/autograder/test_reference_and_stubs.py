"""The reference scores full marks, the untouched stubs score zero cleanly, reports are well formed."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

from ag_helpers import ROOT, make_submission

from autograder import config
from autograder.cases import PUBLIC


def test_solutions_score_full_marks(tmp_path, grade_json):
    sub = make_submission(tmp_path)
    junit, md = tmp_path / "r.xml", tmp_path / "r.md"
    code, data = grade_json(sub, "--junit", str(junit), "--markdown", str(md))
    assert code == 0
    failed = [(t["name"], t["output"]) for t in data["tests"] if t["status"] != "passed"]
    assert not failed, failed
    assert data["score"] == data["max_score"] == sum(c.points for c in PUBLIC)
    suites = ET.parse(junit).getroot()
    assert suites.tag == "testsuites" and int(suites.get("tests")) == len(PUBLIC)
    assert int(suites.get("failures")) == 0
    assert f"{data['score']:g} / {data['max_score']:g}" in md.read_text()


def test_stubs_score_zero_with_clean_messages(tmp_path, grade_json):
    code, data = grade_json(ROOT)  # the working tree's exercises/ are the untouched stubs
    assert code == 0
    assert data["score"] == 0
    for t in data["tests"]:
        assert t["status"] == "failed"
        assert t["output"].startswith("not implemented yet"), t["output"]
        assert "Traceback" not in t["output"] and "autograder/" not in t["output"], t["output"]


def test_submission_folder_is_never_modified(tmp_path, grade_json):
    sub = make_submission(tmp_path)
    before = {p: p.read_bytes() for p in sub.rglob("*") if p.is_file()}
    grade_json(sub, "--exercise", "early_stopping")
    after = {p: p.read_bytes() for p in sub.rglob("*") if p.is_file()}
    assert before == after


def test_missing_submission_still_writes_results(tmp_path, grade_json):
    code, data = grade_json(tmp_path / "does-not-exist")
    assert code == 0
    assert data["score"] == 0 and len(data["tests"]) == len(PUBLIC)
    assert "does not exist" in data["tests"][0]["output"]


def test_bad_usage_writes_results_and_exits_2(tmp_path, grade_json):
    code, data = grade_json(make_submission(tmp_path), "--hidden", str(tmp_path / "nope.json"))
    assert code == 2
    assert data["score"] == 0 and "no such file" in data["output"]


def test_hidden_cases_are_graded_with_their_visibility(tmp_path, grade_json):
    hidden = tmp_path / "hidden.json"
    hidden.write_text(json.dumps({"cases": [{
        "id": "early_stopping.hidden_long_plateau", "exercise": "early_stopping",
        "title": "a long plateau after an improvement", "probe": "early_stopping_sequence",
        "args": {"metrics": [3.0, 2.0, 2.0, 2.0, 1.9, 1.9, 1.9, 1.9], "kwargs": {"patience": 3}},
        "judge": "exact", "points": 5, "visibility": "after_published"}]}))
    code, data = grade_json(make_submission(tmp_path), "--hidden", str(hidden), "--exercise", "early_stopping")
    hidden_tests = [t for t in data["tests"] if t["number"] == "early_stopping.hidden_long_plateau"]
    assert len(hidden_tests) == 1
    assert hidden_tests[0]["visibility"] == "after_published" and hidden_tests[0]["status"] == "passed"
    assert data["max_score"] == 30 + 5


def test_instructor_hidden_cases_file_is_valid_and_passes(tmp_path, grade_json):
    hidden = ROOT / "instructor" / "hidden_cases.json"
    code, data = grade_json(make_submission(tmp_path), "--hidden", str(hidden))
    assert code == 0
    assert data["score"] == data["max_score"] > sum(c.points for c in PUBLIC)


def test_check_command_reports_per_test(tmp_path):
    from ag_helpers import run_cli

    proc = run_cli("check", "early_stopping", "--dir", str(make_submission(tmp_path)))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "PASS" in proc.stdout and "total: 30 / 30" in proc.stdout
    stub = run_cli("check", "dropout")
    assert stub.returncode == 1
    assert "not implemented yet" in stub.stdout and "Traceback" not in stub.stdout + stub.stderr


def test_unknown_exercise_is_a_usage_error():
    from ag_helpers import run_cli

    proc = run_cli("check", "sgd")
    assert proc.returncode == 2 and "unknown exercise sgd" in proc.stderr


def test_weights_are_in_one_table():
    totals = {e: sum(c.points for c in PUBLIC if c.exercise == e) for e in config.EXERCISES}
    assert totals == {"adam": 40, "cross_entropy": 36, "dropout": 30, "early_stopping": 30, "param_groups": 29, "warmup_cosine": 26, "mlp_backward": 26, "mixup_cutmix": 37, "grad_accumulation": 41}
    assert len({c.id for c in PUBLIC}) == len(PUBLIC)
