"""Probes of the ``mlp_backward`` exercise: call an implementation on seeded inputs, return what it gave.

Runs inside the student's sandboxed process (and in the grader's, on the reference, on autograd and
on the catalogued mistakes): imports only the standard library, NumPy and
:mod:`autograder.inside.probing`. The inputs are rebuilt from the case's arguments (a seed and
sizes), so the judges can show them.
"""

from __future__ import annotations

import re

import numpy as np

from autograder.inside.probing import StudentError, _kind, _need, probe

NAMES = ("W1", "b1", "W2", "b2")
FUNCTION = "mlp_forward_backward"


def inputs(seed: int, n: int = 8, d: int = 5, h: int = 6, c: int = 4, dtype: str = "float64", scale: float = 1.0,
           zeros: bool = False) -> dict:
    """The case's ``x (n, d)``, ``targets (n,)``, ``W1 (h, d)``, ``b1 (h,)``, ``W2 (c, h)``, ``b2 (c,)``.

    ``scale`` multiplies ``W2`` (``1e4``: logits of about +-1e4, where ``exp`` overflows without the
    max shift). ``zeros`` makes pre-activations exactly 0: hidden unit 0 has ``W1[0] = 0`` and
    ``b1[0] = 0`` (``A1[:, 0] = 0`` for every sample), and sample 0 is ``x[0] = 0`` with ``b1[1] = 0``.
    """
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, d))
    W1 = rng.standard_normal((h, d)) / np.sqrt(d)
    b1 = 0.1 * rng.standard_normal(h)
    W2 = scale * rng.standard_normal((c, h)) / np.sqrt(h)
    b2 = 0.1 * rng.standard_normal(c)
    targets = rng.integers(0, c, size=n).astype(np.int64)
    if zeros:
        W1[0] = 0.0
        b1[:2] = 0.0
        x[0] = 0.0
    arrays = {"x": x, "W1": W1, "b1": b1, "W2": W2, "b2": b2}
    return {**{k: v.astype(dtype) for k, v in arrays.items()}, "targets": targets}


def _copies(data: dict) -> dict:
    return {k: v.copy() for k, v in data.items()}


def _call(module, data: dict, keywords: bool = False):
    fn = _need(module, FUNCTION)
    if keywords:  # by name, in another order than the signature's
        return fn(b2=data["b2"], W2=data["W2"], b1=data["b1"], W1=data["W1"], targets=data["targets"], x=data["x"])
    return fn(data["x"], data["targets"], data["W1"], data["b1"], data["W2"], data["b2"])


def _result(out) -> tuple[np.ndarray, dict]:
    """The ``(loss, grads)`` the function returned, checked for kind; a message says what is wrong."""
    if not isinstance(out, tuple) or len(out) != 2:
        raise StudentError(f"{FUNCTION} must return a tuple (loss, grads); it returned {_kind(out)}"
                           + (f" of length {len(out)}" if isinstance(out, (tuple, list)) else ""))
    loss, grads = out
    if not isinstance(loss, (np.ndarray, np.generic, float)) or isinstance(loss, bool) or np.ndim(loss) != 0:
        raise StudentError(f"the loss must be a NumPy scalar or a 0-d array; {FUNCTION} returned {_kind(loss)}"
                           + (f" of shape {np.shape(loss)}" if isinstance(loss, np.ndarray) else ""))
    if not isinstance(grads, dict):
        raise StudentError(f"grads must be a dict with the keys {', '.join(NAMES)}; it is {_kind(grads)}")
    missing = [k for k in NAMES if k not in grads]
    if missing:
        raise StudentError(f"grads has no key {', '.join(map(repr, missing))}; it must have the keys "
                           f"{', '.join(map(repr, NAMES))} (it has {', '.join(map(repr, grads))})")
    for k in NAMES:
        if not isinstance(grads[k], np.ndarray):
            raise StudentError(f"grads[{k!r}] must be a NumPy array; it is {_kind(grads[k])}")
    return np.asarray(loss), {k: grads[k] for k in NAMES}


@probe
def mlp(module, seed: int, n: int = 8, d: int = 5, h: int = 6, c: int = 4, dtype: str = "float64",
        scale: float = 1.0, zeros: bool = False, keywords: bool = False, check: str = "all") -> dict:
    """``mlp_forward_backward`` once on the case's inputs: the loss, the four gradients, their dtypes,
    and which arguments the call changed (``check`` says what the judge looks at)."""
    data = inputs(seed, n, d, h, c, dtype, scale, zeros)
    before = _copies(data)
    loss, grads = _result(_call(module, data, keywords))
    modified = [k for k in data if not np.array_equal(data[k], before[k], equal_nan=True)]
    return {"loss": loss, "grads": grads, "loss_dtype": loss.dtype.name,
            "grad_dtypes": {k: g.dtype.name for k, g in grads.items()}, "modified": modified,
            "inputs": before}


@probe
def mlp_dtypes(module, seed: int) -> dict:
    """The dtype of the loss and of each gradient for float32 and for float64 inputs (N=4, D=3, H=5, C=3)."""
    out = {}
    for dtype in ("float32", "float64"):
        loss, grads = _result(_call(module, inputs(seed, 4, 3, 5, 3, dtype)))
        out[dtype] = {"loss": loss.dtype.name, **{k: g.dtype.name for k, g in grads.items()}}
    return out


