"""Grade a submission: reference values here, the student's code in a sandbox, judges here.

For each exercise: (1) scan the source (``policy``), (2) compute every case's reference
observation in this process, (3) run all of the exercise's cases in one sandboxed process
(``sandbox`` + ``harness``), reading back JSON lines, (4) judge each case here and, when a case
fails, name the catalogued mistake whose observation the student's matches. Nothing the
student's process does can change a verdict except the observations it reports, and those are
checked against values it never sees.
"""

from __future__ import annotations

import functools
import hmac
import json
import os
import secrets
import shutil
import site
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from . import codec, config, judges, mistakes, policy, probes, reference_data, sandbox
from .cases import PUBLIC, Case, load_hidden, select
from .results import Report, TestResult

HARNESS_FILES = ("harness.py", "probes.py", "codec.py")
MAX_FILE_BYTES = 1_000_000
MAX_TOTAL_BYTES = 5_000_000
MAX_RESULT_BYTES = 200_000_000


@dataclass
class Options:
    exercises: tuple[str, ...] = config.EXERCISES
    device: str = "cpu"  # cpu, cuda or auto
    hidden: tuple[str, ...] = ()  # files of hidden cases
    public: bool = True
    timeout: float | None = None  # overrides config.TIMEOUT for every exercise
    memory_mb: int = config.MEMORY_MB
    isolation: str = "auto"
    threads: int = config.THREADS
    static_policy: bool = True
    name_mistakes: bool = True
    jobs: int | None = None  # exercises graded side by side (default: one per core)


class SubmissionError(Exception):
    """The submission folder cannot be graded at all (missing, not a folder...)."""


# ---------------------------------------------------------------------------- references ------
class _TorchReference:
    """``torch.optim`` in the shape of an exercise module (single-tensor path, as the reference)."""

    __name__ = "torch.optim"

    def __getattr__(self, name: str):
        import torch

        cls = {"Adam": torch.optim.Adam, "AdamW": torch.optim.AdamW}[name]
        return functools.partial(cls, foreach=False)


def reference_module(case: Case):
    if case.reference == "torch":
        return _TorchReference()
    import importlib

    return importlib.import_module(f"solutions.{case.exercise}")


def observe(module, case: Case) -> Any:
    """Run a probe in this process and pass the result through the codec, as the sandbox's would be."""
    return codec.loads(codec.dumps(probes.PROBES[case.probe](module, **case.args)))


def expected_observation(case: Case) -> Any:
    """The reference's observation: computed here, or read from the student release's shipped data."""
    if case.reference == "solution" and reference_data.available():
        return reference_data.expected(case)
    return observe(reference_module(case), case)


def mutant_observation(mistake: mistakes.Mistake, case: Case) -> Any | None:
    """A catalogued mistake's observation (None: it says nothing about this case)."""
    if reference_data.available():
        return reference_data.mutant(mistake, case)
    return observe(mistakes.mutant_module(mistake), case)


def resolve_device(device: str) -> str:
    if device not in ("cpu", "cuda", "auto"):
        raise ValueError(f"--device must be cpu, cuda or auto, not {device!r}")
    if device == "cpu":
        return device
    import torch

    if device == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if not torch.cuda.is_available():
        raise RuntimeError("--device cuda was asked for, but torch.cuda.is_available() is False on this machine")
    return device


def on_device(case: Case, device: str) -> Case:
    """The case with its tensors placed on ``device`` (cases without tensors are unchanged)."""
    if device == "cpu":
        return case
    args = json.loads(json.dumps(case.args))
    if "spec" in args:
        args["spec"]["device"] = device
    elif case.probe == "dropout_module":
        args["device"] = device
    else:
        return case
    return replace(case, args=args)


# ---------------------------------------------------------------------------- submission ------
def find_exercises_dir(submission: Path) -> Path:
    submission = Path(submission)
    if not submission.exists():
        raise SubmissionError(f"the submission folder {submission} does not exist")
    if not submission.is_dir():
        raise SubmissionError(f"{submission} is not a folder; pass the folder of a copy of the course "
                              "(or its exercises/ folder)")
    candidates = [submission / "exercises", submission]
    for c in candidates:
        if c.is_dir() and not c.is_symlink() and any((c / f"{e}.py").is_file() for e in config.EXERCISES):
            return c
    raise SubmissionError(f"no exercises/ folder with {', '.join(e + '.py' for e in config.EXERCISES)} "
                          f"was found in {submission}")


