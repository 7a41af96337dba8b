"""Grade every single-point mutant of a reference solution and count the ones that lose points.

The fast path (the default) grades each mutant with the grader's own probes and judges, the way
``python -m autograder grade`` does, but without starting a sandboxed interpreter per mutant: one
process imports torch and computes the reference's observations once, then forks a child per
mutant. The child builds the mutant module, runs every case's probe on it and judges the result
(as a student's process and the grader's judging would), and reports back through a pipe; a child
that runs past the exercise's time limit is killed, which counts as a loss of points, as the
grader's timeout does. ``--sandbox`` grades a mutant through :func:`autograder.grader.grade`
instead, to check that both paths agree (a test does this on a sample).

A mutant is *killed* when its grade is a normal result with fewer points than the reference's. A
judge that raises on a mutant's observation is a grader bug, reported apart and never a kill.
"""

from __future__ import annotations

import json
import os
import selectors
import signal
import tempfile
import time
import traceback
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Iterable

from .equivalents import Equivalent
from .operators import Mutant, mutants

ROOT = Path(__file__).resolve().parents[2]


@dataclass
class Outcome:
    """What grading one mutant gave: points on the public and on all cases, and what failed."""

    key: str
    public_points: float = 0.0
    all_points: float = 0.0
    failed: list[str] = field(default_factory=list)  # case ids
    timed_out: bool = False
    grader_errors: list[str] = field(default_factory=list)  # "case: judge raised ..." (a grader bug)
    seconds: float = 0.0


@dataclass
class ExerciseSummary:
    exercise: str
    mutants: int
    equivalents: int
    killed_public: int
    killed_all: int
    survivors: list[Mutant]  # neither killed on all cases nor listed as equivalent
    public_survivors: list[Mutant]  # not killed on public cases, not listed
    killed_equivalents: list[str]  # keys listed as equivalent that lost points
    grader_errors: dict[str, list[str]]
    seconds: float

    @property
    def counted(self) -> int:
        return self.mutants - self.equivalents

    @property
    def rate_public(self) -> float:
        return self.killed_public / self.counted if self.counted else 1.0

    @property
    def rate_all(self) -> float:
        return self.killed_all / self.counted if self.counted else 1.0


def solution_source(exercise: str) -> str:
    from ..mistakes import solution_path

    return solution_path(exercise).read_text()


def exercise_mutants(exercise: str) -> list[Mutant]:
    return mutants(solution_source(exercise), exercise)


def cases_for(exercise: str, hidden: Iterable[Path] = ()) -> list:
    from ..cases import PUBLIC, load_hidden

    cases = [c for c in PUBLIC if c.exercise == exercise]
    for path in hidden:
        cases.extend(c for c in load_hidden(path) if c.exercise == exercise)
    return cases


def default_hidden() -> list[Path]:
    path = ROOT / "instructor" / "hidden_cases.json"
    return [path] if path.is_file() else []


def sample(items: list[Mutant], n: int | None, seed: int = 0) -> list[Mutant]:
    """A fixed, deterministic sample of ``n`` mutants (all of them when n is None or too large)."""
    if n is None or n >= len(items):
        return items
    import hashlib

    ranked = sorted(items, key=lambda m: hashlib.sha1(f"{seed}:{m.key}".encode()).hexdigest())
    return sorted(ranked[:n], key=lambda m: (m.line, m.key))


# ----------------------------------------------------------------------------- fast path ------
def _load(mutant: Mutant):
    from ..mistakes import module_from_source

    return module_from_source(f"_mutant_{mutant.key.replace('-', '_')}", mutant.source, f"<mutant {mutant.key}>")


def _grade_in_child(mutant: Mutant, cases: list, expected: dict) -> Outcome:
    """Run inside the forked child: the mutant's probes and the grader's judges."""
    from .. import judges
    from ..inside.codec import dumps, loads
    from ..inside.probing import PROBES

    out = Outcome(mutant.key)
    ctx = judges.Context(device="cpu")
    try:
        module = _load(mutant)
    except BaseException:  # noqa: BLE001 - an import that fails fails every case
        out.failed = [c.id for c in cases]
        return out
    for c in cases:
        try:
            value = loads(dumps(PROBES[c.probe](module, **c.args)))
        except BaseException:  # noqa: BLE001 - the student's code raised: the case fails
            out.failed.append(c.id)
            continue
        try:
            verdict = judges.JUDGES[c.judge](c, value, expected[c.id], ctx)
        except Exception as exc:  # noqa: BLE001 - in grade() the student would see "unexpected form"
            out.grader_errors.append(f"{c.id}: {c.judge} raised {type(exc).__name__}: {exc}")
            out.failed.append(c.id)
            continue
        if not verdict.passed:
            out.failed.append(c.id)
    return out


