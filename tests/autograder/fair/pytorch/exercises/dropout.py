"""Dropout the PyTorch way: a Bernoulli mask of the keep probability, ``bernoulli_`` in place on a
fresh buffer, scaled once; the functional form on NumPy draws its Bernoulli mask from ``rng``."""

from __future__ import annotations

import numpy as np
import torch
from torch import Tensor, nn


def dropout(x, p=0.5, training=True, rng=None):
    if p < 0.0 or p > 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
    if not training or p == 0.0:
        return np.copy(x)
    if p == 1.0:
        return np.zeros_like(x)
    if rng is None:
        rng = np.random.default_rng()
    noise = rng.binomial(1, 1.0 - p, size=x.shape).astype(x.dtype)
    noise /= 1.0 - p
    return x * noise


class Dropout(nn.Module):
    __constants__ = ["p", "inplace"]

    def __init__(self, p: float = 0.5, inplace: bool = False) -> None:
        super().__init__()
        if p < 0 or p > 1:
            raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
        self.p = p
        self.inplace = inplace

    def forward(self, input: Tensor) -> Tensor:
        if not self.training or self.p == 0:
            return input
        if self.p == 1:
            return input.mul(torch.zeros_like(input))
        noise = torch.empty_like(input).bernoulli_(1 - self.p)
        noise.div_(1 - self.p)
        return input.mul_(noise) if self.inplace else input * noise

    def extra_repr(self) -> str:
        return f"p={self.p}, inplace={self.inplace}"
