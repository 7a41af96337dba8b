"""A static check of the submission's source, before any of it runs.

The exercises ask for an implementation, so a submission may not delegate to the library it is
compared with (``torch.optim.Adam``, ``F.dropout``...), and it has no business with the machinery
that could tamper with the grading process: dynamic code (``eval``, ``exec``, ``__import__``,
``importlib``), introspection of frames and globals, process control, the table of loaded modules
(``sys.modules``), or assignments into ``numpy``/``torch``/``sys``/``os`` (monkeypatching). The
sandbox already keeps such code from reaching the grader; this check makes the attempt itself
cost the exercise, with a message that names the line. It is deliberately narrow: ordinary NumPy
and PyTorch code never trips it, computed attribute names on ``self`` inside a method are fine,
sibling files of the exercises package may import each other (``from .helpers import f``), and
a top-level ``if __name__ == "__main__":`` block is neither checked nor run (the grader imports
the module as ``exercises.<name>``, and its copy of the file has the block blanked out).
"""

from __future__ import annotations

import ast
import threading
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Violation:
    file: str
    line: int
    what: str
    kind: str = "forbidden"  # "forbidden" or "syntax"
    text: str = ""  # the offending source line (syntax errors)
    col: int = 0  # 1-based column of a syntax error, 0 when unknown

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
# allowed with a literal attribute name (getattr(x, "mask", None)) or on self in a method,
# refused with a computed name elsewhere (getattr(torch.optim, name) could be anything)
ATTRIBUTE_CALLS = {"getattr", "setattr", "delattr", "hasattr"}
# Read, ``obj.__class__`` is ``type(obj)`` and ``obj.__dict__`` is ``vars(obj)``, both ordinary Python
# (raise ValueError(f"... {model.__class__.__name__}")); what is refused is what vars() refuses, a
# module's contents (torch.optim.__dict__), and changing the class of anything but self
# (x.__class__ = Liar); the chains that climb from a class to others (__bases__, __subclasses__) are
# refused on their own (FORBIDDEN_ATTRS).
DUNDER_OBJECT_ATTRS = {"__dict__", "__class__"}
FORBIDDEN_ATTRS = {
    "_getframe", "f_back", "f_globals", "f_locals", "__globals__", "__code__", "__builtins__", "__subclasses__",
    "__bases__", "__mro__", "system", "popen", "fork", "forkpty", "kill",
    "killpg", "spawnl", "spawnv", "execv", "execve", "execl", "execvp", "_exit", "settrace", "setprofile",
    "__closure__", "cell_contents", "tb_frame", "gi_frame", "cr_frame", "ag_frame", "_current_frames",
    "get_objects", "get_referrers", "dup2", "fdopen",
    "__import__", "__loader__", "__spec__",
    # the other ways to start a program (os.posix_spawn, os.execvpe...)
    "posix_spawn", "posix_spawnp", "execvpe", "execle", "execlp", "execlpe", "spawnve", "spawnvp", "spawnvpe",
    "spawnle", "spawnlp", "spawnlpe",
    # the builtins module behind any builtin function (print.__self__.getattr), and computed attribute
    # access by other names (operator.attrgetter('f_back'), x.getattr(...) on that module)
    "__self__", "attrgetter", "methodcaller", "getattr", "setattr", "delattr",
}
# attribute access by a computed name through the object protocol: allowed on self and super() only
# (super().__setattr__(name, value) in a class of one's own), refused elsewhere (np.__setattr__('allclose', f))
PROTOCOL_ATTRS = {"__getattribute__", "__getattr__", "__setattr__", "__delattr__"}
# names that lead to the import machinery when used bare
FORBIDDEN_NAMES = {"__builtins__", "__loader__", "__spec__", "attrgetter", "methodcaller"}
# builtins that are fine only as a direct call, whose arguments the check can read: a bare reference
# (g = getattr; g(torch.optim, name), map(getattr, ...), functools.partial(setattr, ...)) hides them
CALL_ONLY = {"eval", "exec", "compile", "__import__", "globals", "getattr", "setattr", "delattr", "vars"}
# attributes refused only on the sys module: sys.modules hands out every loaded module (model.modules() is fine)
SYS_ATTRS = {"modules"}


def _delegation() -> dict[str, frozenset]:
    """The library versions of what each exercise asks the student to write (its package says)."""
    from . import graded

    return {e.name: e.delegated for e in graded.all()}


