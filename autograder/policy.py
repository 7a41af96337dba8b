"""A static check of the submission's source, before any of it runs.

The exercises ask for an implementation, so a submission may not delegate to the library it is
compared with (``torch.optim.Adam``, ``F.dropout``...), and it has no business with the machinery
that could tamper with the grading process: dynamic code (``eval``, ``exec``, ``__import__``,
``importlib``), introspection of frames and globals, process control, or assignments into
``numpy``/``torch``/``sys``/``os`` (monkeypatching). The sandbox already keeps such code from
reaching the grader; this check makes the attempt itself cost the exercise, with a message that
names the line. It is deliberately narrow: ordinary NumPy and PyTorch code never trips it.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Violation:
    file: str
    line: int
    what: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.what}"


FORBIDDEN_MODULES = {
    "importlib", "ctypes", "cffi", "gc", "inspect", "builtins", "subprocess", "multiprocessing", "socket",
    "signal", "pty", "threading", "_thread", "concurrent", "code", "codeop", "runpy", "marshal", "pickle",
    "dill", "shelve", "urllib", "http", "requests", "sysconfig", "site", "atexit", "faulthandler", "resource",
    "traceback", "tracemalloc", "weakref", "ptrace",
    "autograder", "solutions", "probes", "codec", "harness",
}
FORBIDDEN_CALLS = {"eval", "exec", "compile", "__import__", "globals", "breakpoint", "input"}
# allowed with a literal attribute name (getattr(self, "mask", None)), refused with a computed one
ATTRIBUTE_CALLS = {"getattr", "setattr", "delattr", "hasattr"}
# harmless on the object itself (self.__class__.__name__, self.__dict__.update(...)), refused elsewhere
SELF_ONLY_ATTRS = {"__dict__", "__class__"}
FORBIDDEN_ATTRS = {
    "_getframe", "f_back", "f_globals", "f_locals", "__globals__", "__code__", "__builtins__", "__subclasses__",
    "__bases__", "__mro__", "modules", "system", "popen", "fork", "forkpty", "kill",
    "killpg", "spawnl", "spawnv", "execv", "execve", "execl", "execvp", "_exit", "settrace", "setprofile",
    "__closure__", "cell_contents", "tb_frame", "gi_frame", "cr_frame", "ag_frame", "_current_frames",
    "get_objects", "get_referrers", "dup2", "fdopen",
}
# the library versions of what each exercise asks the student to write
DELEGATION = {
    "adam": {"Adam", "AdamW", "adam", "adamw", "_single_tensor_adam", "_multi_tensor_adam", "_fused_adam",
             "_functional", "lr_scheduler"},
    "dropout": {"dropout", "Dropout", "dropout_", "feature_dropout", "alpha_dropout", "Dropout1d", "Dropout2d",
                "Dropout3d", "AlphaDropout", "native_dropout", "fused_dropout"},
    "early_stopping": set(),
}
LIBRARY_ROOTS = {"np", "numpy", "torch", "nn", "F", "optim", "sys", "os", "math", "random"}


def _root(node: ast.AST) -> str | None:
    while isinstance(node, ast.Attribute):
        node = node.value
    return node.id if isinstance(node, ast.Name) else None


def scan_source(source: str, filename: str, exercise: str | None) -> list[Violation]:
    """Violations in one file; ``exercise`` adds that exercise's delegation rules."""
    try:
        tree = ast.parse(source, filename=filename)
    except SyntaxError as exc:
        return [Violation(filename, exc.lineno or 0, f"syntax error: {exc.msg}")]
    out: list[Violation] = []
    aliases = set(LIBRARY_ROOTS)
    delegated = set().union(*DELEGATION.values()) if exercise == "*" else DELEGATION.get(exercise or "", set())

    def bad(node: ast.AST, what: str) -> None:
        out.append(Violation(filename, getattr(node, "lineno", 0), what))

    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for a in node.names:
                top = a.name.split(".")[0]
                if top in FORBIDDEN_MODULES:
                    bad(node, f"import {a.name} is not allowed in an exercise")
                if a.name.startswith("torch.optim") and exercise == "adam" and a.name != "torch.optim":
                    bad(node, f"import {a.name}: implement Adam yourself instead of importing it")
                aliases.add((a.asname or a.name).split(".")[0])
        elif isinstance(node, ast.ImportFrom):
            mod = node.module or ""
            if node.level > 0 or mod.split(".")[0] in FORBIDDEN_MODULES:
                bad(node, f"from {'.' * node.level}{mod} import ... is not allowed in an exercise")
            for a in node.names:
                if a.name in delegated or (a.name in FORBIDDEN_ATTRS):
                    bad(node, f"from {mod} import {a.name}: write this yourself instead of importing it")
                aliases.add(a.asname or a.name)
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in FORBIDDEN_CALLS:
            bad(node, f"{node.func.id}(...) is not allowed in an exercise")
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in ATTRIBUTE_CALLS:
            name = node.args[1] if len(node.args) > 1 else None
            literal = isinstance(name, ast.Constant) and isinstance(name.value, str)
            if not literal:
                bad(node, f"{node.func.id}(...) with a computed attribute name is not allowed in an exercise; "
                          "write the attribute out (obj.name)")
            elif name.value in FORBIDDEN_ATTRS or name.value in delegated or name.value.startswith("__"):
                bad(node, f"{node.func.id}(..., {name.value!r}) is not allowed in an exercise")
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "vars":
            if not (len(node.args) == 1 and isinstance(node.args[0], ast.Name) and node.args[0].id == "self"):
                bad(node, "vars(...) is not allowed in an exercise except as vars(self)")
        elif isinstance(node, ast.Attribute):
            if node.attr in SELF_ONLY_ATTRS:
                if not (isinstance(node.value, ast.Name) and node.value.id == "self"):
                    bad(node, f".{node.attr} is allowed only on self in an exercise")
            elif node.attr in FORBIDDEN_ATTRS:
                bad(node, f".{node.attr} is not allowed in an exercise")
            elif node.attr in delegated and _root(node) in aliases and _root(node) not in ("self",):
                bad(node, f".{node.attr}: this exercise asks you to implement it, not to call the library's version")
        elif isinstance(node, ast.Name) and node.id in ("__builtins__", "__loader__", "__spec__"):
            bad(node, f"{node.id} is not allowed in an exercise")
        if isinstance(node, (ast.Assign, ast.AugAssign, ast.AnnAssign, ast.Delete)):
            targets = node.targets if isinstance(node, (ast.Assign, ast.Delete)) else [node.target]
            for t in targets:
                for sub in ast.walk(t):
                    if isinstance(sub, ast.Attribute) and _root(sub) in aliases and _root(sub) != "self":
                        bad(node, f"assigning to {ast.unparse(sub)} changes a library for everyone (monkeypatching)")
                        break
    return out


def scan_package(root: Path, exercises: list[str]) -> dict[str, list[Violation]]:
    """Violations per exercise: an exercise's own file counts for it; any other file counts for all."""
    result: dict[str, list[Violation]] = {e: [] for e in exercises}
    for path in sorted(root.rglob("*.py")):
        rel = str(path.relative_to(root.parent))
        own = path.parent == root and path.stem in DELEGATION
        # a shared file (the package's __init__.py, a helper) may not delegate any exercise
        found = scan_source(path.read_text(encoding="utf-8", errors="replace"), rel, path.stem if own else "*")
        for e in ([path.stem] if own else exercises):
            if e in result:
                result[e].extend(found)
    return result
