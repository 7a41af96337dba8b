"""The graded exercises, one package each, discovered from this folder (nothing registers them).

``names()`` reads the folder only (cheap, no imports); ``load(name)`` imports the package, whose
``EXERCISE`` (an :class:`autograder.exercise.Exercise`) holds its cases, specification map,
mistakes, time limit and static-check exceptions (plain data: no NumPy, no torch, so that the
command line can check its environment first); ``machinery(name)`` imports its ``probes`` and
``judges`` modules, which register themselves. Adding an exercise: its reference in ``solutions/``, its stub generated into
``exercises/`` (``tools/make_stubs.py``), one package here, and a chapter cell that uses it.
"""

from __future__ import annotations

import functools
import importlib
from pathlib import Path

HERE = Path(__file__).resolve().parent


@functools.lru_cache(maxsize=None)
def names() -> tuple[str, ...]:
    """The exercises, in alphabetical order: every sub-folder with an ``__init__.py``."""
    return tuple(sorted(p.name for p in HERE.iterdir() if (p / "__init__.py").is_file() and not p.name.startswith("_")))


@functools.lru_cache(maxsize=None)
def load(name: str):
    if name not in names():
        raise KeyError(f"unknown exercise {name!r}; the exercises are {', '.join(names())}")
    exercise = importlib.import_module(f"{__name__}.{name}").EXERCISE
    if exercise.name != name:
        raise ValueError(f"autograder/graded/{name}/ defines the exercise {exercise.name!r}")
    return exercise


def all() -> list:  # noqa: A001 - the natural name here
    return [load(n) for n in names()]


@functools.lru_cache(maxsize=None)
def machinery(name: str) -> None:
    """Import the exercise's probes and judges (NumPy, torch): they register by name."""
    load(name)
    importlib.import_module(f"{__name__}.{name}.probes")
    importlib.import_module(f"{__name__}.{name}.judges")


def all_machinery() -> None:
    for n in names():
        machinery(n)
