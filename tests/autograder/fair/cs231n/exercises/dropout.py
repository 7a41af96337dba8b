"""Dropout as CS231n's ``layers.py`` writes it: ``dropout_forward`` builds
``mask = (rand < keep) / keep`` (with keep = 1 - p, since the exercise's p is the drop probability),
caches it, and ``dropout_backward`` multiplies the upstream gradient by the same mask. The module
wraps the pair in a ``torch.autograd.Function``."""

import numpy as np
import torch
from torch import nn


def _check_p(p):
    if not 0 <= p <= 1:
        raise ValueError(f"p must lie in [0, 1], got {p}")


def dropout_forward(x, dropout_param, rng):
    p, mode = dropout_param["p"], dropout_param["mode"]
    keep = 1 - p
    mask = None
    if mode == "train" and keep == 0:
        mask = np.zeros_like(x)
        out = x * mask
    elif mode == "train":
        mask = (rng.random(x.shape) < keep) / keep
        out = x * mask
    elif mode == "test":
        out = x.copy()
    cache = (dropout_param, mask)
    out = out.astype(x.dtype, copy=False)
    return out, cache


def dropout_backward(dout, cache):
    dropout_param, mask = cache
    if dropout_param["mode"] == "train":
        return dout * mask
    return dout


def dropout(x, p=0.5, training=True, rng=None):
    _check_p(p)
    rng = np.random.default_rng() if rng is None else rng
    out, _ = dropout_forward(x, {"p": p, "mode": "train" if training else "test"}, rng)
    return out


class _DropoutFunction(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, p):
        keep = 1 - p
        if keep == 0:
            mask = torch.zeros_like(x)
        else:
            mask = (torch.rand(x.shape, device=x.device) < keep) / keep
        ctx.save_for_backward(mask)
        return x * mask

    @staticmethod
    def backward(ctx, dout):
        (mask,) = ctx.saved_tensors
        return (dout * mask).to(dout.dtype), None


class Dropout(nn.Module):
    def __init__(self, p=0.5):
        super().__init__()
        _check_p(p)
        self.p = p

    def forward(self, x):
        if not self.training:
            return x
        return _DropoutFunction.apply(x, self.p)
