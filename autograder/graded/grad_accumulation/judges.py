"""Judges of the ``grad_accumulation`` exercise: compare a student's run or clipping with the reference's.

Runs in the grader's process, never in the sandbox. Each judge registers itself by name
(``autograder.judges.JUDGES``). ``ga_run`` judges a training pass step by step and says where it
first differs: the number of optimizer steps, the gradient the optimizer received at each step
(after clipping), the parameters after each step, then what the case names in ``aspects``.
Values are compared at the tolerance of the case's dtype (``config.tolerance``): accumulating in
another order, or dividing the gradients by ``N`` after the backward passes, stays far inside it
in float64, and every catalogued mistake is off by 1e-7 relative or (mostly) far more.
"""

from __future__ import annotations

import math

import numpy as np

from autograder import config
from autograder.judges import HINTS, Context, Verdict, _fmt, _row, judge


def _setup(case) -> str:
    """The case's inputs, as a student would write the call."""
    s = case.args["spec"]
    kwargs = "".join(f", {k}={(float('inf') if s[k] == 'inf' else s[k])!r}" for k in ("max_norm", "norm_type")
                     if k in s)
    opt = ", ".join(f"{k}={v!r}" for k, v in s.get("opt", {}).items())
    model = {"mlp": "Linear(6, 16)-Tanh-Linear(16, 4)",
             "frozen": "Linear(6, 16) frozen-Tanh-Linear(16, 4) plus an unused parameter 'spare'",
             "bn": "Linear(6, 16)-BatchNorm1d(16)-Tanh-Linear(16, 4)"}[s.get("model", "mlp")]
    loss = "nn.CrossEntropyLoss()" if s.get("loss", "ce") == "ce" else "nn.MSELoss()"
    extra = "".join([", passed in eval mode" if s.get("eval_first") else "",
                     ", p.grad holding stale gradients" if s.get("stale_grads") else "",
                     ", batches as a generator" if s.get("as_generator") else ""])
    return (f"{model} ({s.get('dtype', 'float64')}{extra}), {s.get('optimizer', 'SGD')}({opt}), {loss}, "
            f"micro-batch sizes {s['sizes']}: train_accumulated(model, optimizer, loss_fn, batches, "
            f"{s['accumulation_steps']}{kwargs})")


def _groups(case) -> list[list[int]]:
    """The micro-batch sizes of each optimizer step's group."""
    s = case.args["spec"]
    k, sizes = s["accumulation_steps"], s["sizes"]
    return [sizes[i:i + k] for i in range(0, len(sizes), k)]


def _where(case, flat: int) -> str:
    from . import probes

    start = 0
    for name, shape in probes.layout(case.args["spec"].get("model", "mlp")):
        size = int(np.prod(shape)) if shape else 1
        if flat < start + size:
            index = np.unravel_index(flat - start, shape) if shape else ()
            return f"{name}[{', '.join(str(int(i)) for i in index)}]"
        start += size
    return f"element {flat}"


def _tol(case) -> tuple[float, float]:
    return config.tolerance(case.args["spec"].get("dtype", "float64"), "cpu")


def _bad(g: np.ndarray, e: np.ndarray, rtol: float, atol: float) -> np.ndarray:
    """Where ``g`` and ``e`` differ: beyond the tolerance, or NaN (no gradient) on one side only."""
    with np.errstate(invalid="ignore"):
        return (~np.isclose(g, e, rtol=rtol, atol=atol) & ~(np.isnan(g) & np.isnan(e))) | (np.isnan(g) != np.isnan(e))


def _ratio_note(case, g: np.ndarray, e: np.ndarray, step: int) -> str:
    """What a constant ratio between the gradients says (the direction right, the length wrong)."""
    ok = np.isfinite(g) & np.isfinite(e) & (np.abs(e) > 1e-12)
    if ok.sum() < 2:
        return ""
    r = g[ok] / e[ok]
    c = float(np.median(r))
    if not np.allclose(r, c, rtol=1e-6) or abs(c) < 1e-12:
        return ""
    sizes = _groups(case)[step] if step < len(_groups(case)) else []
    text = f"\n  your gradient at this step is {c:.6g} times the expected one on every element: the direction is right, the length is not"
    if sizes and math.isclose(c, len(sizes), rel_tol=1e-6) and len(sizes) > 1:
        text += (f" ({len(sizes)} = the micro-batches in this group: their mean losses were added up; weight each "
                 "micro-batch's loss by n_i / N so that the sum is the mean over the effective batch)")
    elif "max_norm" in case.args["spec"]:
        text += " (clipping: one clip of the accumulated gradient, over all parameters, before optimizer.step())"
    return text + "."


