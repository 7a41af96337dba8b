"""Instruments for diagnosing a training run (chapter 9): gradient norms, update sizes, and the
"overfit one batch" test.

* :class:`GradNormMonitor` - hooks into an optimizer (``register_step_pre_hook`` /
  ``register_step_post_hook``) and records, at every ``optimizer.step()``, the total gradient norm
  ``sqrt(sum_p ||grad p||^2)`` (what ``clip_grad_norm_`` computes), the norm per parameter tensor,
  and the relative size of each weight matrix's update ``||w_after - w_before|| / ||w_before||``.
  It works with any training loop, ``course.training.fit`` included, because it needs no change to
  the loop.
* :func:`overfit_one_batch` - train on one fixed batch; a correct model and loop drive its loss
  to about zero.
* :func:`softmax_ce_floor` - the lowest loss reachable when probabilities are fed to
  ``CrossEntropyLoss`` by mistake.
"""

from __future__ import annotations

import math
from typing import Callable

import torch
from torch import nn

__all__ = ["GradNormMonitor", "overfit_one_batch", "softmax_ce_floor"]


class GradNormMonitor:
    """Record gradient norms and relative update sizes at every step of an optimizer.

    >>> monitor = GradNormMonitor(model).attach(optimizer)
    >>> fit(model, ..., optimizer, ...)          # any loop that calls optimizer.step()
    >>> monitor.total[:5], monitor.per_param["0.weight"][:5], monitor.update_ratio["0.weight"][:5]
    >>> monitor.detach()

    Attributes:
        total: the total gradient norm over all parameters, one float per step.
        per_param: parameter name -> the norm of its gradient, one float per step (a parameter
            without a gradient at that step records 0.0).
        update_ratio: weight name -> ``||delta w|| / ||w||`` per step, for parameters with two or
            more dimensions (weight matrices and kernels).
    """

    def __init__(self, model: nn.Module) -> None:
        self.params = [(n, p) for n, p in model.named_parameters() if p.requires_grad]
        self.total: list[float] = []
        self.per_param: dict[str, list[float]] = {n: [] for n, _ in self.params}
        self.update_ratio: dict[str, list[float]] = {n: [] for n, p in self.params if p.ndim >= 2}
        self._before: dict[str, torch.Tensor] = {}
        self._handles: list = []

    @torch.no_grad()
    def record(self) -> float:
        """Record the gradients stored now (call between ``backward()`` and ``step()``); returns
        the total norm."""
        squares = 0.0
        for name, p in self.params:
            norm = 0.0 if p.grad is None else p.grad.detach().norm().item()
            self.per_param[name].append(norm)
            squares += norm * norm
        self.total.append(math.sqrt(squares))
        self._before = {n: p.detach().clone() for n, p in self.params if n in self.update_ratio}
        return self.total[-1]

    @torch.no_grad()
    def record_update(self) -> None:
        """After ``step()``: the relative change of each weight since :meth:`record`."""
        for name, p in self.params:
            if name in self._before:
                before = self._before[name]
                self.update_ratio[name].append(((p - before).norm() / before.norm().clamp_min(1e-12)).item())
        self._before = {}

    def attach(self, optimizer: torch.optim.Optimizer) -> "GradNormMonitor":
        """Call :meth:`record` before and :meth:`record_update` after every ``optimizer.step()``."""
        def before(*_):  # a step pre-hook must return None
            self.record()

        self._handles.append(optimizer.register_step_pre_hook(before))
        self._handles.append(optimizer.register_step_post_hook(lambda *_: self.record_update()))
        return self

    def detach(self) -> None:
        """Remove the hooks; what was recorded stays."""
        for handle in self._handles:
            handle.remove()
        self._handles = []

    @property
    def steps(self) -> int:
        return len(self.total)


def overfit_one_batch(
    model: nn.Module,
    x: torch.Tensor,
    y: torch.Tensor,
    criterion: Callable[[torch.Tensor, torch.Tensor], torch.Tensor],
    optimizer: torch.optim.Optimizer,
    steps: int = 200,
) -> list[float]:
    """Take ``steps`` optimizer steps on the same batch ``(x, y)`` in training mode; return the loss
    before each step. A model that cannot drive this loss near zero has a bug (or no capacity)."""
    model.train()
    losses = []
    for _ in range(steps):
        optimizer.zero_grad(set_to_none=True)
        loss = criterion(model(x), y)
        losses.append(loss.item())
        loss.backward()
        optimizer.step()
    return losses


def softmax_ce_floor(num_classes: int) -> float:
    """The smallest value of ``CrossEntropyLoss`` when its input is a probability vector instead
    of logits: at best the true class has probability 1 and the others 0, so the "logits" differ
    by at most 1 and the loss is ``log(e + num_classes - 1) - 1`` (1.4612 for 10 classes)."""
    if num_classes < 2:
        raise ValueError("need at least two classes")
    return math.log(math.e + num_classes - 1) - 1.0
