"""Which implementation of a graded exercise a notebook runs, and a friendly stop when it is a stub.

The instructor's copy of the course has ``solutions/``: the published book runs the reference.
The student's copy has only ``exercises/``: the same notebook runs the student's code, and an
unfinished exercise prints "not implemented yet" instead of crashing the notebook.
Set ``COURSE_IMPL=exercises`` to run the stubs even where ``solutions/`` exists.
"""

from __future__ import annotations

import importlib
import inspect
import os
from contextlib import contextmanager
from types import ModuleType

EXERCISES = ("adam", "dropout", "early_stopping")


def load(exercise: str) -> ModuleType:
    """The module of ``exercise``: ``solutions.<name>`` when present (unless ``COURSE_IMPL=exercises``),
    else the student's ``exercises.<name>``."""
    if exercise not in EXERCISES:
        raise ValueError(f"unknown exercise {exercise!r}; the exercises are {', '.join(EXERCISES)}")
    if os.environ.get("COURSE_IMPL", "auto") != "exercises":
        try:
            return importlib.import_module(f"solutions.{exercise}")
        except ModuleNotFoundError:
            pass
    return importlib.import_module(f"exercises.{exercise}")


def source(exercise: str, name: str) -> str:
    """The source code of ``name`` in the implementation :func:`load` picks."""
    return inspect.getsource(getattr(load(exercise), name))


def show_source(exercise: str, name: str):
    """Display the source as a highlighted Markdown block (collapsed in the book by a cell tag)."""
    from IPython.display import Markdown

    module = load(exercise)
    return Markdown(f"`{module.__name__}.{name}`:\n\n```python\n{source(exercise, name)}```")


@contextmanager
def attempt(exercise: str):
    """Run a block that uses an exercise; a stub's ``NotImplementedError`` becomes a short message.

    >>> with attempt("adam"):
    ...     result = run_something()
    """
    try:
        yield
    except NotImplementedError as exc:
        print(
            f"Exercise '{exercise}' is not implemented yet ({exc}).\n"
            f"Fill in exercises/{exercise}.py, then check it with:  python -m autograder check {exercise}"
        )
