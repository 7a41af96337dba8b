"""Exercise ``dropout``: inverted dropout in NumPy and as an ``nn.Module``.

During training every unit is kept with probability ``1 - p`` and the kept units are divided by
``1 - p`` ("inverted" dropout), so that the expected output equals the input and evaluation needs
no change: in eval mode the input passes through untouched. This is what ``torch.nn.Dropout``
does. (The older convention, scaling by ``1 - p`` at test time instead, gives the same expected
activations but makes inference depend on ``p``.)

Edge cases, as in PyTorch: ``p = 0`` returns the input, ``p = 1`` returns zeros (never NaN).
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

__all__ = ["dropout", "Dropout"]


def _check_p(p: float) -> float:
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
    return float(p)


def dropout(
    x: np.ndarray,
    p: float = 0.5,
    training: bool = True,
    rng: np.random.Generator | None = None,
) -> np.ndarray:
    """Inverted dropout on a NumPy array.

    Args:
        x: a floating-point array of any shape.
        p: probability of zeroing each element, ``0 <= p <= 1`` (default 0.5).
        training: when ``False`` the input is returned unchanged (default ``True``).
        rng: the random generator to draw the mask from (``np.random.default_rng()`` if ``None``);
            the same generator state gives the same mask.

    Returns:
        ``x * mask / (1 - p)`` with ``mask ~ Bernoulli(1 - p)`` elementwise, the same shape and
        dtype as ``x``; zeros when ``p == 1``. ``x`` itself is never modified.

    Raises:
        ValueError: when ``p`` is outside ``[0, 1]``.
    """
    p = _check_p(p)
    if not training or p == 0.0:
        return x.copy()
    if p == 1.0:
        return np.zeros_like(x)
    rng = np.random.default_rng() if rng is None else rng
    keep = rng.random(x.shape) >= p
    return (x * keep / (1.0 - p)).astype(x.dtype, copy=False)


class Dropout(nn.Module):
    """Inverted dropout as a module, with ``torch.nn.Dropout``'s behaviour (without calling it).

    In training mode (``module.train()``) each element is zeroed with probability ``p`` and the
    others are scaled by ``1 / (1 - p)``; in eval mode (``module.eval()``) the input is returned.
    The mask is drawn from PyTorch's random generator, so ``torch.manual_seed`` makes it repeat.
    Gradients flow only through the kept elements, scaled by the same ``1 / (1 - p)``.

    Args:
        p: probability of zeroing each element (default 0.5).

    Raises:
        ValueError: when ``p`` is outside ``[0, 1]``.
    """

    def __init__(self, p: float = 0.5) -> None:
        super().__init__()
        self.p = _check_p(p)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not self.training or self.p == 0.0:
            return x
        if self.p == 1.0:
            return x * 0.0
        keep = torch.rand_like(x) >= self.p
        return x * keep / (1.0 - self.p)
