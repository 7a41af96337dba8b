"""The warm interpreter (autograder/warm.py, inside/zygote.py): as isolated as a fresh sandbox, and faster.

One zygote imports torch and forks a process per exercise, for every student of a batch. These
tests put code in a student's exercises/dropout.py that looks around at import time and reports
what it saw in the message of an exception (the report shows it): its process, capabilities,
descriptors, files and network, and what other students left behind. The hostile submissions of
test_hostile.py run through the zygote too (it is the default under bubblewrap).
"""

from __future__ import annotations

import json
import os
import socket
import time
from pathlib import Path

import pytest
from ag_helpers import ROOT, make_submission, solution_text

from autograder import grader, sandbox, warm
from autograder.cases import PUBLIC

CORRECT = solution_text("dropout")
MARK = "4242.5"  # the command line of the process a student leaves behind


def _zygote(exercises=("dropout", "early_stopping")) -> warm.Zygote:
    if not sandbox.bwrap_available():
        pytest.skip("bubblewrap does not work here: the grader runs one cold process per exercise")
    try:
        return warm.Zygote(list(exercises), grader._hidden_paths(), warm.warm_modules(list(exercises)))
    except warm.ZygoteUnavailable as exc:
        pytest.skip(f"no warm interpreter here ({exc}): the grader runs one cold process per exercise")


@pytest.fixture(scope="module")
def zygote():
    z = _zygote()
    yield z
    z.close()


LOOK = r'''
import json as _json, os as _os, socket as _socket
def _look():
    seen = {"pid": _os.getpid(), "pids": sorted(int(p) for p in _os.listdir("/proc") if p.isdigit()),
            "fds": sorted(int(fd) for fd in _os.listdir("/proc/self/fd")),
            "tmp": sorted(_os.listdir("/tmp")), "cwd": sorted(_os.listdir(".")),
            "shm": sorted(_os.listdir("/dev/shm")) if _os.path.isdir("/dev/shm") else [],
            "jobs": sorted(_os.listdir(_os.path.abspath(__file__).rsplit("/", 5)[0])),
            "solutions": _os.path.exists(SOLUTIONS), "cache": _os.path.exists(CACHE),
            "env": sorted(_os.environ)}
    with open("/proc/self/status") as f:
        seen["status"] = {k: v.strip() for k, v in (line.split(":", 1) for line in f) if k.startswith(("Cap", "NoNewPrivs"))}
    try:
        _socket.create_connection(("1.1.1.1", 53), timeout=1).close()
        seen["network"] = True
    except OSError:
        seen["network"] = False
    for where in ("/tmp", _os.environ.get("TMPDIR", "/tmp"), "/dev/shm", "."):
        try:
            open(_os.path.join(where, "left-by-" + STUDENT), "w").write("x")
        except OSError:
            pass
    try:
        open(_os.path.join(_os.path.dirname(_os.path.abspath(__file__)), "written"), "w").write("x")
        seen["ro_writable"] = True
    except OSError:
        seen["ro_writable"] = False
    if _os.fork() == 0:  # a process left behind, for the next student to find
        _os.setsid()
        _os.execvp("sleep", ["sleep", MARK])
    return seen
raise RuntimeError("SEEN" + _json.dumps(_look()) + "END")
'''


def _looking(student: str) -> str:
    head = f"SOLUTIONS = {str(ROOT / 'solutions' / 'dropout.py')!r}\nCACHE = {str(ROOT / '.cache')!r}\nSTUDENT = {student!r}\nMARK = {MARK!r}\n"
    return CORRECT.replace("import numpy as np\n", "import numpy as np\n" + head + LOOK, 1)


def _grader_tmp(zygote) -> set[str]:
    """What a job's fresh /tmp may hold: the way to the grader's harness and to the job's own folder
    (and to the interpreter, when it lies under /tmp); no file another job wrote."""
    import sys
    from pathlib import Path

    names = {zygote.root.name}
    for prefix in (sys.prefix, sys.base_prefix):
        parts = Path(prefix).resolve().parts
        if parts[:2] == ("/", "tmp") and len(parts) > 2:
            names.add(parts[2])
    return names


def _seen(report) -> dict:
    text = next(t.output for t in report.tests if t.exercise == "dropout" and "SEEN" in t.output)
    return json.loads(text.rsplit("SEEN", 1)[1].split("END", 1)[0])


def _grade(tmp_path, name: str, source: str, zygote) -> grader.Report:
    sub = make_submission(tmp_path / name, {"dropout.py": source})
    return grader.grade(sub, grader.Options(exercises=("dropout", "early_stopping"), isolation="bwrap",
                                            static_policy=False, zygote=zygote))


