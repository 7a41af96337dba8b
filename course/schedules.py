"""Learning-rate schedules: tracing a scheduler's curve, warmup + cosine, and the LR range test.

* :func:`lr_trace` - the learning rate a ``torch.optim.lr_scheduler`` produces, step by step, without
  training anything (for plots such as ``course.plotting.plot_lr_curves``).
* :func:`warmup_cosine` - linear warmup then cosine decay as a ``LambdaLR`` (the lesson text's
  ``get_cosine_schedule_with_warmup``).
* :func:`lr_range_test` / :func:`suggest_lr` - Smith's "LR range test": raise the learning rate
  exponentially over a few mini-batches, record the loss, pick a rate a bit below the one where
  the loss is lowest.
"""

from __future__ import annotations

import copy
import math
from dataclasses import dataclass, field
from typing import Callable, Iterable, Sequence

import numpy as np
import torch
from torch import nn
from torch.utils.data import DataLoader


def lr_trace(
    make_scheduler: Callable[[torch.optim.Optimizer], object],
    steps: int,
    lr: float = 0.1,
    metrics: Sequence[float] | None = None,
) -> list[float]:
    """The learning rate in use at each of ``steps`` steps of a scheduler.

    ``make_scheduler(optimizer)`` builds the scheduler on a throw-away SGD optimizer with initial
    rate ``lr``. Each step calls ``optimizer.step()`` and then ``scheduler.step()`` - PyTorch's
    order - and records the rate *before* stepping, i.e. the rate that step trained with.
    ``ReduceLROnPlateau`` needs ``metrics``: ``scheduler.step(metrics[i])`` at step ``i``.
    """
    param = nn.Parameter(torch.zeros(1))
    optimizer = torch.optim.SGD([param], lr=lr)
    scheduler = make_scheduler(optimizer)
    plateau = isinstance(scheduler, torch.optim.lr_scheduler.ReduceLROnPlateau)
    if plateau and (metrics is None or len(metrics) < steps):
        raise ValueError("ReduceLROnPlateau needs one metric value per step: pass metrics=")
    lrs = []
    for i in range(steps):
        lrs.append(optimizer.param_groups[0]["lr"])
        optimizer.step()
        if plateau:
            scheduler.step(metrics[i])
        else:
            scheduler.step()
    return lrs


def warmup_cosine(
    optimizer: torch.optim.Optimizer, warmup_steps: int, total_steps: int, min_factor: float = 0.0
) -> torch.optim.lr_scheduler.LambdaLR:
    """Linear warmup from 0 to the base rate over ``warmup_steps``, then cosine decay to
    ``min_factor`` times the base rate at ``total_steps``.

    The multiplier at step ``s`` is ``s / warmup_steps`` during warmup, then
    ``min_factor + (1 - min_factor) * (1 + cos(pi * progress)) / 2`` with
    ``progress = (s - warmup_steps) / (total_steps - warmup_steps)``, clipped at 1.
    """
    if not 0 <= warmup_steps < total_steps:
        raise ValueError(f"need 0 <= warmup_steps < total_steps, got {warmup_steps}, {total_steps}")

    def factor(step: int) -> float:
        if step < warmup_steps:
            return step / warmup_steps
        progress = min(1.0, (step - warmup_steps) / (total_steps - warmup_steps))
        return min_factor + (1 - min_factor) * 0.5 * (1.0 + math.cos(math.pi * progress))

    return torch.optim.lr_scheduler.LambdaLR(optimizer, factor)


@dataclass
class RangeTestResult:
    """What :func:`lr_range_test` recorded: one entry per mini-batch that was run."""

    lrs: list[float] = field(default_factory=list)
    losses: list[float] = field(default_factory=list)
    smoothed: list[float] = field(default_factory=list)
    diverged: bool = False

    @property
    def best_lr(self) -> float:
        """The learning rate at which the smoothed loss was lowest."""
        return self.lrs[int(np.argmin(self.smoothed))]


def _cycle(loader: Iterable) -> Iterable:
    while True:
        yield from loader


def lr_range_test(
    model: nn.Module,
    loader: DataLoader,
    criterion: Callable[[torch.Tensor, torch.Tensor], torch.Tensor],
    optimizer: torch.optim.Optimizer,
    lr_min: float = 1e-5,
    lr_max: float = 1.0,
    num_steps: int = 100,
    beta: float = 0.9,
    diverge_factor: float = 4.0,
    restore: bool = True,
) -> RangeTestResult:
    """Train for ``num_steps`` mini-batches while the rate grows geometrically from ``lr_min`` to
    ``lr_max``; record the loss at each rate.

    Step ``i`` uses ``lr_min * (lr_max / lr_min) ** (i / (num_steps - 1))``. The loss is also
    smoothed with a bias-corrected exponential average (``beta``), and the test stops early once
    the smoothed loss exceeds ``diverge_factor`` times its minimum (or is not finite). The loader
    is cycled if it has fewer than ``num_steps`` batches. With ``restore=True`` the model's and
    optimizer's states are put back afterwards, so the test does not count as training.
    """
    if num_steps < 2 or not 0 < lr_min < lr_max:
        raise ValueError("need num_steps >= 2 and 0 < lr_min < lr_max")
    saved = (copy.deepcopy(model.state_dict()), copy.deepcopy(optimizer.state_dict())) if restore else None
    result = RangeTestResult()
    ratio = lr_max / lr_min
    avg, best = 0.0, math.inf
    model.train()
    batches = _cycle(loader)
    for i in range(num_steps):
        lr = lr_min * ratio ** (i / (num_steps - 1))
        for group in optimizer.param_groups:
            group["lr"] = lr
        x, y = next(batches)
        optimizer.zero_grad(set_to_none=True)
        loss = criterion(model(x), y)
        value = loss.item()
        if not math.isfinite(value):
            result.diverged = True
            break
        loss.backward()
        optimizer.step()
        avg = beta * avg + (1 - beta) * value
        smooth = avg / (1 - beta ** (i + 1))
        result.lrs.append(lr)
        result.losses.append(value)
        result.smoothed.append(smooth)
        best = min(best, smooth)
        if smooth > diverge_factor * best:
            result.diverged = True
            break
    if saved is not None:
        model.load_state_dict(saved[0])
        optimizer.load_state_dict(saved[1])
    return result


def suggest_lr(result: RangeTestResult, factor: float = 10.0) -> float:
    """A rate a bit below the minimum: the rate of the lowest smoothed loss divided by ``factor``.

    At the minimum the loss is about to blow up; a factor of ~10 below it still learns fast
    and leaves a safety margin (Smith 2017; fast.ai's ``lr_find`` uses the same rule of thumb).
    """
    return result.best_lr / factor
