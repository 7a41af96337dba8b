"""Hostile submissions: each ends with a valid result, no unearned point and no leftover process.

The hostile code sits in exercises/dropout.py; early_stopping is graded beside it and must keep
its full marks, which shows that a hostile exercise costs only its own points. Every case runs
under both isolation layers (bubblewrap where it works, and the plain process limits), and most
run with the static source check switched off, to show that the runtime defences hold alone.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest
from ag_helpers import ROOT, make_submission, run_cli, solution_text, validate_gradescope

from autograder import grader, sandbox
from autograder.cases import PUBLIC

CORRECT = solution_text("dropout")
FUNC = "    p = _check_p(p)\n    if not training or p == 0.0:"
FORWARD = "    def forward(self, x: torch.Tensor) -> torch.Tensor:\n"
MODES = ["process"] + (["bwrap"] if sandbox.bwrap_available() else [])
TIMEOUT = 20.0


def at_import(code: str) -> str:
    return CORRECT.replace("import numpy as np\n", "import numpy as np\n" + code + "\n", 1)


def in_function(code: str) -> str:
    assert FUNC in CORRECT
    return CORRECT.replace(FUNC, "    p = _check_p(p)\n" + code + "\n    if not training or p == 0.0:", 1)


def in_forward(code: str) -> str:
    assert FORWARD in CORRECT
    return CORRECT.replace(FORWARD, FORWARD + code + "\n", 1)


def wrong_but_patching(patch: str) -> str:
    """The no-rescale mistake, plus an attempt to make the comparisons lie."""
    text = CORRECT.replace("return (x * keep / (1.0 - p)).astype(x.dtype, copy=False)",
                           "return (x * keep).astype(x.dtype, copy=False)")
    text = text.replace("return x * keep / (1.0 - self.p)", "return x * keep")
    return text.replace("import numpy as np\n", "import numpy as np\n" + patch + "\n", 1)


MARK = "3131.5"
HOSTILE = {
    "crash_at_import": (at_import("raise RuntimeError('boom at import')"), "RuntimeError: boom at import"),
    "sys_exit_at_import": (at_import("import sys\nsys.exit(3)"), "sys.exit"),
    "hang": (in_function("    while True:\n        pass"), "time limit"),
    "os_exit": (in_forward("        import os\n        os._exit(0)"), "ended"),
    "kills_itself": (in_forward("        import os, signal\n        os.kill(os.getpid(), signal.SIGKILL)"), "killed"),
    "memory_hog": (in_function("    hog = np.ones((40_000, 40_000))"), "memory"),
    "nan": (in_function("    return x * np.nan"), "NaN"),
    "wrong_shape": (in_function("    return x.reshape(-1)"), "shape"),
    "wrong_dtype": (in_function("    return x.astype(np.float64) * 0 + x"), "dtype"),
    "exception": (in_forward("        raise ValueError('my bug')"), "ValueError"),
    "imports_solutions": (at_import("from solutions.dropout import dropout as _d"), "ModuleNotFoundError"),
    "patches_grader": (at_import("import autograder.judges as _j\n_j.JUDGES.clear()"), "ModuleNotFoundError"),
    "reads_solutions_file": (at_import(f"_src = open({str(ROOT / 'solutions' / 'dropout.py')!r}).read()"),
                             "FileNotFoundError"),
    "leaves_processes": (at_import(
        "import subprocess, os\n"
        f"subprocess.Popen(['sleep', '{MARK}'], start_new_session=True)\n"
        "if os.fork() == 0:\n    os.setsid()\n    if os.fork() == 0:\n"
        f"        os.execvp('sleep', ['sleep', '{MARK}'])\n    os._exit(0)\n"), None),
}


def _leftovers() -> list[str]:
    found = []
    for pid in os.listdir("/proc"):
        if pid.isdigit():
            try:
                cmd = open(f"/proc/{pid}/cmdline", "rb").read().replace(b"\0", b" ").decode()
            except OSError:
                continue
            if MARK in cmd:
                found.append(f"{pid}: {cmd}")
    return found


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_runtime_defences_hold_without_the_static_check(name, mode, tmp_path):
    source, expected_text = HOSTILE[name]
    if name == "reads_solutions_file" and mode == "process":
        pytest.skip("without bubblewrap the filesystem is visible: documented in the README (use bwrap)")
    sub = make_submission(tmp_path, {"dropout.py": source})
    start = time.perf_counter()
    report = grader.grade(sub, grader.Options(exercises=("dropout", "early_stopping"), isolation=mode,
                                              timeout=TIMEOUT, static_policy=False))
    elapsed = time.perf_counter() - start
    by = report.by_exercise()
    assert sum(t.score for t in by["early_stopping"]) == 30, "a hostile exercise cost another exercise points"
    dropout = by["dropout"]
    if name != "leaves_processes":
        assert sum(t.score for t in dropout) < 30
        failed_text = "\n".join(t.output for t in dropout if not t.passed)
        assert expected_text in failed_text, failed_text
        assert "autograder/" not in failed_text and "probes.py" not in failed_text
    assert elapsed < 2 * TIMEOUT + 30
    assert not _leftovers(), _leftovers()


@pytest.mark.parametrize("mode", MODES)
def test_output_flood_is_truncated_and_costs_nothing_else(mode, tmp_path):
    flood = at_import("for _ in range(20_000):\n    print('spam' * 2_500)")
    sub = make_submission(tmp_path, {"dropout.py": flood})
    report = grader.grade(sub, grader.Options(exercises=("dropout",), isolation=mode, timeout=60))
    assert report.score == 30  # printing is allowed; the 200 MB of it are just not kept


@pytest.mark.parametrize("patch", [
    "np.allclose = lambda *a, **k: True\nnp.array_equal = lambda *a, **k: True\nnp.isclose = lambda a, b, **k: a == a",
    "import torch\ntorch.equal = lambda *a: False\ntorch.Tensor.__ne__ = lambda a, b: a == a",
])
@pytest.mark.parametrize("policy", [True, False])
def test_patching_libraries_earns_nothing(patch, policy, tmp_path):
    honest = grader.grade(make_submission(tmp_path / "h", {"dropout.py": wrong_but_patching("")}),
                          grader.Options(exercises=("dropout",)))
    report = grader.grade(make_submission(tmp_path / "p", {"dropout.py": wrong_but_patching(patch)}),
                          grader.Options(exercises=("dropout",), static_policy=policy))
    assert report.score <= honest.score < 30
    if policy:
        assert report.score == 0 and "monkeypatching" in report.tests[0].output


@pytest.mark.parametrize("code, words", [
    (at_import("import os\nos._exit(0)"), "._exit is not allowed"),
    (at_import("from solutions.dropout import dropout"), "from solutions.dropout import"),
    (at_import("import importlib\n_m = importlib.import_module('torch')"), "import importlib"),
    (at_import("exec('x = 1')"), "exec(...)"),
    (in_forward("        return torch.nn.functional.dropout(x, self.p, self.training)"), ".dropout: this exercise"),
])
def test_static_check_names_the_line(code, words, tmp_path):
    report = grader.grade(make_submission(tmp_path, {"dropout.py": code}), grader.Options(exercises=("dropout",)))
    assert report.score == 0
    assert words in report.tests[0].output and "dropout.py:" in report.tests[0].output


def test_forged_results_file_is_overwritten(tmp_path):
    out = tmp_path / "results.json"
    forged = at_import(f"open({str(out)!r}, 'w').write('{{\"score\": 100, \"tests\": []}}')\n"
                       "raise RuntimeError('nothing honest here')")
    proc = run_cli("grade", "--submission", str(make_submission(tmp_path, {"dropout.py": forged})),
                   "--out", str(out), "--exercise", "dropout", "--isolation", "process")
    assert proc.returncode == 0, proc.stderr
    data = json.loads(out.read_text())
    validate_gradescope(data)
    assert data["score"] == 0 and len(data["tests"]) == sum(c.exercise == "dropout" for c in PUBLIC)


def test_forged_observations_earn_nothing(tmp_path):
    lines = "".join(
        f"open('results.jsonl', 'a').write('{{\"id\": \"dropout.{case}\", \"ok\": true, \"value\": {{\"x\": [1], \"out\": [1], \"dtype\": \"float32\", \"x_modified\": false}}}}\\n')\n"
        for case in ("numpy_eval", "numpy_p0", "numpy_train_p03"))
    stub = (ROOT / "exercises" / "dropout.py").read_text()
    forged = stub.replace("import numpy as np\n", "import numpy as np\n" + lines, 1)
    report = grader.grade(make_submission(tmp_path, {"dropout.py": forged}), grader.Options(exercises=("dropout",)))
    assert report.score == 0


# ------------------------------------------------------------------ found by a red-team review ---
@pytest.mark.skipif(not sandbox.bwrap_available(), reason="the allowlist is bubblewrap's")
@pytest.mark.parametrize("warm", [True, False])
def test_the_sandbox_shows_the_system_and_python_only(warm, tmp_path):
    """A classmate's folder outside /tmp (a batch's submissions, its results, another copy of the course)
    and the home folders are not in the sandbox: only the system, the Python installation and the job."""
    import shutil
    import uuid

    classmate = Path("/var/tmp") / f"autograder-test-{uuid.uuid4().hex}"
    (classmate / "exercises").mkdir(parents=True)
    (classmate / "exercises" / "dropout.py").write_text(CORRECT)
    python = sandbox.python_dirs()
    home = [p for p in Path.home().iterdir() if not any(p == d or p in d.parents for d in python)][:3]
    secrets = [classmate, ROOT / "README.md", ROOT / "instructor", ROOT / "solutions", *home]
    assert all(p.exists() for p in secrets)
    try:
        probe = at_import(
            "import os as _os\n"
            f"_seen = [p for p in {[str(p) for p in secrets]!r} if _os.path.exists(p)]\n"
            "_python = _os.path.exists(_os.__file__)\n"
            "if _seen or not _python:\n"
            "    raise RuntimeError(f'LEAK {_seen} python={_python}')")
        report = grader.grade(make_submission(tmp_path, {"dropout.py": probe}),
                              grader.Options(exercises=("dropout",), isolation="bwrap", warm=warm, static_policy=False))
        assert report.score == 30, report.tests[0].output
    finally:
        shutil.rmtree(classmate)


def test_links_and_special_files_in_a_submission_are_never_read(tmp_path):
    """The grader reads only regular files of the submission: a link to a secret is not quoted, a FIFO
    does not block it, and the exercise is reported as not graded, saying why."""
    sub = make_submission(tmp_path)
    (sub / "exercises" / "dropout.py").unlink()
    (sub / "exercises" / "dropout.py").symlink_to("/etc/passwd")
    os.mkfifo(sub / "exercises" / "helper.py")
    (sub / "exercises" / "zero.py").symlink_to("/dev/zero")
    (sub / "exercises" / "folder.py").mkdir()
    start = time.perf_counter()
    report = grader.grade(sub, grader.Options(exercises=("dropout", "early_stopping")))
    assert time.perf_counter() - start < 60
    by = report.by_exercise()
    assert sum(t.score for t in by["early_stopping"]) == 30
    assert sum(t.score for t in by["dropout"]) == 0
    text = "\n".join(t.output for t in report.tests) + "\n".join(report.notes)
    assert "root:" not in text
    assert "exercises/dropout.py was not graded (a link or not a regular file)" in by["dropout"][0].output
    assert "skipped helper.py (a link or not a regular file)" in report.notes


@pytest.mark.parametrize("mode", MODES)
def test_a_flood_of_lines_on_the_result_channel_costs_the_grader_nothing(mode, tmp_path):
    """Lines without the token are never parsed: 30 MB of [[],[],...] (a billion Python objects, had
    they been) leave the grader's memory and time as they were, and earn nothing."""
    import resource

    flood = at_import(
        "import json as _json, os as _os\n"
        "_fd = _json.load(open('../ro/request.json'))['channel_fd'] if _os.path.exists('../ro/request.json') else 3\n"
        "_ch = open(_fd if _os.path.exists(f'/proc/self/fd/{_fd}') else 3, 'wb', closefd=False)\n"
        "for _ in range(10):\n"
        "    _ch.write(b'[' + b'[],' * 1_000_000 + b'[]]\\n')\n"
        "_ch.flush()")
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    start = time.perf_counter()
    report = grader.grade(make_submission(tmp_path, {"dropout.py": flood}),
                          grader.Options(exercises=("dropout",), isolation=mode, timeout=60))
    assert time.perf_counter() - start < 60
    grown_mb = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
    assert grown_mb < 500, f"the grader grew by {grown_mb:.0f} MB"
    assert report.score == 30  # the code is correct; the flood is ignored, not rewarded