def test_the_students_process_sees_nothing_of_the_grader(zygote, tmp_path):
    assert zygote.threads == 1, "the zygote forks: it must hold no other thread"
    report = _grade(tmp_path, "ada", _looking("ada"), zygote)
    seen = _seen(report)
    assert seen["pid"] == 2 and seen["pids"] == [1, 2, *seen["pids"][2:]] and max(seen["pids"]) <= 5, seen["pids"]
    assert [fd for fd in seen["fds"] if fd > 3] in ([], seen["fds"][-1:]), seen["fds"]  # + listdir's own
    caps = seen["status"]
    for key in ("CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb"):
        assert int(caps[key], 16) == 0, (key, caps[key])
    assert caps["NoNewPrivs"] == "1"
    assert not seen["solutions"] and not seen["cache"], "the reference solutions or cache are visible"
    assert not seen["network"]
    assert not seen["ro_writable"], "the submission's copy is writable"
    assert set(seen["tmp"]) <= _grader_tmp(zygote) and seen["shm"] == [], seen["tmp"]
    assert len(seen["jobs"]) == 1, f"other jobs are visible: {seen['jobs']}"
    assert set(seen["env"]) <= {"PATH", "HOME", "TMPDIR", "LANG", "OMP_NUM_THREADS", "MKL_NUM_THREADS",
                                "PYTHONHASHSEED", "PYTHONDONTWRITEBYTECODE", "CUDA_VISIBLE_DEVICES",
                                "OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE", "LC_CTYPE"}
    assert sum(t.score for t in report.tests if t.exercise == "early_stopping") == 30


def test_nothing_a_student_leaves_reaches_the_next(zygote, tmp_path):
    first = _seen(_grade(tmp_path, "ada", _looking("ada"), zygote))
    second = _seen(_grade(tmp_path, "bob", _looking("bob"), zygote))
    for seen in (first, second):
        assert set(seen["tmp"]) <= _grader_tmp(zygote) and seen["shm"] == [], seen
        assert not any(name.startswith("left-by") for name in seen["cwd"]), seen["cwd"]
        assert max(seen["pids"]) <= 5, f"another job's processes are visible: {seen['pids']}"
    assert zygote.died is None
    assert not _leftovers(), "a student's background process outlived its job"


def _leftovers() -> list[str]:
    found = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                if MARK.encode() in f.read():
                    found.append(pid)
        except OSError:
            continue
    return found


def test_jobs_running_side_by_side_do_not_see_each_other(zygote, tmp_path):
    """Two students at once (two batch workers): each sees its own job folder only."""
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(2) as pool:
        reports = list(pool.map(lambda n: _grade(tmp_path, n, _looking(n), zygote), ["ada", "bob"]))
    for report in reports:
        seen = _seen(report)
        assert len(seen["jobs"]) == 1 and max(seen["pids"]) <= 5 and set(seen["tmp"]) <= _grader_tmp(zygote)


def test_the_zygote_never_receives_cases_or_expected_values(tmp_path, monkeypatch):
    """It gets a job folder, limits and descriptors: the inputs are in the job's request, the
    expected values only in the grader's process, and the token only in a pipe the job reads."""
    sent: list[bytes] = []
    real = socket.send_fds

    def spy(sock, buffers, fds, *rest):
        sent.extend(buffers)
        return real(sock, buffers, fds, *rest)

    monkeypatch.setattr(socket, "send_fds", spy)
    z = _zygote(("dropout",))
    try:
        report = grader.grade(make_submission(tmp_path), grader.Options(exercises=("dropout",), isolation="bwrap",
                                                                        zygote=z))
    finally:
        z.close()
    assert report.score == report.max_score and sent
    for message in map(json.loads, sent):
        assert set(message) <= {"op", "id", "dir", "request", "cwd", "timeout", "cpu_s", "file_bytes",
                                "memory_bytes", "memory_extra_bytes", "env", "tmp_mb"}
        assert "cases" not in json.dumps(message)
    ids = [c.id for c in PUBLIC if c.exercise == "dropout"]
    assert not any(i.encode() in b"".join(sent) for i in ids)


def test_a_job_that_hangs_is_killed_and_the_zygote_serves_the_next(zygote, tmp_path):
    hang = CORRECT.replace("import numpy as np\n", "import numpy as np\nwhile True:\n    pass\n", 1)
    start = time.perf_counter()
    sub = make_submission(tmp_path / "hang", {"dropout.py": hang})
    report = grader.grade(sub, grader.Options(exercises=("dropout",), isolation="bwrap", timeout=3, zygote=zygote))
    assert time.perf_counter() - start < 30
    assert report.score == 0 and "time limit" in report.tests[0].output
    ok = grader.grade(make_submission(tmp_path / "ok"), grader.Options(exercises=("dropout",), isolation="bwrap",
                                                                       zygote=zygote))
    assert ok.score == ok.max_score


