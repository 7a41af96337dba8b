"""Grade a submission: reference values here, the student's code in a sandbox, judges here.

For each exercise: (1) scan the source (``policy``), (2) compute every case's reference
observation in this process, (3) run all of the exercise's cases in one sandboxed process
(``harness``: a fork of the warm interpreter of ``warm.py`` where it can be isolated, else a fresh
interpreter through ``sandbox``), reading back JSON lines, (4) judge each case here and, when a case
fails, name the catalogued mistake whose observation the student's matches. Nothing the
student's process does can change a verdict except the observations it reports, and those are
checked against values it never sees.

The report says each cause once: a refusal of the static check, a failed import or a crashed
process is told in full on the first case it took, the other cases point there; what the
student's code printed comes once per exercise, on its first failed case. A problem of the
grader's environment (no torch, a helper that cannot start) raises
:class:`~autograder.environment.GraderEnvironmentError` instead of becoming a score. Every
temporary file of a run, the student's and the probes', lies in one scratch folder removed after.
"""

from __future__ import annotations

import contextlib
import hmac
import json
import math
import os
import secrets
import shutil
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from . import config, environment, graded, judges, mistakes, policy, sandbox
from .cases import PUBLIC, Case, load_hidden, select
from .inside import codec
from .observing import expected_observation, expected_observations, mutant_observation, observe, reference_module  # noqa: F401
from .results import Report, TestResult

MAX_FILE_BYTES = 1_000_000
MAX_TOTAL_BYTES = 5_000_000
MAX_RESULT_BYTES = 200_000_000
# lists and dicts in one exercise's results (the largest reference holds under 2,000): a bound on the objects
# that parsing them may build
MAX_RESULT_CONTAINERS = 200_000
# what the student's code printed, shown once per exercise on its first failed case
PRINTED_LINES, PRINTED_CHARS = 40, 4096


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
    selection: Any = None  # an assignment's Selection (autograder/assignment.py): its cases and points
    reference_cache: bool = False  # keep the reference's observations on disk between runs (check)
    student: str | None = None  # the student's identity: per-student hidden inputs (autograder/personal.py)
    # one warm interpreter forking a process per exercise where it isolates as well (warm.py): True, this
    # grading's own; "server", the one every check of this course shares (it outlives the command); False, cold
    warm: bool | str = True
    zygote: Any = None  # a warm.Zygote or warm.Shared to use (batch shares one); None: start one when warm


class SubmissionError(Exception):
    """The submission folder cannot be graded at all (missing, not a folder...)."""


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
    """The case with its tensors placed on ``device``, as its exercise says (cases without tensors are unchanged)."""
    place = graded.load(case.exercise).on_device
    if device == "cpu" or place is None:
        return case
    args = place(case.probe, json.loads(json.dumps(case.args)), device)
    return case if args == case.args else replace(case, args=args)


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


def read_student_file(path: Path, limit: int) -> bytes | None:
    """The bytes of a student's regular file, at most ``limit`` of them; None for anything else.

    A link, a FIFO, a device or a folder is never opened through (``lstat``, then ``O_NOFOLLOW |
    O_NONBLOCK`` and a second check on the open file), so a submission cannot make the grader read
    ``/etc/shadow`` or ``/dev/zero`` or wait on a pipe; a file that changes meanwhile is cut at ``limit``.
    """
    import stat

    try:
        if not stat.S_ISREG(os.lstat(path).st_mode):
            return None
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError:
        return None
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            return None
        chunks, size = [], 0
        while size <= limit and (chunk := os.read(fd, min(1 << 20, limit + 1 - size))):
            chunks.append(chunk)
            size += len(chunk)
        return b"".join(chunks)
    except OSError:
        return None
    finally:
        os.close(fd)


def _student_files(src: Path):
    """``(relative path, path)`` of every ``.py`` file under ``src``, sorted; never through a linked folder."""
    found = []
    for folder, dirs, files in os.walk(src, followlinks=False):
        dirs.sort()
        found.extend(Path(folder, f).relative_to(src) for f in files if f.endswith(".py"))
    return [(rel, src / rel) for rel in sorted(found)]


