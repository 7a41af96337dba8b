"""Judges of the ``cross_entropy`` exercise: compare a student's observation with the reference's.

Runs in the grader's process, never in the sandbox. The reference is checked against
``F.cross_entropy`` and autograd on every case by ``tests/autograder/test_cross_entropy.py``.
The inputs shown come from the grader's own run of the probe (same seed), never from the
student's report.
"""

from __future__ import annotations

import numpy as np

from autograder import config
from autograder.judges import HINTS, Context, Verdict, _fmt, _row, judge


def _setting(case) -> str:
    a = case.args
    if a.get("defaults"):
        return f"the defaults (N={a.get('n', 8)}, C={a.get('c', 5)}, {a.get('dtype', 'float64')}, targets with -100)"
    parts = [f"N={a.get('n', 8)}", f"C={a.get('c', 5)}", a.get("dtype", "float64"),
             f"reduction={a.get('reduction', 'mean')!r}", f"label_smoothing={a.get('label_smoothing', 0.0)!r}",
             f"ignore_index={a.get('ignore_index', -100)}", "weight=" + ("random in [0.2, 3]" if a.get("weighted")
                                                                        else "None")]
    if a.get("all_ignored"):
        parts.append("every target ignored")
    elif a.get("ignored"):
        parts.append(f"{a['ignored']} targets ignored")
    if a.get("large"):
        parts.append("logits of +-1e4 in rows 0-3")
    return ", ".join(parts)


def _sample(expected: dict, i: int, ignore_index: int) -> str:
    """Row ``i`` of the inputs, as the student can look at it."""
    y = int(np.asarray(expected["targets"])[i])
    weight = expected.get("weight")
    text = f"\n  sample {i}: target {y}" + (" (== ignore_index: ignored)" if y == ignore_index else "")
    if weight is not None and y != ignore_index:
        text += f", weight[{y}] = {_fmt(float(np.asarray(weight)[y]))}"
    return text + f", logits = {_fmt(np.asarray(expected['logits'])[i])}"


def _compare(case, got: dict, expected: dict, what: str) -> Verdict | None:
    """``None`` when ``got['out']`` equals ``expected['out']`` within the dtype's tolerance."""
    rtol, atol = config.tolerance(case.args.get("dtype", "float64"), "cpu")
    g, e = np.asarray(got["out"]), np.asarray(expected["out"])
    setting = _setting(case)
    if g.shape != e.shape:
        return Verdict(False, f"{what} has shape {g.shape}; expected {e.shape} ({setting})")
    g64, e64 = g.astype(np.float64), e.astype(np.float64)
    bad = ~np.isclose(g64, e64, rtol=rtol, atol=atol, equal_nan=True)
    if not bad.any():
        return None
    ignore_index = case.args.get("ignore_index", -100)
    symptom = "nan_or_inf" if not np.isfinite(g64[bad]).all() and np.isfinite(e64[bad]).all() else None
    if e.ndim == 0:
        message = f"{what} differs ({setting}):" + _row("loss", float(e64), float(g64))
        message += _normaliser_note(case, float(g64), float(e64), expected)
    else:
        where = tuple(int(k) for k in np.argwhere(bad)[0])
        label = f"{what.split()[-1]}[{', '.join(map(str, where))}]"
        message = (f"{what} first differs at {label} ({setting}; {int(bad.sum())} of {bad.size} values differ):"
                   + _row(label, float(e64[where]), float(g64[where])) + _sample(expected, where[0], ignore_index))
        message += _row_notes(case, g64, e64, expected, where[0])
    if symptom:
        message += ("\n  a non-finite value where the loss is finite: exp overflows (inf) or underflows (0, whose "
                    "log is -inf) unless the row's maximum is subtracted first and the log-softmax is computed as "
                    "(z - m) - log(sum(exp(z - m))), never as log(softmax)")
    return Verdict(False, message, symptom=symptom)


