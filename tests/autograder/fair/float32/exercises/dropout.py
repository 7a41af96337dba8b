"""Dropout whose mask is always float32 (as a GPU-minded student builds it): the mask, already
divided by 1 - p, is a float32 array or tensor, whatever the input's dtype; the product keeps the
input's dtype."""

import numpy as np
import torch
from torch import nn


def dropout(x, p=0.5, training=True, rng=None):
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"p must be in [0, 1], got {p}")
    if not training or p == 0.0:
        return x.copy()
    if p == 1.0:
        return np.zeros_like(x)
    rng = rng if rng is not None else np.random.default_rng()
    mask = (rng.random(x.shape, dtype=np.float32) >= np.float32(p)).astype(np.float32)
    mask *= np.float32(1.0 / (1.0 - p))
    return (x * mask).astype(x.dtype, copy=False)


class Dropout(nn.Module):
    def __init__(self, p=0.5):
        super().__init__()
        if not 0.0 <= p <= 1.0:
            raise ValueError(f"p must be in [0, 1], got {p}")
        self.p = p

    def forward(self, x):
        if not self.training or self.p == 0.0:
            return x
        if self.p == 1.0:
            return x * torch.zeros((), dtype=x.dtype, device=x.device)
        mask = torch.empty(x.shape, dtype=torch.float32, device=x.device).bernoulli_(1.0 - self.p)
        mask.div_(1.0 - self.p)
        return x * mask
