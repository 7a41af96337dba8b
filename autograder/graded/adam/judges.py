"""Judges of the ``adam`` exercise: compare a student's observation with the reference's.

Runs in the grader's process, never in the sandbox. Each judge registers itself by name
(``autograder.judges.JUDGES``); the cases name them.
"""

from __future__ import annotations

import math

import numpy as np

from autograder import config
from autograder.judges import HINTS, Context, Verdict, _fmt, _row, judge

def _where(case, flat: int) -> str:
    """A flat index of a trajectory as the tensor and the index within it a student can look at."""
    from . import probes  # noqa: F811

    if case.probe != "adam_torch":
        return f"w[{flat}]"
    start = 0
    for name, shape in probes.param_layout(case.args["spec"]):
        size = int(np.prod(shape)) if shape else 1
        if flat < start + size:
            index = np.unravel_index(flat - start, shape) if shape else ()
            return f"{name}[{', '.join(str(int(i)) for i in index)}]"
        start += size
    return f"element {flat}"

def _state_rows(case, got: dict, expected: dict, step: int, idx: int) -> str:
    """The optimizer state at ``step`` (0-based row) for element ``idx``, where the probe saw it."""
    rows = ""
    if case.probe == "adam_numpy":
        for key, name in (("m_traj", "m"), ("v_traj", "v")):
            if key in got and key in expected:
                rows += _row(name, float(expected[key][step, idx]), float(got[key][step, idx]))
        return rows
    missing = []
    for key in ("exp_avg", "exp_avg_sq"):
        if key not in expected or key not in got:
            continue
        g, e = float(got[key][step, idx]), float(expected[key][step, idx])
        if math.isnan(g) and not math.isnan(e):
            missing.append(key)
        else:
            rows += _row(f"{key}", e, g)
    if "state_step" in expected and "state_step" in got:
        param = _param_index(case, idx)
        g, e = float(got["state_step"][step, param]), float(expected["state_step"][step, param])
        if math.isnan(g) and not math.isnan(e):
            missing.append("step")
        else:
            rows += _row("step", e, g)
    if missing:
        rows += (f"\n    (your optimizer keeps no {', '.join(missing)} in self.state[p] under torch's names, "
                 "so the grader cannot show them)")
    return rows

def _param_index(case, flat: int) -> int:
    from . import probes  # noqa: F811

    start = 0
    for i, (_, shape) in enumerate(probes.param_layout(case.args["spec"])):
        start += int(np.prod(shape)) if shape else 1
        if flat < start:
            return i
    return 0

def _dtype_device(case) -> tuple[str, str]:
    args = case.args.get("spec", case.args)
    return args.get("dtype", "float64"), args.get("device", "cpu")