def copy_exercises(src: Path, dst: Path) -> list[str]:
    """Copy the ``.py`` files of the exercises package (no links, bounded size); return notes."""
    notes, total = [], 0
    dst.mkdir(parents=True)
    for path in sorted(src.rglob("*.py")):
        rel = path.relative_to(src)
        if path.is_symlink() or any(part.startswith(".") or part == "__pycache__" for part in rel.parts):
            notes.append(f"skipped {rel} (a link or a hidden file)")
            continue
        if len(rel.parts) > 4:
            notes.append(f"skipped {rel} (nested too deeply)")
            continue
        size = path.stat().st_size
        total += size
        if size > MAX_FILE_BYTES or total > MAX_TOTAL_BYTES:
            notes.append(f"skipped {rel} (larger than the {MAX_FILE_BYTES // 1000} kB limit)")
            continue
        target = dst / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "rb") as f:  # read the bytes; never follow or preserve anything else
            target.write_bytes(f.read())
    if not (dst / "__init__.py").exists():
        (dst / "__init__.py").write_text("")
    return notes


def _hidden_paths() -> list[Path]:
    """Folders the student's process must not see: the grader's and the reference's source trees."""
    import importlib.util

    hidden = [Path(__file__).resolve().parents[1]]
    spec = importlib.util.find_spec("solutions")
    for location in (spec.submodule_search_locations or []) if spec else []:
        hidden.append(Path(location).resolve().parent)
    return hidden


# ------------------------------------------------------------------------------- grading ------
@dataclass
class _Run:
    observations: dict[str, dict] = field(default_factory=dict)
    import_error: str | None = None
    result: sandbox.RunResult | None = None
    malformed: str | None = None
    notes: list[str] = field(default_factory=list)


def _run_student(exercise: str, cases: list[Case], exercises_dir: Path, opts: Options, device: str) -> _Run:
    base = Path(tempfile.mkdtemp(prefix=f"grade-{exercise}-"))
    try:
        work, out = base / "ro", base / "rw"
        notes = copy_exercises(exercises_dir, work / "submission" / "exercises")
        harness = work / "harness"
        harness.mkdir(parents=True)
        here = Path(__file__).parent
        for name in HARNESS_FILES:
            shutil.copy(here / name, harness / name)
        out.mkdir()
        token = secrets.token_hex(16)
        read_fd, write_fd = os.pipe()
        received = bytearray()
        overflow = [False]

        def drain() -> None:
            with os.fdopen(read_fd, "rb") as channel:
                while chunk := channel.read1(1 << 20):
                    if len(received) + len(chunk) > MAX_RESULT_BYTES:
                        overflow[0] = True
                        continue
                    received.extend(chunk)

        reader = threading.Thread(target=drain, daemon=True)
        reader.start()
        request = {
            "exercise": exercise,
            "submission": str(work / "submission"),
            "site_dirs": [p for p in site.getsitepackages() + [site.getusersitepackages()] if os.path.isdir(p)],
            "threads": opts.threads,
            "channel_fd": write_fd,
            "cases": [{"id": c.id, "probe": c.probe, "args": c.args} for c in cases],
        }
        (work / "request.json").write_text(json.dumps(request))
        os.chmod(base, 0o755)
        limits = sandbox.Limits(timeout=opts.timeout or config.TIMEOUT[exercise], memory_mb=opts.memory_mb,
                                output_kb=config.OUTPUT_KB, isolation=opts.isolation)
        try:
            result = sandbox.run(
                [sys.executable, "-I", "-S", str(harness / "harness.py"), str(work / "request.json")],
                workdir=work, writable=out, limits=limits, hide=_hidden_paths(), keep=[Path(sys.prefix)],
                cuda=device == "cuda", threads=opts.threads, pass_fds=(write_fd,),
                stdin_data=(token + "\n").encode(),
            )
        finally:
            os.close(write_fd)
        reader.join(timeout=10)  # every writer is gone: the sandbox swept its processes
        run = _Run(result=result, notes=notes)
        if overflow[0]:
            run.malformed = f"more than {MAX_RESULT_BYTES} bytes of results; the rest was ignored"
        for line in bytes(received).decode("utf-8", errors="replace").splitlines():
            try:
                record = codec.loads(line)
            except (ValueError, RecursionError) as exc:
                run.malformed = f"an unreadable result line was skipped ({str(exc)[:80]})"
                continue
            if not isinstance(record, dict) or not isinstance(record.get("id"), str):
                continue
            if not hmac.compare_digest(str(record.get("token", "")), token):
                continue  # not written by the harness
            if record["id"] == "__import__" and not record.get("ok"):
                run.import_error = f"{record.get('error')}: {record.get('message')}"
            run.observations.setdefault(record["id"], record)  # the first word on a case stands
        return run
    finally:
        shutil.rmtree(base, ignore_errors=True)


