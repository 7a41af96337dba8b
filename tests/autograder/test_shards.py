"""A class graded on many machines: ``batch --shard K/N``, ``merge``, and the workflow that runs them."""

from __future__ import annotations

import json
import random
import re
import shlex
import shutil
import zipfile
from pathlib import Path

import pytest
import yaml
from ag_helpers import ROOT, SOLUTIONS, run_cli

from autograder import batch, cli, mistakes, shards

WORKFLOW = ROOT / ".github" / "workflows" / "grade-class.yml"
N = 3


# ------------------------------------------------------------------------- the assignment ---
def test_shard_spec_is_checked_and_counted_from_one():
    assert shards.parse("1/4") == (1, 4) and shards.parse(" 4/4 ") == (4, 4)
    for bad in ("0/4", "5/4", "4", "a/b", "1/0", "-1/3", "", "1/4/2"):
        with pytest.raises(shards.ShardError):
            shards.parse(bad)
    proc = run_cli("batch", str(ROOT / "exercises"), "--out", "unused", "--shard", "5/4", timeout=60)
    assert proc.returncode == 2 and "K must be between 1 and N=4" in proc.stderr, proc.stderr


def test_each_student_lands_in_one_shard_whatever_the_listing_order(tmp_path):
    names = [f"student_{i:03d}" for i in range(200)] + ["Doe_Jane_12345_submission", "carol_smith"]
    for n in (1, 2, 3, 7):
        slices = []
        for k in range(1, n + 1):
            subs = [batch.Submission(s, Path(s)) for s in names]
            random.Random(k).shuffle(subs)  # another machine, another order of the listing
            slices.append({s.student for s in shards.Shard(k, n).begin(tmp_path / f"{n}-{k}", subs)})
        assert set().union(*slices) == set(names) and sum(map(len, slices)) == len(names)
        assert all(len(s) > len(names) / n / 2 for s in slices), [len(s) for s in slices]  # roughly even
    # a student's shard depends on the name alone: a late submission moves no one else
    subs = [batch.Submission(s, Path(s)) for s in names]
    before = {s.student for s in shards.Shard(2, 5).begin(tmp_path / "before", subs)}
    zoe = batch.Submission("zoe", Path("zoe"))
    later = {s.student for s in shards.Shard(2, 5).begin(tmp_path / "later", subs + [zoe])}
    assert later - {"zoe"} == before


def test_the_fingerprint_of_grading_changes_with_the_cases(tmp_path):
    base = shards.grading(["early_stopping"], [], {"timeout": None})
    assert base == shards.grading(["early_stopping"], [], {"timeout": None})
    assert base != shards.grading(["dropout"], [], {"timeout": None})
    assert base != shards.grading(["early_stopping"], [], {"timeout": 10.0})
    hidden = tmp_path / "hidden.json"
    data = json.loads((ROOT / "instructor" / "hidden_cases.json").read_text())
    data["cases"] = [c for c in data["cases"] if c["exercise"] == "early_stopping"]
    assert data["cases"], "instructor/hidden_cases.json has no early_stopping case to test with"
    hidden.write_text(json.dumps(data))
    with_hidden = shards.grading(["early_stopping"], [hidden], {"timeout": None})
    assert with_hidden["cases_sha256"] != base["cases_sha256"]
    data["cases"][0]["points"] = float(data["cases"][0]["points"]) + 1
    hidden.write_text(json.dumps(data))
    assert shards.grading(["early_stopping"], [hidden], {"timeout": None}) != with_hidden


# ------------------------------------------------------------------------- the round trip ---
def _student(subs: Path, name: str, mistake: str | None = None, base: Path = SOLUTIONS) -> None:
    ex = subs / name / "exercises"
    ex.mkdir(parents=True)
    for p in base.glob("*.py"):
        text = p.read_text()
        if mistake and p.name == "early_stopping.py":
            text = mistakes.patched_source(mistakes.BY_NAME[mistake], text)
        ex.joinpath(p.name).write_text(text)


def _class(tmp_path: Path) -> Path:
    """Five students, spread over the three shards: the reference, the stubs, two mistakes, a zip."""
    subs = tmp_path / "subs"
    _student(subs, "alice")
    _student(subs, "bob", base=ROOT / "exercises")
    _student(subs, "dan", "es_patience_off_by_one")
    _student(subs, "erin", "es_ignores_min_delta")
    with zipfile.ZipFile(subs / "carol smith.zip", "w") as z:
        for p in SOLUTIONS.glob("*.py"):
            z.write(p, f"carol-main/exercises/{p.name}")
    assert {shards.shard_of(s, N) for s in ("alice", "bob", "dan", "erin", "carol_smith")} == set(range(1, N + 1))
    return subs


