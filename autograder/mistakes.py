"""The catalogue of known mistakes: what each one is, how to recognise it, what to tell the student.

Each exercise's package names its mistakes (``graded/<name>/mistakes.py``); this module gathers
them. Each mistake is a small patch of the reference solution (``find`` -> ``replace`` in
``solutions/<exercise>.py``). The grader builds the patched module in its own process and, when
a student's observation fails a test but matches the mutant's observation, names the mistake.
The test suite turns every patch into a mutant submission and checks that it loses points with
its name in the feedback. Dropout's mistakes are random-valued, so they are recognised from the
statistics instead (``signature`` names the judge's check), but their patches still make mutants.

A mistake is charged once: ``charged_on`` names the cases that test its behaviour. Elsewhere, a
case whose only fault is a recognised mistake (the student's observation matches the mutant's) is
credited, with a note, so that one mistake costs the cases about it and not the whole exercise.

The patches are fragments of the reference's code, so they live in each package's ``patches.py``, which
the student release leaves out (``graded/<name>/patches.py``); there the catalogue keeps only names, titles and hints, and the
mutants' observations come precomputed with the release (``reference_data``).
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
import types
from pathlib import Path

from . import graded
from .exercise import Mistake

__all__ = ["BY_NAME", "CATALOGUE", "PATCHES", "Mistake", "for_exercise", "mutant_module", "patched_source"]


def _patches() -> dict[str, tuple[tuple[str, str], ...]]:
    """Every exercise's ``patches.py``; the student release has none (the reference stays home)."""
    out: dict[str, tuple[tuple[str, str], ...]] = {}
    for name in graded.names():
        module = f"{graded.__name__}.{name}.patches"
        try:
            out.update(importlib.import_module(module).PATCHES)
        except ModuleNotFoundError as exc:
            if exc.name != module:
                raise
    return out


PATCHES = _patches()
CATALOGUE: tuple[Mistake, ...] = tuple(m for exercise in graded.all() for m in exercise.mistakes)
BY_NAME = {m.name: m for m in CATALOGUE}


def for_exercise(exercise: str) -> list[Mistake]:
    return [m for m in CATALOGUE if m.exercise == exercise]


def patched_source(mistake: Mistake, source: str) -> str:
    """The reference source with the mistake's patches applied; each ``find`` must occur exactly once."""
    if not mistake.patches:
        raise LookupError(f"mistake {mistake.name}: no patches here (autograder/graded/*/patches.py are "
                          "instructor-only); in the student release mutant observations come from reference_data")
    for find, replace in mistake.patches:
        count = source.count(find)
        if count != 1:
            raise ValueError(f"mistake {mistake.name}: {find!r} occurs {count} times in the reference "
                             f"(expected exactly once); update the catalogue with the solution")
        source = source.replace(find, replace)
    return source


def solution_path(exercise: str) -> Path:
    import solutions

    return Path(solutions.__file__).parent / f"{exercise}.py"


_cache: dict[str, types.ModuleType] = {}


def mutant_module(mistake: Mistake) -> types.ModuleType:
    """The reference module with the mistake applied, built in the grader's process (trusted code)."""
    if mistake.name not in _cache:
        source = patched_source(mistake, solution_path(mistake.exercise).read_text())
        _cache[mistake.name] = module_from_source(f"_mutant_{mistake.name}", source, f"<mistake {mistake.name}>")
    return _cache[mistake.name]


def module_from_source(name: str, source: str, filename: str) -> types.ModuleType:
    """A module built from trusted source text in this process (a mistake's or a mutation's mutant)."""
    module = importlib.util.module_from_spec(importlib.util.spec_from_loader(name, loader=None))
    sys.modules[name] = module  # dataclasses and pickling look modules up by name
    exec(compile(source, filename, "exec"), module.__dict__)
    return module
