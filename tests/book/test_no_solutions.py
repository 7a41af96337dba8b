"""The public book gives no graded answer away.

The book *runs* the reference implementations (so that its numbers are right) but must never
*show* them: a line of a reference body that the stubs do not have (``solutions/*.py`` minus
``exercises/*.py``) must appear nowhere in the built site, neither in a page's text (code cells,
outputs, prose) nor in a notebook the site offers for download. Only an instructor build
(``COURSE_SHOW_SOLUTIONS=1``, see ``course/impl.py`` and the README) may show them.
"""

from __future__ import annotations

import ast
import json
from pathlib import Path

from bs4 import BeautifulSoup

from book_helpers import ROOT

# Shorter lines (``return x``, ``p = _check_p(p)``) say nothing about the answer; every line of a
# reference body at least this long is one a student could copy...
MIN_CHARS = 16
# ...except PyTorch's own idioms, which any chapter may show: the loop of every ``Optimizer.step``,
# loading a state dict and the two calls of every training loop give no answer away.
IDIOMS = {
    "for group in self.param_groups:",
    'for p in group["params"]:',
    "if closure is not None:",
    "with torch.enable_grad():",
    "loss = closure()",
    "if p.grad is None:",
    "state = self.state[p]",
    "model.load_state_dict(state)",
    "optimizer.step()",
    "optimizer.zero_grad()",
}


def _lines(path: Path) -> set[str]:
    return {" ".join(line.split()) for line in path.read_text(encoding="utf8").splitlines()}


def _body_lines(path: Path) -> set[str]:
    """The lines of every function body of ``path`` (docstrings left out)."""
    source = path.read_text(encoding="utf8")
    text, lines = source.splitlines(), set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            body = node.body[1:] if ast.get_docstring(node) is not None else node.body
            if body:
                lines |= {" ".join(l.split()) for l in text[body[0].lineno - 1: body[-1].end_lineno]}
    return lines


def reference_lines(root: Path = ROOT) -> set[str]:
    """Every non-trivial line of a function body in ``solutions/*.py`` that the stub in
    ``exercises/`` does not have."""
    found = set()
    for solution in sorted((root / "solutions").glob("*.py")):
        stub = root / "exercises" / solution.name
        own = _body_lines(solution) - (_lines(stub) if stub.exists() else set())
        found |= {line for line in own
                  if len(line) >= MIN_CHARS and not line.startswith("#") and line not in IDIOMS}
    return found


def _normalised(text: str) -> str:
    return " ".join(text.split())


def page_text(path: Path) -> str:
    """What a file of the site can show a reader: the text of a page, every cell and output of a
    notebook."""
    raw = path.read_text(encoding="utf8", errors="replace")
    if path.suffix == ".html":
        soup = BeautifulSoup(raw, "html.parser")
        for tag in soup(["script", "style"]):
            tag.decompose()
        return soup.get_text()  # no separator: highlighted code is one span per token
    if path.suffix == ".ipynb":
        nb = json.loads(raw)
        parts = []
        for cell in nb.get("cells", []):
            parts.append("".join(cell.get("source", "")))
            for out in cell.get("outputs", []):
                parts.append("".join(out.get("text", "")))
                for value in out.get("data", {}).values():
                    parts.append("".join(value) if isinstance(value, list) else str(value))
        return "\n".join(parts)
    return raw


def leaks(site: Path, lines: set[str]) -> list[str]:
    found = []
    for path in sorted(site.rglob("*")):
        if path.suffix not in (".html", ".ipynb", ".md", ".txt", ".py") or "_static" in path.parts:
            continue
        text = _normalised(page_text(path))
        found += [f"{path.relative_to(site)}: {line!r}" for line in sorted(lines) if line in text]
    return found


def test_the_reference_has_lines_to_look_for():
    lines = reference_lines()
    assert len(lines) >= 20, lines
    assert not any("NotImplementedError" in line for line in lines)


def test_the_scan_finds_a_shown_solution(tmp_path):
    from pygments import highlight
    from pygments.formatters import HtmlFormatter
    from pygments.lexers import PythonLexer

    line = max(reference_lines(), key=lambda l: l.count("*"))  # operators: one span per token
    code = highlight("    " + line + "\n", PythonLexer(), HtmlFormatter())
    (tmp_path / "page.html").write_text(f"<html><body><p>Code:</p>{code}</body></html>")
    (tmp_path / "clean.html").write_text("<html><body><p>raise NotImplementedError</p></body></html>")
    nb = {"cells": [{"cell_type": "code", "source": [], "outputs": [
        {"output_type": "display_data", "data": {"text/markdown": ["```python\n", line, "\n```"]}}]}]}
    (tmp_path / "book.ipynb").write_text(json.dumps(nb))
    found = leaks(tmp_path, {line})
    assert sorted(f.split(":")[0] for f in found) == ["book.ipynb", "page.html"], found


def test_the_public_book_shows_no_line_of_the_reference(site):
    found = leaks(site, reference_lines())
    assert not found, ("the built book shows the reference solutions (build it without "
                       "COURSE_SHOW_SOLUTIONS, into a fresh _build if the cache holds an instructor "
                       "build):\n" + "\n".join(found[:40]))
