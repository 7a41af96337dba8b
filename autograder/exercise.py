"""What an exercise is made of, as data: its cases, its known mistakes, and the exercise itself.

Each ``autograder/graded/<name>/`` package builds one :class:`Exercise` (``EXERCISE``) from these
pieces; the grader's shared machinery reads them and knows no exercise by name.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Callable


@dataclass(frozen=True)
class Case:
    """One test: what to probe, how to judge it, how many points, who may see it.

    ``reference`` says what the student is compared with: ``"solution"`` (the reference module) or
    ``"torch"`` (the library, where the exercise provides ``torch_reference``).
    """

    id: str
    exercise: str
    title: str
    probe: str
    args: dict
    judge: str
    points: float
    visibility: str = "visible"
    reference: str = "solution"
    vary: dict | None = None  # hidden cases only: arguments drawn per student (autograder/personal.py)

    def to_json(self) -> dict:
        return asdict(self)


def case(id: str, title: str, probe: str, args: dict, judge: str, points: float, reference: str = "solution",
         visibility: str = "visible") -> Case:
    """A case whose exercise is the part of ``id`` before the first dot."""
    return Case(id, id.split(".")[0], title, probe, args, judge, points, visibility, reference)


@dataclass(frozen=True)
class Mistake:
    """A known mistake: recognised by matching its mutant's observations (``match``) or by a judge."""

    name: str
    exercise: str
    title: str
    hint: str
    match: bool = True  # recognised by matching the mutant's observations (else by a judge's signature)
    charged_on: tuple[str, ...] = ()  # the cases that test this behaviour; empty: every case it shows on

    @property
    def patches(self) -> tuple[tuple[str, str], ...]:
        """The ``(find, replace)`` edits of the reference; empty where the patches are not shipped."""
        from .mistakes import PATCHES

        return PATCHES.get(self.name, ())


def mistake(name: str, exercise: str, title: str, hint: str, match: bool = True, charged_on=()) -> Mistake:
    """A mistake charged on the named cases of its exercise (ids without the ``exercise.`` prefix)."""
    return Mistake(name, exercise, title, hint, match, tuple(f"{exercise}.{c}" for c in charged_on))


@dataclass(frozen=True)
class Exercise:
    """Everything the grader knows about one exercise."""

    name: str
    title: str
    chapter: str  # the notebook that uses it, e.g. "book/03_optimizers"
    timeout: float  # wall-clock seconds for the student's process (importing torch alone takes ~2 s)
    todo: tuple[str, ...]  # the functions (Class.method) whose bodies the student writes; the stub keeps the rest
    cases: tuple[Case, ...]
    spec: tuple = ()  # autograder.specification rules: which docstring statement each case grades
    mistakes: tuple[Mistake, ...] = ()
    delegated: frozenset = frozenset()  # library names that would do the exercise (the static check refuses them)
    torch_reference: Callable[[], Any] | None = None  # a module-like object for cases with reference "torch"
    on_device: Callable[[str, dict, str], dict] | None = None  # (probe, args, device) -> args on that device
    extra: dict = field(default_factory=dict)
    # modules the warm interpreter imports before forking (autograder/warm.py), besides NumPy and torch:
    # what the probes or a correct solution import on first use (an Optimizer's constructor: torch._dynamo)
    warm: tuple[str, ...] = ()
