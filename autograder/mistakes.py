"""The catalogue of known mistakes: what each one is, how to recognise it, what to tell the student.

Each mistake is a small patch of the reference solution (``find`` -> ``replace`` in
``solutions/<exercise>.py``). The grader builds the patched module in its own process and, when
a student's observation fails a test but matches the mutant's observation, names the mistake.
The test suite turns every patch into a mutant submission and checks that it loses points with
its name in the feedback. Dropout's mistakes are random-valued, so they are recognised from the
statistics instead (``signature`` names the judge's check), but their patches still make mutants.

A mistake is charged once: ``charged_on`` names the cases that test its behaviour. Elsewhere, a
case whose only fault is a recognised mistake (the student's observation matches the mutant's) is
credited, with a note, so that one mistake costs the cases about it and not the whole exercise.

The patches are fragments of the reference's code, so they live in ``mistake_patches.py``, which
the student release leaves out; there the catalogue keeps only names, titles and hints, and the
mutants' observations come precomputed with the release (``reference_data``).
"""

from __future__ import annotations

import importlib.util
import sys
import types
from dataclasses import dataclass
from pathlib import Path

try:
    from .mistake_patches import PATCHES
except ImportError:  # the student release: no reference code, hence no patches
    PATCHES = {}


@dataclass(frozen=True)
class Mistake:
    name: str
    exercise: str
    title: str
    hint: str
    match: bool = True  # recognised by matching the mutant's observations (else by a judge's signature)
    charged_on: tuple[str, ...] = ()  # the cases that test this behaviour; empty: every case it shows on

    @property
    def patches(self) -> tuple[tuple[str, str], ...]:
        """The ``(find, replace)`` edits of the reference; empty where the patches are not shipped."""
        return PATCHES.get(self.name, ())


def _m(name, exercise, title, hint, match=True, charged_on=()):
    return Mistake(name, exercise, title, hint, match, tuple(f"{exercise}.{c}" for c in charged_on))