def copy_exercises(src: Path, dst: Path) -> dict[str, str]:
    """Copy the ``.py`` files of the exercises package (regular files only, bounded size); return the
    files skipped, each with why (``{"helper.py": "a link or not a regular file"}``).

    The grader reads the student's files only here: the static check and the sandboxes see this copy."""
    skipped, total = {}, 0
    dst.mkdir(parents=True)
    for rel, path in _student_files(src):
        if any(part.startswith(".") or part == "__pycache__" for part in rel.parts):
            skipped[str(rel)] = "a hidden file"
            continue
        if len(rel.parts) > 4:
            skipped[str(rel)] = "nested too deeply"
            continue
        data = read_student_file(path, MAX_FILE_BYTES)
        if data is None:
            skipped[str(rel)] = "a link or not a regular file"
            continue
        total += len(data)
        if len(data) > MAX_FILE_BYTES or total > MAX_TOTAL_BYTES:
            skipped[str(rel)] = f"larger than the {MAX_FILE_BYTES // 1000} kB limit"
            continue
        target = dst / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        # a main block is not graded: blanked, it cannot run even if the file renames itself __main__
        target.write_bytes(policy.strip_main_guard(data))
    if not (dst / "__init__.py").exists():
        (dst / "__init__.py").write_text("")
    return skipped


def _hidden_paths() -> list[Path]:
    """Folders the student's process must not see: the grader's and the reference's source trees, and
    the packages themselves (where they are installed into an environment the sandbox shows)."""
    import importlib.util

    package = Path(__file__).resolve().parent
    hidden = [package.parent, package]
    spec = importlib.util.find_spec("solutions")
    for location in (spec.submodule_search_locations or []) if spec else []:
        hidden += [Path(location).resolve().parent, Path(location).resolve()]
    return list(dict.fromkeys(hidden))


# ------------------------------------------------------------------------------- grading ------
@dataclass
class _Run:
    observations: dict[str, dict] = field(default_factory=dict)
    import_error: str | None = None  # the exception's type
    import_message: str = ""  # the traceback, in the student's files
    harness_error: str | None = None  # the grader's side of the process failed: not the student's doing
    result: sandbox.RunResult | None = None
    malformed: str | None = None