@pytest.mark.parametrize("where", ["os.getcwd()", "tempfile.gettempdir()", "'/dev/shm'"])
@pytest.mark.parametrize("mode", MODES)
def test_code_written_at_run_time_is_never_run(mode, where, tmp_path):
    """A module the submission writes while it runs was never read by the static check: importing it
    fails, wherever it was written, so the library it delegates to earns nothing."""
    writes = in_forward(
        "        import os, sys, tempfile\n"
        f"        folder = {where}\n"
        "        with open(os.path.join(folder, 'written_helper.py'), 'w') as f:\n"
        "            f.write('import torch\\nimport torch.nn.functional as F\\ndrop = F.dropout\\n')\n"
        "        sys.path.insert(0, folder)\n"
        "        import written_helper\n"
        "        return written_helper.drop(x, self.p, self.training)")
    report = grader.grade(make_submission(tmp_path, {"dropout.py": writes}),
                          grader.Options(exercises=("dropout",), isolation=mode))
    module_cases = [t for t in report.tests if "Dropout" in t.title or "module" in t.id]
    assert module_cases and not any(t.passed for t in module_cases)
    text = "\n".join(t.output for t in report.tests)
    assert "code written at run time may not be run" in text, text[:2000]


@pytest.mark.parametrize("mode", MODES)
def test_printing_the_request_shows_no_hidden_input(mode, tmp_path):
    """The hidden cases run in a process of their own, whose printed output is never shown: code that
    prints everything it was given shows the visible cases' inputs only."""
    leak = wrong_but_patching(
        "import glob as _glob\n"
        "for _p in _glob.glob('../ro/*.json') + _glob.glob('../*/*.json'):\n"
        "    print('LEAK', _p, open(_p).read())")
    report = grader.grade(make_submission(tmp_path, {"dropout.py": leak}),
                          grader.Options(exercises=("dropout",), isolation=mode,
                                         hidden=(str(ROOT / "instructor" / "hidden_cases.json"),)))
    hidden = [t for t in report.tests if t.visibility != "visible"]
    assert hidden and not all(t.passed for t in report.tests)
    text = "\n".join(t.output for t in report.tests)
    assert "LEAK" in text  # the visible process's print is shown, as always
    assert "hidden_" not in text.replace("this is a hidden test", "")
    for t in hidden:
        assert "LEAK" not in t.output
