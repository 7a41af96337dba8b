"""``python -m autograder``: check your exercises, or grade a submission for CI and Gradescope.

Instructors also have ``batch`` (grade a class into a gradebook; ``--shard K/N`` one slice of it),
``merge`` (join the slices into one gradebook), ``package gradescope`` (the autograder zip) and
``release`` (the student copy of the course).

Exit codes
    0  check: every test passed.   grade: the results were written (whatever the score).
    1  check: at least one test failed.
    2  bad usage: an unknown exercise, a missing --hidden file, --device cuda without a GPU...
       (``grade`` still writes a valid results file with score 0 and the reason).
    3  the grader itself failed (a bug to report).
    4  the grader could not run in this environment: the Python running it cannot import torch or
       NumPy (use .venv/bin/python, or run bash scripts/setup.sh first), --isolation bwrap without
       a working bubblewrap, or the student's process could not start the grader's side of it.
    With 3 and 4 nothing was graded and ``grade`` writes no results file (it removes any old one
    at --out), so that Gradescope reports a failed run instead of a score; the reason goes to
    stderr and to the --markdown summary.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
import traceback
from dataclasses import replace
from pathlib import Path

from . import config, environment, mistakes
from .cases import PUBLIC
from .environment import GraderEnvironmentError
from .results import Report, write_atomic

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_INTERNAL, EXIT_ENVIRONMENT = 0, 1, 2, 3, 4


def _repo_root() -> Path:
    cwd = Path.cwd()
    for folder in (cwd, *cwd.parents):
        if (folder / "exercises").is_dir():
            return folder
    return Path(__file__).resolve().parents[1]


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--device", default="cpu", choices=("cpu", "cuda", "auto"),
                   help="where tensors of the torch tests live (default: cpu)")
    p.add_argument("--timeout", type=float, default=None,
                   help="seconds per exercise (default: " + ", ".join(f"{k} {v:g}" for k, v in config.TIMEOUT.items()) + ")")
    p.add_argument("--memory-mb", type=int, default=config.MEMORY_MB,
                   help=f"memory per exercise on top of what importing torch takes (default: {config.MEMORY_MB})")
    p.add_argument("--isolation", default="auto", choices=("auto", "bwrap", "process"),
                   help="bwrap: bubblewrap sandbox; process: limits and cleanup only; auto: bwrap when it works")
    p.add_argument("--threads", type=int, default=config.THREADS, help="torch threads in the student's process")
    p.add_argument("--no-warm", action="store_true",
                   help="a fresh interpreter per exercise instead of forks of one warm interpreter that has "
                        "imported torch (the warm one is used under bubblewrap where it can isolate each fork)")


def _gradebook_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--assignment", type=Path, default=None,
                   help="the assignment file (TOML): title, Canvas column, due dates, late policy")
    p.add_argument("--times", type=Path, default=None,
                   help="a CSV of submission times (columns student, submitted_at) for the late policy")
    p.add_argument("--roster", type=Path, default=None,
                   help="Canvas's gradebook export: whom each submission belongs to (implies --canvas)")
    p.add_argument("--canvas", action="store_true", help="write canvas.csv, for Canvas's gradebook import")
    p.add_argument("--canvas-per-exercise", action="store_true",
                   help="one Canvas column per exercise instead of one for the total")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m autograder", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)

    check = sub.add_parser("check", help="check the exercises of this copy of the course (for students)")
    check.add_argument("exercise", nargs="*", help=f"exercises to check (default: all of {', '.join(config.EXERCISES)})")
    check.add_argument("--dir", type=Path, default=None, help="the course folder (default: found from here)")
    check.add_argument("--color", action="store_true", help="colour the report")
    check.add_argument("--assignment", type=Path, default=None,
                       help="the assignment file whose exercises, cases and points apply (default: the "
                            "course folder's assignment.toml, which a release for an assignment holds)")
    _common(check)

    grade = sub.add_parser("grade", help="grade a submission into a results file (for CI and Gradescope)")
    grade.add_argument("--submission", type=Path, required=True,
                       help="a student's copy of the course, or its exercises/ folder (never modified)")
    grade.add_argument("--out", type=Path, required=True, help="where to write Gradescope's results.json")
    grade.add_argument("--junit", type=Path, default=None, help="also write JUnit XML here")
    grade.add_argument("--markdown", type=Path, default=None,
                       help="also write a Markdown summary here (e.g. $GITHUB_STEP_SUMMARY)")
    grade.add_argument("--hidden", type=Path, action="append", default=[],
                       help="a JSON file of hidden cases kept outside the student's copy (repeatable)")
    grade.add_argument("--exercise", action="append", default=None, help="grade only these exercises (repeatable)")
    grade.add_argument("--assignment", type=Path, default=None,
                       help="the assignment file: its exercises, cases and points; with --metadata, its late policy")
    grade.add_argument("--metadata", type=Path, default=None,
                       help="Gradescope's submission_metadata.json: the submission time and due dates")
    grade.add_argument("--student-id", default=None,
                       help="the student's identity, which seeds the per-student hidden inputs (default: the "
                            "first user of --metadata; batch passes the submission's name)")
    grade.add_argument("--reference-cache", action="store_true",
                       help="keep the reference's observations in .cache/ between runs (batch passes it: "
                            "they are computed once per class, not once per submission)")
    _common(grade)

    batch = sub.add_parser("batch", help="grade every submission of a folder (folders or zips) into a gradebook")
    batch.add_argument("submissions", type=Path, help="a folder holding one folder or zip file per student")
    batch.add_argument("--out", type=Path, required=True,
                       help="where results/<student>.json, gradebook.csv, summary.md and scores.png go")
    batch.add_argument("--jobs", type=int, default=1, help="students graded side by side (default: 1)")
    batch.add_argument("--hidden", type=Path, action="append", default=[], help="hidden cases (repeatable)")
    batch.add_argument("--exercise", action="append", default=None, help="grade only these exercises (repeatable)")
    batch.add_argument("--student-timeout", type=float, default=None,
                       help="seconds for one student's whole grading (default: the exercises' limits + "
                            f"{batch_defaults()['grace']:g} s)")
    batch.add_argument("--no-progress", action="store_true", help="no progress bar")
    batch.add_argument("--shard", type=_shard, default=None, metavar="K/N",
                       help="grade only shard K of N (1 <= K <= N), a fixed slice of the class chosen by a hash "
                            "of each student's name; join the N folders with merge")
    _gradebook_args(batch)
    batch.add_argument("--regrade", choices=("new", "max", "both"), default=None,
                       help="grade an earlier batch's --out folder again (after cases changed): the earlier results "
                            "move to history/, regrade.csv and regrade.md say what changed; keep the new scores, the "
                            "maximum of old and new per student, or both (gradebook.csv shows the previous total)")
    batch.add_argument("--similarity", action="store_true",
                       help="also compare the submissions (similarity.html, similarity.csv; see the similarity command)")
    _common(batch)

    merge = sub.add_parser("merge", help="join the --out folders of batch --shard 1/N ... N/N into one "
                           "gradebook and summary, as one batch of the whole class writes them")
    merge.add_argument("shards", type=Path, nargs="+", metavar="SHARD_DIR", help="the shards' --out folders")
    merge.add_argument("--out", type=Path, required=True, help="a new or empty folder (or an earlier merge's)")
    _gradebook_args(merge)

    book = sub.add_parser("gradebook", help="rewrite the gradebooks, insight and student reports of a batch's "
                          "folder from its results (no regrading)")
    book.add_argument("out", type=Path, help="the --out folder of batch")
    _gradebook_args(book)

    similarity = sub.add_parser("similarity", help="compare the submissions of a folder, exercise by exercise "
                                "(copydetect; the stubs' code ignored) into similarity.html and similarity.csv")
    similarity.add_argument("submissions", type=Path, help="a folder holding one folder or zip file per student")
    similarity.add_argument("--out", type=Path, required=True, help="where similarity.html and similarity.csv go")
    similarity.add_argument("--exercise", action="append", default=None, help="only these exercises (repeatable)")
    similarity.add_argument("--threshold", type=float, default=None,
                            help="flag pairs at or above this similarity, 0 to 1 (default: 0.6)")
    similarity.add_argument("--stubs", type=Path, default=None,
                            help="the code every student received, ignored (default: this course's exercises/)")

    package = sub.add_parser("package", help="build the autograder zip for Gradescope")
    package.add_argument("target", choices=("gradescope",))
    package.add_argument("--out", type=Path, required=True, help="the zip file to write")
    package.add_argument("--hidden", type=Path, default=None,
                         help="hidden cases to include (default: instructor/hidden_cases.json)")
    package.add_argument("--assignment", type=Path, default=None,
                         help="an assignment file: only its exercises and cases are packaged and graded, and each "
                              "run applies its late policy to Gradescope's metadata")

    release = sub.add_parser("release", help="build the student copy of the course (no solutions, no hidden tests)")
    release.add_argument("--out", type=Path, required=True, help="an empty or new folder")
    release.add_argument("--force", action="store_true", help="replace --out if it is not empty")
    release.add_argument("--grader-repo", default=None,
                         help="OWNER/NAME of the repository the classroom workflow takes the grader from")
    release.add_argument("--grader-sha", default=None, help="the commit of --grader-repo it is pinned to (40 hex digits)")
    release.add_argument("--assignment", type=Path, default=None,
                         help="an assignment file: the release holds only its exercises, and check grades its cases")

    sub.add_parser("list", help="list the exercises, their tests and points")
    sub.add_parser("mistakes", help="list the catalogue of known mistakes")

    mutate = sub.add_parser("mutate", help="mutation-test the grader: grade single-point mutants of each reference "
                            "(instructors; needs solutions/)")
    mutate.add_argument("exercise", nargs="*", help="exercises to mutate (default: all)")
    mutate.add_argument("--sample", type=int, default=None, metavar="N",
                        help="grade a fixed, deterministic sample of N mutants per exercise (default: every mutant)")
    mutate.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="mutants graded side by side")
    mutate.add_argument("--hidden", type=Path, action="append", default=None,
                        help="hidden cases to include (default: instructor/hidden_cases.json)")
    mutate.add_argument("--sandbox", action="store_true",
                        help="grade each mutant through the full grader (sandboxed; slow) instead of the fast path")
    mutate.add_argument("--show-public-survivors", action="store_true",
                        help="also list the mutants only hidden cases kill")
    mutate.add_argument("--list", action="store_true", help="list the mutants (key, operator, diff) and grade none")
    mutate.add_argument("--json", type=Path, default=None, help="also write the outcome of every mutant here")
    mutate.add_argument("--min-public", type=float, default=90.0, help="exit 1 below this kill rate on public cases (%%)")
    mutate.add_argument("--min-all", type=float, default=95.0, help="exit 1 below this kill rate on all cases (%%)")
    return parser


def _shard(text: str) -> tuple[int, int]:
    from .shards import parse

    try:
        return parse(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _options(args, exercises):
    from .grader import Options

    return Options(exercises=tuple(exercises), device=args.device, hidden=tuple(str(h) for h in getattr(args, "hidden", [])),
                   timeout=args.timeout, memory_mb=args.memory_mb, isolation=args.isolation, threads=args.threads,
                   selection=getattr(args, "selection", None), warm=not getattr(args, "no_warm", False))


def _check_exercises(names, selection=None) -> list[str]:
    names = list(names or (selection.exercises if selection else config.EXERCISES))
    unknown = [n for n in names if n not in config.EXERCISES]
    if unknown:
        raise ValueError(f"unknown exercise {', '.join(unknown)}; the exercises are {', '.join(config.EXERCISES)}")
    if selection is not None:
        outside = [n for n in names if n not in selection.exercises]
        if outside:
            raise ValueError(f"{', '.join(outside)}: not part of the assignment ({selection.source}); its exercises "
                             f"are {', '.join(selection.exercises)}")
    return names


def _selection(args):
    """The assignment's selection of exercises and cases (None: every exercise); checked against the cases."""
    from .assignment import load_selection
    from .cases import PUBLIC, load_hidden

    path = getattr(args, "assignment", None)
    if path is None:
        return None
    selection = load_selection(path)  # the whole file is checked
    if selection is not None:
        cases = list(PUBLIC) + [c for h in getattr(args, "hidden", None) or [] for c in load_hidden(h)]
        selection.check_patterns(cases)
    return selection


