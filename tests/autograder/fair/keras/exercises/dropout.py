"""Dropout as Keras's backends write it: ``keep_prob = 1 - rate``, a uniform draw compared with
``keep_prob``, and ``where(mask, inputs / keep_prob, 0)``; the layer is active only in training."""

import numpy as np
import torch
from torch import nn


def _validate_rate(rate):
    if not 0 <= rate <= 1:
        raise ValueError(f"Invalid value received for argument `rate`. Expected a float value "
                         f"between 0 and 1. Received: rate={rate}")
    return rate


def dropout(x, p=0.5, training=True, rng=None):
    rate = _validate_rate(p)
    if not training or rate == 0:
        return np.array(x, copy=True)
    if rate == 1:
        return np.zeros_like(x)
    rng = np.random.default_rng() if rng is None else rng
    keep_prob = 1.0 - rate
    mask = rng.uniform(size=x.shape) < keep_prob
    return np.where(mask, x / keep_prob, np.zeros_like(x)).astype(x.dtype)


class Dropout(nn.Module):
    def __init__(self, p=0.5):
        super().__init__()
        self.rate = _validate_rate(p)

    @property
    def p(self):
        return self.rate

    def forward(self, inputs):
        if not self.training or self.rate == 0:
            return inputs
        if self.rate == 1:
            # where() would route 0 * (1 / 0) = NaN into the gradient
            return inputs * 0
        keep_prob = 1.0 - self.rate
        mask = torch.rand(inputs.shape, dtype=inputs.dtype, device=inputs.device) < keep_prob
        return torch.where(mask, inputs / keep_prob, torch.zeros_like(inputs))
