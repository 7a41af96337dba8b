"""Single-point mutants of a reference solution, made on its syntax tree.

Each mutant changes one thing in one place: an operator, a comparison, a constant, an argument,
a default, a statement dropped, a method call replaced by its receiver or toggled between its
in-place and out-of-place forms, a decorator removed, an ``if`` forced. What is not behaviour
is left alone: docstrings, annotations, imports, ``__all__``, and the text of error messages
(the specification names the exception, not its wording).

The mutant's source is the whole module unparsed from the mutated tree, and its diff is taken
against the original module unparsed the same way, so the diff shows exactly the changed line.
A mutant's ``key`` is a digest of its exercise and that diff (not of line numbers), so a list of
reviewed equivalent mutants survives edits elsewhere in the file.
"""

from __future__ import annotations

import ast
import copy
import difflib
import hashlib
from dataclasses import dataclass
from typing import Callable, Iterator

# torch methods whose in-place twin (name + "_") exists: toggling them is a classic mistake
# (``grad.add(p, alpha=wd)`` -> ``grad.add_(...)`` writes the decay into the caller's gradient).
INPLACE_TWINS = {"add", "sub", "mul", "div", "sqrt", "addcmul", "addcdiv", "lerp", "clamp", "neg", "pow",
                 "copy", "zero", "fill", "masked_fill", "bernoulli", "uniform", "normal", "exp", "log"}
# method calls that return a transformed copy of their receiver: replacing the call by the
# receiver drops the copy, the cast or the detach
RECEIVER_CALLS = {"copy", "clone", "detach", "astype", "float", "double", "to", "item", "cpu", "contiguous",
                  "type_as", "numpy", "tolist", "sqrt", "add", "sub", "mul", "div", "lerp", "addcmul",
                  "addcdiv", "add_", "sub_", "mul_", "div_", "sqrt_", "lerp_", "addcmul_", "addcdiv_"}

BINOP_SWAPS = {ast.Add: [ast.Sub], ast.Sub: [ast.Add], ast.Mult: [ast.Div], ast.Div: [ast.Mult],
               ast.Pow: [ast.Mult], ast.FloorDiv: [ast.Div], ast.Mod: [ast.FloorDiv], ast.MatMult: [ast.Mult]}
CMP_SWAPS = {ast.Lt: [ast.LtE, ast.Gt], ast.LtE: [ast.Lt, ast.GtE], ast.Gt: [ast.GtE, ast.Lt],
             ast.GtE: [ast.Gt, ast.LtE], ast.Eq: [ast.NotEq], ast.NotEq: [ast.Eq], ast.Is: [ast.IsNot],
             ast.IsNot: [ast.Is], ast.In: [ast.NotIn], ast.NotIn: [ast.In]}
AUG_SWAPS = {ast.Add: ast.Sub, ast.Sub: ast.Add, ast.Mult: ast.Div, ast.Div: ast.Mult}


@dataclass(frozen=True)
class Mutant:
    exercise: str
    key: str
    operator: str
    line: int  # in the original source
    diff: str  # the changed lines, "- old" then "+ new", in unparsed form
    source: str  # the whole mutated module

    def describe(self) -> str:
        return f"{self.key} [{self.operator}] line {self.line}\n{self.diff}"


def _skip_nodes(tree: ast.Module) -> set[int]:
    """ids of nodes that are not behaviour: docstrings, annotations, imports, __all__, error texts."""
    skip: set[int] = set()

    def mark(node: ast.AST | None) -> None:
        if node is not None:
            skip.update(id(n) for n in ast.walk(node))

    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if isinstance(node, (ast.Module, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and body:
            first = body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant) and isinstance(first.value.value, str):
                mark(first)
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            mark(node.returns)
            for a in node.args.args + node.args.kwonlyargs + node.args.posonlyargs + [node.args.vararg, node.args.kwarg]:
                if a is not None:
                    mark(a.annotation)
        if isinstance(node, ast.AnnAssign):
            mark(node.annotation)
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            mark(node)
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "__all__" for t in node.targets):
            mark(node)
        if isinstance(node, ast.Raise):  # the exception's type is behaviour, its message is not
            for sub in ast.walk(node):
                if isinstance(sub, (ast.Constant, ast.JoinedStr)) and not isinstance(getattr(sub, "value", None), (int, float)):
                    mark(sub)
                if isinstance(sub, ast.JoinedStr):
                    mark(sub)
        if isinstance(node, ast.JoinedStr):
            mark(node)
    return skip


