"""Regularization helpers for chapter 4: a NumPy batch norm that matches ``nn.BatchNorm1d``, and the
L2 penalty in the convention that ``torch.optim`` 's ``weight_decay`` corresponds to.

Batch normalization of a batch ``x`` of shape ``(N, C)``, per feature::

    training:  mu = mean(x),  s2 = var(x, ddof=0)             # biased variance normalises
               y  = gamma * (x - mu) / sqrt(s2 + eps) + beta
               running_mean = (1 - momentum) * running_mean + momentum * mu
               running_var  = (1 - momentum) * running_var  + momentum * var(x, ddof=1)   # unbiased
    eval:      y  = gamma * (x - running_mean) / sqrt(running_var + eps) + beta

This is PyTorch's documented behaviour (``momentum`` is the weight of the *new* batch statistic;
Keras' ``momentum=0.99`` is the weight of the old one).
"""

from __future__ import annotations

from typing import Iterable

import numpy as np
import torch

__all__ = ["batch_norm", "l2_penalty"]


def batch_norm(
    x: np.ndarray,
    gamma: np.ndarray,
    beta: np.ndarray,
    running_mean: np.ndarray,
    running_var: np.ndarray,
    training: bool = True,
    momentum: float = 0.1,
    eps: float = 1e-5,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Batch normalization over axis 0, returning ``(y, running_mean, running_var)``.

    Unlike the lesson text's version, the updated running statistics are *returned* (new arrays;
    the inputs are not modified), so the caller can keep them for the next batch and for eval mode.
    In eval mode the running statistics are returned unchanged.

    Args:
        x: a batch of shape ``(N, C)``; training mode needs ``N >= 2`` (unbiased variance).
        gamma, beta: the learnable scale and shift, shape ``(C,)``.
        running_mean, running_var: the running statistics, shape ``(C,)`` (start at 0 and 1).
        training: use batch statistics and update the running ones (``True``), or use the
            running statistics (``False``).
        momentum: the weight of the new batch statistic, as in ``nn.BatchNorm1d(momentum=0.1)``.
        eps: added to the variance before the square root.
    """
    x = np.asarray(x)
    if training:
        n = x.shape[0]
        if n < 2:
            raise ValueError("batch_norm in training mode needs at least 2 samples per batch")
        mean = x.mean(axis=0)
        var = x.var(axis=0)  # biased: what normalises the batch
        unbiased = var * n / (n - 1)  # what the running estimate tracks
        new_mean = (1 - momentum) * running_mean + momentum * mean
        new_var = (1 - momentum) * running_var + momentum * unbiased
    else:
        mean, var = running_mean, running_var
        new_mean, new_var = np.array(running_mean, copy=True), np.array(running_var, copy=True)
    y = gamma * (x - mean) / np.sqrt(var + eps) + beta
    return y, new_mean, new_var


def l2_penalty(params: Iterable[torch.Tensor], weight_decay: float) -> torch.Tensor:
    """``(weight_decay / 2) * sum ||p||^2``: its gradient ``weight_decay * p`` is what
    ``torch.optim.SGD(..., weight_decay=weight_decay)`` adds to each parameter's gradient."""
    params = list(params)
    if not params:
        raise ValueError("l2_penalty needs at least one parameter")
    return 0.5 * weight_decay * sum(p.pow(2).sum() for p in params)