def _compare_rows(case, what: str, g, e, step_word: str = "step") -> Verdict | None:
    """The first row and element where ``g`` and ``e`` (steps x elements) differ, as a verdict; None if none."""
    rtol, atol = _tol(case)
    g, e = np.asarray(g, dtype=np.float64), np.asarray(e, dtype=np.float64)
    if g.shape != e.shape:
        return Verdict(False, f"{_setup(case)}:\n  {what}: expected shape {e.shape}, got {g.shape}")
    bad = _bad(g, e, rtol, atol)
    if not bad.any():
        return None
    row, idx = (int(i) for i in np.argwhere(bad)[0])
    ge, ee = float(g[row, idx]), float(e[row, idx])
    message = (f"{_setup(case)}:\n  {what} first differs at {step_word} {row + 1} of {e.shape[0]}, at "
               f"{_where(case, idx)} (rtol {rtol:g}, atol {atol:g}):" + _row("value", ee, ge))
    if math.isnan(ge) != math.isnan(ee):
        message += ("\n  (NaN stands for p.grad is None)" if "gradient" in what else "")
    if row > 0:
        message += f"\n  (at {step_word} {row} everything matched)"
    return Verdict(False, message, details={"step": row + 1, "element": idx, "expected": ee, "got": ge})


@judge
def ga_run(case, got: dict, expected: dict, ctx: Context) -> Verdict:
    """A training pass step by step: steps, gradients received, parameters, then the case's aspects."""
    setup = _setup(case)
    if got["steps"] != expected["steps"]:
        sizes = _groups(case)
        note = ""
        if got["steps"] == expected["steps"] + 1:
            note = ("\n  one step too many: the last group is stepped once, and only when it holds micro-batches "
                    "(an extra optimizer.step() still moves a scheduler and, with weight decay or momentum, "
                    "the parameters)")
        elif got["steps"] == expected["steps"] - 1 and len(sizes[-1]) < case.args["spec"]["accumulation_steps"]:
            note = (f"\n  one step too few: the last group ({len(sizes[-1])} micro-batches, fewer than "
                    "accumulation_steps) still gets its optimizer step")
        elif got["steps"] == len(case.args["spec"]["sizes"]):
            note = "\n  one step per micro-batch: step only after every accumulation_steps micro-batches"
        return Verdict(False, f"{setup}:\n  optimizer.step() was called {got['steps']} times, expected "
                              f"{expected['steps']} (groups of micro-batch sizes {sizes}){note}")
    verdict = _compare_rows(case, "the gradient optimizer.step() received (after clipping)", got["grads"],
                            expected["grads"])
    if verdict is not None:
        step = verdict.details["step"] - 1
        verdict.message += _ratio_note(case, np.asarray(got["grads"][step]), np.asarray(expected["grads"][step]), step)
        if case.args["spec"].get("stale_grads") and step == 0:
            verdict.message += ("\n  the caller left gradients in p.grad before the call: zero them before the "
                                "first micro-batch (optimizer.zero_grad())")
        return verdict
    verdict = _compare_rows(case, "the parameters after optimizer.step()", got["traj"], expected["traj"])
    if verdict is not None:
        verdict.message += "\n  (the gradients the optimizer received matched: look at how the optimizer is called)"
        return verdict
    aspects = case.args.get("aspects", [])
    if "records" in aspects:
        verdict = _records(case, got, expected)
        if verdict is not None:
            return verdict
    if "grads_after" in aspects and got["grads_after"] != expected["grads_after"]:
        left = ", ".join(f"{name} ({'zeros' if kind == 'zeros' else 'a gradient'})" for name, kind in got["grads_after"])
        return Verdict(False, f"{setup}:\n  after the run these parameters still have a p.grad: {left}; expected "
                              "every p.grad to be None: optimizer.zero_grad() (set_to_none=True, the default) after "
                              "each optimizer.step(), the last one included")
    if "training" in aspects and got["training"] != expected["training"]:
        return Verdict(False, f"{setup}:\n  the model is left in {'training' if got['training'] else 'eval'} mode; "
                              "train_accumulated puts it in training mode with model.train() and leaves it there")
    if "buffers" in aspects:
        verdict = _compare_rows(case, "the BatchNorm running statistics after the run", np.atleast_2d(got["buffers"]),
                                np.atleast_2d(expected["buffers"]), step_word="row")
        if verdict is not None:
            verdict.message += ("\n  the running statistics change with every forward pass in training mode: one "
                                "forward pass per micro-batch, after model.train()")
            return verdict
    return Verdict(True, f"all {expected['steps']} optimizer steps match (gradients and parameters)"
                   + (f", and {', '.join(aspects)}" if aspects else ""))