def _run_student(exercise: str, cases: list[Case], exercises_dir: Path, opts: Options, device: str,
                 scratch: Path | None = None, zygote: Any = None) -> _Run:
    """Run one exercise's cases on the student's code: a job of the warm ``zygote``, else a fresh sandbox."""
    base = zygote.new_job(f"{exercise}-") if zygote is not None else Path(tempfile.mkdtemp(prefix=f"grade-{exercise}-", dir=scratch))
    try:
        work, out = base / "ro", base / "rw"
        # exercises_dir is grade's copy, already checked: regular files, main blocks blanked
        shutil.copytree(exercises_dir, work / "submission" / "exercises")
        harness = work / "harness"  # a copy of autograder/inside/ and of this exercise's probes, nothing else
        if zygote is None:  # the zygote holds its own copy, of every exercise's probes
            from .warm import write_harness

            write_harness(harness, [exercise])
        out.mkdir()
        tmp = out / "tmp"  # the student's TMPDIR in every isolation mode: removed with base
        tmp.mkdir()
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
            "site_dirs": sandbox.site_dirs(),
            "threads": opts.threads,
            "tmpdir": str(tmp),
            "channel_fd": write_fd,
            "probes_module": f"autograder.graded.{exercise}.probes",
            "cases": [{"id": c.id, "probe": c.probe, "args": c.args} for c in cases],
        }
        (work / "request.json").write_text(json.dumps(request))
        os.chmod(base, 0o755)
        limits = sandbox.Limits(timeout=opts.timeout or config.TIMEOUT[exercise], memory_mb=opts.memory_mb,
                                output_kb=config.OUTPUT_KB, isolation=opts.isolation)
        try:
            if zygote is not None:
                result = zygote.run(base, work / "request.json", out, limits, opts.threads, write_fd, token, tmp)
            else:
                result = sandbox.run(
                    # abspath: "book/../.venv/bin/python" does not resolve inside bwrap, where book/ is hidden
                    [os.path.abspath(sys.executable), "-I", "-S", str(harness / "autograder" / "inside" / "harness.py"), str(work / "request.json")],
                    workdir=work, writable=out, limits=limits, hide=_hidden_paths(), keep=[Path(sys.prefix)],
                    cuda=device == "cuda", threads=opts.threads, pass_fds=(write_fd,),
                    stdin_data=(token + "\n").encode(), tmpdir=tmp,
                )
        finally:
            os.close(write_fd)
        reader.join(timeout=10)  # every writer is gone: the sandbox swept its processes
        run = _Run(result=result)
        if overflow[0]:
            run.malformed = f"more than {MAX_RESULT_BYTES} bytes of results; the rest was ignored"
        containers, key = 0, token.encode()
        for raw in bytes(received).split(b"\n"):
            # a line is the token, then one JSON record; anything else was not written by the harness and
            # is never parsed, and parsing stops at MAX_RESULT_CONTAINERS lists and dicts, so that a flood of
            # [[],[],...] cannot make this process build billions of objects
            if not hmac.compare_digest(raw[:len(key)], key):
                continue
            line = raw[len(key):]
            containers += line.count(b"[") + line.count(b"{")
            if containers > MAX_RESULT_CONTAINERS:
                run.malformed = f"more than {MAX_RESULT_CONTAINERS} lists and dicts of results; the rest was ignored"
                break
            try:
                record = codec.loads(line.decode("utf-8", errors="replace"))
            except (ValueError, RecursionError) as exc:
                run.malformed = f"an unreadable result line was skipped ({str(exc)[:80]})"
                continue
            if not isinstance(record, dict) or not isinstance(record.get("id"), str):
                continue
            if record["id"] == "__import__" and not record.get("ok"):
                run.import_error = str(record.get("error"))
                run.import_message = str(record.get("message", "")).rstrip()
            run.observations.setdefault(record["id"], record)  # the first word on a case stands
        ready = run.observations.get("__harness__")
        if ready is None:
            run.harness_error = (f"the grader's process for '{exercise}' ended before it was ready, before any "
                                 f"student code ran ({_describe_end(result, limits.timeout)})"
                                 + _printed(result, "what that process printed"))
        elif not ready.get("ok"):
            run.harness_error = (f"the grader's process for '{exercise}' could not import what it needs "
                                 f"({ready.get('error')}: {ready.get('message')}) with {ready.get('python')}")
        return run
    finally:
        sandbox.remove_tree(base)


def _describe_end(r: sandbox.RunResult, timeout: float) -> str:
    if r.timed_out:
        return f"it reached the {timeout:g} s time limit"
    if r.signal is not None:
        return f"it was killed by {r.killed_by}"
    return f"it exited with code {r.returncode}"


def _printed(r: sandbox.RunResult | None, label: str = "what your code printed") -> str:
    """The end of a process's stdout/stderr (bounded), labelled; empty when it printed nothing."""
    text = r.output.rstrip() if r is not None else ""
    if not text.strip():
        return ""
    lines = text.splitlines()
    tail = lines[-PRINTED_LINES:]
    while len(tail) > 1 and sum(len(line) + 1 for line in tail) > PRINTED_CHARS:
        tail = tail[1:]
    shown = "\n".join(tail)[-PRINTED_CHARS:]
    which = f" (the last {len(tail)} of {len(lines)} lines)" if len(tail) < len(lines) else ""
    return f"\n\n{label}{which}:\n" + "\n".join("  | " + line for line in shown.splitlines())


def _process_failure(run: _Run, exercise: str, timeout: float) -> tuple[str, str]:
    """The full message of a process that ended before a case had its result, and a short form."""
    r = run.result
    if r is None:
        return "your code did not run", "your code did not run"
    if r.timed_out:
        return (f"your code did not finish within the {timeout:g} s time limit for '{exercise}' "
                f"(an infinite loop, or far too much work?); this and later cases got no result",
                f"the {timeout:g} s time limit was reached")
    if r.signal is not None:
        name = r.killed_by
        why = {"SIGKILL": "it was killed (most often: it used more memory than the limit)",
               "SIGXCPU": "it used more CPU time than the limit", "SIGXFSZ": "it wrote a file larger than the limit",
               "SIGSEGV": "it crashed (segmentation fault)", "SIGABRT": "it aborted"}.get(name, f"signal {name}")
        return f"the process running your code ended before this case: {why}", f"the process ended: {why}"
    if r.returncode not in (0, None):
        return (f"the process running your code exited with code {r.returncode} before this case "
                f"(sys.exit or os._exit in your code?)", f"the process exited with code {r.returncode}")
    return ("your code ended the process before this case produced a result (os._exit?)",
            "the process ended early")


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
        same = judges.MATCHERS.get(case.judge)
        if same(got, mutant) if same else judges.JUDGES[case.judge](case, got, mutant, ctx).passed:
            return m.name
    return None