def _constant_variants(value) -> list:
    if isinstance(value, bool):
        return [not value]
    if isinstance(value, int):
        return sorted({value + 1, value - 1} - {value})
    if isinstance(value, float):
        out = [value + 1.0]
        out.append(0.0 if value != 0.0 else 1.0)
        if value not in (0.0,):
            out.append(value * 2.0)
        return list(dict.fromkeys(v for v in out if v != value))
    if isinstance(value, str):
        return ["XX" + value + "XX"]
    return []


# A site is (path to a node in the tree, a function that mutates that node in a copied tree).
Edit = Callable[[ast.AST], "ast.AST | list[ast.stmt] | None"]


def _sites(tree: ast.Module) -> Iterator[tuple[ast.AST, str, Edit]]:
    """Every (node, operator name, edit) of the tree; the edit returns the replacement node."""
    skip = _skip_nodes(tree)
    for node in ast.walk(tree):
        if id(node) in skip:
            continue
        if isinstance(node, ast.BinOp):
            for new in BINOP_SWAPS.get(type(node.op), []):
                yield node, "binop", (lambda n, new=new: _with(n, op=new()))
        elif isinstance(node, ast.AugAssign) and type(node.op) in AUG_SWAPS:
            yield node, "augassign", (lambda n: _with(n, op=AUG_SWAPS[type(n.op)]()))
        elif isinstance(node, ast.Compare) and len(node.ops) == 1:
            for new in CMP_SWAPS.get(type(node.ops[0]), []):
                yield node, "compare", (lambda n, new=new: _with(n, ops=[new()]))
        elif isinstance(node, ast.BoolOp):
            other = ast.Or if isinstance(node.op, ast.And) else ast.And
            yield node, "boolop", (lambda n, other=other: _with(n, op=other()))
            for i in range(len(node.values)):
                yield node, "boolop-drop", (lambda n, i=i: _drop_operand(n, i))
        elif isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.Not, ast.USub)):
            yield node, "unary", (lambda n: n.operand)
        elif isinstance(node, ast.Constant):
            for new in _constant_variants(node.value):
                yield node, "constant", (lambda n, new=new: ast.Constant(new))
        elif isinstance(node, ast.Call):
            yield from _call_sites(node)
        elif isinstance(node, ast.If):
            yield node, "if-true", (lambda n: _with(n, test=ast.Constant(True)))
            yield node, "if-false", (lambda n: _with(n, test=ast.Constant(False)))
        elif isinstance(node, ast.IfExp):
            yield node, "ifexp", (lambda n: n.body)
            yield node, "ifexp", (lambda n: n.orelse)
        elif isinstance(node, ast.Continue):
            yield node, "continue-break", (lambda n: ast.Break())
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            for i in range(len(node.decorator_list)):
                yield node, "decorator", (lambda n, i=i: _with(n, decorator_list=n.decorator_list[:i] + n.decorator_list[i + 1:]))
            a = node.args
            for i in range(len(a.defaults)):
                yield node, "default", (lambda n, i=i: _drop_default(n, i))
            for i, d in enumerate(a.kw_defaults):
                if d is not None:
                    yield node, "default", (lambda n, i=i: _drop_kw_default(n, i))
        if isinstance(node, ast.stmt) and not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef,
                                                                  ast.Import, ast.ImportFrom, ast.Pass)):
            if isinstance(node, (ast.If, ast.For, ast.While, ast.With, ast.Try)):
                yield node, "delete", (lambda n: ast.Pass())
            else:
                yield node, "delete", (lambda n: ast.Pass())
                if isinstance(node, ast.Return) and node.value is not None:
                    yield node, "return-none", (lambda n: ast.Return(value=ast.Constant(None)))


