"""Judges: small pure functions that compare a student's observation with the reference's.

``judge(case, got, expected, ctx) -> Verdict``. ``got`` and ``expected`` are observations from
``probes`` (decoded data, never live objects). A verdict that can recognise a catalogued mistake
from the data alone sets ``mistake`` (the dropout statistics, inputs modified in place); the other
mistakes are recognised by the grader by matching a mutant's observation.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np

from . import config


@dataclass
class Verdict:
    passed: bool
    message: str = ""
    mistake: str | None = None
    details: dict = field(default_factory=dict)
    symptom: str | None = None  # a name of SYMPTOMS: what the data shows, whatever the cause


# What a judge can see in the data alone, named, with what to do about it. A catalogued mistake
# (``mistakes.py``) says why; a symptom says what happened, for any code that shows it.
SYMPTOMS = {
    "params_unchanged": "the parameters did not change: update them in place (p.add_(...), p.addcdiv_(...), "
                        "or p.data = ...) under torch.no_grad(); `p = p - ...` only rebinds a local name.",
    "returned_none": "the function returned None: a missing `return` statement? Return what the docstring says "
                     "(restore_best: the model it loaded into).",
    "input_mutated": "your code changed an array or tensor that belongs to the caller (an in-place operation "
                     "such as x *= ..., w -= ..., grad.add_(...)): compute into new arrays/tensors instead.",
    "nan_or_inf": "NaN or inf appeared where the reference stays finite: look for a division by zero "
                  "(0 / 0 where a gradient is zero, 1 - beta ** t with t = 0, 1 - p with p = 1) or a square "
                  "root of a negative number.",
    "wrong_dtype": "a result does not have the dtype it should (the dtype of the input or parameter): create "
                   "new tensors/arrays with dtype=x.dtype (torch.zeros_like(p), np.zeros_like(w)), and cast "
                   "masks with .astype(x.dtype) / .to(x.dtype).",
    "wrong_device": "a result is not on the device of its input: create tensors with device=p.device "
                    "(torch.zeros_like(p) does this).",
    "state_across_calls": "calls that should be independent are not: the same call gave another result the "
                          "second time. Keep no state in globals, class attributes or default arguments; use "
                          "only the arguments (and, in a class, attributes set in __init__).",
}


@dataclass
class Context:
    device: str = "cpu"


JUDGES: dict[str, Callable[..., Verdict]] = {}

# What to try when a case fails and no catalogued mistake matches.
HINTS = {
    "trajectory": "print your m, v and update after the first step of this case and compare them, line by "
                  "line, with the algorithm in the docstring; the step named above is where to look.",
    "not_mutated": "build new arrays (w = w - ...) instead of writing into the ones you were given.",
    "exact": "replay the metrics above by hand: after each epoch write down best, counter and whether to stop.",
    "es_checkpoint": "save model.state_dict() only when the metric improves; restore_best loads that file.",
    "dropout_train": "keep each unit with probability 1 - p and divide the kept ones by 1 - p.",
    "dropout_module_train": "multiply x by a fresh Bernoulli(1 - p) mask divided by 1 - p, with tensor operations.",
}


def judge(fn):
    JUDGES[fn.__name__] = fn
    return fn


def _fmt(x: Any) -> str:
    """A value at full precision: ``repr`` of a float (the shortest text that reads back the same)."""
    if isinstance(x, (float, np.floating)):
        return repr(float(x))
    if isinstance(x, np.ndarray):
        return np.array2string(x, precision=17, floatmode="unique", threshold=8, edgeitems=3, separator=", ")
    return repr(x)


def _where(case, flat: int) -> str:
    """A flat index of a trajectory as the tensor and the index within it a student can look at."""
    from . import probes

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


def _row(label: str, expected: Any, got: Any) -> str:
    return f"\n    {label:<12} expected {_fmt(expected)}, got {_fmt(got)}"


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
    from . import probes

    start = 0
    for i, (_, shape) in enumerate(probes.param_layout(case.args["spec"])):
        start += int(np.prod(shape)) if shape else 1
        if flat < start:
            return i
    return 0


def _dtype_device(case) -> tuple[str, str]:
    args = case.args.get("spec", case.args)
    return args.get("dtype", "float64"), args.get("device", "cpu")


# ----------------------------------------------------------------------------- trajectories ---
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


# -------------------------------------------------------------------------------- exact data ---
def _same(a: Any, b: Any) -> bool:
    """``a`` (the student's) equals ``b`` (the reference's): a count or an epoch exactly, a float within
    ``config.VALUE_RTOL``, since a correct implementation may keep it in float32 (the probes have made
    plain numbers of NumPy scalars and 0-d tensors)."""
    if isinstance(a, (int, float)) and isinstance(b, (int, float)) and not isinstance(a, bool) and not isinstance(b, bool):
        if isinstance(b, int):  # a decision: exact
            return a == b
        a, b = float(a), float(b)
        return (math.isnan(a) and math.isnan(b)) or math.isclose(a, b, rel_tol=config.VALUE_RTOL,
                                                                 abs_tol=config.VALUE_ATOL)
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return np.array_equal(np.asarray(a), np.asarray(b), equal_nan=True)
    return a == b


@judge
def exact(case, got: dict, expected: dict, ctx: Context) -> Verdict:
    """Early-stopping decisions and counters, epoch by epoch."""
    metrics = case.args.get("metrics", [])
    gd, ed = got.get("decisions", []), expected.get("decisions", [])
    gs, es = got.get("states", []), expected.get("states", [])
    for epoch in range(max(len(gd), len(ed))):
        value = metrics[epoch] if epoch < len(metrics) else None
        if epoch >= len(gd):
            return Verdict(False, f"the run stopped at epoch {len(gd) - 1}; expected it to go on until epoch "
                                  f"{len(ed) - 1} (metrics {metrics[:len(ed)]}, {case.args.get('kwargs')})")
        if epoch >= len(ed):
            return Verdict(False, f"expected step() to return True at epoch {len(ed) - 1}, but it returned False "
                                  f"(metrics {metrics[:len(ed)]}, {case.args.get('kwargs')})")
        if gd[epoch] != ed[epoch]:
            return Verdict(False, f"at epoch {epoch} (metric {value}) step() returned {gd[epoch]}, expected "
                                  f"{ed[epoch]} (metrics so far {metrics[:epoch + 1]}, {case.args.get('kwargs')})",
                           details={"epoch": epoch})
        if epoch < len(es) and epoch < len(gs) and not _same(gs[epoch], es[epoch]):
            diff = {k: (gs[epoch].get(k), es[epoch][k]) for k in es[epoch] if not _same(gs[epoch].get(k), es[epoch][k])}
            text = ", ".join(f"{k} = {g!r} (expected {e!r})" for k, (g, e) in diff.items())
            return Verdict(False, f"after epoch {epoch} (metric {value}; metrics so far {metrics[:epoch + 1]}, "
                                  f"{case.args.get('kwargs')}): {text}", details={"epoch": epoch})
    if "final" in expected and not _same(got.get("final"), expected["final"]):
        return Verdict(False, f"after resuming, the state differs: expected {expected['final']}, got {got.get('final')}")
    return Verdict(True, f"{len(ed)} epochs decided as expected")


@judge
def es_checkpoint(case, got: dict, expected: dict, ctx: Context) -> Verdict:
    if not got.get("file_exists"):
        return Verdict(False, "no checkpoint file was written to save_path (torch.save(model.state_dict(), save_path))")
    if got.get("restored_epoch") != expected["restored_epoch"]:  # an epoch's weights, all equal to it: exact
        return Verdict(False, f"restore_best brought back the weights of epoch {got.get('restored_epoch'):g}; "
                              f"the best epoch was {expected['restored_epoch']:g} "
                              f"(metrics {case.args['metrics']})")
    return Verdict(True, f"the weights of the best epoch ({expected['restored_epoch']:g}) came back")


# Each case of early stopping judges one thing (the stop decision, the counter, which epochs
# improve, best, best_epoch), so that one mistake costs the cases about it and no other.
def _es_epochs(case, got: dict, expected: dict) -> tuple[list, list, Verdict | None]:
    """The per-epoch states of both runs; a verdict when the student's run stopped before the reference's."""
    gs, es = got.get("states", []), expected.get("states", [])
    if len(gs) < len(es):
        return gs, es, Verdict(False, f"step() returned True after epoch {len(gs) - 1}, but with "
                                      f"{case.args.get('kwargs')} the run goes on to epoch {len(es) - 1} "
                                      f"(metrics {case.args.get('metrics')})")
    return gs[:len(es)], es, None


def _es_compare(case, got, expected, what: str, value, same=None) -> Verdict:
    gs, es, early = _es_epochs(case, got, expected)
    if early:
        return early
    same = same or _same
    metrics = case.args.get("metrics", [])
    for epoch, (g, e) in enumerate(zip(gs, es)):
        if not same(value(gs, epoch), value(es, epoch)):
            return Verdict(False, f"after epoch {epoch} (metric {metrics[epoch]!r}; metrics so far "
                                  f"{metrics[:epoch + 1]}, {case.args.get('kwargs')}): {what} = "
                                  f"{_fmt(value(gs, epoch))}, expected {_fmt(value(es, epoch))}",
                           details={"epoch": epoch})
    return Verdict(True, f"{what} as expected after each of {len(es)} epochs")


def _improved(states: list, epoch: int) -> bool:
    """Whether an epoch counted as an improvement, by any of the signs a correct run shows: the counter
    went back to 0, best_epoch moved, or best changed. One wrong attribute cannot hide or fake it."""
    s = states[epoch]
    prev = states[epoch - 1] if epoch else {"best": None, "best_epoch": None}
    return (_same(s.get("counter"), 0) or not _same(s.get("best_epoch"), prev.get("best_epoch"))
            or not _same(s.get("best"), prev.get("best")))


@judge
def es_stops(case, got: dict, expected: dict, ctx: Context) -> Verdict:
    """Only the stop decision of each epoch (``step``'s return value)."""
    metrics, kwargs = case.args.get("metrics", []), case.args.get("kwargs")
    gd, ed = got.get("decisions", []), expected.get("decisions", [])
    for epoch in range(max(len(gd), len(ed))):
        if epoch >= len(gd) or epoch >= len(ed) or gd[epoch] != ed[epoch]:
            want = ed[epoch] if epoch < len(ed) else "(the run had stopped)"
            have = gd[epoch] if epoch < len(gd) else "(your run had stopped)"
            return Verdict(False, f"at epoch {epoch} (metric {metrics[epoch]!r}; metrics so far {metrics[:epoch + 1]}, "
                                  f"{kwargs}) step() returned {have}, expected {want}", details={"epoch": epoch})
    return Verdict(True, f"stopped after epoch {len(ed) - 1}, as expected")


@judge
def es_counter(case, got: dict, expected: dict, ctx: Context) -> Verdict:
    return _es_compare(case, got, expected, "counter", lambda s, i: s[i].get("counter"))


@judge
def es_improvements(case, got: dict, expected: dict, ctx: Context) -> Verdict:
    """Which epochs count as an improvement (seen in the counter, best and best_epoch together)."""
    v = _es_compare(case, got, expected, "improved", lambda s, i: _improved(s, i), same=lambda a, b: a == b)
    if not v.passed:
        v.message = v.message.replace("improved = True, expected False", "this epoch counted as an improvement; "
                                      "it should not have").replace("improved = False, expected True",
                                                                    "this epoch did not count as an improvement; it should have")
    return v


@judge
def es_best(case, got: dict, expected: dict, ctx: Context) -> Verdict:
    return _es_compare(case, got, expected, "best", lambda s, i: s[i].get("best"))


@judge
def es_best_epoch(case, got: dict, expected: dict, ctx: Context) -> Verdict:
    v = _es_compare(case, got, expected, "best_epoch", lambda s, i: s[i].get("best_epoch"))
    if not v.passed:
        v.message += " (best_epoch counts step() calls from 0)"
    return v


@judge
def es_resume(case, got: dict, expected: dict, ctx: Context) -> Verdict:
    """A run resumed from ``state_dict`` decides as the same code does uninterrupted, and keeps its state.

    It compares the student's code with itself, so a mistake of the stop rule costs the cases about
    the stop rule, not this one; its ``best`` must still follow the reference's, so that a class that
    does nothing cannot pass."""
    metrics, kwargs, split = case.args["metrics"], case.args.get("kwargs"), case.args.get("split")
    gd, own = got.get("decisions", []), got.get("own_decisions", [])
    if gd != own[:len(gd)]:
        n = len(gd)
        return Verdict(False, f"resumed from state_dict() after epoch {split - 1}, your EarlyStopping decided "
                              f"{gd[split:]} for epochs {split} to {n - 1}, but {own[split:n]} without the "
                              f"interruption (metrics {metrics}, {kwargs}): save and load every attribute the "
                              "decisions depend on")
    own_states = got.get("own_states", [])
    own_final = own_states[len(gd) - 1] if 0 < len(gd) <= len(own_states) else None
    if not _same(got.get("final"), own_final):
        return Verdict(False, f"after resuming, the state after epoch {len(gd) - 1} is {got.get('final')}; without "
                              f"the interruption it is {own_final} (metrics {metrics}, {kwargs})")
    ge = [s.get("best") for s in got.get("own_states", [])]
    ee = [s.get("best") for s in expected.get("own_states", [])]
    n = min(len(ge), len(ee))
    if n == 0 or not _same(ge[:n], ee[:n]):
        return Verdict(False, f"the run without interruption keeps best = {ge[:n]}; expected {ee[:n]} "
                              f"(metrics {metrics}, {kwargs}): resuming is judged once best is right")
    return Verdict(True, "the resumed run decides exactly as the uninterrupted one")


# How to tell that a student's observation is a catalogued mistake's, for judges that compare the
# student with itself (judging ``got`` against the mutant's observation says nothing there).
MATCHERS: dict[str, Callable[[dict, dict], bool]] = {
    "es_resume": lambda got, mutant: all(_same(got.get(k), mutant.get(k)) for k in ("decisions", "final", "own_decisions")),
}


@judge
def es_restore_returns(case, got: dict, expected: dict, ctx: Context) -> Verdict:
    returned = got.get("returned")
    if returned == "model":
        return Verdict(True, "restore_best(model) returns model")
    if returned == "None":
        return Verdict(False, "restore_best(model) returned None; it should return the model it loaded into "
                              "(return model)", mistake="es_restore_returns_none", symptom="returned_none")
    return Verdict(False, f"restore_best(model) returned a {returned}; it should load the weights into the model "
                          "it was given and return that same object")


# ----------------------------------------------------------------------------------- dropout ---
# The inputs come from the grader's own run of the probe (same seed), never from the student's
# report: a submission could otherwise report an input that fits its output.
def _input_and_output(got: dict, expected: dict) -> tuple[np.ndarray, np.ndarray]:
    x, out = np.asarray(expected["x"]), np.asarray(got["out"])
    if out.shape != x.shape:
        raise ValueError(f"output of shape {out.shape} for an input of shape {x.shape}")
    return x, out


def _module_arrays(got: dict, expected: dict) -> tuple[np.ndarray, np.ndarray, list[np.ndarray]]:
    x, w = np.asarray(expected["x"]), np.asarray(expected["w"])
    outs = [np.asarray(o) for o in got["outs"]]
    if not outs or any(o.shape != x.shape for o in outs):
        raise ValueError(f"outputs of shapes {[o.shape for o in outs]} for an input of shape {x.shape}")
    return x, w, outs

def _kept_fraction_check(out: np.ndarray, p: float) -> Verdict | None:
    n = out.size
    kept = float((out != 0).mean())
    sigma = math.sqrt(max(p * (1 - p), 1e-12) / n)
    if abs(kept - (1 - p)) > config.SIGMAS * sigma:
        if abs(kept - p) <= config.SIGMAS * sigma and abs(p - 0.5) > 1e-9:
            return Verdict(False, f"with p={p} a fraction {kept:.4f} of units was kept; expected about {1 - p:.4f}. "
                                  "p is the probability of dropping a unit.", mistake="dropout_p_is_keep_prob")
        return Verdict(False, f"with p={p} a fraction {kept:.4f} of {n} units was kept; expected {1 - p:.4f} "
                              f"+/- {config.SIGMAS * sigma:.4f} ({config.SIGMAS:g} standard errors)")
    return None


def _scaling_check(x: np.ndarray, out: np.ndarray, p: float) -> Verdict | None:
    keep = out != 0
    if not keep.any():
        return None
    ratio = out[keep].astype(np.float64) / x[keep].astype(np.float64)
    rtol = config.VALUE_RTOL  # whatever x's dtype: the mask may be float32 ((rand < keep) / keep, .float())
    if np.allclose(ratio, 1 / (1 - p), rtol=rtol):
        return None
    if np.allclose(ratio, 1.0, rtol=rtol):
        return Verdict(False, f"kept units equal x; expected x / (1 - p) = x * {1 / (1 - p):.4g}",
                       mistake="dropout_no_rescale")
    if np.allclose(ratio, 1 - p, rtol=rtol):
        return Verdict(False, f"kept units equal x * (1 - p); expected x / (1 - p) = x * {1 / (1 - p):.4g}",
                       mistake="dropout_scaled_by_keep_prob")
    return Verdict(False, f"kept units should equal x / (1 - p) = x * {1 / (1 - p):.4g}; their ratio to x ranges "
                          f"from {ratio.min():.4g} to {ratio.max():.4g}")


def _mean_check(x: np.ndarray, out: np.ndarray, p: float) -> Verdict | None:
    x64, o64 = x.astype(np.float64), out.astype(np.float64)
    se = math.sqrt(float((x64**2).sum()) * p / (1 - p)) / x.size
    if abs(o64.mean() - x64.mean()) > config.SIGMAS * se + 1e-12:
        return Verdict(False, f"the mean output {o64.mean():.5f} is not the mean input {x64.mean():.5f} "
                              f"(+/- {config.SIGMAS * se:.5f}): dropout must preserve the expectation")
    return None


@judge
def dropout_train(case, got: dict, expected: dict, ctx: Context) -> Verdict:
    p = case.args["p"]
    x, out = _input_and_output(got, expected)
    dtype = case.args.get("dtype", "float32")
    if got["dtype"] != dtype:
        return Verdict(False, f"the output has dtype {got['dtype']}; expected {dtype}, the dtype of x",
                       symptom="wrong_dtype")
    if np.isnan(out).any():
        return Verdict(False, "the output contains NaN")
    for check in (_kept_fraction_check(out, p), _scaling_check(x, out, p), _mean_check(x, out, p)):
        if check is not None:
            return check
    kept = float((out != 0).mean())
    return Verdict(True, f"kept {kept:.4f} (expected {1 - p:.4f}), kept units scaled by 1/(1-p), mean preserved")


@judge
def dropout_identity(case, got: dict, expected: dict, ctx: Context) -> Verdict:
    x, out = _input_and_output(got, expected)
    if np.array_equal(x, out):
        return Verdict(True, "the input came back unchanged")
    mistake = "dropout_active_in_eval" if not case.args.get("training", True) else None
    zeros = float((out == 0).mean())
    return Verdict(False, f"expected the input unchanged (training={case.args.get('training', True)}, "
                          f"p={case.args['p']}), but {zeros:.1%} of the output is zero and the values differ",
                   mistake=mistake)


@judge
def dropout_zeros(case, got: dict, expected: dict, ctx: Context) -> Verdict:
    _, out = _input_and_output(got, expected)
    if np.isnan(out).any():
        return Verdict(False, "with p=1 the output contains NaN (0 / (1 - p) divides by zero); return zeros",
                       mistake="dropout_p_one_nan", symptom="nan_or_inf")
    if np.any(out != 0):
        return Verdict(False, f"with p=1 every unit must be zero; {int((out != 0).sum())} are not")
    return Verdict(True, "all zeros, no NaN")


@judge
def dropout_rng(case, got: dict, expected: dict, ctx: Context) -> Verdict:
    if not got["same_seed_same"]:
        return Verdict(False, "two calls with generators of the same seed gave different masks: draw the mask "
                              "from rng, not from np.random", mistake="dropout_ignores_rng")
    if not got["other_seed_differs"]:
        return Verdict(False, "generators with different seeds gave the same mask", mistake="dropout_ignores_rng")
    if not got["successive_calls_differ"]:
        return Verdict(False, "two successive calls with the same generator gave the same mask; each call must "
                              "draw new random numbers from rng")
    return Verdict(True, "the mask comes from the rng argument")


@judge
def dropout_no_mutation(case, got: dict, expected: dict, ctx: Context) -> Verdict:
    if got.get("x_modified"):
        return Verdict(False, "dropout changed the caller's x (an in-place operation such as x *= mask)",
                       mistake="dropout_modifies_input", symptom="input_mutated")
    return Verdict(True, "x is left as it was")


@judge
def dropout_module_train(case, got: dict, expected: dict, ctx: Context) -> Verdict:
    p = case.args["p"]
    dtype = case.args.get("dtype", "float32")
    x, w, outs = _module_arrays(got, expected)
    if got["dtype"] != dtype:
        return Verdict(False, f"the output has dtype {got['dtype']}; expected {dtype}, the dtype of the input",
                       symptom="wrong_dtype")
    if got["device"] != case.args.get("device", "cpu").split(":")[0]:
        return Verdict(False, f"the output is on {got['device']}; expected the input's device", symptom="wrong_device")
    out = outs[0]
    if np.isnan(out).any():
        return Verdict(False, "the output contains NaN")
    for check in (_kept_fraction_check(out, p), _scaling_check(x, out, p), _mean_check(x, out, p)):
        if check is not None:
            return check
    if len(outs) > 1 and np.array_equal(outs[0] != 0, outs[1] != 0):
        return Verdict(False, "two forward calls used the same mask; draw a new mask on every call",
                       mistake="dropout_fixed_mask")
    if not got["requires_grad"] or got["grad"] is None:
        return Verdict(False, "the output does not require grad: build it from x with differentiable tensor "
                              "operations (no .detach(), no NumPy, no .data)")
    grad = np.asarray(got["grad"], dtype=np.float64)
    want = np.where(out != 0, w.astype(np.float64) / (1 - p), 0.0)
    if not np.allclose(grad, want, rtol=config.GRAD_RTOL, atol=config.GRAD_ATOL):
        dropped_grad = np.abs(grad[out == 0]).max() if (out == 0).any() else 0.0
        if dropped_grad > 0:
            return Verdict(False, "gradient reaches dropped units: d out / d x must be 0 where a unit was dropped")
        return Verdict(False, "the gradient through kept units must be scaled by 1/(1-p), the same as the values")
    return Verdict(True, f"kept {float((out != 0).mean()):.4f} (expected {1 - p:.4f}), scaled by 1/(1-p), "
                         "gradients only through kept units, a fresh mask per call")


@judge
def dropout_module_eval(case, got: dict, expected: dict, ctx: Context) -> Verdict:
    x, w, outs = _module_arrays(got, expected)
    out = outs[0]
    if not np.array_equal(out, x):
        return Verdict(False, f"in eval mode the output must equal the input; {float((out == 0).mean()):.1%} of it is "
                              "zero and values differ (check self.training)", mistake="dropout_active_in_eval")
    if got["grad"] is None or not np.allclose(np.asarray(got["grad"]), w):
        return Verdict(False, "in eval mode the gradient must pass through unchanged")
    return Verdict(True, "identity in eval mode, values and gradients")


@judge
def dropout_module_zeros(case, got: dict, expected: dict, ctx: Context) -> Verdict:
    _, _, outs = _module_arrays(got, expected)
    out = outs[0]
    if np.isnan(out).any():
        return Verdict(False, "with p=1 the output contains NaN (division by 1 - p = 0); return zeros",
                       mistake="dropout_p_one_nan", symptom="nan_or_inf")
    if np.any(out != 0):
        return Verdict(False, f"with p=1 every unit must be zero; {int((out != 0).sum())} are not")
    if got["grad"] is not None and np.any(np.asarray(got["grad"]) != 0):
        return Verdict(False, "with p=1 no gradient may reach the input")
    return Verdict(True, "all zeros, no NaN")


# Aspect judges: each case of dropout judges one thing (the kept fraction, the scaling, the dtype,
# the gradient, a fresh mask), on the NumPy or the module's observation alike.
def _train_arrays(got: dict, expected: dict) -> tuple[np.ndarray, np.ndarray]:
    if "outs" in got:
        x, _, outs = _module_arrays(got, expected)
        return x, outs[0]
    return _input_and_output(got, expected)


def _nan_verdict(out: np.ndarray) -> Verdict | None:
    if not np.isfinite(out).all():
        i = tuple(int(k) for k in np.argwhere(~np.isfinite(out))[0])
        return Verdict(False, f"the output contains {_fmt(float(out[i]))} (first at index {i})", symptom="nan_or_inf")
    return None


@judge
def dropout_fraction(case, got: dict, expected: dict, ctx: Context) -> Verdict:
    """Only which units are dropped: a fraction p of them, whatever the kept ones are scaled by."""
    p = case.args["p"]
    x, out = _train_arrays(got, expected)
    check = _nan_verdict(out) or _kept_fraction_check(out, p)
    return check or Verdict(True, f"kept {float((out != 0).mean()):.4f} of the units (expected {1 - p:.4f})")


@judge
def dropout_scaling(case, got: dict, expected: dict, ctx: Context) -> Verdict:
    """Only the value of the kept units: x / (1 - p), whichever units are kept."""
    p = case.args["p"]
    x, out = _train_arrays(got, expected)
    check = _nan_verdict(out) or _scaling_check(x, out, p)
    if check is None and not (out != 0).any():
        check = Verdict(False, f"every unit was dropped (p={p}), so no kept unit shows its scaling")
    return check or Verdict(True, f"kept units equal x / (1 - p) = x * {1 / (1 - p):.6g}")


@judge
def dropout_drops_and_scales(case, got: dict, expected: dict, ctx: Context) -> Verdict:
    """The kept fraction and the scaling, not the dtype (judged by its own case)."""
    v = dropout_fraction(case, got, expected, ctx)
    return dropout_scaling(case, got, expected, ctx) if v.passed else v


@judge
def dropout_dtype(case, got: dict, expected: dict, ctx: Context) -> Verdict:
    dtype = case.args.get("dtype", "float32")
    if got["dtype"] != dtype:
        mistake = "dropout_changes_dtype" if "out" in got and got["dtype"] == "float64" else None
        return Verdict(False, f"the output has dtype {got['dtype']}; expected {dtype}, the dtype of the input",
                       mistake=mistake, symptom="wrong_dtype")
    device = case.args.get("device", "cpu").split(":")[0]
    if "device" in got and got["device"] != device:
        return Verdict(False, f"the output is on {got['device']}; expected {device}, the input's device",
                       symptom="wrong_device")
    if "requires_grad" in got and not got["requires_grad"]:
        return Verdict(False, "the output does not require grad: build it from x with differentiable tensor "
                              "operations (no .detach(), no NumPy, no .data)")
    return Verdict(True, f"the output keeps {dtype}")


@judge
def dropout_gradient(case, got: dict, expected: dict, ctx: Context) -> Verdict:
    """Gradients follow the values: d out / d x is out / x, zero where a unit was dropped."""
    x, w, outs = _module_arrays(got, expected)
    out = outs[0]
    if not got["requires_grad"] or got["grad"] is None:
        return Verdict(False, "the output does not require grad: build it from x with differentiable tensor "
                              "operations (no .detach(), no NumPy, no .data)")
    grad = np.asarray(got["grad"], dtype=np.float64)
    want = w.astype(np.float64) * out.astype(np.float64) / x.astype(np.float64)
    bad = ~np.isclose(grad, want, rtol=config.GRAD_RTOL, atol=config.GRAD_ATOL)
    if bad.any():
        i = tuple(int(k) for k in np.argwhere(bad)[0])
        where = "a dropped unit" if out[i] == 0 else "a kept unit"
        return Verdict(False, f"the gradient does not follow the values: at index {i} ({where}) x.grad is "
                              f"{_fmt(float(grad[i]))}, expected upstream gradient * out / x = {_fmt(float(want[i]))}; "
                              "d out / d x must be 0 where a unit was dropped and the scale of the kept units elsewhere")
    return Verdict(True, "gradients flow only through the kept units, with their scale")


@judge
def dropout_fresh_mask(case, got: dict, expected: dict, ctx: Context) -> Verdict:
    _, _, outs = _module_arrays(got, expected)
    if len(outs) > 1 and np.array_equal(outs[0] != 0, outs[1] != 0):
        return Verdict(False, "two forward calls used the same mask; draw a new mask on every call",
                       mistake="dropout_fixed_mask", symptom="state_across_calls")
    return Verdict(True, "each forward call draws a new mask")


@judge
def flags_true(case, got: dict, expected: dict, ctx: Context) -> Verdict:
    bad = [k for k, v in got.items() if v is not True]
    if bad:
        return Verdict(False, "draw the mask with torch's generator (torch.rand_like / torch.bernoulli) so that "
                              "torch.manual_seed makes it repeat")
    return Verdict(True, "reproducible under torch.manual_seed")


@judge
def all_raise_value_error(case, got: dict, expected: dict, ctx: Context) -> Verdict:
    bad = {k: v for k, v in got.items() if v != "ValueError"}
    if bad:
        text = ", ".join(f"{k} raised {v or 'nothing'}" for k, v in bad.items())
        return Verdict(False, f"a probability outside [0, 1] must raise ValueError: {text}")
    return Verdict(True, "ValueError for every p outside [0, 1]")


# ------------------------------------------------------------------ argument checks, side effects ---
@judge
def same_exceptions(case, got: dict, expected: dict, ctx: Context) -> Verdict:
    """Each call raises the exception the reference raises (by type name), or nothing where it raises nothing."""
    wrong = []
    for call, want in expected.items():
        have = got.get(call, "<not called>")
        if have != want:
            wrong.append(f"{call}: expected {want or 'no exception'}, got {have or 'no exception'}")
    if wrong:
        return Verdict(False, "the arguments are checked as the docstring says: invalid values raise, valid ones "
                              "(boundaries included) do not:\n  " + "\n  ".join(wrong))
    return Verdict(True, f"all {len(expected)} calls raise (or do not) as specified")


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


@judge
def same_values(case, got: dict, expected: dict, ctx: Context) -> Verdict:
    """Plain observations (attributes, outcomes) equal the reference's: numbers by ``_same``, the rest exactly."""
    wrong = []

    def walk(path: str, g: Any, e: Any) -> None:
        if isinstance(e, dict) and isinstance(g, dict):
            for k in e:
                walk(f"{path}{k}" if not path else f"{path}.{k}", g.get(k, "<missing>"), e[k])
        elif not _same(g, e):
            wrong.append(f"{path}: expected {_fmt(e)}, got {_fmt(g)}")

    walk("", got, expected)
    if wrong:
        return Verdict(False, "\n  ".join(["these differ from the specification:"] + wrong))
    return Verdict(True, "as specified")


@judge
def resume_loaded(case, got: dict, expected: dict, ctx: Context) -> Verdict:
    """Right after ``load_state_dict`` into a differently built object: the state, then the decisions."""
    built = case.args.get("fresh_kwargs")
    where = (f"after {case.args['split']} epochs of {case.args['metrics']} with {case.args['kwargs']}, state_dict() "
             f"was loaded into EarlyStopping(**{built})")
    g, e = got.get("loaded", {}), expected["loaded"]
    wrong = [f"{k} = {_fmt(g.get(k, '<missing>'))} (expected {_fmt(v)})" for k, v in e.items() if not _same(g.get(k), v)]
    if wrong:
        return Verdict(False, f"{where}; right after loading: {', '.join(wrong)}. load_state_dict must restore every "
                              "setting and counter, should_stop included.")
    if got.get("decisions") != expected["decisions"]:
        metrics, split = case.args["metrics"], case.args["split"]
        gd, ed = got.get("decisions") or [], expected["decisions"]
        first = next((i for i in range(max(len(gd), len(ed))) if i >= len(gd) or i >= len(ed) or gd[i] != ed[i]), 0)
        return Verdict(False, f"{where}; at epoch {first} (metric {metrics[first] if first < len(metrics) else '-'}) the "
                              f"resumed run decided {gd[first] if first < len(gd) else 'nothing (it had stopped)'}, "
                              f"expected {ed[first] if first < len(ed) else 'nothing (it had stopped)'} (all decisions: "
                              f"{gd}, expected {ed}; the first {split} came before the interruption). Either the loaded "
                              "object does not use the loaded patience, min_delta and mode (not those it was built "
                              "with), or should_stop is not recomputed on each step (stop = counter >= patience, so "
                              "an improvement after a stop says False again).")
    return Verdict(True, "resumed exactly, settings included")

