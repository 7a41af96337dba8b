"""The catalogue of known mistakes of the ``warmup_cosine`` exercise: names, titles, hints, where charged.

The patches that turn the reference into each mistake are in ``patches.py`` (instructor only).
"""

from __future__ import annotations

from autograder.exercise import mistake as _m

CATALOGUE = (
    _m("wc_warmup_off_by_one", "warmup_cosine", "the warmup is one step ahead (t + 1 instead of t)",
       "The rate of step t (last_epoch = t, 0 right after construction) is base_lr * (f + (1 - f) * t / W): "
       "step 0 trains with f * base_lr, and base_lr is reached at t = W, not at t = W - 1.",
       charged_on=("warmup",)),
    _m("wc_ignores_start_factor", "warmup_cosine", "the warmup always starts at 0 (warmup_start_factor ignored)",
       "The warmup starts at warmup_start_factor * base_lr: interpolate f + (1 - f) * t / W, not t / W.",
       charged_on=("start_factor",)),
    _m("wc_cosine_not_shifted", "warmup_cosine", "the cosine is measured from step 0, not from the end of the warmup",
       "The cosine starts when the warmup ends: its progress is (t - W) / (T - W), 0 at t = W and 1 at t = T "
       "(t / T starts the decay during the warmup and jumps at t = W).", charged_on=("cosine",)),
    _m("wc_min_lr_as_factor", "warmup_cosine", "min_lr is used as a fraction of each group's base lr",
       "min_lr is an absolute rate, the same for every group, as CosineAnnealingLR's eta_min: the cosine "
       "goes from base_lr down to min_lr itself, not to min_lr * base_lr.", charged_on=("min_lr",)),
    _m("wc_clamped_at_min_lr", "warmup_cosine", "the cosine decays to 0 and is clamped at min_lr",
       "Decay from base_lr to min_lr along the whole half cosine: min_lr + (base_lr - min_lr) * (1 + cos) / 2. "
       "max(min_lr, base_lr * (1 + cos) / 2) is flat at the end instead.", charged_on=("min_lr",)),
    _m("wc_cosine_past_total", "warmup_cosine", "after total_steps the cosine goes on and the lr rises again",
       "Past total_steps the rate stays at min_lr: clip the progress at 1 (min(t, T)). The lesson's "
       "get_cosine_schedule_with_warmup and CosineAnnealingLR both let the cosine go on.",
       charged_on=("after_total",)),
    _m("wc_first_group_lr", "warmup_cosine", "every group follows the first group's base lr",
       "Each param group has its own base rate: compute one rate per entry of self.base_lrs.",
       charged_on=("torch_groups",)),
    _m("wc_ignores_last_epoch", "warmup_cosine", "last_epoch is not passed on to LRScheduler",
       "Pass last_epoch on: super().__init__(optimizer, last_epoch). Otherwise a scheduler built with "
       "last_epoch=k starts the schedule again from step 0.", charged_on=("last_epoch",)),
)