def _check_hidden(paths) -> None:
    """Each --hidden file exists and holds hidden cases; ValueError otherwise (bad usage, found before grading)."""
    from .cases import load_hidden

    for h in paths:
        if not h.is_file():
            raise ValueError(f"--hidden {h}: no such file")
        try:
            load_hidden(h)
        except (KeyError, TypeError, AttributeError) as exc:
            raise ValueError(f"--hidden {h}: not a file of hidden cases ({type(exc).__name__}: {exc})") from None


def _validate(args, command: str) -> list[str]:
    """Everything that can be checked before grading; raises GraderEnvironmentError or ValueError/RuntimeError."""
    _check_hidden(getattr(args, "hidden", []))
    if getattr(args, "assignment", None) is not None or getattr(args, "metadata", None) is not None:
        _late_penalty(args)  # a malformed file is bad usage too
    args.selection = _selection(args)
    exercises = _check_exercises(args.exercise, args.selection)
    if command == "grade":
        _check_identity(args)
    environment.check_python(command)  # first: what follows imports torch
    from . import grader, sandbox

    grader.resolve_device(args.device)
    sandbox.resolve_isolation(args.isolation)
    return exercises


def _bug(exc: BaseException) -> str:
    tb = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
    return ("the autograder itself failed (a bug in the grader, not in your code); nothing was graded. "
            "Please report it with this traceback:\n" + tb[-3000:])


