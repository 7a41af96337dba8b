"""The book's front page lists every graded exercise with the chapter that uses it."""

from __future__ import annotations

import re
from pathlib import Path

from autograder import graded

ROOT = Path(__file__).resolve().parents[2]


def test_intro_lists_every_graded_exercise_with_its_chapter():
    text = (ROOT / "book" / "intro.md").read_text()
    rows = {m.group(1): m.group(2) for m in re.finditer(r"^\| `(\w+)` \|[^\n]*\|([^|\n]*)\|$", text, re.M)}
    missing = [e.name for e in graded.all() if e.name not in rows]
    assert not missing, f"book/intro.md's exercise table lacks {missing}"
    for e in graded.all():
        chapter = e.chapter.removeprefix("book/")
        assert f"{{doc}}`{chapter}`" in rows[e.name], f"{e.name}: the intro names {rows[e.name]!r}, not {chapter}"
    assert set(rows) <= set(graded.names()), f"the intro lists exercises that do not exist: {set(rows) - set(graded.names())}"
