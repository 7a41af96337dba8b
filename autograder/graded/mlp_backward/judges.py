"""Judges of the ``mlp_backward`` exercise: compare a student's observation with autograd's.

Runs in the grader's process, never in the sandbox. The value cases compare with ``torch.autograd``
on the same network (``F.linear``, ``F.relu``, ``F.cross_entropy``, ``loss.backward()``); the
reference agrees with it on every case (``tests/autograder/test_mlp_backward.py``). The inputs
shown come from the grader's own run of the probe (same seed), never from the student's report.
"""

from __future__ import annotations

import numpy as np

from autograder import config
from autograder.judges import HINTS, MATCHERS, Context, Verdict, _fmt, _row, judge

NAMES = ("W1", "b1", "W2", "b2")
SHAPES = {"W1": "(H, D)", "b1": "(H,)", "W2": "(C, H)", "b2": "(C,)"}


def _setting(case) -> str:
    a = case.args
    parts = [f"N={a.get('n', 8)}", f"D={a.get('d', 5)}", f"H={a.get('h', 6)}", f"C={a.get('c', 4)}",
             a.get("dtype", "float64"), f"seed {a['seed']}"]
    if a.get("scale", 1.0) != 1.0:
        parts.append(f"W2 scaled by {a['scale']:g}: logits of about +-{a['scale']:g}")
    if a.get("zeros"):
        parts.append("pre-activations exactly 0: W1[0] = 0, b1[0] = b1[1] = 0, x[0] = 0")
    if a.get("keywords"):
        parts.append("called with keyword arguments")
    return ", ".join(parts)


def _mismatch(case, g: np.ndarray, e: np.ndarray) -> np.ndarray | None:
    """The entries where ``g`` differs from ``e`` beyond the dtype's tolerance (None: none)."""
    rtol, atol = config.tolerance(case.args.get("dtype", "float64"), "cpu")
    bad = ~np.isclose(g.astype(np.float64), e.astype(np.float64), rtol=rtol, atol=atol, equal_nan=True)
    return bad if bad.any() else None


def _close(case, g: np.ndarray, e: np.ndarray) -> bool:
    return g.shape == e.shape and _mismatch(case, g, e) is None


def _shape_notes(case, name: str, g: np.ndarray, e: np.ndarray) -> str:
    if g.shape == e.shape[::-1] and g.ndim == 2:
        return (f"\n  it has the transposed shape: nn.Linear stores a weight as (out_features, in_features), so its "
                f"gradient is (upstream gradient).T @ (the layer's input), e.g. dW2 = dZ.T @ H1, not H1.T @ dZ")
    n = case.args.get("n", 8)
    if name.startswith("b") and g.shape == (n,):
        return ("\n  a bias is added to every row (broadcast), so its gradient is the sum over the rows of the "
                "upstream gradient: sum(axis=0), not axis=1")
    if name.startswith("b") and g.ndim == 0:
        return "\n  a bias gradient has one entry per unit: sum over the rows only (axis=0), not over everything"
    return ""


def _value_notes(case, name: str, g: np.ndarray, e: np.ndarray) -> str:
    """What the numbers say about the cause, where they say something."""
    notes = ""
    if g.shape == e.shape and g.ndim == 2 and g.shape[0] == g.shape[1] and _close(case, g.T, e):
        notes += "\n  it is the transpose of the expected gradient: dW = (upstream gradient).T @ (the layer's input)"
    nonzero = (e != 0) & np.isfinite(e) & np.isfinite(g)
    if nonzero.sum() > 1:
        ratio = g[nonzero].astype(np.float64) / e[nonzero].astype(np.float64)
        if np.allclose(ratio, ratio[0], rtol=1e-4) and not np.isclose(ratio[0], 1.0, rtol=1e-4):
            notes += f"\n  your gradient is the expected one times {_fmt(float(ratio[0]))} everywhere"
            if np.isclose(ratio[0], case.args.get("n", 8), rtol=1e-4):
                notes += (": N, the batch size. The loss is the MEAN over the batch, so dZ = (P - Y) / N, and "
                          "every gradient carries the 1/N")
            elif np.isclose(ratio[0], -1.0, rtol=1e-4):
                notes += ": the sign is flipped. dL/dZ = P - Y (softmax minus one-hot), not Y - P"
    if case.args.get("zeros") and name in ("W1", "b1"):
        if np.any((e == 0) & (g != 0)):
            notes += ("\n  where the expected gradient is 0 yours is not: here A1[:, 0] = 0 and A1[0, 1] = 0 exactly, "
                      "and ReLU's derivative at 0 is 0 (as in PyTorch): the mask is A1 > 0, not A1 >= 0")
    return notes


