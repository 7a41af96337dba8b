"""A correct dropout drawn differently (Bernoulli of the keep probability): it must score full marks."""

import numpy as np
import torch
from torch import nn


def dropout(x, p=0.5, training=True, rng=None):
    if not 0 <= p <= 1:
        raise ValueError("p must be in [0, 1]")
    if not training:
        return np.array(x, copy=True)
    if p == 1:
        return np.zeros_like(x)
    rng = rng if rng is not None else np.random.default_rng()
    mask = rng.binomial(1, 1 - p, size=x.shape).astype(x.dtype)
    return np.where(mask > 0, x / np.asarray(1 - p, dtype=x.dtype), np.zeros((), dtype=x.dtype))


class Dropout(nn.Module):
    def __init__(self, p=0.5):
        super().__init__()
        if not 0 <= p <= 1:
            raise ValueError("p must be in [0, 1]")
        self.p = p

    def forward(self, x):
        if not self.training:
            return x
        if self.p == 1:
            return torch.zeros_like(x) * x
        mask = torch.bernoulli(torch.full_like(x, 1 - self.p))
        return x * mask * (1.0 / (1 - self.p))