def _syntax_message(v: policy.Violation) -> tuple[str, str]:
    lines = [f"{v.file}, line {v.line}: {v.what}" if v.line else f"{v.file}: {v.what}"]
    if v.text.strip():
        text = v.text.expandtabs(4)
        lines.append("    " + text)
        if 0 < v.col <= len(text) + 1:
            lines.append("    " + " " * (v.col - 1) + "^")
    lines.append("Python cannot read this file, so this exercise was not run (the other exercises were graded). "
                 "Fix that line, or the one before it (an unclosed bracket or quote often shows up a line "
                 "later), and check again.")
    return "\n".join(lines), f"syntax error in {v.file}, line {v.line}"


def _missing_file(exercise: str, cases: list[Case], exercises_dir: Path,
                  skipped: dict[str, str]) -> list[TestResult] | None:
    """Every case failed, with one message, when the submission has no ``exercises/<exercise>.py`` to run
    (absent, or ``skipped`` by the copy: a link, a FIFO, too large); None when the file is there."""
    if not cases or (exercises_dir / f"{exercise}.py").is_file():
        return None
    reason = skipped.get(f"{exercise}.py", "the submission has no such file")
    msg = (f"exercises/{exercise}.py was not graded ({reason})\n"
           f"Submit the exercise as a regular file exercises/{exercise}.py (its stub, filled in).")
    failed = [TestResult(c.id, exercise, c.title, 0.0, c.points, "failed", msg, c.visibility) for c in cases]
    _say_once(failed, [("missing", msg.splitlines()[0])] * len(failed))
    return failed


def _policy_failures(exercise: str, cases: list[Case], exercises_dir: Path) -> list[TestResult] | None:
    violations = policy.scan_package(exercises_dir, [exercise])[exercise]
    if not violations:
        return None
    syntax = [v for v in violations if v.kind == "syntax"]
    if syntax:
        msg, short = _syntax_message(syntax[0])
    else:
        text = "\n".join(str(v) for v in violations[:5])
        msg = ("this exercise was not run: its code uses something an exercise may not use\n" + text +
               "\nImplement the exercise with ordinary NumPy / PyTorch code and submit again.")
        short = f"the static check refused {violations[0]}"
    failed = [TestResult(c.id, exercise, c.title, 0.0, c.points, "failed", msg, c.visibility) for c in cases]
    _say_once(failed, [("policy", short)] * len(failed))
    return failed


def _carrier(tests: list[TestResult]) -> TestResult:
    """The case that tells a story in full: the first visible one (students see it now), else the first."""
    return next((t for t in tests if t.visibility == "visible"), tests[0])


def _say_once(tests: list[TestResult], causes: list[tuple[str, str] | None]) -> None:
    """One full message per cause; the other cases it took get a one-line pointer to it."""
    by_cause: dict[str, list[tuple[TestResult, str]]] = {}
    for t, cause in zip(tests, causes):
        if cause is not None and not t.passed:
            by_cause.setdefault(cause[0], []).append((t, cause[1]))
    for group in by_cause.values():
        carrier = _carrier([t for t, _ in group])
        for t, short in group:
            if t is not carrier:
                t.output = f"not run: see {carrier.id} ({short})"


