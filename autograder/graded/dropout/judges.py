"""Judges of the ``dropout`` exercise: compare a student's observation with the reference's.

Runs in the grader's process, never in the sandbox. Each judge registers itself by name
(``autograder.judges.JUDGES``); the cases name them.
"""

from __future__ import annotations

import math

import numpy as np

from autograder import config
from autograder.judges import HINTS, Context, Verdict, _fmt, judge

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


# what to try when a case of this exercise fails and no catalogued mistake matches
HINTS.update({
    "dropout_train": "keep each unit with probability 1 - p and divide the kept ones by 1 - p.",
    "dropout_module_train": "multiply x by a fresh Bernoulli(1 - p) mask divided by 1 - p, with tensor operations.",
})
