"""Dropout as Dive into Deep Learning writes it: ``dropout_layer`` draws a uniform mask, compares it
with the dropout probability and rescales; the module applies it only when training."""

import numpy as np
import torch
from torch import nn


def _check(dropout):
    if not 0 <= dropout <= 1:
        raise ValueError("dropout must be between 0 and 1")


def dropout(X, p=0.5, training=True, rng=None):
    _check(p)
    if not training or p == 0:
        return X
    if p == 1:
        return np.zeros_like(X)
    rng = rng if rng is not None else np.random.default_rng()
    mask = rng.uniform(0, 1, X.shape) > p
    return (mask.astype(X.dtype) * X / (1.0 - p)).astype(X.dtype)


def dropout_layer(X, dropout):
    _check(dropout)
    if dropout == 1:
        return torch.zeros_like(X)
    if dropout == 0:
        return X
    mask = (torch.rand(X.shape, device=X.device) > dropout).float()
    return (mask * X / (1.0 - dropout)).to(X.dtype)


class Dropout(nn.Module):
    def __init__(self, p=0.5):
        super().__init__()
        _check(p)
        self.p = p

    def forward(self, X):
        if self.training:
            return dropout_layer(X, self.p)
        return X