CATALOGUE: tuple[Mistake, ...] = (
    # ------------------------------------------------------------------------------------ adam
    _m("adam_no_bias_correction", "adam", "Adam without bias correction",
       "m and v start at 0, so early averages are too small: divide by (1 - beta1**t) and "
       "(1 - beta2**t) before the update.", charged_on=("numpy_first_steps", "torch_one_group")),
    _m("adam_eps_inside_sqrt", "adam", "eps added inside the square root",
       "PyTorch divides by sqrt(v_hat) + eps, not sqrt(v_hat + eps).",
       charged_on=("numpy_small_gradients", "torch_small_gradients")),
    _m("adam_no_eps", "adam", "eps left out of the denominator",
       "Divide by sqrt(v_hat) + eps: without eps a parameter whose gradient is zero gets 0 / 0 = NaN, and "
       "small gradients get huge steps.",
       charged_on=("numpy_small_gradients", "torch_small_gradients", "torch_zero_grad")),
    _m("adam_betas_swapped", "adam", "beta1 and beta2 swapped",
       "betas = (beta1, beta2): beta1 (0.9) averages the gradient, beta2 (0.999) its square.",
       charged_on=("numpy_first_steps", "torch_one_group")),
    _m("adam_coupled_decay_in_adamw", "adam", "coupled (L2) weight decay where decoupled is asked (AdamW)",
       "AdamW shrinks the weights directly, p = p * (1 - lr * weight_decay), and keeps the decay out "
       "of m and v; adding weight_decay * p to the gradient is Adam's L2 penalty.", charged_on=("adamw_decoupled",)),
    _m("adam_decoupled_decay_in_adam", "adam", "decoupled weight decay where Adam's coupled L2 is asked",
       "torch.optim.Adam(weight_decay=...) adds weight_decay * p to the gradient before the moments; "
       "only AdamW (or decoupled_weight_decay=True) shrinks p directly.", charged_on=("torch_weight_decay",)),
    _m("adam_decay_without_lr", "adam", "decoupled decay not scaled by the learning rate",
       "torch.optim.AdamW multiplies p by (1 - lr * weight_decay), not (1 - weight_decay).",
       charged_on=("adamw_decoupled",)),
    _m("adam_decay_into_grad", "adam", "weight decay added into p.grad in place",
       "grad.add_(p, alpha=weight_decay) writes into p.grad, which belongs to the caller: use "
       "grad = grad.add(p, alpha=weight_decay), a new tensor.", match=False),
    _m("adam_shared_step_counter", "adam", "one step counter shared by all parameters",
       "Count steps per parameter (state['step']): a counter bumped once per parameter makes t grow "
       "too fast and the bias correction wrong.", charged_on=("torch_one_group",)),
    _m("adam_ignores_group_lr", "adam", "the learning rate of the parameter group is ignored",
       "Read lr (and every hyperparameter) from the group on each step: param groups have their own "
       "values and schedulers change group['lr'] during training.", charged_on=("torch_groups_float64", "torch_lr_change")),
    _m("adam_updates_params_without_grad", "adam", "parameters without a gradient are updated",
       "Skip a parameter whose .grad is None: it took no part in the loss, gets no state and must not move.",
       charged_on=("torch_no_grad_param",)),
    _m("adam_param_rebound", "adam", "the update is assigned to a new tensor, so the parameter never changes",
       "p = p.addcdiv(...) (or p = p - ...) makes a new tensor and binds the loop variable to it; the model's "
       "parameter is untouched. Update in place: p.addcdiv_(...), p.sub_(...), or p.data = ..."),
    _m("adam_modifies_inputs", "adam", "adam_update modifies its input arrays in place",
       "Return new arrays (w = w - ...), do not write into w, m or v: the caller still owns them.",
       match=False),
    _m("adam_update_keeps_state", "adam", "adam_update counts its own steps instead of using t",
       "adam_update must depend only on its arguments: use the t it is given (the caller counts steps), and "
       "keep nothing in globals or function attributes.", match=False),
    # --------------------------------------------------------------------------------- dropout
    _m("dropout_no_rescale", "dropout", "kept units are not rescaled by 1/(1-p)",
       "Inverted dropout divides the kept units by (1 - p) during training, so the expected output "
       "equals the input and eval mode needs no change.", match=False),
    _m("dropout_scaled_by_keep_prob", "dropout", "kept units multiplied by (1-p) instead of divided",
       "That is the old, non-inverted convention applied at the wrong time: during training divide by (1 - p).", match=False),
    _m("dropout_p_is_keep_prob", "dropout", "p used as the probability of keeping a unit",
       "In PyTorch p is the probability of ZEROING a unit: keep each one with probability 1 - p.", match=False),
    _m("dropout_active_in_eval", "dropout", "dropout still active in eval mode",
       "When training is False (module.eval()), return the input unchanged.", match=False),
    _m("dropout_p_one_nan", "dropout", "p = 1 divides by zero",
       "With p = 1 every unit is dropped: return zeros instead of dividing by 1 - p = 0.", match=False),
    _m("dropout_ignores_rng", "dropout", "the rng argument is ignored",
       "Draw the mask from the generator you are given (rng.random(...)), so that the same generator "
       "state gives the same mask and runs are reproducible.", match=False),
    _m("dropout_fixed_mask", "dropout", "the same mask is reused on every call",
       "Draw a fresh mask on every forward call; a mask fixed once is not dropout.", match=False),
    _m("dropout_modifies_input", "dropout", "dropout modifies its input array in place",
       "Return a new array; the caller's x must stay as it was.", match=False),
    _m("dropout_changes_dtype", "dropout", "the output is float64 for a float32 input",
       "A mask made with .astype(float) is float64 and makes the product float64: cast the mask (or the "
       "result) to x.dtype.", match=False),
    # -------------------------------------------------------------------------- early stopping
    _m("es_counter_never_resets", "early_stopping", "the patience counter never resets on improvement",
       "Set counter = 0 whenever the metric improves: patience counts epochs since the LAST improvement.",
       charged_on=("counter_reset",)),
    _m("es_not_strict", "early_stopping", "a metric equal to the best counts as an improvement",
       "Improvement must be strict (metric < best - min_delta): otherwise a loss stuck on a plateau "
       "never stops the run. (The lesson text's EarlyStopping has this bug.)", charged_on=("plateau",)),
    _m("es_ignores_min_delta", "early_stopping", "min_delta is ignored",
       "An improvement must beat the best by more than min_delta.", charged_on=("min_delta",)),
    _m("es_ignores_mode", "early_stopping", "mode='max' behaves like mode='min'",
       "With mode='max' (accuracy) larger is better: compare metric > best + min_delta.", charged_on=("mode_max",)),
    _m("es_patience_off_by_one", "early_stopping", "stops one epoch late (counter > patience)",
       "Stop as soon as counter >= patience: patience=3 means three epochs without improvement.",
       charged_on=("patience",)),
    _m("es_best_epoch_one_based", "early_stopping", "best_epoch counts from 1",
       "best_epoch is the 0-based index of the step() call that produced best: record self.epoch before "
       "incrementing it.", charged_on=("best_epoch",)),
    _m("es_saves_every_epoch", "early_stopping", "the checkpoint is saved every epoch, not only on improvement",
       "Save inside the improvement branch: restore_best must bring back the BEST weights, not the last.",
       charged_on=("checkpoint",)),
    _m("es_restore_returns_none", "early_stopping", "restore_best returns None",
       "restore_best(model) loads the best weights into model and returns it (return model), so that "
       "model = es.restore_best(model) works.", match=False),
    _m("es_state_dict_missing_counter", "early_stopping", "state_dict() does not keep the patience counter",
       "A resumed run must continue exactly: save and load every counter (counter, best, best_epoch, epoch).",
       charged_on=("resume",)),
)

BY_NAME = {m.name: m for m in CATALOGUE}


def for_exercise(exercise: str) -> list[Mistake]:
    return [m for m in CATALOGUE if m.exercise == exercise]


def patched_source(mistake: Mistake, source: str) -> str:
    """The reference source with the mistake's patches applied; each ``find`` must occur exactly once."""
    if not mistake.patches:
        raise LookupError(f"mistake {mistake.name}: no patches here (autograder/mistake_patches.py is "
                          "instructor-only); in the student release mutant observations come from reference_data")
    for find, replace in mistake.patches:
        count = source.count(find)
        if count != 1:
            raise ValueError(f"mistake {mistake.name}: {find!r} occurs {count} times in the reference "
                             f"(expected exactly once); update the catalogue with the solution")
        source = source.replace(find, replace)
    return source


def solution_path(exercise: str) -> Path:
    import solutions

    return Path(solutions.__file__).parent / f"{exercise}.py"


_cache: dict[str, types.ModuleType] = {}


def mutant_module(mistake: Mistake) -> types.ModuleType:
    """The reference module with the mistake applied, built in the grader's process (trusted code)."""
    if mistake.name not in _cache:
        source = patched_source(mistake, solution_path(mistake.exercise).read_text())
        name = f"_mutant_{mistake.name}"
        spec = importlib.util.spec_from_loader(name, loader=None)
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module  # dataclasses and pickling look modules up by name
        exec(compile(source, f"<mistake {mistake.name}>", "exec"), module.__dict__)
        _cache[mistake.name] = module
    return _cache[mistake.name]