def test_the_warm_and_cold_paths_give_the_same_report(tmp_path):
    wrong = CORRECT.replace("return (x * keep / (1.0 - p)).astype(x.dtype, copy=False)",
                            "return (x * keep).astype(x.dtype, copy=False)")
    sub = make_submission(tmp_path, {"dropout.py": wrong})
    opts = dict(exercises=("dropout", "cross_entropy"), isolation="bwrap")
    cold = grader.grade(sub, grader.Options(warm=False, **opts))
    z = _zygote(("dropout", "cross_entropy"))
    try:
        hot = grader.grade(sub, grader.Options(zygote=z, **opts))
    finally:
        z.close()
    assert cold.score < cold.max_score
    assert [(t.id, t.score, t.mistake) for t in cold.tests] == [(t.id, t.score, t.mistake) for t in hot.tests]


# ------------------------------------------------------------------------------ check's server ---
def _check(course, tmpdir, idle="3", *extra):
    import subprocess
    import sys

    env = {**os.environ, "TMPDIR": str(tmpdir), "AUTOGRADER_WARM_IDLE": idle}
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "autograder", "check", "dropout", "--dir", str(course), *extra],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    return proc, time.perf_counter() - start


def _servers(home) -> list[str]:
    found = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                cmd = f.read()
        except OSError:
            continue
        if b"zygote.py" in cmd and str(home).encode() in cmd and b"bwrap" not in cmd.split(b"\0")[0]:
            found.append(pid)
    return found


def test_checks_share_a_server_that_ends_when_idle(tmp_path):
    import tempfile

    _zygote(("dropout",)).close()  # skips where there is none
    tmpdir = Path(tempfile.mkdtemp(prefix="aw", dir="/tmp"))  # short: the socket's path has a limit
    try:
        course = make_submission(tmp_path)
        first, _ = _check(course, tmpdir)
        assert first.returncode == 0, first.stdout + first.stderr
        home = tmpdir / f"autograder-warm-{os.getuid()}"
        [server] = [p for p in home.iterdir() if p.is_dir()]
        assert (server / "sock").exists() and oct(home.stat().st_mode & 0o777) == "0o700"
        running = _servers(server)
        assert running, "no server is running after the first check"
        second, _ = _check(course, tmpdir)
        assert second.returncode == 0 and second.stdout.splitlines()[-1] == first.stdout.splitlines()[-1]
        assert _servers(server) == running, "the second check started another server instead of using the first"
        cold, _ = _check(course, tmpdir, "3", "--no-warm")
        assert cold.returncode == 0 and cold.stdout.splitlines()[-1] == first.stdout.splitlines()[-1]
        deadline = time.monotonic() + 30
        while _servers(server) and time.monotonic() < deadline:
            time.sleep(0.5)
        assert not _servers(server), "the server did not end after 3 idle seconds"
        assert not (server / "sock").exists()
    finally:
        import shutil

        shutil.rmtree(tmpdir, ignore_errors=True)


def test_a_server_is_reused_only_for_the_same_interpreter_code_and_hidden_folders(tmp_path):
    exercises, warm_ = ["dropout", "adam"], ["torch._dynamo"]
    base = warm._fingerprint(exercises, [ROOT], warm_, False)
    assert warm._fingerprint(list(reversed(exercises)), [ROOT], warm_, False) == base
    assert warm._fingerprint(exercises, [tmp_path], warm_, False) != base  # another course folder
    assert warm._fingerprint(exercises, [ROOT], warm_, True) != base  # CUDA
    assert warm._fingerprint(["dropout"], [ROOT], warm_, False) != base


def test_a_shared_folder_of_servers_is_refused(monkeypatch):
    import shutil
    import tempfile

    base = Path(tempfile.mkdtemp(prefix="aw", dir="/tmp"))
    try:
        home = base / f"autograder-warm-{os.getuid()}"
        home.mkdir()
        os.chmod(home, 0o777)  # anyone could plant a socket there
        monkeypatch.setenv("TMPDIR", str(base))
        with pytest.raises(warm.ZygoteUnavailable, match="not a private folder"):
            warm._server_home()
    finally:
        shutil.rmtree(base, ignore_errors=True)