def _credit(candidates: list[tuple[TestResult, str]], tests: list[TestResult]) -> None:
    """Pass the cases whose only fault is a catalogued mistake charged on other cases, once one of
    those cases has charged it: the mistake then shows where it belongs. Where it does not (the
    student's code only looks like it on this case), the case stays failed and the name is dropped."""
    by_id = {t.id: t for t in tests}
    for t, name in candidates:
        m = mistakes.BY_NAME[name]
        homes = [by_id[c] for c in m.charged_on if c in by_id]
        if any(h.mistake == name and not h.passed for h in homes):
            t.status, t.score = "passed", t.max_score
            t.output = (f"passed: apart from [{m.name}] ({m.title}), which is charged on {', '.join(m.charged_on)} "
                        "only, this case's behaviour is right (your result is the reference's with that one mistake)")
            if t.visibility != "visible":
                t.output = f"{HIDDEN_POLICY}.\n{t.output}"
            t.symptom = None
            continue
        t.mistake = None
        lines = t.output.split("\n")
        t.output = "\n".join(line for line in lines if not line.startswith((f"likely mistake [{name}]", f"hint: {m.hint}")))
        if t.visibility == "visible" and judges.HINTS.get(_judge_of(t)):
            t.output = t.output.replace("\nto reproduce it", f"\nhint: {judges.HINTS[_judge_of(t)]}\nto reproduce it", 1)


def _judge_of(t: TestResult) -> str:
    return next((c.judge for c in PUBLIC if c.id == t.id), "")


def _diagnose_once(failed: list[TestResult]) -> None:
    """A named mistake's hint and a symptom's explanation in full once, on the first case that shows it;
    the other cases keep their own values and inputs and point there."""
    first: dict[str, TestResult] = {}
    for t in failed:
        for key in filter(None, (t.mistake and "m:" + t.mistake, t.symptom and "s:" + t.symptom)):
            first.setdefault(key, _carrier([u for u in failed if key in (f"m:{u.mistake}", f"s:{u.symptom}")]))
    for t in failed:
        lines, out = t.output.split("\n"), []
        for line in lines:
            if t.symptom and line.startswith(f"diagnosis [{t.symptom}]: ") and first[f"s:{t.symptom}"] is not t:
                line = f"diagnosis [{t.symptom}]: see {first[f's:{t.symptom}'].id}"
            elif t.mistake and first[f"m:{t.mistake}"] is not t:
                if line.startswith(f"hint: {mistakes.BY_NAME[t.mistake].hint}"):
                    continue
                if line.startswith(f"likely mistake [{t.mistake}]: "):
                    line += f" (hint: see {first[f'm:{t.mistake}'].id})"
            out.append(line)
        t.output = "\n".join(out)


def _judge_case(c: Case, run: _Run, expected: Any, opts: Options,
                device: str) -> tuple[TestResult, tuple[str, str] | None]:
    """The verdict on one case, and the cause it shares with other cases (None: its own)."""
    ctx = judges.Context(device=device)
    timeout = opts.timeout or config.TIMEOUT[c.exercise]
    record = run.observations.get(c.id)
    mistake, cause, symptom = None, None, None
    if run.import_error:
        status = False
        msg = f"importing exercises/{c.exercise}.py failed with {run.import_error}:\n{run.import_message}"
        cause = ("import", f"importing exercises/{c.exercise}.py failed with {run.import_error}")
    elif record is None:
        status = False
        msg, short = _process_failure(run, c.exercise, timeout)
        cause = ("process", short)
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
        status, msg, mistake, symptom = verdict.passed, verdict.message, verdict.mistake, verdict.symptom
        if not status and mistake is None and opts.name_mistakes:
            try:
                mistake = _name_mistake(c, record.get("value"), expected, ctx)
            except Exception:  # noqa: BLE001
                mistake = None
            if mistake and _credited(c, mistakes.BY_NAME[mistake]):
                cause = ("credit", mistake)  # decided once every case is judged (_credit)
    if status:
        symptom = None
    if symptom:
        msg = f"{msg}\ndiagnosis [{symptom}]: {judges.SYMPTOMS[symptom]}"
    if mistake:
        m = mistakes.BY_NAME[mistake]
        msg = f"{msg}\nlikely mistake [{m.name}]: {m.title}.\nhint: {m.hint}"
    elif not status and not symptom and record is not None and record.get("ok") and c.judge in judges.HINTS:
        msg = f"{msg}\nhint: {judges.HINTS[c.judge]}"
    if status and c.visibility != "visible":
        msg = f"passed; {HIDDEN_POLICY}."
    if not status and (cause is None or cause[0] == "credit"):
        if c.visibility != "visible":
            error = None if record is None or record.get("ok") else str(record.get("error"))
            msg = _hidden_message(mistake, symptom, error)
        elif record is not None and record.get("error") != "NotImplementedError":
            msg = f"{msg}\n{_reproduce(c)}"
    result = TestResult(c.id, c.exercise, c.title, c.points if status else 0.0, c.points,
                        "passed" if status else "failed", msg, c.visibility, mistake, _seconds(record), symptom)
    return result, cause