def _process_failure(run: _Run, exercise: str, timeout: float) -> str:
    r = run.result
    tail = ""
    if r and r.output.strip():
        tail = "\nlast output of your code:\n" + "\n".join(r.output.strip().splitlines()[-8:])[-1500:]
    if r is None:
        return "your code did not run"
    if r.timed_out:
        return (f"your code did not finish within the {timeout:g} s time limit for '{exercise}' "
                f"(an infinite loop, or far too much work?); this and later cases got no result{tail}")
    if r.signal is not None:
        name = r.killed_by
        why = {"SIGKILL": "it was killed (most often: it used more memory than the limit)",
               "SIGXCPU": "it used more CPU time than the limit", "SIGXFSZ": "it wrote a file larger than the limit",
               "SIGSEGV": "it crashed (segmentation fault)", "SIGABRT": "it aborted"}.get(name, f"signal {name}")
        return f"the process running your code ended before this case: {why}{tail}"
    if r.returncode not in (0, None):
        return (f"the process running your code exited with code {r.returncode} before this case "
                f"(sys.exit or os._exit in your code?){tail}")
    return f"your code ended the process before this case produced a result (os._exit?){tail}"


def _name_mistake(case: Case, got: dict, expected: dict, ctx: judges.Context) -> str | None:
    for m in mistakes.for_exercise(case.exercise):
        if not m.match:
            continue
        try:
            mutant = mutant_observation(m, case)
        except Exception:  # noqa: BLE001 - a mutant that crashes on this case says nothing
            continue
        if mutant is None:
            continue
        if judges.JUDGES[case.judge](case, mutant, expected, ctx).passed:
            continue  # this mistake does not show on this case
        if judges.JUDGES[case.judge](case, got, mutant, ctx).passed:
            return m.name
    return None


def _policy_failures(exercise: str, cases: list[Case], exercises_dir: Path) -> list[TestResult] | None:
    violations = policy.scan_package(exercises_dir, [exercise])[exercise]
    if not violations:
        return None
    text = "\n".join(str(v) for v in violations[:5])
    msg = ("this exercise was not run: its code uses something an exercise may not use\n" + text +
           "\nImplement the exercise with ordinary NumPy / PyTorch code and submit again.")
    return [TestResult(c.id, exercise, c.title, 0.0, c.points, "failed", msg, c.visibility) for c in cases]


