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
    if isinstance(x, float):
        return f"{x:.8g}"
    if isinstance(x, np.ndarray):
        return np.array2string(x, precision=6, threshold=8, edgeitems=3)
    return repr(x)


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
        nan = " (NaN)" if np.isnan(g[step, idx]) else ""
        rel = abs(g[step, idx] - e[step, idx]) / max(abs(e[step, idx]), 1e-30)
        return Verdict(False,
                       f"the parameters first diverge at step {step + 1} of {e.shape[0]} (element {idx}): "
                       f"expected {_fmt(float(e[step, idx]))}, got {_fmt(float(g[step, idx]))}{nan}, "
                       f"relative error {rel:.2e} > rtol {rtol:g}",
                       details={"step": int(step) + 1, "element": int(idx),
                                "expected": float(e[step, idx]), "got": float(g[step, idx])})
    if "returned" in expected:
        gr, er = np.asarray(got.get("returned", [])), np.asarray(expected["returned"])
        if gr.shape != er.shape or not np.allclose(gr, er, rtol=rtol, atol=atol):
            return Verdict(False, "step(closure) must call the closure once and return its loss: "
                                  f"expected {_fmt(er[:3])}..., got {_fmt(gr[:3])}...")
    if "frozen_has_state" in expected:
        if got.get("frozen_has_state") != expected["frozen_has_state"]:
            return Verdict(False, "a parameter whose .grad is None must get no optimizer state")
    if "m" in expected and not np.allclose(got["m"], expected["m"], rtol=rtol, atol=atol):
        return Verdict(False, f"the first moment m returned after the last step differs: expected "
                              f"{_fmt(expected['m'])}, got {_fmt(got['m'])}")
    if "v" in expected and not np.allclose(got["v"], expected["v"], rtol=rtol, atol=max(atol, 1e-300)):
        return Verdict(False, f"the second moment v returned after the last step differs: expected "
                              f"{_fmt(expected['v'])}, got {_fmt(got['v'])}")
    return Verdict(True, f"all {e.shape[0]} steps match within rtol={rtol:g}, atol={atol:g}")


@judge
def not_mutated(case, got: dict, expected: dict, ctx: Context) -> Verdict:
    if got.get("mutated_at") is not None:
        return Verdict(False, f"adam_update changed its input arrays at step {got['mutated_at']} "
                              "(an in-place operation such as w -= ... or m *= ...)", mistake="adam_modifies_inputs")
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
        return Verdict(False, f"the output has dtype {got['dtype']}; expected {dtype}, the dtype of x")
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
                       mistake="dropout_p_one_nan")
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
                       mistake="dropout_modifies_input")
    return Verdict(True, "x is left as it was")


@judge
def dropout_module_train(case, got: dict, expected: dict, ctx: Context) -> Verdict:
    p = case.args["p"]
    dtype = case.args.get("dtype", "float32")
    x, w, outs = _module_arrays(got, expected)
    if got["dtype"] != dtype:
        return Verdict(False, f"the output has dtype {got['dtype']}; expected {dtype}, the dtype of the input")
    if got["device"] != case.args.get("device", "cpu").split(":")[0]:
        return Verdict(False, f"the output is on {got['device']}; expected the input's device")
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
                       mistake="dropout_p_one_nan")
    if np.any(out != 0):
        return Verdict(False, f"with p=1 every unit must be zero; {int((out != 0).sum())} are not")
    if got["grad"] is not None and np.any(np.asarray(got["grad"]) != 0):
        return Verdict(False, "with p=1 no gradient may reach the input")
    return Verdict(True, "all zeros, no NaN")


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