LIBRARY_ROOTS = {"np", "numpy", "torch", "nn", "F", "optim", "sys", "os", "math", "random"}
# Libraries an exercise may refuse as a whole by naming them among its delegated names (a NumPy backward
# pass by hand refuses every autograd): importing them, from its file or from a helper file it could call,
# and reaching them as an attribute (helpers.torch) cost that exercise only.
LIBRARIES = frozenset({"torch", "jax", "tensorflow", "autograd"})


def _root(node: ast.AST) -> str | None:
    while isinstance(node, ast.Attribute):
        node = node.value
    return node.id if isinstance(node, ast.Name) else None


_PARSE_LOCK = threading.Lock()


def _parse(source, **kwargs) -> ast.Module:
    """``ast.parse``, one thread at a time: CPython 3.11's parser is not safe to run in two threads at
    once ("AST constructor recursion depth mismatch"), and a batch grades students side by side."""
    with _PARSE_LOCK:
        return ast.parse(source, **kwargs)


# ------------------------------------------------------------------- if __name__ == "__main__" ---
def is_main_guard(node: ast.AST) -> bool:
    """``if __name__ == "__main__":`` (either order) with no ``else``: its body never runs on import."""
    if not isinstance(node, ast.If) or node.orelse:
        return False
    test = node.test
    if not (isinstance(test, ast.Compare) and len(test.ops) == 1 and isinstance(test.ops[0], ast.Eq)):
        return False
    sides = [test.left, test.comparators[0]]
    names = [s for s in sides if isinstance(s, ast.Name) and s.id == "__name__"]
    mains = [s for s in sides if isinstance(s, ast.Constant) and s.value == "__main__"]
    return len(names) == 1 and len(mains) == 1


def strip_main_guard(data: bytes) -> bytes:
    """The source with every top-level main block blanked out, line numbers kept.

    The grader imports the file as ``exercises.<name>``, so the block would not run anyway; blanking
    it also defeats a file that sets ``__name__ = "__main__"`` to run what the check did not scan.
    A file that does not parse is returned unchanged (the check reports the syntax error).
    """
    try:
        tree = _parse(data)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return data
    lines = data.splitlines(keepends=True)
    for node in tree.body:
        if is_main_guard(node):
            for i in range(node.lineno - 1, node.end_lineno):
                lines[i] = lines[i][len(lines[i].rstrip(b"\r\n")):]  # keep only the line ending
    return b"".join(lines)


# ------------------------------------------------------------------------------- self ---
def _params(args: ast.arguments) -> list[ast.arg]:
    return [*args.posonlyargs, *args.args, *args.kwonlyargs,
            *([args.vararg] if args.vararg else []), *([args.kwarg] if args.kwarg else [])]


# decorators that leave a method's self alone (a staticmethod's "self" is whatever the caller passes)
PLAIN_DECORATORS = {"property", "cached_property", "functools.cached_property", "abstractmethod",
                    "abc.abstractmethod", "torch.no_grad", "torch.inference_mode", "torch.enable_grad"}


def _plain_decorator(node: ast.expr) -> bool:
    target = node.func if isinstance(node, ast.Call) else node
    if isinstance(target, ast.Attribute) and target.attr in ("setter", "getter", "deleter"):
        return True  # @x.setter
    return ast.unparse(target) in PLAIN_DECORATORS


def _is_method(fn: ast.AST) -> bool:
    """A function whose first parameter is a ``self`` the caller cannot choose (no default, no odd decorator)."""
    if not isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef)):
        return False
    positional = [*fn.args.posonlyargs, *fn.args.args]
    return (bool(positional) and positional[0].arg == "self" and len(fn.args.defaults) < len(positional)
            and all(_plain_decorator(d) for d in fn.decorator_list))


def _instance_selfs(tree: ast.AST) -> set[int]:
    """ids of the ``self`` names that are the instance: inside a method of a class, never rebound.

    A module-level ``def f(self): getattr(self, name)`` could be called with a module, and a
    ``self = torch.optim`` anywhere makes the name mean anything, so neither counts.
    """
    for node in ast.walk(tree):
        rebinds = (
            (isinstance(node, ast.Name) and node.id == "self" and not isinstance(node.ctx, ast.Load))
            or (isinstance(node, ast.ExceptHandler) and node.name == "self")
            or (isinstance(node, ast.alias) and (node.asname or node.name) == "self")
            or (isinstance(node, (ast.Global, ast.Nonlocal)) and "self" in node.names)
            or (isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and node.name == "self")
            or (isinstance(node, (ast.MatchAs, ast.MatchStar)) and node.name == "self")
        )
        if rebinds:
            return set()
    found: set[int] = set()
    stack: list[tuple[ast.AST, bool, bool]] = [(tree, False, False)]  # (node, self trusted, in a class body)
    while stack:  # iterative: a long expression makes a deep tree
        node, trusted, in_class = stack.pop()
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            if in_class and _is_method(node):
                trusted = True
            elif any(a.arg == "self" for a in _params(node.args)):
                trusted = False
        if isinstance(node, ast.Name) and node.id == "self" and trusted:
            found.add(id(node))
        body = {id(b) for b in node.body} if isinstance(node, ast.ClassDef) else set()
        stack.extend((child, trusted, id(child) in body) for child in ast.iter_child_nodes(node))
    return found