# The invalid calls a validation case can make, on x (3, 4), W1 (5, 4), b1 (5,), W2 (2, 5), b2 (2,) and
# targets (3,): what is changed (a shape, a dtype, a target), and the argument its message must name.
INVALID = {
    "x of shape (4,)": {"x": (4,), "blame": "x"},
    "x of shape (3, 4, 1)": {"x": (3, 4, 1), "blame": "x"},
    "x and the parameters of dtype int64": {"int64": True, "blame": "x"},
    "targets of shape (2,)": {"targets": (2,), "blame": "targets"},
    "targets of shape (3, 1)": {"targets": (3, 1), "blame": "targets"},
    "W1 of shape (5, 3) (D = 4)": {"W1": (5, 3), "blame": "W1"},
    "W1 of shape (4, 5) (transposed)": {"W1": (4, 5), "blame": "W1"},
    "W1 of shape (5,)": {"W1": (5,), "blame": "W1"},
    "b1 of shape (4,)": {"b1": (4,), "blame": "b1"},
    "b1 of shape (5, 1)": {"b1": (5, 1), "blame": "b1"},
    "W2 of shape (2, 4) (H = 5)": {"W2": (2, 4), "blame": "W2"},
    "W2 of shape (5, 2) (transposed)": {"W2": (5, 2), "blame": "W2"},
    "W2 of shape (5,)": {"W2": (5,), "blame": "W2"},
    "b2 of shape (5,)": {"b2": (5,), "blame": "b2"},
    "b2 of shape (1, 2)": {"b2": (1, 2), "blame": "b2"},
    "W1 float32, the rest float64": {"dtypes": {"W1": "float32"}, "blame": "W1"},
    "b1 float32, the rest float64": {"dtypes": {"b1": "float32"}, "blame": "b1"},
    "W2 float32, the rest float64": {"dtypes": {"W2": "float32"}, "blame": "W2"},
    "b2 float32, the rest float64": {"dtypes": {"b2": "float32"}, "blame": "b2"},
    # every parameter differs from x: x, or the first parameter checked, is at fault (the docstring says so)
    "x float32, the parameters float64": {"dtypes": {"x": "float32"}, "blame": ("x", "W1", "b1", "W2", "b2")},
    "everything float32 (valid)": {"dtypes": dict.fromkeys(("x", "W1", "b1", "W2", "b2"), "float32")},
    "N = 1 (valid)": {"x": (1, 4), "targets": (1,)},
    "H = 1 (valid)": {"W1": (1, 4), "b1": (1,), "W2": (2, 1)},
    "a target of 2 (C = 2)": {"bad_target": 2, "blame": "target"},
    "a target of -1": {"bad_target": -1, "blame": "target"},
    "a target of 1 (the last class, valid)": {"bad_target": 1},
}


def _invalid_call(fn, change: dict):
    rng = np.random.default_rng(0)
    shapes = {"x": (3, 4), "W1": (5, 4), "b1": (5,), "W2": (2, 5), "b2": (2,)}
    arrays = {k: rng.standard_normal(change.get(k, s)).astype(change.get("dtypes", {}).get(k, "float64"))
              for k, s in shapes.items()}
    if change.get("int64"):
        arrays = {k: np.ones(a.shape, dtype=np.int64) for k, a in arrays.items()}
    targets = np.zeros(change.get("targets", (3,)), dtype=np.int64)
    if "bad_target" in change:
        targets[1] = change["bad_target"]
    return fn(arrays["x"], targets, arrays["W1"], arrays["b1"], arrays["W2"], arrays["b2"])


def _names(message: str, blame: str | tuple) -> bool:
    """Whether an error's message names the argument at fault (a target: the word, in any case; a
    tuple: any of its names)."""
    if isinstance(blame, tuple):
        return any(_names(message, b) for b in blame)
    if blame == "target":
        return "target" in message.lower()
    return re.search(rf"(?<![A-Za-z0-9_]){re.escape(blame)}(?![A-Za-z0-9_])", message) is not None


@probe
def mlp_validation(module, calls: list) -> dict:
    """What ``mlp_forward_backward`` raises for each named call: the exception's type name, with a note
    when its message does not name the argument at fault (``None`` when nothing is raised). A valid
    call comes first: the checks are in a helper the stub keeps, so they earn points only once the
    function itself is written."""
    fn = _need(module, FUNCTION)
    _invalid_call(fn, {})
    raised = {}
    for name in calls:
        try:
            _invalid_call(fn, INVALID[name])
            raised[name] = None
        except NotImplementedError:
            raise
        except Exception as exc:  # noqa: BLE001 - we report the type, and whether the message says what is wrong
            blame = INVALID[name].get("blame")
            raised[name] = type(exc).__name__
            if blame and not _names(str(exc), blame):
                names = " or ".join(blame) if isinstance(blame, tuple) else blame
                raised[name] += f" (its message does not name {names}: {str(exc)[:120]!r})"
    return raised
