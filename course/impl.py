"""Which implementation of a graded exercise a notebook runs, and a friendly stop when it is a stub.

The instructor's copy of the course has ``solutions/``: the published book *runs* the reference,
so that its numbers and figures are right. The student's copy has only ``exercises/``: the same
notebook runs the student's code, and an unfinished exercise prints "not implemented yet" instead of
crashing the notebook. Set ``COURSE_IMPL=exercises`` to run the stubs even where ``solutions/``
exists.

What a page *shows* is another matter: :func:`show_source` always shows ``exercises/`` (the stub,
or the student's own code in their copy), never the reference, so the public book gives no graded
answer away. Only an instructor build, ``COURSE_SHOW_SOLUTIONS=1`` (see the README), shows the
reference instead; build it into its own folder (``--path-output``), because the execution cache
does not know about environment variables.
"""

from __future__ import annotations

import importlib
import inspect
import os
from contextlib import contextmanager
from pathlib import Path
from types import ModuleType

from autograder.config import EXERCISES  # noqa: E402 - the graded exercises, discovered by the grader
SHOW_SOLUTIONS_ENV = "COURSE_SHOW_SOLUTIONS"
# a student copy released for an assignment holds only its exercises, and this file says which
ASSIGNMENT_FILE = Path(__file__).resolve().parents[1] / "assignment.toml"


class NotInThisAssignment(NotImplementedError):
    """The exercise exists in the course but not in this copy, released for an assignment without it."""


def _unknown(exercise: str) -> ModuleType:
    """A stand-in for an exercise this copy does not have: using it says so (``attempt`` prints that)."""
    if not ASSIGNMENT_FILE.is_file():
        raise ValueError(f"unknown exercise {exercise!r}; the exercises are {', '.join(EXERCISES)}")
    module = ModuleType(f"exercises.{exercise}")

    def __getattr__(name: str):  # noqa: N807 - PEP 562, a module's own attribute hook
        raise NotInThisAssignment(f"the exercise {exercise!r} is not part of this copy's assignment "
                                  f"(its exercises: {', '.join(EXERCISES)})")

    module.__getattr__ = __getattr__
    return module


def load(exercise: str) -> ModuleType:
    """The module of ``exercise``: ``solutions.<name>`` when present (unless ``COURSE_IMPL=exercises``),
    else the student's ``exercises.<name>``."""
    if exercise not in EXERCISES:
        return _unknown(exercise)
    if os.environ.get("COURSE_IMPL", "auto") != "exercises":
        try:
            return importlib.import_module(f"solutions.{exercise}")
        except ModuleNotFoundError:
            pass
    return importlib.import_module(f"exercises.{exercise}")


def shows_solutions() -> bool:
    """Whether this is an instructor build, which may show the reference (``COURSE_SHOW_SOLUTIONS=1``)."""
    return os.environ.get(SHOW_SOLUTIONS_ENV, "") not in ("", "0")


def shown_module(exercise: str) -> ModuleType:
    """The module whose code a page may show: ``exercises.<name>`` (the stub, or the student's code),
    or ``solutions.<name>`` in an instructor build."""
    if exercise not in EXERCISES:
        return _unknown(exercise)
    if shows_solutions():
        try:
            return importlib.import_module(f"solutions.{exercise}")
        except ModuleNotFoundError:  # the student's copy has no reference to show
            pass
    return importlib.import_module(f"exercises.{exercise}")


def source(exercise: str, name: str) -> str:
    """The source code of ``name`` in the module :func:`shown_module` picks (never the reference
    in a public build)."""
    return inspect.getsource(getattr(shown_module(exercise), name))


def show_source(exercise: str, name: str):
    """Display the code of ``name`` that a reader may see, as a highlighted Markdown block."""
    from IPython.display import Markdown

    module = shown_module(exercise)
    path = f"{module.__name__.replace('.', '/')}.py"
    try:
        code = source(exercise, name)
    except NotInThisAssignment as exc:
        return Markdown(f"*{exc}*")
    return Markdown(f"`{name}` in `{path}`:\n\n```python\n{code}```")


@contextmanager
def attempt(exercise: str):
    """Run a block that uses an exercise; a stub's ``NotImplementedError`` becomes a short message.

    >>> with attempt("adam"):
    ...     result = run_something()
    """
    try:
        yield
    except NotInThisAssignment as exc:
        print(f"Not run: {exc}.")
    except NotImplementedError as exc:
        print(
            f"Exercise '{exercise}' is not implemented yet ({exc}).\n"
            f"Fill in exercises/{exercise}.py, then check it with:  python -m autograder check {exercise}"
        )