# ------------------------------------------------------------------------------- scan ---
def _aliases(tree: ast.AST) -> tuple[set[str], set[str]]:
    """Names bound to imported things (libraries, their parts), and the names bound to ``sys``."""
    aliases, sys_names = set(LIBRARY_ROOTS), {"sys"}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for a in node.names:
                aliases.add((a.asname or a.name).split(".")[0])
                if a.name == "sys" and a.asname:
                    sys_names.add(a.asname)
        elif isinstance(node, ast.ImportFrom) and node.level == 0:
            for a in node.names:
                aliases.add(a.asname or a.name)
                if a.name == "sys":  # from os import sys
                    sys_names.add(a.asname or a.name)
    # opt = torch.optim; s = sys: a new name for a library is the library (followed as a graph: linear time)
    library_edges: dict[str, list[str]] = {}
    sys_edges: dict[str, list[str]] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and isinstance(node.value, (ast.Name, ast.Attribute)):
            names = [t.id for t in node.targets if isinstance(t, ast.Name)]
            library_edges.setdefault(_root(node.value) or "", []).extend(names)
            if isinstance(node.value, ast.Name):
                sys_edges.setdefault(node.value.id, []).extend(names)
    for group, edges in ((aliases, library_edges), (sys_names, sys_edges)):
        todo = list(group)
        while todo:
            for name in edges.get(todo.pop(), []):
                if name not in group:
                    group.add(name)
                    todo.append(name)
    return aliases, sys_names


def _syntax_violation(exc: SyntaxError, source: str, filename: str) -> Violation:
    # the line from the source itself: exc.text may come from a file of the same name in the cwd
    lines = source.splitlines()
    line = exc.lineno or 0
    text = lines[line - 1] if 0 < line <= len(lines) else (exc.text or "").rstrip("\r\n")
    return Violation(filename, line, f"syntax error: {exc.msg}", "syntax", text, exc.offset or 0)


def scan_source(source: str, filename: str, exercise: str | None) -> list[Violation]:
    """Violations in one file; ``exercise`` adds that exercise's delegation rules ("*": every exercise's)."""
    try:
        tree = _parse(source, filename=filename)
    except SyntaxError as exc:
        return [_syntax_violation(exc, source, filename)]
    except ValueError as exc:  # e.g. a NUL byte in the source
        return [Violation(filename, 0, f"syntax error: {exc}", "syntax")]
    except (RecursionError, MemoryError):  # Python could not compile it either
        return [Violation(filename, 0, "syntax error: the file is nested too deeply for Python to read", "syntax")]
    # the main block is not run by the grader (see strip_main_guard), so it may use anything
    tree.body = [node for node in tree.body if not is_main_guard(node)]
    try:
        return _scan_tree(tree, filename, exercise)
    except RecursionError:  # ast.unparse of a pathologically deep expression, say
        return [Violation(filename, 0, "this file is nested too deeply to be checked; write it more simply")]


def _is_super(node: ast.AST) -> bool:
    return isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "super"