def _judge_case(c: Case, run: _Run, expected: Any, opts: Options, device: str) -> TestResult:
    ctx = judges.Context(device=device)
    timeout = opts.timeout or config.TIMEOUT[c.exercise]
    record = run.observations.get(c.id)
    mistake = None
    if run.import_error:
        status, msg = False, f"importing exercises/{c.exercise}.py failed:\n{run.import_error}"
    elif record is None:
        status, msg = False, _process_failure(run, c.exercise, timeout)
    elif not record.get("ok"):
        error, message = record.get("error"), str(record.get("message", ""))
        status = False
        if error == "NotImplementedError":
            msg = f"not implemented yet: {message.strip().splitlines()[-1] if message.strip() else ''}"
        elif error == "WrongOutput":
            msg = message
        elif error == "MemoryError":
            msg = f"your code ran out of memory (limit {opts.memory_mb} MB above the baseline):\n{message}"
        else:
            msg = f"your code raised {error}:\n{message}"
    else:
        try:
            verdict = judges.JUDGES[c.judge](c, record.get("value"), expected, ctx)
        except Exception as exc:  # noqa: BLE001 - a malformed observation is the student's, not a crash
            verdict = judges.Verdict(False, f"the result has an unexpected form ({type(exc).__name__}: {exc})")
        status, msg, mistake = verdict.passed, verdict.message, verdict.mistake
        if not status and mistake is None and opts.name_mistakes:
            try:
                mistake = _name_mistake(c, record.get("value"), expected, ctx)
            except Exception:  # noqa: BLE001
                mistake = None
    if mistake:
        m = mistakes.BY_NAME[mistake]
        msg = f"{msg}\nlikely mistake [{m.name}]: {m.title}.\nhint: {m.hint}"
    elif not status and record is not None and record.get("ok") and c.judge in judges.HINTS:
        msg = f"{msg}\nhint: {judges.HINTS[c.judge]}"
    seconds = record.get("seconds", 0.0) if isinstance(record, dict) else 0.0
    seconds = float(seconds) if isinstance(seconds, (int, float)) else 0.0
    return TestResult(c.id, c.exercise, c.title, c.points if status else 0.0, c.points,
                      "passed" if status else "failed", msg, c.visibility, mistake, seconds)


def grade_exercises(cases_by_exercise: dict[str, list[Case]], exercises_dir: Path, opts: Options,
                    device: str, notes: list[str] | None = None) -> list[TestResult]:
    """Grade several exercises: references first, then the students' processes side by side, then judges."""
    from concurrent.futures import ThreadPoolExecutor

    results: dict[str, list[TestResult]] = {}
    todo: dict[str, list[Case]] = {}
    for exercise, cases in cases_by_exercise.items():
        cases = [on_device(c, device) for c in cases]
        failed = _policy_failures(exercise, cases, exercises_dir) if opts.static_policy else None
        if failed is not None:
            results[exercise] = failed
        else:
            todo[exercise] = cases
    # every reference value is computed before any student code runs
    expected = {c.id: expected_observation(c) for cases in todo.values() for c in cases}
    jobs = max(1, min(len(todo), opts.jobs or os.cpu_count() or 1))
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        runs = {e: pool.submit(_run_student, e, cases, exercises_dir, opts, device) for e, cases in todo.items()}
        runs = {e: f.result() for e, f in runs.items()}
    for exercise, cases in todo.items():
        results[exercise] = [_judge_case(c, runs[exercise], expected[c.id], opts, device) for c in cases]
    if notes is not None:  # what the copy skipped and results that could not be read reach the report
        for exercise, run in runs.items():
            extra = run.notes + ([f"{exercise}: {run.malformed}"] if run.malformed else [])
            notes.extend(n for n in extra if n not in notes)
    return [t for e in cases_by_exercise for t in results[e]]


def grade(submission: Path, opts: Options | None = None) -> Report:
    """Grade one submission folder. Raises only for a grader misconfiguration, never for student code."""
    opts = opts or Options()
    sandbox.become_subreaper()
    start = time.perf_counter()
    device = resolve_device(opts.device)
    isolation = sandbox.resolve_isolation(opts.isolation)
    cases = list(PUBLIC) if opts.public else []
    for path in opts.hidden:
        cases.extend(load_hidden(path))
    report = Report(isolation=isolation, device=device)
    try:
        exercises_dir = find_exercises_dir(Path(submission))
    except SubmissionError as exc:
        for c in select(cases, list(opts.exercises)):
            report.tests.append(TestResult(c.id, c.exercise, c.title, 0.0, c.points, "failed", str(exc), c.visibility))
        report.notes.append(str(exc))
        report.execution_time = time.perf_counter() - start
        return report
    by_exercise = {e: select(cases, [e]) for e in opts.exercises}
    report.tests.extend(grade_exercises(by_exercise, exercises_dir, opts, device, report.notes))
    report.execution_time = time.perf_counter() - start
    return report
