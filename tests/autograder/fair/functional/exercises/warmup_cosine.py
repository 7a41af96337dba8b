"""Warmup + cosine as one pure function of the step, mapped over the groups' base rates."""

import math

from torch.optim import lr_scheduler


def scheduled_lr(step, base_lr, *, warmup_steps, total_steps, min_lr, start_factor):
    """The rate of one group at ``step``, from nothing but its arguments."""
    if step < warmup_steps:
        fraction = step / warmup_steps
        return base_lr * ((1 - fraction) * start_factor + fraction)
    progress = min(1.0, (step - warmup_steps) / (total_steps - warmup_steps))
    return min_lr + 0.5 * (base_lr - min_lr) * (1 + math.cos(math.pi * progress))


def _check(warmup_steps, total_steps, min_lr, start_factor):
    problems = [
        (warmup_steps < 0, "warmup_steps must be >= 0"),
        (total_steps <= warmup_steps, "total_steps must exceed warmup_steps"),
        (min_lr < 0, "min_lr must be >= 0"),
        (not 0 <= start_factor <= 1, "warmup_start_factor must be in [0, 1]"),
    ]
    for bad, message in problems:
        if bad:
            raise ValueError(message)


class WarmupCosine(lr_scheduler.LRScheduler):
    def __init__(self, optimizer, warmup_steps, total_steps, min_lr=0.0, warmup_start_factor=0.0, last_epoch=-1):
        _check(warmup_steps, total_steps, min_lr, warmup_start_factor)
        self.settings = dict(warmup_steps=warmup_steps, total_steps=total_steps, min_lr=min_lr,
                             start_factor=warmup_start_factor)
        super().__init__(optimizer, last_epoch=last_epoch)

    def get_lr(self):
        return [scheduled_lr(self.last_epoch, base, **self.settings) for base in self.base_lrs]
