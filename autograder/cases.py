"""The test cases, as data: what to probe, how to judge it, how many points, who may see it.

Each exercise's package (``autograder/graded/<name>/``) holds its own cases and their points;
``PUBLIC`` gathers them, in the order of the exercises. Hidden cases (``--hidden FILE``) use the
same fields in JSON: ``{"cases": [{"id": ..., "exercise": ..., "title": ..., "probe": ...,
"args": {...}, "judge": ..., "points": ..., "visibility": "after_published", "reference": "solution"}]}``.
"""

from __future__ import annotations

import json
from pathlib import Path

from . import graded
from .exercise import Case

__all__ = ["PUBLIC", "VISIBILITIES", "Case", "load_hidden", "select"]

VISIBILITIES = ("visible", "hidden", "after_due_date", "after_published")

PUBLIC: tuple[Case, ...] = tuple(c for exercise in graded.all() for c in exercise.cases)


def load_hidden(path: str | Path) -> list[Case]:
    """Read an instructor's hidden cases (JSON); unknown fields or values are an error, not ignored."""
    data = json.loads(Path(path).read_text())
    out = []
    for raw in data.get("cases", []):
        raw = dict(raw)
        raw = {"visibility": "after_published", "reference": "solution", **raw}
        unknown = set(raw) - set(Case.__dataclass_fields__)
        if unknown:
            raise ValueError(f"{path}: case {raw.get('id')!r} has unknown fields {sorted(unknown)}")
        if raw.get("exercise") not in graded.names():
            raise ValueError(f"{path}: case {raw.get('id')!r} is for the exercise {raw.get('exercise')!r}; "
                             f"the exercises are {', '.join(graded.names())}")
        if raw.get("vary") is not None:
            from .personal import check_vary

            check_vary(raw.get("id"), raw["vary"], raw.get("args") or {})
        if raw["visibility"] not in VISIBILITIES:
            raise ValueError(f"{path}: case {raw['id']!r} has visibility {raw['visibility']!r}; "
                             f"use one of {VISIBILITIES}")
        out.append(Case(**raw))
    return out


def select(cases: list[Case], exercises: list[str]) -> list[Case]:
    return [c for c in cases if c.exercise in exercises]
