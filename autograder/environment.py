"""Whether the grader can run here: the interpreter and its NumPy and torch, the sandbox, the helper.

A problem found here belongs to the grader's environment, never to the student's code: ``check``
and ``grade`` stop with exit status 4 before any student code runs, say what to run instead, and
write no score. This module imports only the standard library, so it can speak when NumPy or torch
cannot be imported.
"""

from __future__ import annotations

import sys
from pathlib import Path

COURSE_ROOT = Path(__file__).resolve().parents[1]
REQUIRED = ("numpy", "torch")


class GraderEnvironmentError(RuntimeError):
    """The grader cannot run in this environment (not the submission's fault): exit status 4."""


def library_versions() -> str:
    """The versions of NumPy and torch, as text: part of every fingerprint of what they compute."""
    from importlib import metadata

    out = []
    for dist in ("numpy", "torch"):
        try:
            out.append(f"{dist}={metadata.version(dist)}")
        except metadata.PackageNotFoundError:
            out.append(dist)
    return "".join(out)


def in_course_venv() -> bool:
    venv = COURSE_ROOT / ".venv"
    return venv.is_dir() and Path(sys.prefix).resolve() == venv.resolve()


def how_to_run(command: str = "check") -> str:
    """What to type instead: the course's virtual environment, both ways, and how to create it."""
    lines = [f"Run the grader with the course's virtual environment, from the course folder ({COURSE_ROOT}):",
             f"    .venv/bin/python -m autograder {command}",
             "or activate it once per terminal, then use plain python from any folder of the course:",
             f"    source {COURSE_ROOT / '.venv' / 'bin' / 'activate'}",
             f"    python -m autograder {command}"]
    if not (COURSE_ROOT / ".venv" / "bin" / "python").exists():
        lines += [f"There is no .venv in {COURSE_ROOT} yet: create it first with",
                  f"    cd {COURSE_ROOT} && bash scripts/setup.sh"]
    elif in_course_venv():
        lines += ["This is the course's .venv, but it is incomplete: repair it with",
                  f"    cd {COURSE_ROOT} && bash scripts/setup.sh"]
    return "\n".join(lines)


def problem(what: str, command: str = "check", advice: str | None = None) -> GraderEnvironmentError:
    """The error to raise: what is wrong, that it is not the student's fault, what to run instead."""
    return GraderEnvironmentError(
        f"the grader could not run in this environment: {what}\n"
        f"This is not a problem with your code; nothing was graded.\n{advice or how_to_run(command)}")


def check_python(command: str = "check") -> None:
    """Check NumPy and torch here, in the grader's process, before anything else; raise if they fail.

    NumPy is imported (the judges need it here). torch is only looked up: importing it takes a second
    or more, and the grader's process needs it only where it computes the reference itself (the
    instructor's copy); the student's process imports it first thing, and a torch that is present
    but broken is reported from there, as the same environment error (exit status 4).
    """
    import importlib.util

    for name in REQUIRED:
        try:
            if name == "numpy":
                __import__(name)
            elif importlib.util.find_spec(name) is None:
                raise ModuleNotFoundError(f"No module named {name!r}")
        except Exception as exc:  # noqa: BLE001 - a broken install raises more than ImportError
            raise problem(f"the Python running it ({sys.executable}) cannot import {name} "
                          f"({type(exc).__name__}: {exc}).", command) from None

