"""Warmup + cosine in the style of torch/optim/lr_scheduler.py: a recursive ``get_lr`` that updates
each group's current ``lr`` (an additive warmup step, then CosineAnnealingLR's ratio of cosines), a
``_get_closed_form_lr`` used on the first step and when resuming with ``last_epoch``, as
``CosineAnnealingLR`` does."""

import math

from torch.optim.lr_scheduler import LRScheduler


class WarmupCosine(LRScheduler):
    def __init__(self, optimizer, warmup_steps, total_steps, min_lr=0.0, warmup_start_factor=0.0, last_epoch=-1):
        if warmup_steps < 0:
            raise ValueError(f"Expected warmup_steps >= 0, but got {warmup_steps}")
        if total_steps <= warmup_steps:
            raise ValueError(f"Expected total_steps > warmup_steps, but got {total_steps}")
        if min_lr < 0:
            raise ValueError(f"Expected min_lr >= 0, but got {min_lr}")
        if warmup_start_factor < 0 or warmup_start_factor > 1:
            raise ValueError("Starting factor expected to be between 0 and 1.")
        self.warmup_steps = warmup_steps
        self.total_steps = total_steps
        self.min_lr = min_lr
        self.warmup_start_factor = warmup_start_factor
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        t, w, T = self.last_epoch, self.warmup_steps, self.total_steps
        if t == 0 or (self._step_count == 1 and t > 0):
            return self._get_closed_form_lr()
        if t > T:
            return [self.min_lr for _ in self.optimizer.param_groups]
        if t <= w:
            return [group["lr"] + base_lr * (1 - self.warmup_start_factor) / w
                    for base_lr, group in zip(self.base_lrs, self.optimizer.param_groups)]
        n = T - w
        return [(1 + math.cos(math.pi * (t - w) / n)) / (1 + math.cos(math.pi * (t - w - 1) / n))
                * (group["lr"] - self.min_lr) + self.min_lr
                for group in self.optimizer.param_groups]

    def _get_closed_form_lr(self):
        t, w, T = self.last_epoch, self.warmup_steps, self.total_steps
        if t < w:
            return [base_lr * (self.warmup_start_factor + (1 - self.warmup_start_factor) * t / w)
                    for base_lr in self.base_lrs]
        t = min(t, T)
        return [self.min_lr + (base_lr - self.min_lr) * (1 + math.cos(math.pi * (t - w) / (T - w))) / 2
                for base_lr in self.base_lrs]
