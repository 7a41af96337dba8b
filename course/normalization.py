"""Batch, layer and group normalisation written out as "normalise over these axes" (chapter 2b).

For an activation tensor of shape ``(N, C, H, W)`` (``(N, C)`` for an MLP) each layer subtracts a
mean and divides by a standard deviation computed over a set of axes, then applies a learned
per-channel scale ``gamma`` and shift ``beta``::

    y = gamma * (x - mean) / sqrt(var + eps) + beta        (var is the biased variance, ddof=0)

    BatchNorm   statistics over (N, H, W), one pair per channel;  uses the batch: train != eval
    LayerNorm   statistics over (C, H, W), one pair per sample;   train == eval
    GroupNorm   statistics over (C/G, H, W), per sample and group; train == eval
                (G = 1 is LayerNorm over (C, H, W); G = C is InstanceNorm)

With ``gamma = 1`` and ``beta = 0`` (what ``nn.BatchNorm2d``, ``nn.LayerNorm`` and ``nn.GroupNorm``
start with) the functions below return the same numbers as those modules in training mode.
"""

from __future__ import annotations

from typing import Sequence

import torch

__all__ = ["normalize", "batch_norm", "layer_norm", "group_norm", "plot_norm_axes"]


def normalize(x: torch.Tensor, dims: Sequence[int], eps: float = 1e-5) -> torch.Tensor:
    """``(x - mean) / sqrt(var + eps)`` with mean and biased variance taken over ``dims``."""
    dims = tuple(dims)
    mean = x.mean(dim=dims, keepdim=True)
    var = x.var(dim=dims, keepdim=True, unbiased=False)
    return (x - mean) / torch.sqrt(var + eps)


def batch_norm(x: torch.Tensor, eps: float = 1e-5) -> torch.Tensor:
    """Training-mode batch norm without affine parameters: every axis but the channel axis 1."""
    return normalize(x, [0, *range(2, x.ndim)], eps)


def layer_norm(x: torch.Tensor, eps: float = 1e-5) -> torch.Tensor:
    """Layer norm over every axis but the batch axis 0 (``nn.LayerNorm(x.shape[1:])``)."""
    return normalize(x, range(1, x.ndim), eps)


def group_norm(x: torch.Tensor, groups: int, eps: float = 1e-5) -> torch.Tensor:
    """Group norm: the ``C`` channels split into ``groups`` consecutive groups, each sample and group
    normalised over its channels and positions (``nn.GroupNorm(groups, C)``)."""
    n, c = x.shape[:2]
    if c % groups:
        raise ValueError(f"{c} channels cannot be split into {groups} groups")
    grouped = x.reshape(n, groups, c // groups, *x.shape[2:])
    return normalize(grouped, range(2, grouped.ndim), eps).reshape(x.shape)


def plot_norm_axes(n: int = 4, c: int = 6, groups: int = 2, axes=None):
    """The four layers' statistics on an ``N x C`` grid (the spatial axes folded into each cell):
    the cells that carry the same number (and colour) share one mean and variance. A 2 x 2 grid of
    panels; returns the figure."""
    import matplotlib.pyplot as plt
    import numpy as np

    panels = {
        "BatchNorm": lambda i, j: j,
        "LayerNorm": lambda i, j: i,
        f"GroupNorm ({groups} groups)": lambda i, j: i * groups + j // (c // groups),
        "InstanceNorm": lambda i, j: i * c + j,
    }
    if axes is None:
        _, axes = plt.subplots(2, 2, figsize=(8, 5.6))
    axes = list(np.ravel(axes))
    fig = axes[0].figure
    cmap = plt.get_cmap("tab20")
    for ax, (title, which) in zip(axes, panels.items()):
        ids = np.array([[which(i, j) for j in range(c)] for i in range(n)])
        _, codes = np.unique(ids, return_inverse=True)
        colours = cmap((codes.reshape(n, c) % 20) / 19.0)
        ax.imshow(colours, aspect="equal")
        ax.set_xticks(np.arange(-0.5, c, 1), minor=True)
        ax.set_yticks(np.arange(-0.5, n, 1), minor=True)
        ax.grid(which="minor", color="white", linewidth=2)
        ax.tick_params(which="both", length=0)
        ax.set_xticks(range(c), [str(j) for j in range(c)])
        ax.set_yticks(range(n), [str(i) for i in range(n)])
        ax.set_xlabel("channel C")
        ax.set_ylabel("sample N")
        for i in range(n):
            for j in range(c):
                ax.text(j, i, str(codes.reshape(n, c)[i, j]), ha="center", va="center", fontsize=8)
        ax.set_title(f"{title}: {len(np.unique(ids))} (mean, var) pairs", fontsize=10)
    fig.tight_layout()
    return fig