def _score(outcome: Outcome, cases: list) -> Outcome:
    failed = set(outcome.failed)
    outcome.public_points = sum(c.points for c in cases if c.visibility == "visible" and c.id not in failed)
    outcome.all_points = sum(c.points for c in cases if c.id not in failed)
    return outcome


def run_fast(exercise: str, chosen: list[Mutant], cases: list, jobs: int = 1, timeout: float | None = None,
             progress=None) -> dict[str, Outcome]:
    """Grade ``chosen`` mutants of ``exercise`` in forked children, ``jobs`` at a time."""
    import torch

    from .. import config, grader

    torch.set_num_threads(1)  # before any work: forked children must not inherit a thread pool
    from .. import graded

    graded.machinery(exercise)
    timeout = timeout or config.TIMEOUT[exercise]
    with tempfile.TemporaryDirectory(prefix="mutate-") as scratch:
        previous, tempfile.tempdir = tempfile.tempdir, scratch
        try:
            expected = {c.id: grader.expected_observation(c) for c in cases}
            return _fork_all(chosen, cases, expected, jobs, timeout, progress)
        finally:
            tempfile.tempdir = previous


def _fork_all(chosen, cases, expected, jobs, timeout, progress) -> dict[str, Outcome]:
    results: dict[str, Outcome] = {}
    todo = list(chosen)
    running: dict[int, tuple[Mutant, int, float, bytearray]] = {}  # pid -> (mutant, fd, start, data)
    sel = selectors.DefaultSelector()
    while todo or running:
        while todo and len(running) < jobs:
            mutant = todo.pop(0)
            read_fd, write_fd = os.pipe()
            pid = os.fork()
            if pid == 0:  # the child: never returns
                os.close(read_fd)
                code = 0
                try:
                    os.setpgid(0, 0)
                    devnull = os.open(os.devnull, os.O_WRONLY)
                    os.dup2(devnull, 1)
                    os.dup2(devnull, 2)
                    start = time.perf_counter()
                    outcome = _grade_in_child(mutant, cases, expected)
                    outcome.seconds = time.perf_counter() - start
                    payload = json.dumps(asdict(outcome)).encode()
                    with os.fdopen(write_fd, "wb") as f:
                        f.write(payload)
                except BaseException:  # noqa: BLE001
                    code = 3
                    try:
                        os.write(write_fd, json.dumps({"crash": traceback.format_exc()}).encode())
                    except OSError:
                        pass
                os._exit(code)
            os.close(write_fd)
            os.set_blocking(read_fd, False)
            running[pid] = (mutant, read_fd, time.monotonic(), bytearray())
            sel.register(read_fd, selectors.EVENT_READ, pid)
        for key, _ in sel.select(timeout=0.2):
            pid = key.data
            mutant, fd, start, data = running[pid]
            try:
                chunk = os.read(fd, 1 << 16)
            except BlockingIOError:
                continue
            if chunk:
                data.extend(chunk)
                continue
            sel.unregister(fd)
            os.close(fd)
            os.waitpid(pid, 0)
            del running[pid]
            results[mutant.key] = _decode(mutant, bytes(data), cases)
            if progress:
                progress(mutant, results[mutant.key])
        now = time.monotonic()
        for pid, (mutant, fd, start, data) in list(running.items()):
            if now - start > timeout:
                try:
                    os.killpg(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                os.waitpid(pid, 0)
                sel.unregister(fd)
                os.close(fd)
                del running[pid]
                outcome = Outcome(mutant.key, failed=[c.id for c in cases], timed_out=True, seconds=timeout)
                results[mutant.key] = _score(outcome, cases)
                if progress:
                    progress(mutant, results[mutant.key])
    return results


def _decode(mutant: Mutant, data: bytes, cases: list) -> Outcome:
    try:
        raw = json.loads(data.decode())
    except ValueError:
        raw = {"crash": f"the child for {mutant.key} died without a result (killed by memory, a signal?)"}
    if "crash" in raw:  # the runner's own child failed outside the student's code: a bug, not a kill
        return Outcome(mutant.key, all_points=-1, public_points=-1, grader_errors=[raw["crash"]])
    return _score(Outcome(**raw), cases)


# -------------------------------------------------------------------------- sandbox path ------
def run_sandboxed(exercise: str, chosen: list[Mutant], hidden: list[Path]) -> dict[str, Outcome]:
    """Grade each mutant as a submission, through ``grader.grade`` (slow; for agreement checks)."""
    from .. import grader

    results = {}
    for mutant in chosen:
        with tempfile.TemporaryDirectory(prefix="mutant-") as folder:
            ex = Path(folder) / "exercises"
            ex.mkdir()
            (ex / "__init__.py").write_text("")
            (ex / f"{exercise}.py").write_text(mutant.source)
            start = time.perf_counter()
            report = grader.grade(Path(folder), grader.Options(exercises=(exercise,), hidden=tuple(hidden),
                                                               name_mistakes=False))
        tests = report.tests
        out = Outcome(mutant.key, seconds=time.perf_counter() - start)
        out.failed = [t.id for t in tests if not t.passed]
        out.public_points = sum(t.score for t in tests if t.visibility == "visible")
        out.all_points = sum(t.score for t in tests)
        out.grader_errors = [f"{t.id}: {t.output.splitlines()[0]}" for t in tests
                             if "unexpected form" in t.output]
        results[mutant.key] = out
    return results


# ----------------------------------------------------------------------------- summary ------
def summarize(exercise: str, chosen: list[Mutant], outcomes: dict[str, Outcome], cases: list,
              equivalents: dict[str, Equivalent], seconds: float) -> ExerciseSummary:
    full_public = sum(c.points for c in cases if c.visibility == "visible")
    full_all = sum(c.points for c in cases)
    eq = [m for m in chosen if m.key in equivalents]
    killed_public = killed_all = 0
    survivors, public_survivors, killed_equivalents, errors = [], [], [], {}
    for m in chosen:
        o = outcomes[m.key]
        if o.grader_errors:
            errors[m.key] = o.grader_errors
        normal = o.all_points >= 0
        lost_all = normal and o.all_points < full_all - 1e-9
        lost_public = normal and o.public_points < full_public - 1e-9
        if m.key in equivalents:
            if lost_all:
                killed_equivalents.append(m.key)
            continue
        killed_all += lost_all
        killed_public += lost_public
        if not lost_all:
            survivors.append(m)
        if not lost_public:
            public_survivors.append(m)
    return ExerciseSummary(exercise, len(chosen), len(eq), killed_public, killed_all, survivors,
                           public_survivors, killed_equivalents, errors, seconds)


def render(summaries: list[ExerciseSummary], show_public_survivors: bool = False) -> str:
    lines = ["exercise        mutants  equivalent  killed(public)        killed(all)           time"]
    for s in summaries:
        lines.append(f"{s.exercise:<15} {s.mutants:>7}  {s.equivalents:>10}  "
                     f"{s.killed_public:>4}/{s.counted:<4} {100 * s.rate_public:6.2f}%  "
                     f"{s.killed_all:>4}/{s.counted:<4} {100 * s.rate_all:6.2f}%  {s.seconds:6.1f} s")
    for s in summaries:
        for m in s.survivors:
            lines += ["", f"SURVIVOR {m.describe()}"]
        if show_public_survivors:
            for m in s.public_survivors:
                if m not in s.survivors:
                    lines += ["", f"survives the public cases (killed by hidden ones) {m.describe()}"]
        for key in s.killed_equivalents:
            lines += ["", f"LISTED AS EQUIVALENT BUT KILLED: {key} (remove it from the equivalents file)"]
        for key, errs in s.grader_errors.items():
            lines += ["", f"GRADER ERROR on {key}:"] + [f"  {e}" for e in errs]
    return "\n".join(lines)