def _normaliser_note(case, g: float, e: float, expected: dict) -> str:
    """Which normaliser of the mean the student's scalar fits, where it fits one."""
    if case.args.get("reduction", "mean") != "mean" and not case.args.get("defaults"):
        return ""
    n, kept, wsum = case.args.get("n", 8), expected["n_kept"], expected["weight_sum"]
    if not (np.isfinite(g) and np.isfinite(e)) or kept == 0:
        return ""
    total = e * wsum
    for divisor, text in ((kept, f"the number of non-ignored targets ({kept})"), (n, f"N = {n}, ignored samples "
                                                                                    "included"), (1, "nothing")):
        if divisor != wsum and np.isclose(g, total / divisor, rtol=1e-6, atol=0.0):
            return (f"\n  your loss is the reference's sum of losses divided by {text}; the mean divides by the "
                    f"sum of the weights of the non-ignored targets, here {_fmt(wsum)}")
    return ""


def _row_notes(case, g: np.ndarray, e: np.ndarray, expected: dict, i: int) -> str:
    notes = ""
    targets = np.asarray(expected["targets"])
    ignore_index = case.args.get("ignore_index", -100)
    if targets[i] == ignore_index and np.any(g[i] != 0):
        notes += "\n  an ignored sample contributes nothing: its loss (and its row of the gradient) must be 0"
    if g.ndim == 2:
        nonzero = (e != 0) & np.isfinite(e) & np.isfinite(g)
        if nonzero.any():
            ratio = g[nonzero] / e[nonzero]
            if np.allclose(ratio, ratio[0], rtol=1e-6) and not np.isclose(ratio[0], 1.0):
                notes += (f"\n  your gradient is the expected one times {_fmt(float(ratio[0]))} everywhere: check the "
                          f"normaliser (for 'mean', divide by the sum of the weights of the non-ignored targets, here "
                          f"{_fmt(expected['weight_sum'])}; 'sum' and 'none' divide by nothing)")
    return notes


@judge
def ce_loss(case, got: dict, expected: dict, ctx: Context) -> Verdict:
    """The loss equals the reference's (F.cross_entropy's) within the tolerance of the dtype."""
    verdict = _compare(case, got, expected, "the loss")
    return verdict or Verdict(True, f"the loss matches F.cross_entropy ({_setting(case)})")


@judge
def ce_grad(case, got: dict, expected: dict, ctx: Context) -> Verdict:
    """The gradient equals autograd's of F.cross_entropy within the tolerance of the dtype."""
    verdict = _compare(case, got, expected, "the gradient")
    return verdict or Verdict(True, f"the gradient matches autograd's ({_setting(case)})")


@judge
def ce_dtype(case, got: dict, expected: dict, ctx: Context) -> Verdict:
    """Every reduction returns the dtype of the logits."""
    wrong = {r: d for r, d in got.items() if d != expected.get(r)}
    if wrong:
        text = ", ".join(f"reduction={r}: {d}" for r, d in wrong.items())
        mistake = "ce_float64_result" if set(wrong.values()) == {"float64"} else None
        return Verdict(False, f"{case.args['function']} on {case.args.get('dtype', 'float32')} logits must return "
                              f"{case.args.get('dtype', 'float32')}; it returned {text}",
                       mistake=mistake, symptom="wrong_dtype")
    return Verdict(True, f"the result keeps the logits' dtype for every reduction ({', '.join(sorted(got))})")


@judge
def ce_untouched(case, got: dict, expected: dict, ctx: Context) -> Verdict:
    """The caller's logits, targets and weight are left as they were."""
    modified = list(got.get("modified", []))
    if modified:
        # logits -= logits.max(axis=1, keepdims=True): the values survive it, the caller's array does not
        logits_shifted = modified == ["logits"] and bool(got.get("logits_shifted_per_row"))
        return Verdict(False, f"the call changed the caller's {', '.join(modified)} ({_setting(case)}): compute "
                              "into new arrays (shifted = logits - m, not logits -= m)",
                       mistake="ce_modifies_logits" if logits_shifted else None, symptom="input_mutated")
    return Verdict(True, "logits, targets and weight are left as they were")


HINTS.update({
    "ce_loss": "print your per-sample losses (reduction='none') for this case and compare each with "
               "(1 - eps) * w[y] * (lse - z[y]) + (eps / C) * sum_c w[c] * (lse - z[c]); then the reduction.",
    "ce_grad": "check one row by hand: softmax p, then (1 - eps) * w[y] * (p - onehot(y)) + (eps / C) * "
               "(sum(w) * p - w); compare with a finite difference of your cross_entropy.",
})
