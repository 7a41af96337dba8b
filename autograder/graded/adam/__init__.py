"""Exercise ``adam``: everything the grader knows about it, in this package.

``__init__`` (this file, plain data: importing it needs neither NumPy nor torch): the cases and their points, the specification map (which docstring
statement each case grades), the time limit, the functions the student writes and the library
names the static check refuses. ``probes.py`` runs inside the student's sandbox; ``judges.py``
judges in the grader's process; ``mistakes.py`` names known mistakes; ``patches.py`` (instructor
only) turns the reference into each mistake.
"""

from __future__ import annotations

from typing import Any  # noqa: F401

from autograder.exercise import Exercise, case as _c
from autograder.specification import _explains, _r

from .mistakes import CATALOGUE

def _adam_spec(**kw: Any) -> dict:
    spec = {"seed": 0, "dtype": "float32", "device": "cpu", "steps": 100, "optimizer": "Adam",
            "groups": [{"shapes": [[4, 3], [3]]}], "defaults": {"lr": 1e-2}}
    spec.update(kw)
    return {"spec": spec}


_NP = {"n": 20, "steps": 100, "lr": 1e-2, "betas": [0.9, 0.999], "eps": 1e-8}

CASES = (
    _c("adam.numpy_first_steps", "adam_update: the first 3 steps (bias correction)", "adam_numpy",
       {**_NP, "seed": 0, "n": 5, "steps": 3, "lr": 0.1}, "trajectory", 2),
    _c("adam.numpy_100_steps", "adam_update: 100 steps on a noisy problem", "adam_numpy",
       {**_NP, "seed": 1}, "trajectory", 2),
    _c("adam.numpy_small_gradients", "adam_update: small gradients, large eps", "adam_numpy",
       {**_NP, "seed": 2, "steps": 50, "eps": 1e-3, "grad_scale": 1e-3}, "trajectory", 1),
    _c("adam.numpy_inputs_untouched", "adam_update: w, grad, m, v are not modified", "adam_numpy",
       {**_NP, "seed": 3, "steps": 5}, "not_mutated", 1),
    _c("adam.numpy_independent_calls", "adam_update depends only on its arguments (the same call, the same result)",
       "adam_numpy", {**_NP, "seed": 4, "steps": 5}, "independent_calls", 1),
    _c("adam.numpy_defaults", "adam_update's defaults: lr=1e-3, betas=(0.9, 0.999), eps=1e-8", "adam_numpy",
       {"seed": 12, "n": 6, "steps": 40, "grad_scale": 1e-5}, "trajectory", 1),
    _c("adam.numpy_validation", "adam_update raises ValueError when t < 1", "adam_update_validation",
       {"steps": [0, -1, 1]}, "same_exceptions", 1),
    _c("adam.torch_one_group", "Adam vs torch.optim.Adam: one group, float32, 100 steps (the update rule)",
       "adam_torch", _adam_spec(), "trajectory", 3, "torch"),
    _c("adam.torch_groups_float64", "Adam vs torch.optim.Adam: 2 groups with their own lr/betas/eps, float64",
       "adam_torch", _adam_spec(seed=1, dtype="float64", groups=[
           {"shapes": [[5, 2], [2]], "lr": 3e-2, "betas": [0.8, 0.99]},
           {"shapes": [[6]], "lr": 5e-3, "eps": 1e-6}]), "trajectory", 3, "torch"),
    _c("adam.torch_small_gradients", "Adam vs torch.optim.Adam: small gradients, eps=1e-3 (where eps enters), float64",
       "adam_torch", _adam_spec(seed=13, dtype="float64", steps=50, grad_scale=1e-3, defaults={"lr": 1e-2, "eps": 1e-3}),
       "trajectory", 2, "torch"),
    _c("adam.torch_zero_grad", "A parameter whose gradient is zero (not None) stays where it is, finite",
       "adam_torch", _adam_spec(seed=14, dtype="float64", steps=10, zero_grad_param=True), "trajectory", 1, "torch"),
    _c("adam.torch_weight_decay", "Adam(weight_decay=0.1) vs torch.optim.Adam (coupled L2)", "adam_torch",
       _adam_spec(seed=2, dtype="float64", defaults={"lr": 1e-2, "weight_decay": 0.1}), "trajectory", 3, "torch"),
    _c("adam.grads_untouched", "step() leaves p.grad as the caller's backward left it (weight decay on)",
       "adam_torch", _adam_spec(seed=9, dtype="float64", steps=5, grads_untouched=True,
                                defaults={"lr": 1e-2, "weight_decay": 0.1}), "grads_untouched", 1, "torch"),
    _c("adam.adamw_decoupled", "AdamW(weight_decay=0.1) vs torch.optim.AdamW (decoupled)", "adam_torch",
       _adam_spec(seed=3, dtype="float64", optimizer="AdamW", defaults={"lr": 1e-2, "weight_decay": 0.1}),
       "trajectory", 3, "torch"),
    _c("adam.adamw_groups_float32", "AdamW vs torch.optim.AdamW: groups with their own weight_decay, float32",
       "adam_torch", _adam_spec(seed=4, optimizer="AdamW", groups=[
           {"shapes": [[3, 3]], "weight_decay": 0.0}, {"shapes": [[4], [2, 2]], "weight_decay": 0.05, "lr": 2e-2}]),
       "trajectory", 2, "torch"),
    _c("adam.torch_defaults", "Adam's defaults match torch.optim.Adam's (lr, betas, eps, no decay)", "adam_torch",
       _adam_spec(seed=10, dtype="float64", defaults={}, grad_scale=1e-5, steps=50), "trajectory", 2, "torch"),
    _c("adam.adamw_defaults", "AdamW's defaults match torch.optim.AdamW's (weight_decay=1e-2)", "adam_torch",
       _adam_spec(seed=11, dtype="float64", optimizer="AdamW", defaults={}, grad_scale=1e-5, steps=50),
       "trajectory", 1, "torch"),
    _c("adam.adamw_arguments", "AdamW passes its lr, betas, eps and weight_decay on", "adam_torch",
       _adam_spec(seed=12, dtype="float64", optimizer="AdamW", grad_scale=1e-3,
                  defaults={"lr": 2e-2, "betas": [0.8, 0.99], "eps": 1e-6, "weight_decay": 0.05}),
       "trajectory", 1, "torch"),
    _c("adam.torch_lr_change", "Adam follows a change of group['lr'] mid-run (as a scheduler does)", "adam_torch",
       _adam_spec(seed=5, dtype="float64", lr_change={"step": 50, "group": 0, "lr": 1e-3}), "trajectory", 2, "torch"),
    _c("adam.torch_resume", "Adam state_dict round trip: resume at step 50 continues exactly", "adam_torch",
       _adam_spec(seed=6, dtype="float64", resume_at=50, no_grad_param=True,
                  groups=[{"shapes": [[3, 2]]}, {"shapes": [[4]], "lr": 3e-3}]), "trajectory", 3, "torch"),
    _c("adam.torch_no_grad_param", "A parameter without gradient: unchanged, no state (AdamW, decay on)",
       "adam_torch", _adam_spec(seed=7, dtype="float64", optimizer="AdamW", no_grad_param="first", steps=20,
                                defaults={"lr": 1e-2, "weight_decay": 0.1}), "trajectory", 2, "torch"),
    _c("adam.torch_closure", "step(closure) re-evaluates the loss and returns it", "adam_torch",
       _adam_spec(seed=8, dtype="float64", closure=True, steps=10), "trajectory", 1, "torch"),
    _c("adam.validation", "Adam raises ValueError for a negative lr, eps or weight_decay, or a beta outside [0, 1)",
       "adam_validation", {"cases": [
           {"lr": -1e-3}, {"eps": -1e-8}, {"weight_decay": -0.1}, {"betas": [1.0, 0.9]}, {"betas": [0.9, 1.0]},
           {"betas": [-0.1, 0.9]}, {"betas": [0.9, -0.1]}, {"betas": [0.9, 1.5]},
           {"lr": 0.0}, {"eps": 0.0}, {"weight_decay": 0.0}, {"betas": [0.0, 0.0]}]}, "same_exceptions", 1),
)

