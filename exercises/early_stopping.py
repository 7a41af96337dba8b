"""Exercise ``early_stopping``: stop when a monitored metric stops improving, keep the best weights.

The rule (the same as PyTorch Lightning's ``EarlyStopping``) for ``mode="min"``::

    improved = best is None or metric < best - min_delta        # strictly better by min_delta
    if improved:  best = metric; counter = 0; save the model's state_dict to save_path
    else:         counter += 1
    stop = counter >= patience

``mode="max"`` mirrors it (``metric > best + min_delta``), for accuracies. A NaN metric is never an
improvement. Unlike the lesson text's version, a metric equal to the best is *not* an improvement:
a loss stuck on a plateau must eventually stop the run.

Student version: fill in every function that raises ``NotImplementedError``, then run
``python -m autograder check early_stopping``.
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
        raise NotImplementedError("exercise early_stopping: implement EarlyStopping.is_improvement")

    def step(self, metric: float, model: nn.Module | None = None) -> bool:
        """Record one epoch's metric; return ``True`` to stop (the new ``should_stop``).

        When the metric improves and both ``model`` and ``save_path`` are given, saves
        ``model.state_dict()`` to ``save_path``; otherwise saves nothing.
        """
        raise NotImplementedError("exercise early_stopping: implement EarlyStopping.step")

    def restore_best(self, model: nn.Module) -> nn.Module:
        """Load the best checkpoint from ``save_path`` into ``model`` and return ``model``.

        Raises:
            RuntimeError: when ``save_path`` is ``None``.
            FileNotFoundError: when nothing was saved yet (no file at ``save_path``).
        """
        raise NotImplementedError("exercise early_stopping: implement EarlyStopping.restore_best")

    def state_dict(self) -> dict[str, Any]:
        """Everything needed to resume: settings and counters (not the model, which is on disk)."""
        raise NotImplementedError("exercise early_stopping: implement EarlyStopping.state_dict")

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore what :meth:`state_dict` returned, settings included, into any ``EarlyStopping``
        (e.g. one just built with the defaults), so a resumed run continues as if never stopped;
        ``should_stop`` is restored too."""
        raise NotImplementedError("exercise early_stopping: implement EarlyStopping.load_state_dict")