def cmd_check(args) -> int:
    root = args.dir or _repo_root()
    if args.assignment is None and (root / "assignment.toml").is_file():
        args.assignment = root / "assignment.toml"  # a release for an assignment: its exercises and points
    try:
        exercises = _validate(args, "check")
    except GraderEnvironmentError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_ENVIRONMENT
    except (RuntimeError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    from . import grader

    print(f"checking {', '.join(exercises)} in {root / 'exercises'} ...", flush=True)
    try:
        from .warm import for_check

        report = grader.grade(root, replace(_options(args, exercises), reference_cache=True,
                                            warm=for_check(args.no_warm)))
    except GraderEnvironmentError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_ENVIRONMENT
    except Exception as exc:  # noqa: BLE001 - a bug of the grader is never a score
        print(f"error: {_bug(exc)}", file=sys.stderr)
        return EXIT_INTERNAL
    print(report.to_text(color=args.color or sys.stdout.isatty()))
    return EXIT_OK if all(t.passed for t in report.tests) else EXIT_FAILED


def _late_penalty(args):
    """The penalty of --assignment's policy for the submission --metadata describes (None without both)."""
    from . import late

    if getattr(args, "metadata", None) is None or getattr(args, "assignment", None) is None:
        if getattr(args, "metadata", None) is not None:
            late.read_metadata(args.metadata)  # alone, it names the student; a malformed one is refused now
        return None  # an assignment alone selects the exercises and cases; the metadata alone charges nothing
    assignment = late.load_assignment(args.assignment)
    return late.penalty(assignment, late.read_metadata(args.metadata, assignment.timezone))


def _write_outputs(report: Report, args) -> None:
    from . import late

    pen = _late_penalty(args) if getattr(args, "assignment", None) else None
    data = report.to_gradescope()
    if pen is not None:
        data = late.apply(data, pen)  # the score less the penalty; the tests keep what the code earned
    write_atomic(args.out, json.dumps(data, indent=2) + "\n")
    if args.junit:
        write_atomic(args.junit, report.to_junit())
    if args.markdown:
        note = f"**Late:** {pen.reason}; score {data['score']:g} / {data['max_score']:g}.\n\n" if pen and pen.reason else ""
        text = report.to_markdown()
        head, _, rest = text.partition("\n\n")
        write_atomic(args.markdown, head + "\n\n" + note + rest)


def _no_score(args, message: str, code: int, log=None) -> int:
    """The grader could not grade: say why, and leave no results file that could pass for a score."""
    for stale in (args.out, args.junit):
        if stale is not None and Path(stale).is_file():
            Path(stale).unlink()  # an old or forged file must not stand in for this run
    if args.markdown:
        write_atomic(args.markdown, "## Autograder: not graded\n\n```\n" + message + "\n```\n")
    print(f"error: {message}", file=log or sys.stderr)
    print(f"not graded (exit status {code}): no results file was written to {args.out}", file=log or sys.stdout)
    return code


def cmd_grade(args) -> int:
    try:
        exercises = _validate(args, "grade")
    except GraderEnvironmentError as exc:
        return _no_score(args, str(exc), EXIT_ENVIRONMENT)
    except (RuntimeError, ValueError) as exc:
        report = Report(notes=[f"grading could not start: {exc}"])
        print(f"error: {exc}", file=sys.stderr)
        args.assignment = None  # the report of a usage error carries no penalty
        _write_outputs(report, args)
        print(f"{report.score:g} / {report.max_score:g} -> {args.out}")
        return EXIT_USAGE
    return _grade_and_write(args, exercises)[0]


def _grade_and_write(args, exercises, zygote=None, log=None) -> tuple[int, dict]:
    """Grade ``args.submission`` and write its files: the exit status, and where the time went (cmd_grade,
    and batch in this process, which passes ``log``: what would be printed goes there)."""
    from . import grader

    try:
        report = grader.grade(args.submission, replace(_options(args, exercises), reference_cache=args.reference_cache,
                                                       student=_student(args), zygote=zygote))
    except GraderEnvironmentError as exc:
        return _no_score(args, str(exc), EXIT_ENVIRONMENT, log), {}
    except Exception as exc:  # noqa: BLE001 - a bug of the grader is never a score
        return _no_score(args, _bug(exc), EXIT_INTERNAL, log), {}
    clock = time.perf_counter()
    _write_outputs(report, args)
    report.timings["report"] = time.perf_counter() - clock
    print(f"{report.score:g} / {report.max_score:g} -> {args.out}", file=log or sys.stdout)
    return EXIT_OK, report.timings


class _InProcess:
    """Batch's grading in its own process, each student's exercises run by forks of one shared warm
    interpreter (warm.py); ``grade`` is what ``python -m autograder grade`` would do, output captured."""

    def __init__(self, template, exercises, shared) -> None:
        self.template, self.exercises, self.shared = template, exercises, shared

    def __call__(self, root: Path, results: Path, junit: Path, student: str) -> tuple[int, str, dict]:
        import copy
        import io

        args = copy.copy(self.template)
        args.submission, args.out, args.junit, args.student_id, args.markdown = root, results, junit, student, None
        log = io.StringIO()
        code, timings = _grade_and_write(args, self.exercises, zygote=self.shared, log=log)
        return code, log.getvalue(), timings

    def close(self) -> None:
        self.shared.close()


def _in_process_grader(args, exercises, passed, selection):
    """An :class:`_InProcess` grader when a warm interpreter can isolate each student's forks here, else
    None (batch then starts one ``grade`` process per student, each exercise in a fresh interpreter).
    ``passed`` are the ``grade`` arguments batch checked already, ``selection`` their assignment's."""
    from . import grader, sandbox, warm

    if args.no_warm or sandbox.resolve_isolation(args.isolation) != "bwrap":
        return None
    shared = warm.Shared(list(exercises), grader._hidden_paths(), grader.resolve_device(args.device))
    if shared.get() is None:
        return None
    template = build_parser().parse_args(["grade", "--submission", ".", "--out", "results.json", *passed])
    template.selection = selection
    return _InProcess(template, exercises, shared)


def _check_identity(args) -> None:
    """A student id that is given must name someone when the hidden cases are drawn per student."""
    from . import late, personal
    from .cases import load_hidden

    if args.student_id is not None and not args.student_id.strip():
        raise ValueError("--student-id is empty: give the student's id (Gradescope's sid or e-mail, or the "
                         "submission's name), which seeds the per-student hidden inputs")
    if args.metadata is None or args.student_id is not None:
        return
    if personal.identity(None, late.read_metadata(args.metadata).users) is None and \
            any(c.vary for h in args.hidden for c in load_hidden(h)):
        raise ValueError(f"--metadata {args.metadata} names no user (sid, email or id), so the per-student "
                         "hidden cases cannot be drawn: pass --student-id")


def _student(args) -> str | None:
    """The identity that seeds the per-student hidden inputs: --student-id, else Gradescope's first user."""
    from . import late, personal

    users = late.read_metadata(args.metadata).users if getattr(args, "metadata", None) is not None else ()
    return personal.identity(args.student_id, users)


def batch_defaults() -> dict:
    from .batch import GRACE_S

    return {"grace": GRACE_S}


def cmd_batch(args) -> int:
    from . import batch

    try:
        _check_hidden(args.hidden)
        selection = _selection(args)
        exercises = _check_exercises(args.exercise, selection)
        if args.jobs < 1:
            raise ValueError("--jobs must be at least 1")
        if not args.submissions.is_dir():
            raise ValueError(f"{args.submissions} is not a folder of submissions")
        if args.shard and args.regrade:
            raise ValueError("--regrade grades the whole class again in one folder; it does not take --shard")
        if args.shard and args.similarity:
            raise ValueError("--similarity compares the whole class, not a shard's slice: run `python -m "
                             "autograder similarity` on the submissions folder (e.g. after merge)")
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    try:  # every student's grading would fail the same way: say it once, before starting
        environment.check_python("batch")
    except GraderEnvironmentError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_ENVIRONMENT
    passed = ["--device", args.device, "--isolation", args.isolation, "--memory-mb", str(args.memory_mb),
              "--threads", str(args.threads), "--reference-cache"]
    if args.timeout is not None:
        passed += ["--timeout", f"{args.timeout:g}"]
    for h in args.hidden:
        passed += ["--hidden", str(h.resolve())]
    if args.exercise:
        for e in exercises:
            passed += ["--exercise", e]
    if args.assignment is not None:
        passed += ["--assignment", str(args.assignment.resolve())]
    limit = args.student_timeout or sum(args.timeout or config.TIMEOUT[e] for e in exercises) + batch.GRACE_S
    try:
        book = _gradebook_options(args)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    if args.no_warm:
        passed.append("--no-warm")
    opts = batch.BatchOptions(submissions=args.submissions.resolve(), out=args.out.resolve(), jobs=args.jobs,
                              grade_args=tuple(passed), student_timeout=limit, progress=not args.no_progress,
                              gradebook=book)
    if args.shard:  # what merge compares across shards: no hidden path, which differs between machines
        from . import shards

        try:
            opts.shard = shards.Shard(*args.shard, shards.grading(exercises, args.hidden, {
                "device": args.device, "isolation": args.isolation, "timeout": args.timeout,
                "memory_mb": args.memory_mb, "threads": args.threads, "student_timeout": limit}))
        except (KeyError, TypeError, ValueError) as exc:
            print(f"error: --hidden: not a file of hidden cases ({type(exc).__name__}: {exc})", file=sys.stderr)
            return EXIT_USAGE
    once = {"interpreter start and imports": _process_age()}
    clock = time.perf_counter()
    _prime_reference_cache(exercises, args.hidden, selection, args.device)
    once["reference"] = time.perf_counter() - clock
    previous = None
    if args.regrade:
        from . import regrade

        try:
            previous = regrade.begin(opts.out)
        except regrade.RegradeError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return EXIT_USAGE
        print(f"regrade: the earlier grading is kept in {previous}", flush=True)
    clock = time.perf_counter()
    opts.in_process = _in_process_grader(args, exercises, passed, selection)
    once["warm interpreter start"] = time.perf_counter() - clock
    opts.once_timings = once
    try:
        code = batch.run(opts)
    finally:
        if opts.in_process is not None:
            opts.in_process.close()
    if previous is not None and code in (EXIT_OK, EXIT_USAGE):
        code = _finish_regrade(opts, previous, args.regrade, code)
    if args.similarity and code in (EXIT_OK, EXIT_USAGE):  # EXIT_USAGE: graded, a gradebook input was bad
        from . import similarity

        result = similarity.run(opts.submissions, opts.out, exercises)
        print(f"similarity: {len(result.flagged())} of {len(result.pairs)} pairs at or above "
              f"{result.threshold:g}: {opts.out / 'similarity.html'}")
    return code


def _finish_regrade(opts, previous, policy: str, code: int) -> int:
    """Compare with the earlier grading, apply the policy, and write the gradebooks again from results/."""
    from . import batch, gradebook, regrade

    written = regrade.finish(opts.out, previous, policy)
    subs = batch.discover(opts.submissions)
    batch.write_gradebook(subs, opts.out)
    if policy == "both":
        regrade.add_previous_totals(opts.out, previous)
    try:
        gradebook.write_class_files(opts.out, opts.gradebook or gradebook.GradebookOptions(), [s.student for s in subs])
    except gradebook.GradebookError as exc:
        print(f"error: {exc}", file=sys.stderr)
        code = EXIT_USAGE
    names = ", ".join(str(opts.out / w) for w in written)
    print(f"regrade ({policy}): {names}; the earlier grading: {previous}")
    return code


def _process_age() -> float:
    """Seconds since this process started (Linux; 0 elsewhere): the interpreter's start and the imports."""
    try:
        with open("/proc/self/stat", "rb") as f:
            started = int(f.read().rsplit(b")", 1)[1].split()[19]) / os.sysconf("SC_CLK_TCK")
        with open("/proc/uptime") as f:
            return max(0.0, float(f.read().split()[0]) - started)
    except (OSError, ValueError, IndexError):
        return 0.0


def _prime_reference_cache(exercises, hidden, selection, device: str) -> None:
    """Compute the reference's observations of the class's cases once, before the workers start, so that
    every submission's grader reads them (the instructor's copy; the release ships them)."""
    from . import grader, observing
    from .cases import PUBLIC, load_hidden

    if device != "cpu":
        return  # placed on the device by each grader, which computes and keeps them itself
    cases = list(PUBLIC) + [c for h in hidden for c in load_hidden(h)]
    if selection is not None:
        cases = selection.apply(cases)
    cases = [c for c in cases if c.exercise in exercises]
    try:
        observing.expected_observations([grader.on_device(c, device) for c in cases], cache=True)
    except Exception as exc:  # noqa: BLE001 - each submission's grader computes what is missing and reports it
        print(f"note: the reference's observations could not be computed ahead ({type(exc).__name__}: {exc}); "
              "each submission computes them", file=sys.stderr)


def _gradebook_options(args):
    """GradebookOptions from the command line; ValueError (LateError) for a missing or malformed file."""
    from . import gradebook, late

    for flag in ("times", "roster"):
        path = getattr(args, flag)
        if path is not None and not path.is_file():
            raise ValueError(f"--{flag} {path}: no such file")
    assignment = late.load_assignment(args.assignment) if args.assignment else None
    if args.times and assignment is None:
        raise ValueError("--times needs --assignment: the due date and the late policy")
    if args.times:
        late.read_times(args.times, assignment.timezone)  # malformed: say so before grading
    if args.roster:
        gradebook.read_roster(args.roster)
    return gradebook.GradebookOptions(assignment=assignment, times=args.times, roster=args.roster,
                                      per_exercise=args.canvas_per_exercise,
                                      canvas=args.canvas or args.canvas_per_exercise)


def cmd_gradebook(args) -> int:
    from . import gradebook

    if not (args.out / "results").is_dir():
        print(f"error: {args.out} holds no results/ folder: run batch with --out {args.out} first", file=sys.stderr)
        return EXIT_USAGE
    try:
        written = gradebook.write_class_files(args.out, _gradebook_options(args))
    except ValueError as exc:  # GradebookError, LateError
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    print(f"wrote in {args.out}: {', '.join(written)}")
    return EXIT_OK


def cmd_merge(args) -> int:
    from . import shards

    try:
        book = _gradebook_options(args)
        written = shards.merge(args.shards, args.out, book)
    except shards.ShardError as exc:  # nothing was written
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except ValueError as exc:  # a bad --times or --roster; GradebookError after the gradebook was written
        print(f"error: {exc}", file=sys.stderr)
        if (args.out / "gradebook.csv").is_file():
            print(f"the merge is kept; fix the input and run `python -m autograder gradebook {args.out}`",
                  file=sys.stderr)
        return EXIT_USAGE
    print(f"merged {len(args.shards)} shards into {args.out}: {', '.join(written)}")
    return EXIT_OK


def cmd_similarity(args) -> int:
    from . import similarity

    try:
        exercises = _check_exercises(args.exercise)
        if not args.submissions.is_dir():
            raise ValueError(f"{args.submissions} is not a folder of submissions")
        threshold = similarity.THRESHOLD if args.threshold is None else args.threshold
        if not 0 < threshold <= 1:
            raise ValueError("--threshold must be in (0, 1]")
        stubs = args.stubs or similarity.STUBS
        if not stubs.is_dir():
            raise ValueError(f"--stubs {stubs}: no such folder")
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    result = similarity.run(args.submissions, args.out, exercises, stubs, threshold)
    for note in result.notes:
        print(f"note: {note}", file=sys.stderr)
    flagged = result.flagged()
    print(f"{len(result.pairs)} pairs compared, {len(flagged)} at or above {threshold:g}: "
          f"{args.out / 'similarity.html'}, {args.out / 'similarity.csv'}")
    for p in flagged[:20]:
        print(f"  {p.similarity:.2f}  {p.exercise:15s} {p.a} / {p.b}")
    return EXIT_OK


def cmd_package(args) -> int:
    from .release import ReleaseError, build_gradescope

    try:
        names = build_gradescope(args.out, hidden=args.hidden, assignment=args.assignment)
    except (ReleaseError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    print(f"wrote {args.out} ({len(names)} files): upload it as the autograder of a Gradescope assignment")
    return EXIT_OK


def cmd_release(args) -> int:
    from . import release

    try:
        notes = release.build_release(args.out, grader_repo=args.grader_repo or release.PLACEHOLDER_REPO,
                                      grader_sha=args.grader_sha or release.PLACEHOLDER_SHA, force=args.force,
                                      assignment=args.assignment)
    except (release.ReleaseError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    print("\n".join(notes))
    return EXIT_OK


def cmd_list(args) -> int:
    for exercise in config.EXERCISES:
        cases = [c for c in PUBLIC if c.exercise == exercise]
        print(f"{exercise}: {sum(c.points for c in cases):g} points")
        for c in cases:
            print(f"  {c.points:>4g}  {c.id:40s} {c.title}")
    return EXIT_OK


def cmd_mistakes(args) -> int:
    for m in mistakes.CATALOGUE:
        print(f"{m.exercise:15s} {m.name:34s} {m.title}")
    return EXIT_OK


def cmd_mutate(args) -> int:
    try:
        exercises = _check_exercises(args.exercise)
        import solutions  # noqa: F401 - the references are what is mutated
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except ImportError:
        print("error: mutate needs the reference solutions (solutions/), which the student copy does not have",
              file=sys.stderr)
        return EXIT_USAGE
    from .mutation import cli as mutation_cli

    return mutation_cli.run(args, exercises)


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    commands = {"check": cmd_check, "grade": cmd_grade, "batch": cmd_batch, "merge": cmd_merge,
                "gradebook": cmd_gradebook,
                "similarity": cmd_similarity, "package": cmd_package, "release": cmd_release, "list": cmd_list,
                "mistakes": cmd_mistakes, "mutate": cmd_mutate}
    return commands[args.command](args)
