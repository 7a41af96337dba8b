"""Exercise ``early_stopping``: stop when a monitored metric stops improving, keep the best weights.

The rule (the same as PyTorch Lightning's ``EarlyStopping``) for ``mode="min"``::

    improved = best is None or metric < best - min_delta        # strictly better by min_delta
    if improved:  best = metric; counter = 0; save the model's state_dict to save_path
    else:         counter += 1
    stop = counter >= patience

``mode="max"`` mirrors it (``metric > best + min_delta``), for accuracies. A NaN metric is never an
improvement. Unlike the lesson text's version, a metric equal to the best is *not* an improvement:
a loss stuck on a plateau must eventually stop the run.
"""

from __future__ import annotations

import math
import os
from typing import Any

import torch
from torch import nn

__all__ = ["EarlyStopping"]


class EarlyStopping:
    """Early stopping with patience, ``min_delta``, a mode, and a checkpoint of the best model.

    Args:
        patience: how many epochs in a row without improvement end training (``>= 1``; default 10).
        min_delta: the smallest change that counts as an improvement, an absolute amount in the
            metric's units (``>= 0``; default 0).
        mode: ``"min"`` for losses (the default), ``"max"`` for accuracies.
        save_path: where ``step`` saves ``model.state_dict()`` (``torch.save``) each time the
            metric improves and a model is given; ``None`` (the default) saves nothing.

    Attributes:
        best: the best metric so far (``None`` before the first call).
        best_epoch: the 0-based index of the ``step`` call that produced ``best``.
        counter: epochs since the last improvement.
        should_stop: the last ``step``'s answer, ``counter >= patience`` (so a later improvement
            sets it back to ``False``).
        epoch: how many times ``step`` has been called.

    A new object has ``best = best_epoch = None``, ``counter = epoch = 0`` and ``should_stop = False``.

    Raises:
        ValueError: for ``patience < 1``, ``min_delta < 0`` or a ``mode`` other than ``"min"``/``"max"``.
    """

    def __init__(
        self,
        patience: int = 10,
        min_delta: float = 0.0,
        mode: str = "min",
        save_path: str | os.PathLike | None = None,
    ) -> None:
        if patience < 1:
            raise ValueError(f"patience must be at least 1, got {patience}")
        if min_delta < 0:
            raise ValueError(f"min_delta must be >= 0, got {min_delta}")
        if mode not in ("min", "max"):
            raise ValueError(f"mode must be 'min' or 'max', got {mode!r}")
        self.patience = patience
        self.min_delta = min_delta
        self.mode = mode
        self.save_path = save_path
        self.best: float | None = None
        self.best_epoch: int | None = None
        self.counter = 0
        self.epoch = 0
        self.should_stop = False

    def is_improvement(self, metric: float) -> bool:
        """Whether ``metric`` beats ``best`` by more than ``min_delta`` in this mode (a ``bool``).

        Always ``True`` while ``best`` is ``None`` (except for NaN); never ``True`` for NaN.
        """
        if math.isnan(metric):
            return False
        if self.best is None:
            return True
        if self.mode == "min":
            return metric < self.best - self.min_delta
        return metric > self.best + self.min_delta

    def step(self, metric: float, model: nn.Module | None = None) -> bool:
        """Record one epoch's metric; return ``True`` to stop (the new ``should_stop``).

        When the metric improves and both ``model`` and ``save_path`` are given, saves
        ``model.state_dict()`` to ``save_path``; otherwise saves nothing.
        """
        metric = float(metric)
        if self.is_improvement(metric):
            self.best = metric
            self.best_epoch = self.epoch
            self.counter = 0
            if self.save_path is not None and model is not None:
                torch.save(model.state_dict(), self.save_path)
        else:
            self.counter += 1
        self.epoch += 1
        self.should_stop = self.counter >= self.patience
        return self.should_stop

    def restore_best(self, model: nn.Module) -> nn.Module:
        """Load the best checkpoint from ``save_path`` into ``model`` and return ``model``.

        Raises:
            RuntimeError: when ``save_path`` is ``None``.
            FileNotFoundError: when nothing was saved yet (no file at ``save_path``).
        """
        if self.save_path is None:
            raise RuntimeError("restore_best needs a save_path; this EarlyStopping saved nothing")
        if not os.path.exists(self.save_path):
            raise FileNotFoundError(f"no checkpoint at {self.save_path}: step() was never given a model")
        state = torch.load(self.save_path, map_location="cpu", weights_only=True)
        model.load_state_dict(state)
        return model

    def state_dict(self) -> dict[str, Any]:
        """Everything needed to resume: settings and counters (not the model, which is on disk)."""
        return {
            "patience": self.patience,
            "min_delta": self.min_delta,
            "mode": self.mode,
            "best": self.best,
            "best_epoch": self.best_epoch,
            "counter": self.counter,
            "epoch": self.epoch,
            "should_stop": self.should_stop,
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore what :meth:`state_dict` returned, settings included, into any ``EarlyStopping``
        (e.g. one just built with the defaults), so a resumed run continues as if never stopped;
        ``should_stop`` is restored too."""
        self.patience = state["patience"]
        self.min_delta = state["min_delta"]
        self.mode = state["mode"]
        self.best = state["best"]
        self.best_epoch = state["best_epoch"]
        self.counter = state["counter"]
        self.epoch = state["epoch"]
        self.should_stop = state["should_stop"]
