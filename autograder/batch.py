"""Grade a class: every submission of a folder, side by side, resumable; a gradebook and a summary.

A submission is a folder or a zip file (as Gradescope and Canvas export them); the student's name
is the folder's or the zip's. Zips are extracted into a scratch folder, member by member: no
absolute paths, no ``..``, no links, capped in count and size. Each student is graded by a separate
``python -m autograder grade`` process with its own wall-clock limit on top of the grader's
per-exercise limits, so a submission that hangs, crashes or attacks costs its own time only; where
a warm interpreter can isolate each exercise's process (bubblewrap with user namespaces, see
``warm.py``), the workers grade in this process instead, and every student's code runs in forks of
that one interpreter, each with its own per-exercise limits.

``OUT/results/<student>.json`` (Gradescope's format) and ``OUT/status/<student>.json`` (ok or
error, times) are written atomically, the status first: a student whose results file exists and
is valid is done, and a rerun after Ctrl-C or a kill grades only the others. The gradebook
(``gradebook.csv``), ``summary.md`` and ``scores.png`` are written from the results files at the end.
With ``--shard K/N`` only one slice of the class is graded; ``shards.py`` says which, and joins the slices.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import signal
import statistics
import subprocess
import sys
import threading
import time
import zipfile
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import asdict, dataclass, field
from pathlib import Path

from . import config, sandbox
from .results import Report, write_atomic

PACKAGE_ROOT = Path(__file__).resolve().parents[1]  # where ``python -m autograder`` finds this package
MAX_ZIP_MEMBERS = 2000
MAX_ZIP_BYTES = 50 * 2**20  # uncompressed, in all
MAX_MEMBER_BYTES = 5 * 2**20
GRACE_S = 300.0  # on top of the per-exercise limits: start-up, references, judging


class UnsafeArchive(ValueError):
    """A zip that cannot be extracted within the caps."""


@dataclass(frozen=True)
class Submission:
    student: str
    source: Path


@dataclass
class BatchOptions:
    submissions: Path
    out: Path
    jobs: int = 1
    grade_args: tuple[str, ...] = ()  # passed through to ``python -m autograder grade``
    student_timeout: float = 600.0
    progress: bool = True
    gradebook: object = None  # gradebook.GradebookOptions: Canvas CSV, late penalties, reports
    shard: object = None  # shards.Shard: grade only its slice of the class (None: everyone)
    # grade in this process, the students' code in forks of a shared warm interpreter (cli._InProcess):
    # (root, results, junit, student) -> (exit status, log). None: one ``grade`` process per student
    in_process: object = None
    once_timings: dict = field(default_factory=dict)  # the batch's own start-up: written to OUT/timings.json


@dataclass
class Outcome:
    student: str
    status: str  # "ok" or "error"
    exit_code: int | None
    seconds: float  # wall time of the student's grading, extraction included
    checks_seconds: float = 0.0  # the time the student's code ran in its tests (JUnit times)
    score: float = 0.0
    max_score: float = 0.0
    error: str = ""
    notes: list[str] = field(default_factory=list)
    started: float = 0.0  # time.time() when grading began and ended (to see what ran side by side)
    finished: float = 0.0
    timings: dict = field(default_factory=dict)  # where the time went (grader.grade's report.timings), in this process


# ------------------------------------------------------------------------------ discovery ---
def student_name(name: str) -> str:
    """A file-name-safe id from a folder or zip name."""
    stem = name[:-4] if name.lower().endswith(".zip") else name
    return re.sub(r"[^A-Za-z0-9._-]+", "_", stem).strip("._-")[:100] or "student"


def discover(folder: Path) -> list[Submission]:
    """The submissions in ``folder``: its sub-folders and zip files (hidden entries and others ignored)."""
    folder = Path(folder)
    if not folder.is_dir():
        raise ValueError(f"{folder} is not a folder of submissions")
    out, seen = [], set()
    for entry in sorted(folder.iterdir()):
        if entry.name.startswith(".") or entry.is_symlink():
            continue
        if not (entry.is_dir() or (entry.is_file() and entry.suffix.lower() == ".zip")):
            continue
        name, n = student_name(entry.name), 2
        base = name
        while name in seen:  # "ada" and "ada.zip": both graded, under distinct names
            name, n = f"{base}-{n}", n + 1
        seen.add(name)
        out.append(Submission(name, entry))
    return out


# ----------------------------------------------------------------------------- extraction ---
def _safe_member_path(name: str) -> Path | None:
    if "\\" in name or name.startswith("/") or re.match(r"^[A-Za-z]:", name) or "\x00" in name:
        return None
    parts = [p for p in name.split("/") if p not in ("", ".")]
    if not parts or any(p == ".." for p in parts):
        return None
    return Path(*parts)


def extract_zip(archive: Path, dest: Path) -> list[str]:
    """Extract ``archive`` into ``dest`` safely; return notes on what was skipped. Raises UnsafeArchive."""
    notes: list[str] = []
    try:
        z = zipfile.ZipFile(archive)
    except (zipfile.BadZipFile, OSError) as exc:
        raise UnsafeArchive(f"{archive.name} is not a readable zip file ({exc})") from None
    with z:
        members = z.infolist()
        if len(members) > MAX_ZIP_MEMBERS:
            raise UnsafeArchive(f"{archive.name} holds {len(members)} files (more than {MAX_ZIP_MEMBERS})")
        total = 0
        for info in members:
            rel = _safe_member_path(info.filename)
            mode = info.external_attr >> 16
            if rel is None:
                notes.append(f"skipped {info.filename!r} in {archive.name} (an absolute path or '..')")
                continue
            if (mode & 0o170000) not in (0, 0o100000, 0o040000):  # links, devices, fifos
                notes.append(f"skipped {info.filename!r} in {archive.name} (a link or a special file)")
                continue
            target = dest / rel
            if info.is_dir():
                target.mkdir(parents=True, exist_ok=True)
                continue
            if info.file_size > MAX_MEMBER_BYTES:
                notes.append(f"skipped {info.filename!r} in {archive.name} (larger than {MAX_MEMBER_BYTES >> 20} MB)")
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            if target.parent.resolve() != (dest / rel.parent).resolve() or target.is_symlink():
                notes.append(f"skipped {info.filename!r} in {archive.name} (its folder is not a plain folder)")
                continue
            written = 0
            # the header's size is the archive's claim: count the bytes actually inflated
            with z.open(info) as src, open(target, "wb") as dst:
                while chunk := src.read(1 << 16):
                    written += len(chunk)
                    total += len(chunk)
                    if written > MAX_MEMBER_BYTES or total > MAX_ZIP_BYTES:
                        raise UnsafeArchive(f"{archive.name} inflates to more than its size limits "
                                            f"({MAX_MEMBER_BYTES >> 20} MB a file, {MAX_ZIP_BYTES >> 20} MB in all)")
                    dst.write(chunk)
    return notes


def submission_root(folder: Path, depth: int = 3) -> Path:
    """The shallowest folder under ``folder`` that looks like a copy of the course or its exercises/."""
    names = {f"{e}.py" for e in config.EXERCISES}
    level = [folder]
    for _ in range(depth + 1):
        for d in level:
            if (d / "exercises").is_dir() or any((d / n).is_file() for n in names):
                return d
        level = sorted(c for d in level for c in d.iterdir() if c.is_dir() and not c.is_symlink()
                       and not c.name.startswith(".") and c.name != "__MACOSX")
    return folder  # the grader then says what is missing


# -------------------------------------------------------------------------------- results ---
def read_results(path: Path) -> dict | None:
    """The results file if it is complete Gradescope JSON, else None."""
    try:
        data = json.loads(Path(path).read_text())
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or not isinstance(data.get("tests"), list):
        return None
    if not all(isinstance(data.get(k), (int, float)) for k in ("score", "max_score")):
        return None
    return data


def read_status(path: Path) -> dict | None:
    try:
        data = json.loads(Path(path).read_text())
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) and data.get("status") in ("ok", "error") else None


def is_done(out: Path, student: str) -> bool:
    return (read_results(out / "results" / f"{student}.json") is not None
            and read_status(out / "status" / f"{student}.json") is not None)


def _junit_seconds(path: Path) -> float:
    import xml.etree.ElementTree as ET

    try:
        return sum(float(c.get("time", 0)) for c in ET.parse(path).getroot().iter("testcase"))
    except (OSError, ET.ParseError, ValueError):
        return 0.0


# -------------------------------------------------------------------------------- grading ---
class _Processes:
    """The grading processes running now, so that an interrupt can end them (and only them)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.running: dict[int, subprocess.Popen] = {}
        self.stopping = threading.Event()

    def kill_all(self) -> None:
        with self.lock:
            procs = list(self.running.values())
        for p in procs:
            kill_tree(p.pid)


