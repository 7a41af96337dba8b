"""Reference observations shipped with the student release, where the reference code is not.

The instructor's copy computes every expected observation from ``solutions/`` and every mistake's
from a patched copy of it (``mistakes.mutant_module``). The student release has neither, so
``python -m autograder release`` runs the instructor's grader once over the public cases and stores
what it observed in ``reference_data.json`` beside this module, in the codec's format (data, never
code or pickle). The grader reads that file whenever it exists; the instructor's copy has none.
Cases whose reference is ``torch`` are recorded as well (torch is pinned, so the release's torch is
the student's); one that is not recorded is computed live with torch.

Each entry carries a digest of its probe and arguments: a case edited after the release, or moved
to another device (``--device cuda`` changes the arguments), has no shipped observation, and
grading it says so instead of comparing with the wrong values.
"""

from __future__ import annotations

import functools
import hashlib
import json
from pathlib import Path
from typing import Any

from .inside import codec

PATH = Path(__file__).with_name("reference_data.json")
FORMAT = 1


class MissingReference(RuntimeError):
    """No shipped observation for this case (it is hidden, changed, or on another device)."""


def available(path: Path = PATH) -> bool:
    """Whether this copy of the grader works from shipped observations (the student release)."""
    return path.is_file()


def case_key(case) -> str:
    """A digest of what decides a case's observation: its probe and its arguments."""
    text = json.dumps({"probe": case.probe, "args": case.args}, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


@functools.lru_cache(maxsize=None)
def _load(path: Path = PATH) -> dict:
    """The file's cases, still encoded: each is decoded when first asked for (``check`` needs one exercise's)."""
    data = codec.parse(path.read_text(encoding="utf-8"))
    if not isinstance(data, dict) or data.get("format") != FORMAT or not isinstance(data.get("cases"), dict):
        raise MissingReference(f"{path} is not reference data of format {FORMAT}; rebuild the release")
    return data["cases"]


@functools.lru_cache(maxsize=None)
def _decoded(case_id: str, path: Path) -> dict | None:
    raw = _load(path).get(case_id)
    return None if raw is None else codec.decode(raw)


def _entry(case, path: Path = PATH) -> dict:
    entry = _decoded(case.id, path)
    if not isinstance(entry, dict) or entry.get("key") != case_key(case):
        raise MissingReference(
            f"this copy of the course ships no reference values for the test {case.id!r} with these arguments "
            "(only the public tests, on --device cpu, as they were at release time)")
    return entry


def expected(case, path: Path = PATH) -> Any:
    """The reference's observation of ``case``, as recorded at release time."""
    return _entry(case, path)["expected"]


def mutant(mistake, case, path: Path = PATH) -> Any | None:
    """The observation of ``mistake``'s mutant on ``case``; None where it crashed or was not recorded."""
    return _entry(case, path)["mutants"].get(mistake.name)


def write(path: Path, data: dict) -> int:
    """Write reference data (``observing.build_reference_data``) to ``path``; return its size in bytes."""
    text = codec.dumps(data)
    Path(path).write_text(text, encoding="utf-8")
    return len(text)