def _batch(subs: Path, out: Path, *extra: str):
    return run_cli("batch", str(subs), "--out", str(out), "--jobs", "2", "--timeout", "20",
                   "--exercise", "early_stopping", "--no-progress", *extra, timeout=300)


def _tree(folder: Path) -> dict[str, bytes]:
    """What a gradebook reader sees: every derived file, and the results without their timings."""
    out = {}
    for p in sorted(folder.rglob("*")):
        rel = p.relative_to(folder).as_posix()
        # batch.log, timings.json and status/: how this machine's run went, not the class's grades
        if not p.is_file() or rel in ("batch.log", "timings.json", shards.MANIFEST, shards.MERGED) or rel.startswith("status/"):
            continue
        if rel.startswith("results/"):
            data = json.loads(p.read_text())
            data.pop("execution_time", None)
            out[rel] = json.dumps(data, sort_keys=True).encode()
        else:
            out[rel] = p.read_bytes()
    return out


@pytest.mark.slow
def test_merged_shards_equal_the_single_machine_gradebook(tmp_path):
    subs = _class(tmp_path)
    whole = tmp_path / "whole"
    proc = _batch(subs, whole)
    assert proc.returncode == 0, proc.stdout + proc.stderr

    parts = [tmp_path / f"shard-{k}" for k in range(1, N + 1)]
    for k, part in enumerate(parts, 1):
        proc = _batch(subs, part, "--shard", f"{k}/{N}")
        assert proc.returncode == 0, proc.stdout + proc.stderr
        mine = sorted(p.stem for p in (part / "results").glob("*.json"))
        assert mine == sorted(s for s in json.loads((part / shards.MANIFEST).read_text())["class"]
                              if shards.shard_of(s, N) == k)
        assert f"shard {k}/{N}: {len(mine)} of 5 submissions" in proc.stdout

    merged = tmp_path / "merged"
    proc = run_cli("merge", *map(str, reversed(parts)), "--out", str(merged), timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    expected, got = _tree(whole), _tree(merged)
    assert set(got) == set(expected), set(got) ^ set(expected)
    for name in ("gradebook.csv", "cases.csv", "summary.md"):
        assert got[name] == expected[name], f"{name} differs:\n{got[name].decode()}\n---\n{expected[name].decode()}"
    assert [k for k in expected if got[k] != expected[k]] == []
    rows = (merged / "gradebook.csv").read_text().splitlines()
    assert [r.split(",")[0] for r in rows[1:]] == ["alice", "bob", "carol_smith", "dan", "erin"]
    scores = {r.split(",")[0]: r.split(",")[-3] for r in rows[1:]}
    assert scores["alice"] == scores["carol_smith"] == "30" and scores["bob"] == "0"
    assert 0 < float(scores["dan"]) < 30 and 0 < float(scores["erin"]) < 30

    # a rerun of a shard into another shard's folder is refused before grading anything
    proc = _batch(subs, parts[0], "--shard", f"2/{N}")
    assert proc.returncode == 2 and f"holds shard 1/{N}, not 2/{N}" in proc.stderr, proc.stderr
    proc = _batch(subs, whole, "--shard", f"1/{N}")
    assert proc.returncode == 2 and "without --shard" in proc.stderr, proc.stderr

    _refusals(tmp_path, parts)


def _merge_error(*folders: Path, out: Path) -> str:
    proc = run_cli("merge", *map(str, folders), "--out", str(out), timeout=120)
    assert proc.returncode == 2 and not (out / "gradebook.csv").exists(), proc.stdout + proc.stderr
    return proc.stderr


def _refusals(tmp_path: Path, parts: list[Path]) -> None:
    out = tmp_path / "refused"
    assert f"shard(s) 2/{N} missing" in _merge_error(parts[0], parts[2], out=out)
    assert f"shard 1/{N} given twice" in _merge_error(parts[0], parts[0], *parts[1:], out=out)
    assert "not the --out folder of `batch --shard K/N`" in _merge_error(tmp_path / "whole", out=out)
    assert "not empty and not a merge's folder" in _merge_error(*parts, out=tmp_path / "subs")

    # a student graded twice: shard 2's results copied into shard 3
    twice = tmp_path / "twice"
    shutil.copytree(parts[2], twice)
    for kind in ("results", "status"):
        for p in (parts[1] / kind).glob("*.json"):
            shutil.copy(p, twice / kind / p.name)
    message = _merge_error(parts[0], parts[1], twice, out=out)
    assert "graded by more than one shard" in message and "carol_smith" in message, message

    # a shard that did not finish: a student without results
    short = tmp_path / "short"
    shutil.copytree(parts[0], short)
    (short / "results" / "erin.json").unlink()
    message = _merge_error(short, *parts[1:], out=out)
    assert "no results for 1 student(s): erin" in message and f"shard(s) 1/{N}" in message, message

    # shards graded with other cases, other exercises or from another folder of submissions
    for change, says in ((lambda m: m["grading"].update(cases_sha256="0" * 64), "cases_sha256"),
                         (lambda m: m["grading"].update(exercises=["dropout"]), "exercises"),
                         (lambda m: m.update({"class": m["class"] + ["zoe"]}), "different submission folders")):
        other = tmp_path / "other"
        shutil.rmtree(other, ignore_errors=True)
        shutil.copytree(parts[1], other)
        manifest = json.loads((other / shards.MANIFEST).read_text())
        change(manifest)
        (other / shards.MANIFEST).write_text(json.dumps(manifest))
        message = _merge_error(parts[0], other, parts[2], out=out)
        assert says in message, message
    assert not out.exists() or not any(out.iterdir()), "a refused merge wrote files"


# --------------------------------------------------------------------------- the workflow ---
def _load_workflow() -> dict:
    data = yaml.safe_load(WORKFLOW.read_text(encoding="utf8"))
    if True in data:  # YAML 1.1 reads the key `on:` as True
        data["on"] = data.pop(True)
    return data


def _autograder_commands(job: dict) -> list[list[str]]:
    """The ``python -m autograder ...`` command lines of a job's steps, split into words."""
    out = []
    for step in job.get("steps", []):
        text = re.sub(r"\\\n\s*", " ", step.get("run", ""))
        text = re.sub(r"\$\{\{\s*([^}]*?)\s*\}\}", r"{{\1}}", text)  # an expression, one word
        for line in text.splitlines():
            words = shlex.split(line)
            if "autograder" in words and words[words.index("autograder") - 1] == "-m":
                out.append(words[words.index("autograder") + 1:])
    return out


def test_the_class_workflow_grades_a_matrix_of_shards_then_merges_them():
    wf = _load_workflow()
    assert "workflow_dispatch" in wf["on"]
    jobs = wf["jobs"]
    grade = next((j for j in jobs.values() if "matrix" in j.get("strategy", {})), None)
    assert grade is not None, "no job runs over a strategy.matrix"
    indices = grade["strategy"]["matrix"]["shard"]
    assert indices == list(range(1, len(indices) + 1)) and len(indices) >= 2, indices
    assert grade["strategy"].get("fail-fast") is False, "one failed shard must not cancel the others"
    [batch_cmd] = [c for c in _autograder_commands(grade) if c[0] == "batch"]
    shard = batch_cmd[batch_cmd.index("--shard") + 1]
    assert "matrix.shard" in shard and "strategy.job-total" in shard, shard
    uploads = [s for s in grade["steps"] if s.get("uses", "").startswith("actions/upload-artifact@")]
    assert uploads and "matrix.shard" in uploads[0]["with"]["name"]

    merge_name, merge_job = next((n, j) for n, j in jobs.items()
                                 if any(c[0] == "merge" for c in _autograder_commands(j)))
    grade_name = next(n for n, j in jobs.items() if j is grade)
    assert grade_name in ([merge_job["needs"]] if isinstance(merge_job["needs"], str) else merge_job["needs"])
    downloads = [s for s in merge_job["steps"] if s.get("uses", "").startswith("actions/download-artifact@")]
    assert downloads, f"the {merge_name} job downloads no artifact"
    pattern = downloads[0]["with"]["pattern"]
    assert re.fullmatch(pattern.replace("*", ".*"), uploads[0]["with"]["name"]), pattern
    assert not downloads[0]["with"].get("merge-multiple"), "each shard must keep its own folder"

    # the commands parse with the grader's own command line
    for job in (grade, merge_job):
        for words in _autograder_commands(job):
            args = cli.build_parser().parse_args([re.sub(r"\{\{[^}]*\}\}", "1", w) for w in words])
            assert args.command in ("batch", "merge", "similarity")
    # whatever the runners install for grading is pinned in requirements.txt
    requirements = (ROOT / "requirements.txt").read_text().splitlines()
    pins = {line.split("==")[0].lower() for line in requirements if "==" in line}
    wanted = re.search(r"grep -E '\^\(([^)]*)\)==' requirements.txt", WORKFLOW.read_text())
    assert wanted, "the workflow installs the grader's pins from requirements.txt"
    assert {p.lower() for p in wanted.group(1).split("|")} <= pins