def _seconds(record: Any) -> float:
    seconds = record.get("seconds", 0.0) if isinstance(record, dict) else 0.0
    return float(seconds) if isinstance(seconds, (int, float)) else 0.0


def _credited(case: Case, mistake: mistakes.Mistake) -> bool:
    """Whether a case whose only fault is ``mistake`` passes: the mistake is charged on other cases."""
    return bool(mistake.charged_on) and case.id not in mistake.charged_on


HIDDEN_POLICY = ("this is a hidden test: you see its category (the title above) and whether it passed, "
                 "never its inputs or values")


def _hidden_message(mistake: str | None, symptom: str | None, error: str | None) -> str:
    """What a failed hidden case may say: its category (the title, shown beside it), what kind of fault
    (an exception's type, a symptom, a named mistake and its hint), never inputs or values."""
    lines = [f"failed; {HIDDEN_POLICY}."]
    if error == "NotImplementedError":
        lines.append("not implemented yet")
    elif error:
        lines.append(f"your code raised {error} on it")
    if symptom:
        lines.append(f"diagnosis [{symptom}]: {judges.SYMPTOMS[symptom]}")
    if mistake:
        m = mistakes.BY_NAME[mistake]
        lines.append(f"likely mistake [{m.name}]: {m.title}.\nhint: {m.hint}")
    return "\n".join(lines)


def _literal(value: Any) -> str:
    """``value`` as Python source (NaN and infinities included)."""
    if isinstance(value, float) and not math.isfinite(value):
        return f"float({str(value)!r})"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{_literal(k)}: {_literal(v)}" for k, v in value.items()) + "}"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_literal(v) for v in value) + "]"
    return repr(value)


def _reproduce(case: Case) -> str:
    """The case's inputs as a snippet that reruns it on the student's code, from the course folder."""
    args = "".join(f", {k}={_literal(v)}" for k, v in case.args.items())
    factory = graded.load(case.exercise).torch_reference if case.reference == "torch" else None
    library = vars(factory).get("__name__", "torch") if isinstance(factory, type) else "torch"  # its module's name
    return ("to reproduce it (from the course folder; add prints to your code, or compare with the reference "
            f"{library if case.reference == 'torch' else 'values above'}):\n"
            f"    from autograder.graded.{case.exercise}.probes import {case.probe}\n"
            f"    import exercises.{case.exercise} as mine\n"
            f"    observed = {case.probe}(mine{args})")


def _visible_and_hidden(cases: list[Case]) -> list[list[Case]]:
    """An exercise's cases as the processes that run them: the visible ones, then the hidden ones.

    The hidden cases' inputs are never in the process whose printed output a student may read: code
    that prints its inputs (or the request it was given) shows the visible cases' only."""
    groups = ([c for c in cases if c.visibility == "visible"], [c for c in cases if c.visibility != "visible"])
    return [g for g in groups if g]


def _judge_exercise(cases: list[Case], visible: _Run | None, hidden: _Run | None, expected: dict[str, Any],
                    opts: Options, device: str) -> list[TestResult]:
    """The verdicts on one exercise's cases: the visible ones from the ``visible`` process, the hidden
    ones from the ``hidden`` process; what the code printed is shown from the visible process only."""
    def run_of(c: Case) -> _Run:
        return hidden if c.visibility != "visible" and hidden is not None else visible

    judged = [_judge_case(c, run_of(c), expected[c.id], opts, device) for c in cases]
    _credit([(t, cause[1]) for t, cause in judged if cause and cause[0] == "credit"], [t for t, _ in judged])
    judged = [(t, None if cause and cause[0] == "credit" else cause) for t, cause in judged]
    tests = [t for t, _ in judged]
    failed = [t for t in tests if not t.passed]
    _say_once(tests, [cause for _, cause in judged])
    _diagnose_once(failed)
    printed = _printed(visible.result) if visible is not None else ""
    if failed and printed:  # once per exercise, where the student reads first
        carrier = _carrier(failed)
        carrier.output = carrier.output.rstrip() + printed
    return tests