def _scan_tree(tree: ast.Module, filename: str, exercise: str | None) -> list[Violation]:
    out: list[Violation] = []
    aliases, sys_names = _aliases(tree)
    selfs = _instance_selfs(tree)
    delegation = _delegation()
    if exercise == "*":  # a library refused as a whole is its exercise's rule only (see scan_package)
        delegated = set().union(*delegation.values()) - LIBRARIES
    else:
        delegated = set(delegation.get(exercise or "", ()))
    libraries = delegated & LIBRARIES

    called = {id(n.func) for n in ast.walk(tree) if isinstance(n, ast.Call)}

    def bad(node: ast.AST, what: str) -> None:
        out.append(Violation(filename, getattr(node, "lineno", 0), what))

    def is_self(node: ast.AST) -> bool:
        return isinstance(node, ast.Name) and id(node) in selfs

    def dunder_refused(attr: str, obj: ast.AST | None, writes: bool) -> bool:
        """``obj.__class__`` / ``obj.__dict__`` (obj not self): reading is refused only for a module's
        ``__dict__``; writing (assigning, deleting, setattr) is refused for both."""
        return writes or (attr == "__dict__" and obj is not None and _root(obj) in aliases)

    def is_sys(node: ast.AST) -> bool:
        return (isinstance(node, ast.Name) and node.id in sys_names) or (
            isinstance(node, ast.Attribute) and node.attr == "sys")  # os.sys

    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for a in node.names:
                parts = a.name.split(".")
                if parts[0] in FORBIDDEN_MODULES:
                    bad(node, f"import {a.name} is not allowed in an exercise")
                elif parts[0] in libraries:
                    bad(node, f"import {a.name}: this exercise is done by hand, without {parts[0]}")
                elif set(parts[1:]) & delegated:  # torch.optim.adam; torch.optim.optimizer is fine
                    bad(node, f"import {a.name}: this exercise asks you to write it yourself, not to import it")
        elif isinstance(node, ast.ImportFrom):
            mod = node.module or ""
            if node.level > 1:
                bad(node, f"from {'.' * node.level}{mod} import ...: an exercise may import the files beside it "
                          "(from . import helpers, from .helpers import f), nothing above the exercises folder")
            elif node.level == 1 and any(a.name in libraries for a in node.names):  # from .helpers import torch
                bad(node, f"from .{mod} import ...: this exercise is done by hand, without "
                          f"{', '.join(sorted(a.name for a in node.names if a.name in libraries))}")
            elif node.level == 0:  # a relative import names a sibling file of the student's: nothing to check
                parts = mod.split(".")
                if parts[0] in FORBIDDEN_MODULES:
                    bad(node, f"from {mod} import ... is not allowed in an exercise")
                elif parts[0] in libraries:
                    bad(node, f"from {mod} import ...: this exercise is done by hand, without {parts[0]}")
                elif set(parts[1:]) & delegated:
                    bad(node, f"from {mod} import ...: this exercise asks you to write it yourself, "
                              "not to import it")
                for a in node.names:
                    if a.name in delegated or a.name in FORBIDDEN_ATTRS or (mod == "sys" and a.name in SYS_ATTRS):
                        bad(node, f"from {mod} import {a.name}: write this yourself instead of importing it")
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in FORBIDDEN_CALLS:
            bad(node, f"{node.func.id}(...) is not allowed in an exercise")
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in ATTRIBUTE_CALLS:
            obj = node.args[0] if node.args else None
            name = node.args[1] if len(node.args) > 1 else None
            literal = isinstance(name, ast.Constant) and isinstance(name.value, str)
            on_self = obj is not None and is_self(obj)
            if not literal and not on_self:
                bad(node, f"{node.func.id}(...) with a computed attribute name is not allowed in an exercise "
                          "except on self in a method; write the attribute out (obj.name)")
            elif literal and (name.value in FORBIDDEN_ATTRS
                              or (name.value in DUNDER_OBJECT_ATTRS and not on_self
                                  and dunder_refused(name.value, obj, node.func.id != "getattr"))
                              or (name.value in delegated and not on_self)
                              or (name.value in PROTOCOL_ATTRS and not on_self)
                              or name.value in SYS_ATTRS):  # getattr([sys][0], "modules"): any object
                bad(node, f"{node.func.id}(..., {name.value!r}) is not allowed in an exercise")
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "vars":
            if not node.args:  # at module level, vars() is globals()
                bad(node, "vars() without an argument is not allowed in an exercise; write vars(obj)")
            elif _root(node.args[0]) in aliases and not is_self(node.args[0]):
                bad(node, f"vars({ast.unparse(node.args[0])}) is not allowed in an exercise: it hands out a "
                          "module's contents; use the names themselves")
        elif isinstance(node, ast.Attribute):
            if node.attr in DUNDER_OBJECT_ATTRS:
                if not is_self(node.value) and dunder_refused(node.attr, node.value,
                                                              not isinstance(node.ctx, ast.Load)):
                    bad(node, f"{ast.unparse(node)}: " + (
                        "an exercise may change the class of self only" if node.attr == "__class__" else
                        "a module's contents are not for an exercise; use the names themselves"
                        if _root(node.value) in aliases else "an exercise may replace the attributes of self only"))
            elif node.attr in FORBIDDEN_ATTRS:
                bad(node, f".{node.attr} is not allowed in an exercise")
            elif node.attr in PROTOCOL_ATTRS and not (is_self(node.value) or _is_super(node.value)):
                bad(node, f".{node.attr} is allowed only on self or super() in an exercise; write the attribute "
                          "out (obj.name)")
            elif node.attr in SYS_ATTRS and is_sys(node.value):
                bad(node, f"sys.{node.attr} is not allowed in an exercise")
            elif node.attr in SYS_ATTRS and id(node) not in called and _root(node.value) not in aliases:
                # [sys][0].modules; model.modules() and torch.nn.modules.batchnorm are fine
                bad(node, f"{ast.unparse(node)}: .{node.attr} is allowed only as a call, model.{node.attr}()")
            elif node.attr in libraries:
                bad(node, f".{node.attr}: this exercise is done by hand, without {node.attr}")
            elif node.attr in delegated and _root(node) in aliases:
                bad(node, f".{node.attr}: this exercise asks you to implement it, not to call the library's version")
        elif isinstance(node, ast.Name) and node.id in FORBIDDEN_NAMES:
            bad(node, f"{node.id} is not allowed in an exercise")
        elif isinstance(node, ast.Name) and node.id in CALL_ONLY and id(node) not in called:
            bad(node, f"{node.id} is allowed only called directly, {node.id}(...), in an exercise; "
                      "a reference to it (an alias, an argument) hides what it is called with")
        if isinstance(node, (ast.Assign, ast.AugAssign, ast.AnnAssign, ast.Delete)):
            targets = node.targets if isinstance(node, (ast.Assign, ast.Delete)) else [node.target]
            for t in targets:
                for sub in _assigned(t):
                    if isinstance(sub, ast.Attribute) and _root(sub) in aliases:
                        bad(node, f"assigning to {ast.unparse(sub)} changes a library for everyone (monkeypatching)")
                        break
    return out