_ADAM_TRAJ = ("adam.numpy_first_steps", "adam.numpy_100_steps")
_TORCH_TRAJ = ("adam.torch_one_group", "adam.torch_groups_float64")

SPEC = (
        _explains("Exercise ``adam``: the Adam update", "the title"),
        _r("Part (a), ``adam_update``, is the update of the lesson text", *_ADAM_TRAJ),
        _r("Part (b), ``Adam`` and ``AdamW``, match", *_TORCH_TRAJ, "adam.adamw_decoupled"),
        _explains("The algorithm, for a parameter", "introduces the block below"),
        _r("g_t = g_t + weight_decay * theta", "adam.torch_weight_decay"),
        _r("theta = theta - lr * weight_decay * theta", "adam.adamw_decoupled", "adam.adamw_groups_float32"),
        _r("m_t = beta1 * m_{t-1} + (1 - beta1) * g_t", *_ADAM_TRAJ, *_TORCH_TRAJ),
        _r("v_t = beta2 * v_{t-1} + (1 - beta2) * g_t ** 2", *_ADAM_TRAJ, *_TORCH_TRAJ),
        _r("m_hat = m_t / (1 - beta1 ** t)", "adam.numpy_first_steps", "adam.torch_one_group"),
        _r("v_hat = v_t / (1 - beta2 ** t)", "adam.numpy_first_steps", "adam.torch_one_group"),
        _r("theta = theta - lr * m_hat / (sqrt(v_hat) + eps)", "adam.numpy_small_gradients",
           "adam.torch_small_gradients", "adam.torch_zero_grad"),
        _explains("Student version: fill in", "how to work"),
        _r("One bias-corrected Adam step on NumPy arrays; returns the new ``(w, m, v)``", *_ADAM_TRAJ),
        _r("w: the parameters.", *_ADAM_TRAJ),
        _r("grad: the gradient of the loss at ``w``", *_ADAM_TRAJ),
        _r("m, v: the first and second moment estimates", *_ADAM_TRAJ),
        _r("t: the number of this step, counting from 1", "adam.numpy_first_steps"),
        _r("lr, betas, eps: as in ``torch.optim.Adam``", "adam.numpy_small_gradients", "adam.numpy_defaults"),
        _r("The inputs are not modified; new arrays are returned.", "adam.numpy_inputs_untouched",
           "adam.numpy_independent_calls"),
        _r("Raises ``ValueError`` when ``t < 1``.", "adam.numpy_validation"),
        _r("Adam (Kingma & Ba, 2015) with PyTorch's semantics and defaults.", "adam.torch_defaults"),
        _r("params: an iterable of tensors or of dicts defining parameter groups.", "adam.torch_groups_float64"),
        _r("lr: learning rate (default ``1e-3``).", "adam.torch_defaults", "adam.torch_lr_change"),
        _r("betas: coefficients of the running averages", "adam.torch_defaults", "adam.torch_groups_float64"),
        _r("eps: added to the denominator for numerical stability", "adam.torch_defaults", "adam.torch_small_gradients"),
        _r("weight_decay: ``torch.optim.Adam``'s coupled L2 penalty", "adam.torch_weight_decay", "adam.torch_defaults"),
        _r("With ``decoupled_weight_decay=True`` the parameters are instead shrunk", "adam.adamw_decoupled"),
        _r("decoupled_weight_decay: see ``weight_decay`` (default ``False``).", "adam.torch_defaults",
           "adam.adamw_decoupled"),
        _explains("Keep the state of each parameter in ``self.state[p]``",
                  "advice: the names let the feedback show the state; a resume is graded by adam.torch_resume"),
        _r("Parameters whose ``.grad`` is ``None`` are skipped", "adam.torch_no_grad_param"),
        _r("``step`` leaves every ``p.grad`` as it found it", "adam.grads_untouched", "adam.torch_lr_change"),
        _r("ValueError: for ``lr < 0``", "adam.validation"),
        _r("Adam with decoupled weight decay (Loshchilov & Hutter, 2019)", "adam.adamw_decoupled"),
        _r("The same as ``Adam(..., decoupled_weight_decay=True)`` with ``weight_decay`` defaulting to ``1e-2``",
           "adam.adamw_defaults", "adam.adamw_arguments", "adam.adamw_decoupled"),
        _r("Perform one optimization step;", *_TORCH_TRAJ, "adam.torch_resume"),
        _r("``closure`` re-evaluates the model and returns the loss.", "adam.torch_closure"),
    
)


class _TorchOptim:
    """``torch.optim`` in the shape of this exercise's module (single-tensor path, as the reference)."""

    __name__ = "torch.optim"

    def __getattr__(self, name: str):
        import functools

        import torch

        cls = {"Adam": torch.optim.Adam, "AdamW": torch.optim.AdamW}[name]
        return functools.partial(cls, foreach=False)


def _on_device(probe: str, args: dict, device: str) -> dict:
    if "spec" in args:  # the torch probes; the NumPy ones have no device
        args["spec"]["device"] = device
    return args


EXERCISE = Exercise(
    name="adam",
    title="Adam and AdamW, in NumPy and as torch.optim optimizers",
    chapter="book/03_optimizers",
    timeout=90.0,
    warm=("torch._dynamo",),  # an Optimizer's constructor imports it on first use (0.7 s)
    todo=('adam_update', 'Adam.step'),
    delegated=frozenset(('Adam', 'AdamW', 'adam', 'adamw', '_single_tensor_adam', '_multi_tensor_adam', '_fused_adam', '_functional', 'lr_scheduler')),
    cases=CASES,
    spec=SPEC,
    mistakes=CATALOGUE,
    torch_reference=_TorchOptim,
    on_device=_on_device,
)