def _records(case, got: dict, expected: dict) -> Verdict | None:
    setup = _setup(case)
    if got.get("records") is None:
        return Verdict(False, f"{setup}:\n  {got.get('records_error')}", symptom="returned_none"
                       if "None" in str(got.get("records_error")) else None)
    g, e = got["records"], expected["records"]
    if len(g) != len(e):
        return Verdict(False, f"{setup}:\n  {len(g)} records returned, expected {len(e)} (one per optimizer step)")
    rtol, atol = _tol(case)
    for i, (gr, er) in enumerate(zip(g, e)):
        if gr.get("attached"):
            return Verdict(False, f"{setup}:\n  record {i}: {gr['attached']} is a tensor attached to the autograd "
                                  "graph; store a float (loss.item()): a tensor that requires grad keeps the graph of "
                                  "every micro-batch it came from alive")
        for key in ("samples", "micro_batches", "grad_norm", "loss"):
            a, b = gr[key], er[key]
            if b is None or a is None or key in ("samples", "micro_batches"):
                same = a == b
            else:
                same = math.isclose(a, b, rel_tol=rtol, abs_tol=atol)
            if not same:
                why = {"loss": "the mean loss of the effective batch, sum(n_i * loss_i) / N, from the forward "
                               "passes before the step",
                       "grad_norm": "the total norm before clipping that clip_grad_norm returns; None without "
                                    "max_norm",
                       "samples": "N, the samples of the group's micro-batches",
                       "micro_batches": "the number of micro-batches in the group"}[key]
                return Verdict(False, f"{setup}:\n  record {i} (step {i + 1}), {key!r}: expected {_fmt(b)}, got "
                                      f"{_fmt(a)} ({why})")
    return None


