"""Observations the grader makes in its own process: of the reference, of ``torch``, of a mistake.

A probe (``autograder/graded/<exercise>/probes.py``) runs here exactly as it runs on the student's
code inside the sandbox, and its result goes through the same codec, so both sides compare as
data. The student release has no reference code: there :mod:`reference_data` supplies the
reference's and the mistakes' observations recorded at release time (``build`` makes them).
"""

from __future__ import annotations

import importlib
import warnings
from typing import Any, Iterable

from . import graded, mistakes, reference_data
from .exercise import Case
from .inside import codec, probing


def reference_module(case: Case):
    """What the student is compared with: the reference solution, or the library (``reference="torch"``)."""
    if case.reference == "torch":
        factory = graded.load(case.exercise).torch_reference
        if factory is None:
            raise ValueError(f"case {case.id}: the exercise {case.exercise!r} has no torch reference")
        return factory()
    return importlib.import_module(f"solutions.{case.exercise}")


def observe(module, case: Case) -> Any:
    """Run a probe in this process and pass the result through the codec, as the sandbox's would be."""
    graded.machinery(case.exercise)  # its probes register themselves
    return codec.loads(codec.dumps(probing.PROBES[case.probe](module, **case.args)))


def expected_observation(case: Case) -> Any:
    """The reference's observation: computed here, or read from the student release's shipped data."""
    if case.reference == "solution" and reference_data.available():
        return reference_data.expected(case)
    return observe(reference_module(case), case)


def mutant_observation(mistake: mistakes.Mistake, case: Case) -> Any | None:
    """A catalogued mistake's observation (None: it says nothing about this case)."""
    if reference_data.available():
        return reference_data.mutant(mistake, case)
    return _observe_mistake(mistake, case)


def _observe_mistake(mistake: mistakes.Mistake, case: Case) -> Any:
    """A mistake is wrong on purpose: its overflow warnings are expected and not shown."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return observe(mistakes.mutant_module(mistake), case)


def build_reference_data(cases: Iterable[Case]) -> dict:
    """Observe every case with the instructor's reference and every matchable mistake's mutant.

    Needs ``solutions`` and the exercises' ``patches.py`` (the instructor's copy).
    """
    out = {}
    for case in cases:
        entry = {"key": reference_data.case_key(case), "expected": None, "mutants": {}}
        if case.reference == "solution":
            entry["expected"] = observe(reference_module(case), case)
        for m in mistakes.for_exercise(case.exercise):
            if not m.match:
                continue
            try:
                entry["mutants"][m.name] = _observe_mistake(m, case)
            except Exception:  # noqa: BLE001 - a mutant that crashes on a case says nothing (as in the grader)
                entry["mutants"][m.name] = None
        out[case.id] = entry
    return {"format": reference_data.FORMAT, "cases": out}
