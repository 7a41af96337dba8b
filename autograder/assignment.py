"""Which exercises and cases make up an assignment, and their points (the assignment file's ``[[exercise]]``).

The assignment file (TOML, see ``instructor/assignment.toml``) holds the late policy
(:mod:`autograder.late`) and, optionally, the selection::

    [[exercise]]
    name = "adam"                       # a graded exercise (autograder/graded/<name>/)
    cases = ["adam.adam_update_*", "adam.step_*", "adam.hidden_*"]   # optional: fnmatch patterns of case ids
    points = 20                         # optional: the exercise's total in this assignment

    [[exercise]]
    name = "dropout"                    # every case, at its own points

An exercise not listed is not part of the assignment. ``cases`` selects among the public and the
hidden cases (default: all); each pattern must match at least one case. ``points`` rescales the
selected cases so that they add up to it, each keeping its share. Without any ``[[exercise]]`` the
assignment is every exercise with every case at its own points, as without an assignment file.
``check``, ``grade``, ``batch``, ``package gradescope`` and ``release`` take the file as
``--assignment``; the student release and the Gradescope zip hold only the selected exercises.
"""

from __future__ import annotations

import fnmatch
import math
import tomllib
from dataclasses import dataclass, replace
from pathlib import Path

from . import graded
from .exercise import Case

__all__ = ["AssignmentError", "Choice", "Selection", "load_selection"]


class AssignmentError(ValueError):
    """The assignment file's selection is malformed or names what does not exist."""


@dataclass(frozen=True)
class Choice:
    name: str
    cases: tuple[str, ...] = ("*",)
    points: float | None = None


@dataclass(frozen=True)
class Selection:
    choices: tuple[Choice, ...]
    source: str = "the assignment file"

    @property
    def exercises(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.choices)

    def choice(self, exercise: str) -> Choice | None:
        return next((c for c in self.choices if c.name == exercise), None)

    def apply(self, cases: list[Case] | tuple[Case, ...]) -> list[Case]:
        """The cases of the assignment, in the given order, with the points it gives them."""
        out: list[Case] = []
        for choice in self.choices:
            mine = [c for c in cases if c.exercise == choice.name
                    and any(fnmatch.fnmatchcase(c.id, p) for p in choice.cases)]
            if choice.points is not None and mine:
                total = sum(c.points for c in mine)
                scale = choice.points / total
                mine = [replace(c, points=c.points * scale) for c in mine]
            out.extend(mine)
        order = {c.id: i for i, c in enumerate(cases)}
        return sorted(out, key=lambda c: order[c.id])

    def check_patterns(self, cases: list[Case] | tuple[Case, ...]) -> None:
        """Every pattern matches a case and every exercise keeps one; AssignmentError otherwise."""
        for choice in self.choices:
            ids = [c.id for c in cases if c.exercise == choice.name]
            for pattern in choice.cases:
                if not any(fnmatch.fnmatchcase(i, pattern) for i in ids):
                    raise AssignmentError(
                        f"{self.source}: [[exercise]] {choice.name}: the pattern {pattern!r} matches no case; "
                        f"its cases are {', '.join(ids)} (`python -m autograder list`; hidden ones in the hidden file)")


def parse_selection(entries, source: str = "the assignment file") -> Selection | None:
    """The ``[[exercise]]`` entries of a parsed assignment file (None: every exercise)."""
    if entries is None:
        return None
    if not isinstance(entries, list) or not entries or not all(isinstance(e, dict) for e in entries):
        raise AssignmentError(f"{source}: write each exercise of the assignment as an [[exercise]] table "
                              "with a name (e.g. [[exercise]] name = \"adam\")")
    choices, seen = [], set()
    for i, entry in enumerate(entries, 1):
        extra = set(entry) - {"name", "cases", "points"}
        if extra:
            raise AssignmentError(f"{source}: [[exercise]] number {i}: unknown key(s) {', '.join(sorted(extra))}; "
                                  "known: name, cases, points")
        name = entry.get("name")
        if name not in graded.names():
            raise AssignmentError(f"{source}: [[exercise]] number {i}: {name!r} is not an exercise; the exercises "
                                  f"are {', '.join(graded.names())}")
        if name in seen:
            raise AssignmentError(f"{source}: the exercise {name} is listed twice")
        seen.add(name)
        cases = entry.get("cases", ["*"])
        if isinstance(cases, str):
            cases = [cases]
        if not isinstance(cases, list) or not cases or not all(isinstance(p, str) and p for p in cases):
            raise AssignmentError(f"{source}: [[exercise]] {name}: cases must be a list of case ids or patterns "
                                  f"such as [\"{name}.*\"], got {entry.get('cases')!r}")
        points = entry.get("points")
        if points is not None and (isinstance(points, bool) or not isinstance(points, (int, float))
                                   or not math.isfinite(points) or points <= 0):
            raise AssignmentError(f"{source}: [[exercise]] {name}: points must be a number > 0, got {points!r}")
        choices.append(Choice(name, tuple(cases), None if points is None else float(points)))
    return Selection(tuple(choices), source)


def load_selection(path: Path | str | None) -> Selection | None:
    """The selection of an assignment file (None: no file, or a file without ``[[exercise]]``). The whole
    file is checked: its [assignment] and [late_policy] too (LateError, a ValueError)."""
    if path is None:
        return None
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise AssignmentError(f"{path}: cannot read the assignment file ({exc.strerror or exc})") from None
    except tomllib.TOMLDecodeError as exc:
        raise AssignmentError(f"{path}: not a TOML file ({exc})") from None
    from .late import load_assignment

    load_assignment(path)
    return parse_selection(data.get("exercise"), str(path))
