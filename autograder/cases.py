"""The test cases, as data: what to probe, how to judge it, how many points, who may see it.

This table is the one place where points are set. Hidden cases (``--hidden FILE``) use the same
fields in JSON: ``{"cases": [{"id": ..., "exercise": ..., "title": ..., "probe": ..., "args": {...},
"judge": ..., "points": ..., "visibility": "after_published", "reference": "solution"}]}``.

``reference`` says what the student is compared with: ``"solution"`` (the reference module) or
``"torch"`` (``torch.optim.Adam``/``AdamW`` with ``foreach=False``).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

VISIBILITIES = ("visible", "hidden", "after_due_date", "after_published")


@dataclass(frozen=True)
class Case:
    id: str
    exercise: str
    title: str
    probe: str
    args: dict
    judge: str
    points: float
    visibility: str = "visible"
    reference: str = "solution"

    def to_json(self) -> dict:
        return asdict(self)


def _adam_spec(**kw: Any) -> dict:
    spec = {"seed": 0, "dtype": "float32", "device": "cpu", "steps": 100, "optimizer": "Adam",
            "groups": [{"shapes": [[4, 3], [3]]}], "defaults": {"lr": 1e-2}}
    spec.update(kw)
    return {"spec": spec}


def _c(id, title, probe, args, judge, points, reference="solution", visibility="visible"):
    return Case(id, id.split(".")[0], title, probe, args, judge, points, visibility, reference)


_NP = {"n": 20, "steps": 100, "lr": 1e-2, "betas": [0.9, 0.999], "eps": 1e-8}
_ES_SEQ = [1.0, 0.9, 0.8, 0.85, 0.82, 0.81, 0.79, 0.8, 0.8, 0.8, 0.8, 0.8]
_ES_RESET = [1.0, 1.1, 1.2, 0.9, 1.0, 1.1, 1.05, 1.2, 1.3]

PUBLIC: tuple[Case, ...] = (
    # adam (40 points)
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
    # dropout (30 points)
    _c("dropout.numpy_fraction", "dropout (NumPy) in training, p=0.3: each unit is dropped with probability p",
       "dropout_numpy", {"p": 0.3, "shape": [200, 500], "seed": 0}, "dropout_fraction", 2),
    _c("dropout.numpy_scaling", "dropout (NumPy) in training, p=0.3: the kept units are divided by 1 - p",
       "dropout_numpy", {"p": 0.3, "shape": [200, 500], "seed": 0}, "dropout_scaling", 2),
    _c("dropout.numpy_dtype", "dropout (NumPy) returns the dtype of x (float32)", "dropout_numpy",
       {"p": 0.3, "shape": [20, 50], "seed": 15}, "dropout_dtype", 1),
    _c("dropout.numpy_small_p", "dropout (NumPy) with a small p=0.03 still drops and rescales", "dropout_numpy",
       {"p": 0.03, "shape": [300, 300], "seed": 12}, "dropout_drops_and_scales", 1),
    _c("dropout.numpy_defaults", "dropout(x) uses its defaults: p=0.5, training=True, a fresh generator",
       "dropout_numpy", {"p": 0.5, "shape": [100, 100], "seed": 13, "defaults": True}, "dropout_fraction", 1),
    _c("dropout.numpy_train_p08", "dropout (NumPy) at p=0.8 on float64: each unit is dropped with probability p",
       "dropout_numpy", {"p": 0.8, "shape": [100, 400], "seed": 1, "dtype": "float64"}, "dropout_fraction", 2),
    _c("dropout.numpy_eval", "dropout (NumPy) with training=False returns x", "dropout_numpy",
       {"p": 0.5, "shape": [50, 40], "seed": 2, "training": False}, "dropout_identity", 3),
    _c("dropout.numpy_p0", "dropout (NumPy) with p=0 returns x", "dropout_numpy",
       {"p": 0.0, "shape": [50, 40], "seed": 3}, "dropout_identity", 1),
    _c("dropout.numpy_p1", "dropout (NumPy) with p=1 returns zeros (no NaN)", "dropout_numpy",
       {"p": 1.0, "shape": [50, 40], "seed": 4}, "dropout_zeros", 1),
    _c("dropout.numpy_rng", "dropout (NumPy) draws its mask from the rng it is given", "dropout_numpy_rng",
       {"p": 0.5, "shape": [40, 50], "seed": 5}, "dropout_rng", 2),
    _c("dropout.numpy_input_untouched", "dropout (NumPy) does not modify x", "dropout_numpy",
       {"p": 0.5, "shape": [30, 30], "seed": 6}, "dropout_no_mutation", 1),
    _c("dropout.module_fraction", "Dropout module in train mode: each unit is dropped with probability p",
       "dropout_module", {"p": 0.4, "shape": [100, 1000], "seed": 7}, "dropout_fraction", 1),
    _c("dropout.module_scaling", "Dropout module in train mode: the kept units are divided by 1 - p",
       "dropout_module", {"p": 0.4, "shape": [100, 1000], "seed": 7}, "dropout_scaling", 2),
    _c("dropout.module_gradient", "Dropout module: gradients follow the values (zero where dropped, scaled where kept)",
       "dropout_module", {"p": 0.4, "shape": [100, 1000], "seed": 7}, "dropout_gradient", 1),
    _c("dropout.module_fresh_mask", "Dropout module draws a new mask on every call", "dropout_module",
       {"p": 0.4, "shape": [100, 1000], "seed": 7}, "dropout_fresh_mask", 1),
    _c("dropout.module_defaults", "Dropout() uses the default p=0.5", "dropout_module",
       {"p": 0.5, "shape": [100, 100], "seed": 14, "defaults": True}, "dropout_fraction", 1),
    _c("dropout.module_eval", "Dropout module in eval mode is the identity (values and gradients)",
       "dropout_module", {"p": 0.4, "shape": [20, 30], "seed": 8, "train": False}, "dropout_module_eval", 3),
    _c("dropout.module_p1", "Dropout(p=1) outputs zeros, no NaN", "dropout_module",
       {"p": 1.0, "shape": [20, 30], "seed": 9}, "dropout_module_zeros", 1),
    _c("dropout.module_float64", "Dropout keeps float64 and trains through it", "dropout_module",
       {"p": 0.5, "shape": [200, 200], "seed": 10, "dtype": "float64"}, "dropout_dtype", 1),
    _c("dropout.module_seeded", "Dropout draws from PyTorch's generator (torch.manual_seed repeats the mask)",
       "dropout_module_seeded", {"p": 0.5, "shape": [30, 30], "seed": 11}, "flags_true", 1),
    _c("dropout.invalid_p", "p outside [0, 1] raises ValueError", "dropout_invalid_p",
       {"values": [-0.1, 1.5]}, "all_raise_value_error", 1),
    # early_stopping (30 points)
    _c("early_stopping.patience", "stops after `patience` epochs without improvement", "early_stopping_sequence",
       {"metrics": _ES_SEQ, "kwargs": {"patience": 3}}, "es_stops", 3),
    # the next cases judge one attribute each, with a patience the runs never reach
    _c("early_stopping.counter_reset", "an improvement resets the counter", "early_stopping_sequence",
       {"metrics": _ES_RESET, "kwargs": {"patience": 100}}, "es_counter", 2),
    _c("early_stopping.min_delta", "improvements smaller than min_delta do not count", "early_stopping_sequence",
       {"metrics": [1.0, 0.97, 0.96, 0.90, 0.89, 0.88, 0.87, 0.86], "kwargs": {"patience": 100, "min_delta": 0.05}},
       "es_improvements", 2),
    _c("early_stopping.plateau", "a plateau (equal values) is not an improvement", "early_stopping_sequence",
       {"metrics": [0.5, 0.5, 0.5, 0.5, 0.5, 0.5], "kwargs": {"patience": 100}}, "es_improvements", 2),
    _c("early_stopping.mode_max", "mode='max' for accuracies: larger is better", "early_stopping_sequence",
       {"metrics": [0.5, 0.6, 0.65, 0.64, 0.66, 0.66, 0.67, 0.65, 0.6, 0.55], "kwargs": {"patience": 100, "mode": "max"}},
       "es_improvements", 2),
    _c("early_stopping.nan", "a NaN metric is never an improvement", "early_stopping_sequence",
       {"metrics": [float("nan"), 1.0, float("nan"), float("nan"), float("nan")], "kwargs": {"patience": 100}},
       "es_improvements", 2),
    _c("early_stopping.best_value", "best holds the best metric so far", "early_stopping_sequence",
       {"metrics": [0.9, 0.7, 0.8, 0.6, 0.65], "kwargs": {"patience": 100}}, "es_best", 1),
    _c("early_stopping.best_epoch", "best_epoch is the 0-based index of the step() call that produced best",
       "early_stopping_sequence", {"metrics": [0.9, 0.7, 0.8, 0.6, 0.65], "kwargs": {"patience": 100}},
       "es_best_epoch", 1),
    _c("early_stopping.checkpoint", "the best model is saved to save_path and restore_best brings it back",
       "early_stopping_checkpoint",
       {"metrics": [1.0, 0.8, 0.7, 0.75, 0.72, 0.71, 0.9], "kwargs": {"patience": 3}}, "es_checkpoint", 4),
    _c("early_stopping.restore_returns_model", "restore_best(model) returns the model", "early_stopping_checkpoint",
       {"metrics": [1.0, 0.8, 0.9], "kwargs": {"patience": 3}}, "es_restore_returns", 1),
    _c("early_stopping.resume", "state_dict/load_state_dict: a resumed run decides exactly as an uninterrupted one",
       "early_stopping_resume", {"metrics": _ES_RESET, "kwargs": {"patience": 3}, "split": 5}, "es_resume", 3),
    _c("early_stopping.resume_into_defaults",
       "load_state_dict into a new EarlyStopping() restores the settings, the counters and should_stop",
       "early_stopping_resume", {"metrics": [0.5, 0.6, 0.62, 0.63, 0.8, 0.81, 0.82], "split": 4, "fresh_kwargs": {},
                                 "kwargs": {"patience": 2, "min_delta": 0.05, "mode": "max"}}, "resume_loaded", 2),
    _c("early_stopping.defaults", "EarlyStopping() uses its defaults: patience=10, min_delta=0, mode='min'",
       "early_stopping_sequence", {"metrics": [1.0, 0.9, 0.8] + [0.8] * 11, "kwargs": {}}, "exact", 1),
    _c("early_stopping.new_object", "a new EarlyStopping: best/best_epoch None, counters 0, should_stop False; "
       "is_improvement returns a bool", "early_stopping_fresh", {"kwargs": {"patience": 3}}, "same_values", 1),
    _c("early_stopping.validation", "patience < 1, min_delta < 0 or an unknown mode raise ValueError",
       "early_stopping_invalid", {"cases": [
           {"patience": 0}, {"patience": -1}, {"patience": 1}, {"min_delta": -0.1}, {"min_delta": 0.0},
           {"mode": "avg"}, {"mode": "max"}]}, "same_exceptions", 1),
    _c("early_stopping.optional_model", "step saves only when both a model and a save_path are given",
       "early_stopping_optional_model", {"metrics": [1.0, 0.9, 0.95]}, "same_values", 1),
    _c("early_stopping.restore_errors", "restore_best raises RuntimeError without a save_path, "
       "FileNotFoundError before anything was saved", "early_stopping_restore_errors", {}, "same_exceptions", 1),
)


def load_hidden(path: str | Path) -> list[Case]:
    """Read an instructor's hidden cases (JSON); unknown fields or values are an error, not ignored."""
    data = json.loads(Path(path).read_text())
    out = []
    for raw in data.get("cases", []):
        raw = dict(raw)
        raw = {"visibility": "after_published", "reference": "solution", **raw}
        unknown = set(raw) - set(Case.__dataclass_fields__)
        if unknown:
            raise ValueError(f"{path}: case {raw.get('id')!r} has unknown fields {sorted(unknown)}")
        if raw["visibility"] not in VISIBILITIES:
            raise ValueError(f"{path}: case {raw['id']!r} has visibility {raw['visibility']!r}; "
                             f"use one of {VISIBILITIES}")
        out.append(Case(**raw))
    return out


def select(cases: list[Case], exercises: list[str]) -> list[Case]:
    return [c for c in cases if c.exercise in exercises]