def _descendants(pid: int) -> list[int]:
    from .sandbox import _children_of

    out, frontier = [], [pid]
    while frontier:
        children = [c for p in frontier for c in _children_of(p)]
        out += children
        frontier = children
    return out


def kill_tree(pid: int) -> None:
    """SIGKILL a grading process, its process group and every descendant (sandboxes have their own)."""
    victims = _descendants(pid)
    for target in (pid, *victims):
        try:
            os.kill(target, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
    try:
        os.killpg(pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def grade_one(sub: Submission, opts: BatchOptions, procs: _Processes) -> Outcome:
    """Grade one student in a separate process; never raises for anything the submission does."""
    start = time.perf_counter()
    work = opts.out / "scratch" / sub.student
    outcome = Outcome(sub.student, "error", None, 0.0, started=time.time())
    try:
        sandbox.remove_tree(work)
        work.mkdir(parents=True)
        if sub.source.is_dir():
            root = submission_root(sub.source)
        else:
            files = work / "files"
            files.mkdir()
            outcome.notes += extract_zip(sub.source, files)
            root = submission_root(files)
        results, junit, log = work / "results.json", work / "junit.xml", work / "grade.log"
        if procs.stopping.is_set():
            raise InterruptedError("the batch was interrupted")
        if opts.in_process is not None:
            returncode, text, outcome.timings = opts.in_process(root, results, junit, sub.student)
            log.write_text(text)
        else:
            returncode = _grade_in_a_process(root, results, junit, log, sub, opts, procs, outcome)
        if procs.stopping.is_set():
            raise InterruptedError("the batch was interrupted")
        outcome.exit_code = returncode
        data = read_results(results)
        if data is None and not outcome.error:
            tail = log.read_text(errors="replace")[-1500:] if log.exists() else ""
            outcome.error = f"the grader exited with code {returncode} and wrote no results\n{tail}"
        if data is not None and returncode == 0 and not outcome.error:
            outcome.status = "ok"
        elif data is not None and not outcome.error:
            outcome.error = f"the grader exited with code {returncode}: {data.get('output', '')[:500]}"
        outcome.checks_seconds = _junit_seconds(junit)
    except InterruptedError:
        raise
    except UnsafeArchive as exc:
        outcome.error = str(exc)
        data = None
    except Exception as exc:  # noqa: BLE001 - one student's failure never stops the batch
        outcome.error = f"the batch could not grade this submission: {type(exc).__name__}: {exc}"
        data = None
    if data is None:  # still a valid Gradescope file: score 0 and the reason
        data = Report(notes=[f"not graded: {outcome.error}"]).to_gradescope()
    if outcome.notes:
        data["output"] = "\n".join(outcome.notes + [str(data.get("output", ""))])
    outcome.score, outcome.max_score = float(data["score"]), float(data["max_score"])
    outcome.seconds, outcome.finished = time.perf_counter() - start, time.time()
    status = {k: v for k, v in asdict(outcome).items()}
    status["source"] = str(sub.source)
    write_atomic(opts.out / "status" / f"{sub.student}.json", json.dumps(status, indent=2) + "\n")
    write_atomic(opts.out / "results" / f"{sub.student}.json", json.dumps(data, indent=2) + "\n")
    sandbox.remove_tree(work)
    return outcome


def _grade_in_a_process(root: Path, results: Path, junit: Path, log: Path, sub: Submission, opts: BatchOptions,
                        procs: _Processes, outcome: Outcome) -> int | None:
    """``python -m autograder grade`` for one student, within the batch's limit per student; its exit status."""
    cmd = [sys.executable, "-m", "autograder", "grade", "--submission", str(root), "--out", str(results),
           "--junit", str(junit), *opts.grade_args, "--student-id", sub.student]
    with open(log, "wb") as logf, procs.lock:
        if procs.stopping.is_set():  # checked under the lock: kill_all cannot miss a process
            raise InterruptedError("the batch was interrupted")
        proc = subprocess.Popen(cmd, cwd=PACKAGE_ROOT, stdin=subprocess.DEVNULL, stdout=logf,
                                stderr=subprocess.STDOUT, start_new_session=True)
        procs.running[proc.pid] = proc
    try:
        proc.wait(timeout=opts.student_timeout)
    except subprocess.TimeoutExpired:
        kill_tree(proc.pid)
        proc.wait()
        outcome.error = (f"grading took longer than the batch's limit of {opts.student_timeout:g} s per "
                         "student and was stopped")
    finally:
        with procs.lock:
            procs.running.pop(proc.pid, None)
    return proc.returncode


def _log(out: Path, line: str) -> None:
    with open(out / "batch.log", "a", encoding="utf-8") as f:
        f.write(f"{time.strftime('%Y-%m-%dT%H:%M:%S')} {line}\n")


def run(opts: BatchOptions) -> int:
    """Grade every submission not yet done; write the gradebook and the summary. Returns an exit code."""
    from tqdm import tqdm

    subs = discover(opts.submissions)
    opts.out.mkdir(parents=True, exist_ok=True)
    where = f"{len(subs)} submissions in {opts.submissions}"
    if opts.shard is not None:  # this machine's slice of the class; shard.json first (shards.py)
        try:
            subs = opts.shard.begin(opts.out, subs)
        except ValueError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
        where = f"shard {opts.shard}: {len(subs)} of {where}"
    todo = [s for s in subs if not is_done(opts.out, s.student)]
    head = (f"{where}: {len(subs) - len(todo)} already graded, "
            f"{len(todo)} to grade with {opts.jobs} worker(s)")
    print(head, flush=True)
    _log(opts.out, head)
    procs = _Processes()
    previous = signal.signal(signal.SIGTERM, _raise_interrupt) if threading.current_thread() is threading.main_thread() else None
    pool = ThreadPoolExecutor(max_workers=max(1, opts.jobs))
    try:
        futures = {pool.submit(grade_one, s, opts, procs): s for s in todo}
        with tqdm(total=len(todo), unit="student", disable=not opts.progress, file=sys.stderr) as bar:
            for future in as_completed(futures):
                try:
                    o = future.result()
                except InterruptedError:
                    continue
                line = (f"graded {o.student}: {o.status} {o.score:g}/{o.max_score:g} in {o.seconds:.1f} s"
                        + (f" ({o.error.splitlines()[0]})" if o.error else ""))
                _log(opts.out, line)
                bar.write(line)
                bar.update(1)
    except KeyboardInterrupt:
        procs.stopping.set()
        pool.shutdown(wait=False, cancel_futures=True)
        procs.kill_all()
        if opts.in_process is not None:  # ends the running students' processes; their gradings are dropped
            opts.in_process.close()
        pool.shutdown(wait=True)
        msg = "interrupted: what was graded is kept; run the same command again to grade the rest"
        _log(opts.out, msg)
        print(msg, file=sys.stderr)
        return 130
    finally:
        pool.shutdown(wait=True)
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)
    sandbox.remove_tree(opts.out / "scratch")
    if opts.once_timings:  # bench/bench_batch.py reads it with the status files' timings
        write_atomic(opts.out / "timings.json", json.dumps({"once": opts.once_timings, "in_process":
                                                             opts.in_process is not None}, indent=2) + "\n")
    rows = write_gradebook(subs, opts.out)
    print(f"gradebook: {opts.out / 'gradebook.csv'} ({len(rows)} students); summary: {opts.out / 'summary.md'}")
    from . import gradebook

    try:  # cases.csv, insight, reports/, late.csv, canvas.csv: derived from results/, never changing it
        written = gradebook.write_class_files(opts.out, opts.gradebook or gradebook.GradebookOptions(),
                                              [s.student for s in subs])
    except gradebook.GradebookError as exc:
        print(f"error: {exc}\nthe grading is kept; fix the input and run `python -m autograder gradebook "
              f"{opts.out}` (no regrading)", file=sys.stderr)
        return 2
    print(f"also: {', '.join(written)}")
    return 0


def _raise_interrupt(signum, frame):
    raise KeyboardInterrupt


# --------------------------------------------------------------------------- the gradebook ---
def _exercise_of(test: dict) -> str | None:
    return (test.get("tags") or [None])[0]


def graded_exercises(datas: list[dict]) -> list[str]:
    """The exercises a batch graded (an assignment's, or --exercise's), in the course's order: those with a
    test in some results file; every exercise when there is none."""
    seen = {_exercise_of(t) for d in datas for t in d.get("tests", [])}
    return [e for e in config.EXERCISES if e in seen] or list(config.EXERCISES)


def _row(student: str, out: Path, exercises: list[str]) -> dict:
    data = read_results(out / "results" / f"{student}.json") or {"tests": [], "score": 0, "max_score": 0}
    status = read_status(out / "status" / f"{student}.json") or {"status": "error"}
    row = {"student": student}
    for e in exercises:
        row[e] = f'{sum(t.get("score", 0) for t in data["tests"] if _exercise_of(t) == e):g}'
    row["total"], row["max_score"] = f'{data["score"]:g}', f'{data["max_score"]:g}'
    row["status"] = status["status"]
    return row


def write_gradebook(subs: list[Submission], out: Path) -> list[dict]:
    """``gradebook.csv``, ``summary.md`` and ``scores.png`` from the results files of ``subs``."""
    exercises = graded_exercises([read_results(out / "results" / f"{s.student}.json") or {} for s in subs])
    rows = [_row(s.student, out, exercises) for s in subs]
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=["student", *exercises, "total", "max_score", "status"],
                            lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    write_atomic(out / "gradebook.csv", buffer.getvalue())
    write_atomic(out / "summary.md", summary_markdown(rows, exercises))
    if rows:
        plot_scores([float(r["total"]) for r in rows], max(float(r["max_score"]) for r in rows), out / "scores.png")
    return rows


def histogram(totals: list[float], max_score: float, bins: int = 10) -> list[tuple[float, float, int]]:
    """``bins`` equal bins over [0, max_score]; the last one includes max_score."""
    width = (max_score or 1) / bins
    counts = [0] * bins
    for t in totals:
        counts[min(bins - 1, max(0, int(t // width)))] += 1
    return [(i * width, (i + 1) * width, c) for i, c in enumerate(counts)]


def summary_markdown(rows: list[dict], exercises: list[str] | None = None) -> str:
    exercises = list(config.EXERCISES) if exercises is None else exercises
    totals = [float(r["total"]) for r in rows]
    max_score = max((float(r["max_score"]) for r in rows), default=0.0)
    errors = [r["student"] for r in rows if r["status"] != "ok"]
    lines = ["# Grading summary", "", f"{len(rows)} students graded, {len(rows) - len(errors)} ok, "
             f"{len(errors)} with errors; out of {max_score:g} points.", ""]
    if totals:
        lines += ["| mean | median | min | max | stdev |", "| ---: | ---: | ---: | ---: | ---: |",
                  f"| {statistics.mean(totals):.2f} | {statistics.median(totals):g} | {min(totals):g} | "
                  f"{max(totals):g} | {statistics.pstdev(totals):.2f} |", "",
                  "| exercise | mean |", "| --- | ---: |"]
        lines += [f"| `{e}` | {statistics.mean(float(r[e]) for r in rows):.2f} |" for e in exercises]
        lines += ["", "## Score distribution", "", "| points | students | |", "| --- | ---: | --- |"]
        for i, (lo, hi, n) in enumerate(histogram(totals, max_score)):
            bracket = "]" if i == 9 else ")"
            lines.append(f"| [{lo:g}, {hi:g}{bracket} | {n} | {'#' * n} |")
        lines += ["", "![scores](scores.png)"]
    if errors:
        lines += ["", "## Submissions with errors (see results/ and status/)", ""]
        lines += [f"- `{s}`" for s in errors]
    return "\n".join(lines) + "\n"


def plot_scores(totals: list[float], max_score: float, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 3.5))
    edges = [lo for lo, _, _ in histogram(totals, max_score)] + [max_score or 1]
    ax.hist(totals, bins=edges, color="#4c72b0", edgecolor="white")
    ax.set_xlabel("total score")
    ax.set_ylabel("students")
    ax.set_title(f"{len(totals)} students, mean {statistics.mean(totals):.1f} / {max_score:g}")
    fig.tight_layout()
    tmp = path.with_name(f".{path.name}.tmp.png")
    fig.savefig(tmp, dpi=100)
    plt.close(fig)
    os.replace(tmp, path)