def test_a_server_job_cannot_reach_the_servers_socket(tmp_path):
    z0 = _zygote(("dropout",))
    z0.close()
    source = CORRECT.replace("import numpy as np\n", "import numpy as np\nimport os as _o, glob as _g\n"
                             "raise RuntimeError('SEEN' + repr(sorted(_g.glob('/tmp/autograder-warm-*/*/sock'))) + 'END')\n", 1)
    sub = make_submission(tmp_path, {"dropout.py": source})
    report = grader.grade(sub, grader.Options(exercises=("dropout",), isolation="bwrap", static_policy=False,
                                              warm="server"))
    text = next(t.output for t in report.tests if "SEEN" in t.output)
    assert text.rsplit("SEEN", 1)[1].split("END", 1)[0] == "[]"


def test_batch_in_one_process_gives_the_gradebook_of_a_process_per_student(tmp_path):
    """The warm batch (one process, forks of one zygote) and the cold one (a grade process per student)
    agree on every case of every student: a correct one, a wrong one, one that hangs, one that crashes."""
    import csv
    import shutil

    from ag_helpers import run_cli

    _zygote(("dropout",)).close()  # skips where there is none
    subs = tmp_path / "subs"
    wrong = CORRECT.replace("return (x * keep / (1.0 - p)).astype(x.dtype, copy=False)",
                            "return (x * keep).astype(x.dtype, copy=False)")
    sources = {"ada": CORRECT, "bob": wrong, "cy": CORRECT.replace("import numpy as np\n", "import numpy as np\nimport os\nos._exit(3)\n", 1),
               "dee": CORRECT.replace("import numpy as np\n", "import numpy as np\nwhile True:\n    pass\n", 1)}
    for name, text in sources.items():
        sub = make_submission(tmp_path / "made" / name, {"dropout.py": text})
        shutil.move(str(sub), str(subs / name))
    outs = {}
    for mode in ("warm", "cold"):
        out = tmp_path / mode
        proc = run_cli("batch", str(subs), "--out", str(out), "--jobs", "2", "--exercise", "dropout",
                       "--exercise", "early_stopping", "--timeout", "10", "--no-progress",
                       *(["--no-warm"] if mode == "cold" else []))
        assert proc.returncode == 0, proc.stdout + proc.stderr
        outs[mode] = out
    assert json.loads((outs["warm"] / "timings.json").read_text())["in_process"] is True
    assert json.loads((outs["cold"] / "timings.json").read_text())["in_process"] is False
    rows = {m: list(csv.DictReader(open(o / "gradebook.csv"))) for m, o in outs.items()}
    assert rows["warm"] == rows["cold"]
    totals = {r["student"]: float(r["total"]) for r in rows["warm"]}
    assert totals["ada"] == 60 and totals["cy"] == totals["dee"] == 30 and 30 < totals["bob"] < 60, totals
    for name in sources:
        warm_tests, cold_tests = ({t["number"]: (t["score"], t["status"]) for t in
                                   json.loads((o / "results" / f"{name}.json").read_text())["tests"]}
                                  for o in (outs["warm"], outs["cold"]))
        assert warm_tests == cold_tests, name
        status = json.loads((outs["warm"] / "status" / f"{name}.json").read_text())
        assert {"reference", "sandbox", "student code", "judging", "report"} <= set(status["timings"])


def test_what_ended_processes_left_is_swept(tmp_path):
    """Servers that ended leave their folder; a kernel killed before its exit hook leaves its zygote's."""
    home = tmp_path / "home"
    home.mkdir(mode=0o700)
    dead = home / "kernel-999999999-abc"  # no such process
    alive = home / f"kernel-{os.getpid()}-def"
    ended, running = home / "a", home / "b"
    for folder in (dead, alive, ended, running):
        (folder / "harness").mkdir(parents=True)
    (home / "a.lock").write_text("")
    (home / "b.lock").write_text("")
    (running / "sock").write_text("")  # stands for a live server's socket
    warm._sweep(home)
    assert sorted(p.name for p in home.iterdir()) == sorted([alive.name, "b", "b.lock"])


def test_where_no_warm_interpreter_can_start_the_grader_runs_cold(tmp_path, monkeypatch):
    """A host whose bubblewrap gives no user namespace (a container, say): the same grading, cold."""
    def refuse(*args, **kwargs):
        raise warm.ZygoteUnavailable("no user namespace here")

    monkeypatch.setattr(warm, "Zygote", refuse)
    monkeypatch.setattr(warm, "_unavailable", None)
    report = grader.grade(make_submission(tmp_path), grader.Options(exercises=("dropout",)))
    assert report.score == report.max_score
    assert warm._unavailable == "no user namespace here"
    assert warm.start(["dropout"], []) is None  # not tried again in this process