def _call_sites(node: ast.Call) -> Iterator[tuple[ast.AST, str, Edit]]:
    for i in range(len(node.keywords)):
        if node.keywords[i].arg is not None:
            yield node, "call-kwarg", (lambda n, i=i: _with(n, keywords=n.keywords[:i] + n.keywords[i + 1:]))
    if len(node.args) >= 2:
        yield node, "call-args", (lambda n: _with(n, args=[n.args[1], n.args[0], *n.args[2:]]))
    func = node.func
    if isinstance(func, ast.Attribute):
        name = func.attr
        if name in INPLACE_TWINS or (name.endswith("_") and name[:-1] in INPLACE_TWINS):
            twin = name[:-1] if name.endswith("_") else name + "_"
            yield node, "inplace", (lambda n, twin=twin: _with(n, func=_with(n.func, attr=twin)))
        if name in RECEIVER_CALLS:
            yield node, "call-receiver", (lambda n: n.func.value)


def _with(node: ast.AST, **fields) -> ast.AST:
    new = copy.copy(node)
    for k, v in fields.items():
        setattr(new, k, v)
    return new


def _drop_operand(node: ast.BoolOp, i: int) -> ast.AST:
    values = node.values[:i] + node.values[i + 1:]
    return values[0] if len(values) == 1 else _with(node, values=values)


def _drop_default(node, i: int):
    a = copy.copy(node.args)
    if i != 0:  # only the first default can go without making the later ones invalid... unless it is the last
        return None
    positional = a.posonlyargs + a.args
    if len(a.defaults) and positional[len(positional) - len(a.defaults)] is None:
        return None
    a.defaults = a.defaults[1:]
    return _with(node, args=a)


def _drop_kw_default(node, i: int):
    a = copy.copy(node.args)
    a.kw_defaults = a.kw_defaults[:i] + [None] + a.kw_defaults[i + 1:]
    return _with(node, args=a)


def _replace(tree: ast.Module, target: ast.AST, replacement) -> ast.Module:
    """A copy of ``tree`` with ``target`` (found by identity in the original) replaced."""
    path = _path_to(tree, target)
    new_tree = copy.deepcopy(tree)
    parent, field, index = new_tree, None, None
    node = new_tree
    for field, index in path:
        parent = node
        node = getattr(node, field) if index is None else getattr(node, field)[index]
    if index is None:
        setattr(parent, field, replacement)
    else:
        getattr(parent, field)[index] = replacement
    return new_tree


def _path_to(tree: ast.AST, target: ast.AST) -> list[tuple[str, int | None]]:
    stack: list[tuple[ast.AST, list]] = [(tree, [])]
    while stack:
        node, path = stack.pop()
        if node is target:
            return path
        for field, value in ast.iter_fields(node):
            if isinstance(value, ast.AST):
                stack.append((value, path + [(field, None)]))
            elif isinstance(value, list):
                for i, item in enumerate(value):
                    if isinstance(item, ast.AST):
                        stack.append((item, path + [(field, i)]))
    raise LookupError("node not in tree")


def _diff(before: str, after: str) -> str:
    lines = difflib.unified_diff(before.splitlines(), after.splitlines(), lineterm="", n=0)
    return "\n".join(line for line in lines if line[:1] in "+-" and line[:3] not in ("---", "+++"))


def mutants(source: str, exercise: str) -> list[Mutant]:
    """Every single-point mutant of ``source`` that compiles and differs from it."""
    tree = ast.parse(source)
    original = ast.unparse(tree)
    out: list[Mutant] = []
    seen: dict[str, int] = {}
    for node, operator, edit in list(_sites(tree)):
        replacement = edit(copy.deepcopy(node))
        if replacement is None:
            continue
        mutated_tree = _replace(tree, node, replacement)
        try:
            mutated = ast.unparse(ast.fix_missing_locations(mutated_tree))
            compile(mutated, f"<mutant of {exercise}>", "exec")
        except (SyntaxError, ValueError, TypeError, AttributeError):
            continue
        if mutated == original:
            continue
        diff = _diff(original, mutated)
        digest = hashlib.sha1(f"{exercise}\n{operator}\n{diff}".encode()).hexdigest()[:10]
        n = seen.get(digest, 0)
        seen[digest] = n + 1
        key = f"{exercise}-{digest}" + (f"-{n}" if n else "")
        out.append(Mutant(exercise, key, operator, getattr(node, "lineno", 0), diff, mutated))
    return out
