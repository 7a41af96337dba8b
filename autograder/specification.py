"""The docstring is the specification: which statement of each stub's docstrings each case grades.

Every statement of an exercise's docstrings (the stub the student receives) is either graded by
the named cases or explains without specifying (a citation, a reason, a how-to); every case grades
at least one statement. ``tests/autograder/test_specification.py`` checks both directions: a new
sentence in a docstring that no case grades fails, and so does a case that grades nothing stated.

A statement is a sentence of a docstring, an entry of its ``Args:``/``Returns:``/``Raises:``/
``Attributes:`` sections, or one line of a literal (``::``) block. Each rule (in the exercise's
package, ``SPEC``) names a phrase that identifies its statements (whitespace-normalised,
case-sensitive) and what grades them.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from pathlib import Path

HEADINGS = ("Args:", "Returns:", "Raises:", "Attributes:")
EXPLAINS = "explains"  # a statement that motivates, cites or shows how, and specifies nothing to grade


@dataclass(frozen=True)
class Rule:
    phrase: str
    cases: tuple[str, ...] | str  # the case ids that grade it, or EXPLAINS with a reason after ": "


def _r(phrase: str, *cases: str) -> Rule:
    return Rule(phrase, tuple(cases))


def _explains(phrase: str, why: str) -> Rule:
    return Rule(phrase, f"{EXPLAINS}: {why}")


def rules(exercise: str) -> tuple[Rule, ...]:
    """The specification map of ``exercise`` (its package's ``SPEC``)."""
    from . import graded

    return graded.load(exercise).spec


def statements(source: str) -> list[tuple[str, str]]:
    """``(where, statement)`` for every statement of every docstring in ``source``."""
    tree = ast.parse(source)
    out = []
    nodes = [tree] + [n for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))]
    for node in nodes:
        doc = ast.get_docstring(node)
        if not doc:
            continue
        where = getattr(node, "name", "module docstring")
        for chunk in _chunks(doc):
            for sentence in re.split(r"(?<=[.;])\s+(?=[A-Z`(\"])", chunk):
                out.append((where, sentence))
    return out


def _chunks(doc: str) -> list[str]:
    chunks, current, literal = [], [], False

    def flush() -> None:
        if current:
            chunks.append(" ".join(current))
            current.clear()

    for line in doc.splitlines():
        text = line.strip()
        if not text or text in HEADINGS:
            flush()
            continue
        if literal and line.startswith("    "):
            chunks.append(text)  # one line of a literal block: one statement
            continue
        literal = False
        if re.match(r"^\s{4}[\w, ]+:\s", line):  # an entry of an Args/Raises/Attributes section
            flush()
        current.append(text)
        if text.endswith("::"):
            flush()
            literal = True
    flush()
    return chunks


def normalise(text: str) -> str:
    return " ".join(text.split())


def stub_path(exercise: str) -> Path:
    return Path(__file__).resolve().parents[1] / "exercises" / f"{exercise}.py"
