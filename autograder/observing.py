"""Observations the grader makes in its own process: of the reference, of ``torch``, of a mistake.

A probe (``autograder/graded/<exercise>/probes.py``) runs here exactly as it runs on the student's
code inside the sandbox, and its result goes through the same codec, so both sides compare as
data. The student release has no reference code: there :mod:`reference_data` supplies the
reference's and the mistakes' observations recorded at release time (``build`` makes them).
"""

from __future__ import annotations

import copy
import hashlib
import importlib
import json
import os
import threading
import warnings
from pathlib import Path
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
    """The reference's observation: computed here, or read from the student release's shipped data.

    The release ships the observations of the torch cases too (computing them takes seconds); one it
    does not ship (a case moved to another device) is computed with torch here.
    """
    if reference_data.available():
        try:
            return reference_data.expected(case)
        except reference_data.MissingReference:
            if case.reference == "solution":
                raise
    return observe(reference_module(case), case)


# The instructor's copy computes the reference's observations itself; `check` keeps them here between
# runs, keyed by everything that decides them (git ignores .cache/; the student release never has it).
CACHE = Path(__file__).resolve().parents[1] / ".cache" / "autograder" / "reference"
_PACKAGE = Path(__file__).resolve().parent


def _fingerprinted(exercise: str, package: Path = _PACKAGE) -> list[Path]:
    return [package.parent / "solutions" / f"{exercise}.py", package / "graded" / exercise / "probes.py",
            package / "graded" / exercise / "__init__.py", *sorted((package / "inside").glob("*.py"))]


def _fingerprint(exercise: str, package: Path = _PACKAGE) -> str:
    """A digest of what decides an exercise's reference observations: the reference, the probes, the
    code beside them in the sandbox, and the versions of NumPy and torch."""
    from .environment import library_versions

    digest = hashlib.sha256()
    for path in _fingerprinted(exercise, package):
        digest.update(path.name.encode() + b"\0" + (path.read_bytes() if path.is_file() else b"-") + b"\0")
    digest.update(library_versions().encode())
    return digest.hexdigest()[:16]


_decoded: dict[tuple[str, str], Any] = {}  # (cache file, case key) -> observation: a batch decodes each once
_decoded_lock = threading.Lock()


def expected_observations(cases: Iterable[Case], cache: bool = False) -> dict[str, Any]:
    """``expected_observation`` of each case, by id; with ``cache``, kept in :data:`CACHE` between runs.

    With ``cache``, this process also keeps what it decoded (a batch grades every submission
    against the same observations) and hands out deep copies, so that no grading can change another's.
    """
    cases = list(cases)
    if not cache or reference_data.available():
        return {c.id: expected_observation(c) for c in cases}
    paths = {e: _cache_path(e) for e in dict.fromkeys(c.exercise for c in cases)}
    keys = {c.id: (str(paths[c.exercise]), _cache_key(c)) for c in cases}
    with _decoded_lock:
        known = {c.id: _decoded.get(keys[c.id]) for c in cases}
    if all(v is not None for v in known.values()):
        return copy.deepcopy(known)
    out = _expected_cached(cases, paths)
    with _decoded_lock:
        for c in cases:
            _decoded[keys[c.id]] = copy.deepcopy(out[c.id])
    return out


def _cache_key(c: Case) -> str:
    return reference_data.case_key(c) + ("" if c.reference == "solution" else "-" + c.reference)


_fingerprints: dict[str, tuple[tuple, str]] = {}


def _cache_path(exercise: str) -> Path:
    """The exercise's cache file; its name holds the fingerprint (recomputed when a file it covers changes)."""
    stamp = tuple((p.stat().st_mtime_ns, p.stat().st_size) if p.is_file() else None for p in _fingerprinted(exercise))
    known = _fingerprints.get(exercise)
    if known is None or known[0] != stamp:
        known = _fingerprints[exercise] = (stamp, _fingerprint(exercise))
    return CACHE / f"{exercise}-{known[1]}.json"


def _expected_cached(cases: list[Case], paths: dict[str, Path]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for exercise, path in paths.items():
        try:
            stored = json.loads(path.read_text())
        except (OSError, ValueError):
            stored = {}
        fresh = False
        for c in (c for c in cases if c.exercise == exercise):
            key = _cache_key(c)
            if key not in stored:
                stored[key] = codec.dumps(expected_observation(c))
                fresh = True
            out[c.id] = codec.loads(stored[key])
        if fresh:
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
                for old in path.parent.glob(f"{exercise}-*.json"):
                    old.unlink(missing_ok=True)  # an earlier reference's
                tmp = path.with_suffix(f".{os.getpid()}.tmp")
                tmp.write_text(json.dumps(stored))
                tmp.replace(path)
            except OSError:
                pass  # a read-only copy: the observations are simply computed again next time
    return out


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
        entry["expected"] = observe(reference_module(case), case)  # the reference's, or torch's
        for m in mistakes.for_exercise(case.exercise):
            if not m.match:
                continue
            try:
                entry["mutants"][m.name] = _observe_mistake(m, case)
            except Exception:  # noqa: BLE001 - a mutant that crashes on a case says nothing (as in the grader)
                entry["mutants"][m.name] = None
        out[case.id] = entry
    return {"format": reference_data.FORMAT, "cases": out}