def grade_exercises(cases_by_exercise: dict[str, list[Case]], exercises_dir: Path, opts: Options,
                    device: str, notes: list[str] | None = None, scratch: Path | None = None,
                    timings: dict | None = None, skipped: dict[str, str] | None = None) -> list[TestResult]:
    """Grade several exercises: references first, then the students' processes side by side, then judges.

    Raises :class:`~autograder.environment.GraderEnvironmentError` when a student's process could not
    even start the grader's side of it (no torch there, say): that is no verdict on the student.
    ``timings`` receives where the time went (seconds; the processes' times summed over exercises);
    ``skipped``: the files the copy of the submission left out, and why (:func:`copy_exercises`).
    """
    from concurrent.futures import ThreadPoolExecutor

    timings = {} if timings is None else timings
    clock = time.perf_counter()
    results: dict[str, list[TestResult]] = {}
    todo: dict[str, list[Case]] = {}
    for exercise, cases in cases_by_exercise.items():
        cases = [on_device(c, device) for c in cases]
        failed = _missing_file(exercise, cases, exercises_dir, skipped or {})
        if failed is None and opts.static_policy:
            failed = _policy_failures(exercise, cases, exercises_dir)
        if failed is not None:
            results[exercise] = failed
        else:
            todo[exercise] = cases
    timings["static check"] = time.perf_counter() - clock
    jobs = max(1, min(len(todo), opts.jobs or os.cpu_count() or 1))
    with ThreadPoolExecutor(max_workers=jobs + 1) as pool, _warm_interpreter(list(todo), opts, device, pool) as zygote:
        # every reference value is computed before any student code runs (the zygote imports torch meanwhile)
        clock = time.perf_counter()
        expected = expected_observations([c for cases in todo.values() for c in cases], cache=opts.reference_cache)
        timings["reference"] = time.perf_counter() - clock
        zygote = zygote()
        timings["warm interpreter start"] = time.perf_counter() - clock - timings["reference"]
        clock = time.perf_counter()
        futures = {(e, group[0].visibility == "visible"): pool.submit(_run_student, e, group, exercises_dir, opts,
                                                                       device, scratch, zygote)
                   for e, cases in todo.items() for group in _visible_and_hidden(cases)}
        by_group = {key: f.result() for key, f in futures.items()}
        timings["processes (wall)"] = time.perf_counter() - clock
    runs = list(by_group.values())
    student = sum(_seconds(r) for run in runs for r in run.observations.values())
    timings["student code"] = student
    timings["sandbox"] = sum(run.result.seconds for run in runs if run.result) - student
    clock = time.perf_counter()
    broken = list(dict.fromkeys(e for (e, _), run in by_group.items() if run.harness_error))
    if broken:
        also = f"\n(the processes for {', '.join(broken[1:])} failed as well)" if broken[1:] else ""
        first = next(run for (e, _), run in by_group.items() if e == broken[0] and run.harness_error)
        raise environment.problem(
            first.harness_error + also,
            advice="The grader's own process imports NumPy and torch, so the sandboxed process sees another "
            "installation or has too little room: try --isolation process (bubblewrap may hide the "
            "installation), a larger --memory-mb or --timeout"
            + ("." if environment.in_course_venv() else ", or the course's environment.\n" + environment.how_to_run()))
    for exercise, cases in todo.items():
        results[exercise] = _judge_exercise(cases, by_group.get((exercise, True)), by_group.get((exercise, False)),
                                            expected, opts, device)
    timings["judging"] = time.perf_counter() - clock
    if notes is not None:  # results that could not be read reach the report
        for (exercise, _), run in by_group.items():
            if run.malformed and f"{exercise}: {run.malformed}" not in notes:
                notes.append(f"{exercise}: {run.malformed}")
    return [t for e in cases_by_exercise for t in results[e]]


