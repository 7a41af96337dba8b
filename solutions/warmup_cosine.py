"""Exercise ``warmup_cosine``: linear warmup, then cosine decay, as a PyTorch learning-rate scheduler.

Write ``W = warmup_steps``, ``T = total_steps``, ``f = warmup_start_factor`` and ``t`` for the
number of ``scheduler.step()`` calls so far (``last_epoch``; the optimizer's next step trains with
the rate of step ``t``). Each parameter group has its own base rate ``base_lr``, its
``initial_lr`` (the ``lr`` it had when the scheduler was built); its rate at step ``t`` is::

    t < W:          lr = base_lr * (f + (1 - f) * t / W)
    W <= t <= T:    lr = min_lr + (base_lr - min_lr) * (1 + cos(pi * (t - W) / (T - W))) / 2
    t > T:          lr = min_lr

The rate starts at ``f * base_lr``, climbs linearly to ``base_lr`` at ``t = W``, follows half a
cosine down to ``min_lr`` at ``t = T`` and stays there. ``min_lr`` is an absolute rate shared by
every group, PyTorch's ``eta_min`` of ``CosineAnnealingLR``.

Up to ``t = T`` these are the rates of PyTorch's composition ``SequentialLR(optimizer,
[LinearLR(optimizer, start_factor=f, total_iters=W), CosineAnnealingLR(optimizer, T_max=T - W,
eta_min=min_lr)], milestones=[W])`` (for ``f > 0``, which ``LinearLR`` requires, and ``W > 0``).
PyTorch computes them recursively from the previous rate; the closed form above gives the same
values without accumulating rounding errors. Past ``T`` PyTorch's
cosine goes on (the rate rises again); here it stays at ``min_lr``.
"""

from __future__ import annotations

import math

import torch
from torch.optim.lr_scheduler import LRScheduler

__all__ = ["WarmupCosine"]


class WarmupCosine(LRScheduler):
    """Linear warmup, then cosine decay to ``min_lr``: a :class:`torch.optim.lr_scheduler.LRScheduler`.

    Use it as any PyTorch scheduler: build it after the optimizer (building it sets each group's
    ``lr`` to the rate of step 0), call ``scheduler.step()`` after every ``optimizer.step()``, and
    save and restore it with ``state_dict()`` / ``load_state_dict()``, which are
    ``LRScheduler``'s own: a run resumed from them continues with exactly the rates of an
    uninterrupted run.

    Args:
        optimizer: the optimizer whose groups' ``lr`` the scheduler sets; each group's base rate is
            its ``lr`` when the scheduler is built.
        warmup_steps: the number of warmup steps ``W`` (``>= 0``; ``0`` starts the cosine at once).
        total_steps: the step ``T`` at which the rate reaches ``min_lr`` (``> warmup_steps``).
        min_lr: the final rate, absolute, the same for every group (``>= 0``; default ``0.0``).
        warmup_start_factor: the rate at step 0 as a fraction ``f`` of each group's base rate
            (``0 <= f <= 1``; default ``0.0``).
        last_epoch: as in ``LRScheduler``: ``-1`` (the default) starts a new schedule; ``k >= 0``
            resumes one whose last step was ``k``, from the groups' ``initial_lr``, so that the first
            rate set is that of step ``k + 1``.

    Raises:
        ValueError: for ``warmup_steps < 0``, ``total_steps <= warmup_steps``, ``min_lr < 0`` or a
            ``warmup_start_factor`` outside ``[0, 1]``.
    """

    def __init__(
        self,
        optimizer: torch.optim.Optimizer,
        warmup_steps: int,
        total_steps: int,
        min_lr: float = 0.0,
        warmup_start_factor: float = 0.0,
        last_epoch: int = -1,
    ) -> None:
        if warmup_steps < 0:
            raise ValueError(f"warmup_steps must be >= 0, got {warmup_steps}")
        if total_steps <= warmup_steps:
            raise ValueError(f"total_steps must be larger than warmup_steps, got {total_steps} <= {warmup_steps}")
        if min_lr < 0:
            raise ValueError(f"min_lr must be >= 0, got {min_lr}")
        if not 0.0 <= warmup_start_factor <= 1.0:
            raise ValueError(f"warmup_start_factor must be in [0, 1], got {warmup_start_factor}")
        self.warmup_steps = warmup_steps
        self.total_steps = total_steps
        self.min_lr = min_lr
        self.warmup_start_factor = warmup_start_factor
        super().__init__(optimizer, last_epoch)  # sets base_lrs and last_epoch, then the rate of the next step

    def get_lr(self) -> list[float]:
        """The rate of each group at step ``last_epoch`` (a list of floats, one per group).

        ``LRScheduler.step()`` advances ``last_epoch``, calls this and writes the rates into the
        groups. Graded is the rate each group holds after construction and after every ``step()``:
        any form that gives those rates (closed or recursive, as PyTorch's schedulers) is right.
        """
        t, warmup, total = self.last_epoch, self.warmup_steps, self.total_steps
        if t < warmup:
            f = self.warmup_start_factor
            return [base_lr * (f + (1.0 - f) * t / warmup) for base_lr in self.base_lrs]
        progress = (min(t, total) - warmup) / (total - warmup)  # 0 at the end of the warmup, 1 from T on
        cosine = 0.5 * (1.0 + math.cos(math.pi * progress))
        return [self.min_lr + (base_lr - self.min_lr) * cosine for base_lr in self.base_lrs]
