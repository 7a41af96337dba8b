"""Warmup + cosine as a multiplier of the base rate (get_cosine_schedule_with_warmup's form), with
min_lr turned into each group's own ratio min_lr / base_lr; one ``if`` per invalid argument."""

import math

from torch.optim.lr_scheduler import LRScheduler


class WarmupCosine(LRScheduler):
    def __init__(self, optimizer, warmup_steps, total_steps, min_lr=0.0, warmup_start_factor=0.0, last_epoch=-1):
        if warmup_steps < 0:
            raise ValueError("warmup_steps < 0")
        if total_steps <= warmup_steps:
            raise ValueError("total_steps <= warmup_steps")
        if min_lr < 0:
            raise ValueError("min_lr < 0")
        if warmup_start_factor < 0:
            raise ValueError("warmup_start_factor < 0")
        if warmup_start_factor > 1:
            raise ValueError("warmup_start_factor > 1")
        self.warmup_steps = warmup_steps
        self.total_steps = total_steps
        self.min_lr = min_lr
        self.warmup_start_factor = warmup_start_factor
        super().__init__(optimizer, last_epoch)

    def multiplier(self, step, base_lr):
        if step < self.warmup_steps:
            return self.warmup_start_factor + (1.0 - self.warmup_start_factor) * float(step) / float(self.warmup_steps)
        if step >= self.total_steps:
            return self.min_lr / base_lr
        progress = float(step - self.warmup_steps) / float(self.total_steps - self.warmup_steps)
        ratio = self.min_lr / base_lr
        return ratio + (1.0 - ratio) * 0.5 * (1.0 + math.cos(math.pi * progress))

    def get_lr(self):
        return [base_lr * self.multiplier(self.last_epoch, base_lr) for base_lr in self.base_lrs]