@judge
def trajectory(case, got: dict, expected: dict, ctx: Context) -> Verdict:
    """Parameters after every step, compared step by step; reports the first step that diverges."""
    dtype, device = _dtype_device(case)
    rtol, atol = config.tolerance(dtype, device)
    g, e = np.asarray(got["traj"], dtype=np.float64), np.asarray(expected["traj"], dtype=np.float64)
    if g.shape != e.shape:
        return Verdict(False, f"expected {e.shape[0]} steps of {e.shape[1:]} values, got an array of shape {g.shape}")
    bad = ~np.isclose(g, e, rtol=rtol, atol=atol)
    bad |= np.isnan(g) != np.isnan(e)
    if bad.any():
        step, idx = np.argwhere(bad)[0]
        ge, ee = float(g[step, idx]), float(e[step, idx])
        rel = abs(ge - ee) / max(abs(ee), 1e-300)
        name = "w" if case.probe == "adam_numpy" else "parameter"
        message = (f"the parameters first differ after step {step + 1} of {e.shape[0]}, at {_where(case, idx)} "
                   f"(relative error {rel:.3g} > rtol {rtol:g}, atol {atol:g}); after step {step + 1}:"
                   + _row(name, ee, ge) + _state_rows(case, got, expected, step, idx))
        if step > 0:
            message += f"\n  (after step {step} they still matched: {name} = {_fmt(float(e[step - 1, idx]))})"
        elif "init" in expected:
            message += f"\n  (before step 1, {name} = {_fmt(float(np.asarray(expected['init'])[idx]))})"
        symptom = None
        init = got.get("init")
        nonfinite = ~np.isfinite(g)
        if nonfinite.any() and np.isfinite(e).all():
            s, i = np.argwhere(nonfinite)[0]
            message += f"\n  the first non-finite value: {_fmt(float(g[s, i]))} after step {s + 1}, at {_where(case, i)}"
            symptom = "nan_or_inf"
        elif case.probe == "adam_numpy" and got.get("repeat_differs"):
            symptom = "state_across_calls"
        elif init is not None and np.array_equal(g[0], np.asarray(init)) and not np.array_equal(e[0], np.asarray(init)):
            symptom = "params_unchanged"
        elif got.get("state_mismatch"):
            message += f"\n  {got['state_mismatch']}"
            symptom = "wrong_device" if "on cpu" in got["state_mismatch"] and "on cuda" in got["state_mismatch"] \
                else "wrong_dtype"
        return Verdict(False, message, symptom=symptom,
                       mistake="adam_update_keeps_state" if symptom == "state_across_calls" else None,
                       details={"step": int(step) + 1, "element": int(idx), "expected": ee, "got": ge})
    if "returned" in expected:
        gr, er = np.asarray(got.get("returned", [])), np.asarray(expected["returned"])
        if gr.shape != er.shape or not np.allclose(gr, er, rtol=rtol, atol=atol):
            bad_at = next((i for i in range(min(len(gr), len(er))) if not np.isclose(gr[i], er[i], rtol=rtol, atol=atol)), 0)
            return Verdict(False, "step(closure) must call the closure once and return its loss: "
                                  + (f"at step {bad_at + 1} expected {_fmt(float(er[bad_at]))}, got "
                                     f"{_fmt(float(gr[bad_at]))}" if gr.shape == er.shape else
                                     f"expected {len(er)} losses, got {gr.shape}"),
                           symptom="returned_none" if gr.shape == er.shape and np.isnan(gr).all() else None)
    if "frozen_has_state" in expected:
        if got.get("frozen_has_state") != expected["frozen_has_state"]:
            return Verdict(False, "a parameter whose .grad is None must get no optimizer state")
    for key, name in (("m_traj", "m"), ("v_traj", "v")):
        if key not in expected:
            continue
        gm, em = np.asarray(got[key], dtype=np.float64), np.asarray(expected[key], dtype=np.float64)
        bad = ~np.isclose(gm, em, rtol=rtol, atol=max(atol, 1e-300)) | (np.isnan(gm) != np.isnan(em))
        if bad.any():
            step, idx = np.argwhere(bad)[0]
            return Verdict(False, f"w matches, but the {name} returned after step {step + 1} differs at {name}[{idx}]:"
                                  + _row(name, float(em[step, idx]), float(gm[step, idx])))
    return Verdict(True, f"all {e.shape[0]} steps match within rtol={rtol:g}, atol={atol:g}")

@judge
def independent_calls(case, got: dict, expected: dict, ctx: Context) -> Verdict:
    """The same call twice gives the same result: ``adam_update`` depends on its arguments only."""
    if got.get("repeat_differs"):
        return Verdict(False, "called again at the end of the run with the arguments of its first call (t=1, m = v = 0), "
                              "adam_update returned something else than the first time: it keeps state between calls "
                              "(its own step counter instead of t? a cached m or v?)",
                       mistake="adam_update_keeps_state", symptom="state_across_calls")
    return Verdict(True, "the same arguments give the same result")

@judge
def not_mutated(case, got: dict, expected: dict, ctx: Context) -> Verdict:
    if got.get("mutated_at") is not None:
        return Verdict(False, f"adam_update changed its input arrays at step {got['mutated_at']} "
                              "(an in-place operation such as w -= ... or m *= ...)", mistake="adam_modifies_inputs",
                       symptom="input_mutated")
    return Verdict(True, "the inputs are left as they were")

@judge
def grads_untouched(case, got: dict, expected: dict, ctx: Context) -> Verdict:
    """``step()`` must leave every ``p.grad`` as the caller's backward pass left it."""
    at = got.get("grad_changed_at")
    if at is not None:
        change, mistake = got.get("grad_change"), None
        wd = case.args["spec"].get("defaults", {}).get("weight_decay", 0.0)
        if change is not None and wd:
            delta = np.asarray(change["after"]) - np.asarray(change["before"])
            if np.allclose(delta, wd * np.asarray(change["param"]), rtol=1e-6, atol=1e-12):
                mistake = "adam_decay_into_grad"
        return Verdict(False, f"step() changed p.grad at step {at}: the gradient belongs to the caller (a hook, "
                              "clipping or logging may read it after the step). Compute with new tensors, e.g. "
                              "grad = grad.add(p, alpha=weight_decay), not grad.add_(...)",
                       mistake=mistake, symptom="input_mutated")
    return Verdict(True, "p.grad is left as it was")


# what to try when a case of this exercise fails and no catalogued mistake matches
HINTS.update({
    "trajectory": "print your m, v and update after the first step of this case and compare them, line by "
                  "line, with the algorithm in the docstring; the step named above is where to look.",
    "not_mutated": "build new arrays (w = w - ...) instead of writing into the ones you were given.",
})