def _compare(case, name: str, g, e) -> str | None:
    """A message when ``g`` (the student's) differs from ``e`` (autograd's); None when they agree."""
    g, e = np.asarray(g), np.asarray(e)
    what = "the loss" if name == "loss" else f"dL/d{name}"
    if g.shape != e.shape:
        return (f"{what} has shape {g.shape}; expected {e.shape}, the shape of {name} {SHAPES.get(name, '')}"
                + _shape_notes(case, name, g, e))
    bad = _mismatch(case, g, e)
    if bad is None:
        return None
    g64, e64 = g.astype(np.float64), e.astype(np.float64)
    if g.ndim == 0:
        message = f"{what} differs:" + _row("loss", float(e64), float(g64))
    else:
        where = tuple(int(k) for k in np.argwhere(bad)[0])
        label = f"{name}[{', '.join(map(str, where))}]"
        message = (f"{what} first differs at {label} ({int(bad.sum())} of {bad.size} values differ):"
                   + _row(label, float(e64[where]), float(g64[where])))
    if not np.isfinite(g64[bad]).all() and np.isfinite(e64[bad]).all():
        message += ("\n  a non-finite value where autograd's is finite: exp(Z) overflows for logits above ~709 "
                    "(float64) or ~88 (float32); subtract each row's maximum first, and compute the log-softmax as "
                    "(Z - m) - log(sum(exp(Z - m))), never as log(softmax)")
    return message + _value_notes(case, name, g, e)


@judge
def mlp_values(case, got: dict, expected: dict, ctx: Context) -> Verdict:
    """The loss and/or the gradients (``check``: "loss", one parameter's name, or "all") equal autograd's
    within the tolerance of the dtype."""
    check = case.args.get("check", "all")
    names = ("loss", *NAMES) if check == "all" else (check,)
    messages = []
    for name in names:
        g = got["loss"] if name == "loss" else got["grads"][name]
        e = expected["loss"] if name == "loss" else expected["grads"][name]
        message = _compare(case, name, g, e)
        if message:
            messages.append(message)
    what = "the loss" if names == ("loss",) else ", ".join(f"dL/d{n}" if n != "loss" else "the loss" for n in names)
    if messages:
        finite = all(np.isfinite(np.asarray(got["grads"][n] if n != "loss" else got["loss"], dtype=np.float64)).all()
                     for n in names)
        return Verdict(False, f"{_setting(case)}:\n" + "\n".join(messages),
                       symptom=None if finite else "nan_or_inf")
    return Verdict(True, f"{what} match{'es' if len(names) == 1 else ''} torch.autograd's ({_setting(case)})")


@judge
def mlp_dtype(case, got: dict, expected: dict, ctx: Context) -> Verdict:
    """The loss and every gradient have the dtype of the inputs, for float32 and float64."""
    wrong = [f"{dtype} inputs: {k} is {d}" for dtype, kinds in expected.items() for k, want in kinds.items()
             if (d := got.get(dtype, {}).get(k)) != want]
    if wrong:
        float32_only = all(w.startswith("float32") and w.endswith("float64") for w in wrong)
        return Verdict(False, "the loss and every gradient keep the dtype of the inputs:\n  " + "\n  ".join(wrong)
                       + ("\n  float32 became float64: an array made with np.zeros(shape) or np.eye(C) is float64, "
                          "and so is everything computed with it; make them with dtype=x.dtype" if float32_only
                          else ""),
                       mistake="mlp_float64_result" if float32_only else None, symptom="wrong_dtype")
    return Verdict(True, "the loss and the four gradients keep the dtype of the inputs (float32 and float64)")


@judge
def mlp_untouched(case, got: dict, expected: dict, ctx: Context) -> Verdict:
    """The caller's arrays are left as they were."""
    modified = list(got.get("modified", []))
    if modified:
        return Verdict(False, f"the call changed the caller's {', '.join(modified)} ({_setting(case)}): compute into "
                              "new arrays (z = z - m, not z -= m; np.maximum(a, 0), not a[a < 0] = 0 on an argument)",
                       symptom="input_mutated")
    return Verdict(True, "x, targets, W1, b1, W2 and b2 are left as they were")


def _same_result(got: dict, mutant: dict) -> bool:
    """The student's whole result (the loss and all four gradients) is the mistake's, whatever part the
    case judges: overflowing logits without the max shift and log(softmax) both give an infinite loss,
    but only the first gives NaN gradients."""
    dtype = "float32" if "float32" in (got.get("loss_dtype"), mutant.get("loss_dtype")) else "float64"
    rtol, atol = config.tolerance(dtype, "cpu")
    pairs = [(got["loss"], mutant["loss"])] + [(got["grads"][k], mutant["grads"][k]) for k in NAMES]
    return all(np.shape(g) == np.shape(m)
               and np.allclose(np.asarray(g, np.float64), np.asarray(m, np.float64), rtol=rtol, atol=atol, equal_nan=True)
               for g, m in pairs)


MATCHERS["mlp_values"] = _same_result

HINTS.update({
    "mlp_values": "check the shapes first (each gradient has its parameter's shape), then one layer at a time "
                  "from the loss down: dZ = (P - Y) / N, dW2 = dZ.T @ H1, db2 = dZ.sum(0), dH1 = dZ @ W2, "
                  "dA1 = dH1 * (A1 > 0), dW1 = dA1.T @ X, db1 = dA1.sum(0); compare with course.backprop's "
                  "gradient_check on a small float64 case.",
})
