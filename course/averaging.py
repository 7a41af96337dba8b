"""Averaging weights along the training trajectory (chapter 10): an exponential moving average
(EMA) of the weights, and stochastic weight averaging (SWA) with ``torch.optim.swa_utils``.

EMA, updated after every optimizer step with ``decay`` close to 1::

    w_ema <- decay * w_ema + (1 - decay) * w           (the first update copies w)

SWA (Izmailov et al., 2018), updated once per epoch from epoch ``swa_start`` on, while ``SWALR``
holds the learning rate at a constant ``swa_lr``::

    w_swa <- (n * w_swa + w) / (n + 1)                 (the plain mean of the n + 1 snapshots)

An averaged network's batch-norm statistics belong to no single snapshot, so after SWA they are
recomputed with one pass over the training data (``torch.optim.swa_utils.update_bn``).
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

import torch
from torch import nn
from torch.optim.swa_utils import SWALR, AveragedModel, update_bn
from torch.utils.data import DataLoader

from course import training

__all__ = ["EMA", "AveragedRun", "fit_averaged", "noisy_quadratic_path"]


class EMA:
    """An exponential moving average of a model's weights, kept in a copy of the model.

    Floating-point parameters *and* buffers (batch norm's running statistics) are averaged, other
    buffers (``num_batches_tracked``) are copied. This is what
    ``AveragedModel(model, multi_avg_fn=get_ema_multi_avg_fn(decay), use_buffers=True)`` computes
    for floating-point tensors.

    >>> ema = EMA(model, decay=0.99)
    >>> ... loss.backward(); optimizer.step(); ema.update(model)
    >>> evaluate(ema.module, ...)
    """

    def __init__(self, model: nn.Module, decay: float = 0.999) -> None:
        if not 0.0 <= decay <= 1.0:
            raise ValueError(f"decay must be in [0, 1], got {decay}")
        self.decay = decay
        self.module = copy.deepcopy(model).eval()
        for p in self.module.parameters():
            p.requires_grad_(False)
        self.num_updates = 0

    def _tensors(self, model: nn.Module) -> list[tuple[torch.Tensor, torch.Tensor]]:
        mine = [*self.module.parameters(), *self.module.buffers()]
        theirs = [*model.parameters(), *model.buffers()]
        if len(mine) != len(theirs):
            raise ValueError("the model does not have the structure the EMA was created from")
        return list(zip(mine, theirs))

    @torch.no_grad()
    def update(self, model: nn.Module) -> None:
        """Blend the model's current weights in: ``w_ema += (1 - decay) * (w - w_ema)``."""
        for ema_t, t in self._tensors(model):
            t = t.detach().to(ema_t.device)
            if self.num_updates == 0 or not ema_t.is_floating_point():
                ema_t.copy_(t)
            else:
                ema_t.lerp_(t, 1.0 - self.decay)
        self.num_updates += 1

    def attach(self, optimizer: torch.optim.Optimizer, model: nn.Module):
        """Update after every ``optimizer.step()`` (a step post-hook); returns the hook's handle,
        whose ``remove()`` stops the updates."""
        return optimizer.register_step_post_hook(lambda *_: self.update(model))


@dataclass
class AveragedRun:
    """What :func:`fit_averaged` returns: one history per network, and the averaged networks."""

    histories: dict[str, training.History] = field(default_factory=dict)
    ema: EMA | None = None
    swa_model: AveragedModel | None = None


def fit_averaged(
    model: nn.Module,
    train_loader: DataLoader,
    val_loader: DataLoader,
    criterion: Callable[[torch.Tensor, torch.Tensor], torch.Tensor],
    optimizer: torch.optim.Optimizer,
    epochs: int,
    ema_decay: float | None = 0.99,
    swa_start: int | None = None,
    swa_lr: float | None = None,
    anneal_epochs: int = 1,
    scheduler=None,
) -> AveragedRun:
    """Train ``model`` and, alongside it, an EMA of its weights and/or an SWA average.

    Every epoch logs ``train_loss`` for the model and ``val_loss``/``val_acc`` of each network that
    exists by then, keyed ``"model"``, ``"ema"`` and ``"swa"`` (the SWA history starts at epoch
    ``swa_start``, 0-based). ``scheduler`` (stepped once per epoch) drives the rate before
    ``swa_start``; from then on ``SWALR`` anneals it to ``swa_lr`` over ``anneal_epochs`` epochs and
    holds it there. Batch-norm statistics of the SWA network are recomputed with ``update_bn``
    before each of its evaluations.
    """
    histories = {"model": training.History()}
    ema = None
    if ema_decay is not None:
        ema = EMA(model, ema_decay)
        ema.update(model)
        handle = ema.attach(optimizer, model)
        histories["ema"] = training.History()
    swa_model = swa_scheduler = None
    if swa_start is not None:
        if swa_lr is None:
            raise ValueError("swa_start needs swa_lr")
        swa_model = AveragedModel(model)
        swa_scheduler = SWALR(optimizer, swa_lr=swa_lr, anneal_epochs=anneal_epochs, anneal_strategy="cos")
        histories["swa"] = training.History()
    try:
        for epoch in range(epochs):
            lr = optimizer.param_groups[0]["lr"]
            train = training.train_one_epoch(model, train_loader, criterion, optimizer)
            val = training.evaluate(model, val_loader, criterion)
            histories["model"].log(lr=lr, train_loss=train["loss"], val_loss=val["loss"], val_acc=val["acc"])
            if ema is not None:
                v = training.evaluate(ema.module, val_loader, criterion)
                histories["ema"].log(val_loss=v["loss"], val_acc=v["acc"])
            if swa_model is not None and epoch >= swa_start:
                swa_model.update_parameters(model)
                swa_scheduler.step()
                update_bn(train_loader, swa_model)
                v = training.evaluate(swa_model, val_loader, criterion)
                histories["swa"].log(val_loss=v["loss"], val_acc=v["acc"])
            elif scheduler is not None:
                scheduler.step()
    finally:
        if ema is not None:
            handle.remove()
    return AveragedRun(histories, ema, swa_model)


def noisy_quadratic_path(
    steps: int = 300,
    lr: float = 0.1,
    noise: float = 1.0,
    curvature: tuple[float, float] = (1.0, 10.0),
    start: tuple[float, float] = (3.0, 1.0),
    decay: float = 0.95,
    swa_start: int = 100,
    seed: int = 0,
) -> dict[str, np.ndarray]:
    """SGD on ``f(w) = (a w1^2 + b w2^2) / 2`` with gradients perturbed by ``N(0, noise^2)``, its
    EMA, and the running mean of the iterates from step ``swa_start`` on (SWA; equal to the iterate
    before that step); each an array of shape ``(steps + 1, 2)``, row ``t`` after step ``t``.

    With a constant rate the iterates never settle: they bounce around the minimum at 0 in a
    cloud whose size grows with ``lr * noise``; the averages sit near its centre.
    """
    rng = np.random.default_rng(seed)
    curv = np.asarray(curvature, dtype=float)
    w = np.asarray(start, dtype=float)
    ema, mean = w.copy(), w.copy()
    sgd_path, ema_path, mean_path = [w.copy()], [ema.copy()], [mean.copy()]
    for t in range(1, steps + 1):
        w = w - lr * (curv * w + noise * rng.standard_normal(2))
        ema = decay * ema + (1 - decay) * w
        mean = w.copy() if t <= swa_start else mean + (w - mean) / (t - swa_start + 1)
        sgd_path.append(w.copy())
        ema_path.append(ema.copy())
        mean_path.append(mean.copy())
    return {"sgd": np.array(sgd_path), "ema": np.array(ema_path), "mean": np.array(mean_path)}
