"""The reviewed list of equivalent mutants: changes of the reference that are not mistakes.

``instructor/mutation_equivalents.toml`` holds one ``[[equivalent]]`` table per mutant, with its
``key`` (see :class:`~autograder.mutation.operators.Mutant`), the ``diff`` it makes (so a reviewer
reads what was judged equivalent without running anything) and the ``reason`` it behaves as the
reference does on every input the docstring allows. An entry without a reason is an error.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path

PATH = Path(__file__).resolve().parents[2] / "instructor" / "mutation_equivalents.toml"


@dataclass(frozen=True)
class Equivalent:
    key: str
    diff: str
    reason: str


class EquivalentsError(ValueError):
    """The equivalents file is malformed: the message says where."""


def load(path: Path = PATH) -> dict[str, Equivalent]:
    if not path.is_file():
        return {}
    try:
        data = tomllib.loads(path.read_text())
    except tomllib.TOMLDecodeError as exc:
        raise EquivalentsError(f"{path}: not valid TOML ({exc})") from None
    out: dict[str, Equivalent] = {}
    for i, raw in enumerate(data.get("equivalent", [])):
        key, reason = str(raw.get("key", "")).strip(), str(raw.get("reason", "")).strip()
        if not key or not reason:
            raise EquivalentsError(f"{path}: entry {i + 1} needs both a key and a reason")
        if key in out:
            raise EquivalentsError(f"{path}: {key} is listed twice")
        out[key] = Equivalent(key, str(raw.get("diff", "")).strip(), reason)
    return out


def entry(key: str, diff: str, reason: str = "TODO: why is this equivalent?") -> str:
    """A TOML entry to paste into the file, for a survivor a reviewer judged equivalent."""
    body = diff.replace('"""', '\\"\\"\\"')
    return f'[[equivalent]]\nkey = "{key}"\ndiff = """\n{body}\n"""\nreason = "{reason}"\n'
