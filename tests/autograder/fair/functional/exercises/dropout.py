"""One masking rule for both parts: ``_inverted(x, keep, p)``; only the source of the mask differs
(``rng.random`` for NumPy, ``torch.rand_like`` for tensors)."""

from __future__ import annotations

import numpy as np
import torch
from torch import nn


def _valid(p):
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"p={p} is not a probability")
    return float(p)


def _inverted(x, keep, p):
    if p == 1.0:
        return x * 0
    return x * keep / (1.0 - p)


def dropout(x, p=0.5, training=True, rng=None):
    p = _valid(p)
    if not training or p == 0.0:
        return x.copy()
    rng = rng or np.random.default_rng()
    return _inverted(x, rng.random(x.shape) >= p, p).astype(x.dtype)


class Dropout(nn.Module):
    def __init__(self, p=0.5):
        super().__init__()
        self.p = _valid(p)

    def forward(self, x):
        if not self.training or self.p == 0.0:
            return x
        return _inverted(x, torch.rand_like(x) >= self.p, self.p)