def grade(submission: Path, opts: Options | None = None) -> Report:
    """Grade one submission folder. Raises only for a grader misconfiguration, never for student code.

    :class:`~autograder.environment.GraderEnvironmentError` means the grader cannot run here (no
    torch, no sandbox when bubblewrap was demanded...); ``ValueError``/``RuntimeError``, bad options.
    """
    opts = opts or Options()
    environment.check_python()  # before anything imports torch, and before any student code runs
    sandbox.become_subreaper()
    start = time.perf_counter()
    device = resolve_device(opts.device)
    isolation = sandbox.resolve_isolation(opts.isolation)
    cases = list(PUBLIC) if opts.public else []
    for path in opts.hidden:
        cases.extend(load_hidden(path))
    if opts.selection is not None:
        cases = opts.selection.apply(cases)
    report = Report(isolation=isolation, device=device)
    from .personal import personalize

    cases, drawn = personalize(cases, opts.student)
    if drawn:
        report.extra["student"] = opts.student
        report.extra["hidden_inputs"] = drawn
    elif any(c.vary for c in cases):
        report.notes.append("no student identity (--student-id or Gradescope's metadata): the hidden cases "
                            "with per-student inputs used their default inputs")
    try:
        exercises_dir = find_exercises_dir(Path(submission))
    except SubmissionError as exc:
        for c in select(cases, list(opts.exercises)):
            report.tests.append(TestResult(c.id, c.exercise, c.title, 0.0, c.points, "failed", str(exc), c.visibility))
        report.notes.append(str(exc))
        report.execution_time = time.perf_counter() - start
        return report
    by_exercise = {e: select(cases, [e]) for e in opts.exercises}
    with _scratch() as scratch:
        copy = scratch / "submission" / "exercises"  # what the static check and every sandbox read
        skipped = copy_exercises(exercises_dir, copy)
        report.notes.extend(f"skipped {rel} ({why})" for rel, why in skipped.items())
        report.tests.extend(grade_exercises(by_exercise, copy, opts, device, report.notes, scratch,
                                            report.timings, skipped))
    report.execution_time = time.perf_counter() - start
    return report


@contextlib.contextmanager
def _warm_interpreter(exercises: list[str], opts: Options, device: str, pool):
    """Yields a function that returns the zygote to run these exercises in, or None (the cold path).

    ``opts.zygote`` when given (a batch's); else, with ``opts.warm`` under bubblewrap, one started in
    ``pool`` now and closed at the end. Where it cannot start, the cold path grades as before.
    """
    from . import warm

    if opts.zygote is not None:  # a Zygote, or a warm.Shared (None when it cannot start)
        yield opts.zygote.get
        return
    if not exercises or not opts.warm or sandbox.resolve_isolation(opts.isolation) != "bwrap":
        yield lambda: None
        return
    future = pool.submit(warm.start, exercises, _hidden_paths(), device, opts.warm == "server")
    try:
        yield lambda: future.result()
    finally:
        zygote = future.result()
        if zygote is not None:
            zygote.close()


_scratch_lock = threading.Lock()
_scratch_state: dict = {"users": 0, "root": None, "previous": None}


@contextlib.contextmanager
def _scratch():
    """One folder for every temporary file of this run, removed afterwards.

    The students' processes get folders inside it (their TMPDIR too); the probes that run here, on
    the reference and on the catalogued mistakes, make their temporary files in it as well. Gradings
    running side by side in this process (a batch's workers) share one parent folder as Python's
    temporary folder, set by the first and restored by the last.
    """
    with _scratch_lock:
        state = _scratch_state
        if state["users"] == 0:
            state["root"] = tempfile.mkdtemp(prefix="autograder-")
            state["previous"] = tempfile.tempdir
            tempfile.tempdir = state["root"]
        state["users"] += 1
        folder = Path(tempfile.mkdtemp(dir=state["root"]))
    try:
        yield folder
    finally:
        sandbox.remove_tree(folder)
        with _scratch_lock:
            state["users"] -= 1
            if state["users"] == 0:
                tempfile.tempdir = state["previous"]
                sandbox.remove_tree(state["root"])
                state["root"] = None
