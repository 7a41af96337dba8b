"""Generate ``exercises/`` from ``solutions/``: the same files and names, the marked bodies replaced.

A stub keeps every signature, docstring and helper of the reference; only the bodies listed in
``TODO`` become ``raise NotImplementedError(...)`` naming the exercise. Run it after changing a
solution; ``tests/test_stubs.py`` fails while ``exercises/`` is out of date.

    python tools/make_stubs.py          # rewrite exercises/
    python tools/make_stubs.py --check  # exit 1 if exercises/ differs
"""

from __future__ import annotations

import argparse
import ast
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

sys.path.insert(0, str(ROOT))
from autograder import graded  # noqa: E402

# exercise -> the functions (Class.method for methods) whose bodies the student writes (each package's ``todo``)
TODO: dict[str, tuple[str, ...]] = {name: graded.load(name).todo for name in graded.names()}

HEADER = '''"""{doc}

Student version: fill in every function that raises ``NotImplementedError``, then run
``python -m autograder check {exercise}``.
"""'''


def _functions(tree: ast.Module):
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            yield node.name, node
        elif isinstance(node, ast.ClassDef):
            for item in node.body:
                if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef)):
                    yield f"{node.name}.{item.name}", item


def make_stub(exercise: str, source: str) -> str:
    tree = ast.parse(source)
    lines = source.splitlines(keepends=True)
    wanted = set(TODO[exercise])
    found = {name: node for name, node in _functions(tree) if name in wanted}
    missing = wanted - set(found)
    if missing:
        raise SystemExit(f"solutions/{exercise}.py has no {', '.join(sorted(missing))}")
    # replace from the bottom up so that earlier line numbers stay valid
    for name, node in sorted(found.items(), key=lambda kv: -kv[1].lineno):
        body = node.body
        first = body[1] if ast.get_docstring(node) is not None and len(body) > 1 else body[0]
        if ast.get_docstring(node) is not None and len(body) == 1:
            raise SystemExit(f"{name} has only a docstring")
        indent = " " * first.col_offset
        start = first.lineno - 1
        end = body[-1].end_lineno
        stub = f'{indent}raise NotImplementedError("exercise {exercise}: implement {name}")\n'
        lines[start:end] = [stub]
    text = "".join(lines)
    doc = ast.get_docstring(tree)
    old_doc_node = tree.body[0]
    text_lines = text.splitlines(keepends=True)
    head = HEADER.format(doc=doc, exercise=exercise) + "\n"
    text = head + "".join(text_lines[old_doc_node.end_lineno:])
    return text


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="report differences instead of writing")
    args = parser.parse_args(argv)
    stale = []
    for exercise in TODO:
        src = (ROOT / "solutions" / f"{exercise}.py").read_text()
        stub = make_stub(exercise, src)
        target = ROOT / "exercises" / f"{exercise}.py"
        if args.check:
            if not target.exists() or target.read_text() != stub:
                stale.append(str(target.relative_to(ROOT)))
        else:
            target.write_text(stub)
    if stale:
        print("out of date (run python tools/make_stubs.py):", ", ".join(stale))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
