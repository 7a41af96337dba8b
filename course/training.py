"""The training loop, written once: seeds, devices, one epoch, evaluation and ``fit``.

``fit`` is what chapter 8 teaches step by step and what every other chapter calls:

    for epoch in range(epochs):
        train_one_epoch(...)          # zero_grad -> forward -> loss -> backward -> step
        evaluate(...)                 # model.eval() + torch.no_grad()
        scheduler.step(...)           # once per epoch (or per batch for OneCycleLR & co.)
        early_stopping.step(...)      # may save the best weights and stop the loop
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable

import numpy as np
import torch
from torch import nn
from torch.utils.data import DataLoader


def set_seed(seed: int = 0) -> None:
    """Seed Python, NumPy and PyTorch (CPU and every GPU) so that a run repeats."""
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)  # also seeds every CUDA device


def get_device(device: str = "auto") -> torch.device:
    """``"auto"`` picks CUDA when available, else the CPU; ``"cpu"``/``"cuda"`` are taken as given."""
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if device.startswith("cuda") and not torch.cuda.is_available():
        raise RuntimeError(f"device {device!r} was asked for, but torch.cuda.is_available() is False")
    return torch.device(device)


@dataclass
class History:
    """Per-epoch metrics: ``history.metrics["val_loss"][epoch]``, plus the learning rate used."""

    metrics: dict[str, list[float]] = field(default_factory=dict)
    stopped_epoch: int | None = None
    best_epoch: int | None = None
    seconds: float = 0.0

    def log(self, **values: float) -> None:
        for k, v in values.items():
            self.metrics.setdefault(k, []).append(float(v))

    def __getitem__(self, key: str) -> list[float]:
        return self.metrics[key]

    @property
    def epochs(self) -> int:
        return max((len(v) for v in self.metrics.values()), default=0)

    def last(self) -> dict[str, float]:
        return {k: v[-1] for k, v in self.metrics.items() if v}


def accuracy(logits: torch.Tensor, targets: torch.Tensor) -> float:
    """Fraction of rows whose arg-max equals the integer target."""
    return (logits.argmax(dim=1) == targets).float().mean().item()


class _Meter:
    """Sample-weighted mean loss over batches, plus accuracy when the batches are classification."""

    def __init__(self) -> None:
        self.total, self.loss_sum, self.correct = 0, 0.0, 0.0
        self.classify: bool | None = None

    def add(self, loss: float, out: torch.Tensor, y: torch.Tensor) -> None:
        n = len(y)
        self.total += n
        self.loss_sum += loss * n
        if self.classify is None:
            self.classify = out.ndim == 2 and y.ndim == 1 and not y.is_floating_point()
        if self.classify:
            self.correct += (out.argmax(1) == y).sum().item()

    def result(self) -> dict[str, float]:
        result = {"loss": self.loss_sum / self.total}
        if self.classify:
            result["acc"] = self.correct / self.total
        return result


def _batches(loader: Iterable, progress: bool, desc: str):
    if not progress:
        return loader
    from tqdm.auto import tqdm

    return tqdm(loader, desc=desc, leave=False)


def train_one_epoch(
    model: nn.Module,
    loader: DataLoader,
    criterion: Callable[[torch.Tensor, torch.Tensor], torch.Tensor],
    optimizer: torch.optim.Optimizer,
    device: torch.device | str = "cpu",
    scheduler: Any = None,
    amp: bool = False,
    scaler: "torch.amp.GradScaler | None" = None,
    batch_transform: Callable | None = None,
    progress: bool = False,
) -> dict[str, float]:
    """One pass over ``loader``; returns the sample-weighted mean loss (and accuracy for classes).

    ``scheduler`` is stepped after every batch (the per-step schedules: OneCycleLR, warmup).
    ``amp`` runs the forward pass under autocast (bfloat16 on the CPU, float16 + GradScaler on CUDA).
    ``batch_transform(x, y) -> (x, loss_fn)`` lets mixup/cutmix replace the targets by a loss.
    """
    device = torch.device(device)
    model.train()
    meter = _Meter()
    for x, y in _batches(loader, progress, "train"):
        x, y = x.to(device), y.to(device)
        loss_fn = lambda out: criterion(out, y)  # noqa: E731
        if batch_transform is not None:
            x, loss_fn = batch_transform(x, y)
        optimizer.zero_grad(set_to_none=True)
        with torch.autocast(device_type=device.type, dtype=_amp_dtype(device), enabled=amp):
            out = model(x)
            loss = loss_fn(out)
        if not torch.isfinite(loss):
            raise FloatingPointError(f"the loss became {loss.item()} - lower the learning rate")
        if scaler is not None:
            scaler.scale(loss).backward()
            scaler.step(optimizer)
            scaler.update()
        else:
            loss.backward()
            optimizer.step()
        if scheduler is not None:
            scheduler.step()
        meter.add(loss.item(), out, y)
    return meter.result()


def _amp_dtype(device: torch.device) -> torch.dtype:
    return torch.float16 if device.type == "cuda" else torch.bfloat16


@torch.no_grad()
def evaluate(
    model: nn.Module,
    loader: DataLoader,
    criterion: Callable[[torch.Tensor, torch.Tensor], torch.Tensor],
    device: torch.device | str = "cpu",
) -> dict[str, float]:
    """Mean loss (and accuracy for classification) in eval mode without building a graph."""
    device = torch.device(device)
    model.eval()
    meter = _Meter()
    for x, y in loader:
        x, y = x.to(device), y.to(device)
        out = model(x)
        meter.add(criterion(out, y).item(), out, y)
    return meter.result()


def fit(
    model: nn.Module,
    train_loader: DataLoader,
    val_loader: DataLoader | None,
    criterion: Callable[[torch.Tensor, torch.Tensor], torch.Tensor],
    optimizer: torch.optim.Optimizer,
    epochs: int = 10,
    scheduler: Any = None,
    scheduler_interval: str = "epoch",
    early_stopping: Any = None,
    monitor: str = "val_loss",
    device: str | torch.device = "cpu",
    amp: bool = False,
    batch_transform: Callable | None = None,
    progress: bool = False,
    verbose: bool = False,
) -> History:
    """Train for ``epochs`` epochs and return the :class:`History` of every metric.

    Args:
        scheduler: a ``torch.optim.lr_scheduler`` object. ``scheduler_interval="epoch"`` steps it
            once per epoch after validation (``ReduceLROnPlateau`` receives the monitored value);
            ``"step"`` steps it after every optimizer step (``OneCycleLR``, warmup schedules).
        early_stopping: any object with ``step(metric, model) -> bool`` (the course's
            ``EarlyStopping`` exercise); a ``True`` ends training after that epoch.
        monitor: the history key given to ``ReduceLROnPlateau`` and to ``early_stopping``.
        amp: mixed precision (float16 with a ``GradScaler`` on CUDA, bfloat16 on the CPU).
    """
    if scheduler_interval not in ("epoch", "step"):
        raise ValueError(f"scheduler_interval must be 'epoch' or 'step', got {scheduler_interval!r}")
    device = get_device(device) if isinstance(device, str) else device
    model.to(device)
    scaler = torch.amp.GradScaler("cuda") if amp and device.type == "cuda" else None
    plateau = isinstance(scheduler, torch.optim.lr_scheduler.ReduceLROnPlateau)
    history = History()
    start = time.perf_counter()
    for epoch in range(epochs):
        lr = optimizer.param_groups[0]["lr"]
        train = train_one_epoch(
            model, train_loader, criterion, optimizer, device,
            scheduler=scheduler if scheduler_interval == "step" else None,
            amp=amp, scaler=scaler, batch_transform=batch_transform, progress=progress,
        )
        row = {f"train_{k}": v for k, v in train.items()}
        if val_loader is not None:
            row.update({f"val_{k}": v for k, v in evaluate(model, val_loader, criterion, device).items()})
        history.log(lr=lr, **row)
        if verbose:
            print(f"epoch {epoch + 1:3d}/{epochs} " + " ".join(f"{k}={v:.4f}" for k, v in row.items()))
        if scheduler is not None and scheduler_interval == "epoch":
            scheduler.step(row[monitor]) if plateau else scheduler.step()
        if early_stopping is not None:
            if early_stopping.step(row[monitor], model):
                history.stopped_epoch = epoch
                break
    if early_stopping is not None:
        history.best_epoch = getattr(early_stopping, "best_epoch", None)
    history.seconds = time.perf_counter() - start
    return history