@judge
def ga_clip(case, got: dict, expected: dict, ctx: Context) -> Verdict:
    """``clip_grad_norm`` on fresh tensors: the returned norm, the gradients after, the parameters untouched."""
    s = case.args["spec"]
    rtol, atol = _tol(case)
    norm_type = s.get("norm_type", 2.0)
    call = (f"{len(s['shapes'])} tensors of shapes {s['shapes']}"
            + (f", requires_grad=False at {s['frozen']}" if s.get("frozen") else "")
            + (f", grad None at {s['none']}" if s.get("none") else "")
            + f": clip_grad_norm(parameters, max_norm={s['max_norm']!r}"
            + (f", norm_type={float(norm_type)!r}" if "norm_type" in s else "") + ")")
    for form, e in expected.items():
        g = got.get(form, {})
        shown = call + ("" if form == "list" else f" with the parameters given as {'a generator' if form == 'generator' else 'a single tensor (the first)'}")
        if not math.isclose(g.get("norm", math.nan), e["norm"], rel_tol=rtol, abs_tol=atol):
            note = ""
            if norm_type == "inf":
                note = "\n  the inf-norm is the largest absolute value of any gradient (max of the per-tensor maxima)"
            return Verdict(False, f"{shown}:\n  the returned total norm differs:" + _row("total_norm", e["norm"],
                                                                                         g.get("norm", math.nan))
                           + note)
        if not g.get("is_tensor"):
            return Verdict(False, f"{shown}:\n  the total norm must be returned as a 0-d tensor, as clip_grad_norm_ "
                                  "returns it (it has the right value)")
        if g.get("params_changed"):
            return Verdict(False, f"{shown}:\n  a parameter's value changed: clipping scales p.grad only",
                           symptom="input_mutated")
        gg, eg = np.asarray(g["grads"], dtype=np.float64), np.asarray(e["grads"], dtype=np.float64)
        bad = _bad(gg, eg, rtol, atol) if gg.shape == eg.shape else np.ones(1, bool)
        if bad.any():
            if gg.shape != eg.shape:
                return Verdict(False, f"{shown}:\n  expected {eg.size} gradient values, got {gg.size}")
            idx = int(np.argwhere(bad)[0][0])
            coef = min(s["max_norm"] / (e["norm"] + 1e-6), 1.0)
            message = (f"{shown}:\n  the gradients after clipping differ at element {idx} of the flattened "
                       f"gradients (NaN: grad None):" + _row("grad", float(eg[idx]), float(gg[idx]))
                       + f"\n  expected every gradient times clip_coef = min(max_norm / (total_norm + 1e-6), 1) = "
                         f"{_fmt(coef)} (total_norm = {_fmt(e['norm'])})")
            ok = np.isfinite(gg) & np.isfinite(eg) & (np.abs(eg) > 0)
            if ok.any():
                ratio = gg[ok] / eg[ok]
                if np.allclose(ratio, ratio[0], rtol=1e-9):
                    message += f"; yours are the expected ones times {ratio[0]:.12g}"
            return Verdict(False, message)
    return Verdict(True, f"the total norm and the clipped gradients match clip_grad_norm_ ({', '.join(expected)})")


@judge
def ga_clip_loop(case, got: dict, expected: dict, ctx: Context) -> Verdict:
    """The student's ``clip_grad_norm`` inside a plain loop: the norms it returns and the parameters after each step."""
    s = case.args["spec"]
    rtol, atol = _tol(case)
    setup = (f"a loop of {s['steps']} SGD(lr={s['lr']}) steps on a Linear-Tanh-Linear regression with "
             f"clip_grad_norm(model.parameters(), max_norm={s['max_norm']}) between backward() and step()")
    gn, en = np.asarray(got["norms"], dtype=np.float64), np.asarray(expected["norms"], dtype=np.float64)
    if gn.shape == en.shape and (_bad(gn, en, rtol, atol)).any():
        i = int(np.argwhere(_bad(gn, en, rtol, atol))[0][0])
        return Verdict(False, f"{setup}:\n  the total norm returned at step {i + 1} differs:"
                              + _row("total_norm", float(en[i]), float(gn[i])))
    g, e = np.asarray(got["traj"], dtype=np.float64), np.asarray(expected["traj"], dtype=np.float64)
    bad = _bad(g, e, rtol, atol) if g.shape == e.shape else np.ones((1, 1), bool)
    if g.shape != e.shape or gn.shape != en.shape:
        return Verdict(False, f"{setup}:\n  expected {e.shape[0]} steps, got {g.shape[0] if g.ndim else 0}")
    if bad.any():
        row, idx = (int(i) for i in np.argwhere(bad)[0])
        return Verdict(False, f"{setup}:\n  the parameters first differ after step {row + 1}, at element {idx}:"
                              + _row("parameter", float(e[row, idx]), float(g[row, idx]))
                              + "\n  (the returned norms matched: the scaling of the gradients differs)")
    return Verdict(True, f"all {s['steps']} steps match the loop with clip_grad_norm_")


# what to try when a case of this exercise fails and no catalogued mistake matches
HINTS.update({
    "ga_run": "run the case's settings twice, once with your function and once as one big batch per group "
              "(torch.cat the group's x and y, one backward, clip_grad_norm_, step), and compare p.grad just "
              "before each optimizer.step() (optimizer.register_step_pre_hook helps).",
    "ga_clip": "compute by hand: the per-tensor norms, the norm of those, the coefficient min(max_norm / "
               "(total_norm + 1e-6), 1); compare with torch.nn.utils.clip_grad_norm_ on a copy of the gradients.",
    "ga_clip_loop": "print what your clip_grad_norm returns and p.grad after it in the first steps, next to "
                    "torch.nn.utils.clip_grad_norm_ on a copy.",
})
