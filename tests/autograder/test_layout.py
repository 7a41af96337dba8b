"""The grader's layout (issue 13): no import cycles, and the code that runs in the sandbox apart.

Import cycles are found from the module-level imports of every module of ``autograder/`` (imports
inside functions are deliberate late bindings and are left out). The sandbox receives
``autograder/inside/`` and one exercise's ``probes.py``: those import nothing else of the grader.
"""

from __future__ import annotations

import ast
from pathlib import Path

from ag_helpers import ROOT

PKG = ROOT / "autograder"


def _module_name(path: Path) -> str:
    rel = path.relative_to(ROOT).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def _top_level_imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    name = _module_name(path)
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    out = set()
    for node in tree.body:
        if isinstance(node, ast.Import):
            out |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                mod = ".".join(base + ([node.module] if node.module else []))
            else:
                mod = node.module or ""
            out.add(mod)
            out |= {f"{mod}.{a.name}" for a in node.names}  # "from . import x" imports a module x
    return {m for m in out if m.startswith("autograder")}


def _graph() -> dict[str, set[str]]:
    modules = {_module_name(p): p for p in PKG.rglob("*.py") if "__pycache__" not in p.parts}
    return {m: {d for d in _top_level_imports(p) if d in modules and d != m} for m, p in modules.items()}


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    cycles, state = [], {}

    def visit(node: str, stack: list[str]) -> None:
        state[node] = "open"
        for dep in sorted(graph[node]):
            if state.get(dep) == "open":
                cycles.append(stack[stack.index(dep):] + [dep])
            elif dep not in state:
                visit(dep, stack + [dep])
        state[node] = "done"

    for node in sorted(graph):
        if node not in state:
            visit(node, [node])
    # a package and its own submodule importing each other is Python's package mechanism, not a cycle
    return [c for c in cycles if not all(a.startswith(b + ".") or b.startswith(a + ".") for a, b in zip(c, c[1:]))]


def test_no_import_cycles():
    cycles = _cycles(_graph())
    assert not cycles, "import cycles: " + "; ".join(" -> ".join(c) for c in cycles)


def test_the_cycle_finder_can_fail():
    assert _cycles({"x.a": {"x.b"}, "x.b": {"x.a"}}) == [["x.a", "x.b", "x.a"]]
    assert _cycles({"x.a": {"x.b"}, "x.b": set()}) == []


def test_sandbox_code_imports_nothing_else_of_the_grader():
    inside = [p for p in (PKG / "inside").glob("*.py")] + list((PKG / "graded").glob("*/probes.py"))
    for path in inside:
        allowed = {"autograder", "autograder.inside"} | {m for m in _top_level_imports(path) if m.startswith("autograder.inside")}
        bad = _top_level_imports(path) - allowed
        assert not bad, f"{path.relative_to(ROOT)} imports {sorted(bad)}: the sandbox only gets autograder/inside/ and probes.py"


def test_exercise_metadata_needs_neither_numpy_nor_torch():
    """``graded/<name>/__init__.py`` is plain data: the command line reads it before checking torch."""
    for init in (PKG / "graded").glob("*/__init__.py"):
        tree = ast.parse(init.read_text())
        heavy = [n for n in tree.body if isinstance(n, (ast.Import, ast.ImportFrom))
                 and any(a.name.split(".")[0] in ("numpy", "torch") for a in n.names)
                 or isinstance(n, ast.ImportFrom) and (n.module or "").split(".")[0] in ("numpy", "torch")]
        assert not heavy, f"{init.relative_to(ROOT)} imports numpy or torch at module level"
