"""Dropout with a relative import of the shared check and a Monte Carlo dropout helper that walks
``model.modules()``."""

import numpy as np
import torch
from torch import nn

from ._checks import check_probability


def dropout(x, p=0.5, training=True, rng=None):
    p = check_probability(p)
    if not training or p == 0.0:
        return x.copy()
    if p == 1.0:
        return np.zeros_like(x)
    rng = np.random.default_rng() if rng is None else rng
    keep = rng.random(x.shape) >= p
    return np.where(keep, x / (1.0 - p), 0).astype(x.dtype)


class Dropout(nn.Module):
    def __init__(self, p=0.5):
        super().__init__()
        self.p = check_probability(p)

    def forward(self, x):
        if not self.training or self.p == 0.0:
            return x
        if self.p == 1.0:
            return x * 0.0
        return x * (torch.rand_like(x) >= self.p) / (1.0 - self.p)


def enable_mc_dropout(model):
    """Monte Carlo dropout: the model in eval mode, except its Dropout layers."""
    model.eval()
    for module in model.modules():
        if isinstance(module, Dropout):
            module.train()
    return model


if __name__ == "__main__":
    layer = Dropout(0.5)
    print(layer(torch.ones(8)))