def _assigned(target: ast.AST):
    """The nodes an assignment writes into: ``np.x = ...`` and ``np.x[0] = ...`` write into NumPy,
    ``one_hot[np.arange(n), y] = 1`` only reads ``np.arange`` (an index is not written)."""
    todo = [target]
    while todo:
        node = todo.pop()
        yield node
        if isinstance(node, (ast.Tuple, ast.List)):
            todo.extend(node.elts)
        elif isinstance(node, (ast.Starred, ast.Subscript, ast.Attribute)):
            todo.append(node.value)


def decode_source(data: bytes) -> tuple[str, str | None]:
    """The text of a source file as the check reads it (UTF-8), and the encoding its coding declaration
    names when that is not UTF-8 (Python would decode it so: ``# coding: utf-7`` makes what reads as a
    comment here code there), else None."""
    import io
    import tokenize

    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
    except SyntaxError as exc:  # an unknown encoding, or a BOM that contradicts the declaration
        return data.decode("utf-8", errors="replace"), str(exc)
    other = None if encoding in ("utf-8", "utf-8-sig") else encoding
    return data.decode("utf-8", errors="replace"), other


def scan_package(root: Path, exercises: list[str]) -> dict[str, list[Violation]]:
    """Violations per exercise: an exercise's own file counts for it; any other file counts for all.

    A syntax error in a helper file counts for no exercise here: only the exercises that import the
    file fail, when they do, with Python's own message. The package's ``__init__.py`` is imported by all.
    """
    result: dict[str, list[Violation]] = {e: [] for e in exercises}
    for path in sorted(root.rglob("*.py")):
        rel = str(path.relative_to(root.parent))
        own = path.parent == root and path.stem in _delegation()
        # a shared file (the package's __init__.py, a helper) may not delegate any exercise
        text, coding = decode_source(path.read_bytes())
        found = scan_source(text, rel, path.stem if own else "*")
        if coding is not None:
            found.insert(0, Violation(rel, 1, f"a coding declaration other than UTF-8 ({coding}): save the file as "
                                             "UTF-8 and remove the declaration"))
        if not own and path != root / "__init__.py":
            found = [v for v in found if v.kind != "syntax"]
        for e in ([path.stem] if own else exercises):
            if e in result:
                result[e].extend(found)
        if not own:  # a helper the exercise could call may not bring in a library it refuses as a whole
            for e in exercises:
                if e in result and _delegation().get(e, frozenset()) & LIBRARIES:
                    result[e].extend(v for v in scan_source(text, rel, e) if v not in found and v.kind != "syntax")
    return result
