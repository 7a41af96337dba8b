"""Figures shared by the chapters: training curves, image grids, optimizer paths, schedules."""

from __future__ import annotations

from typing import Callable, Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np

# The book's text column shows about 800 pixels; matplotlib's inline figures have 100 pixels per
# inch. A figure no wider than this keeps its labels at their size in the book (tests/book checks
# that no figure is shown below 80% of it).
MAX_WIDTH_IN = 8.0


def plot_history(
    histories: Mapping[str, "object"],
    metrics: Sequence[str] = ("train_loss", "val_loss"),
    title: str | None = None,
    logy: bool = False,
):
    """One panel per metric, one line per named run (``{"Adam": history, ...}``); two panels a row.

    ``fig.axes`` lists the panels in the order of ``metrics``.
    """
    ncols = min(len(metrics), 2)
    nrows = (len(metrics) + ncols - 1) // ncols
    fig, axes = plt.subplots(nrows, ncols, figsize=(MAX_WIDTH_IN if ncols > 1 else 5.0, 3.2 * nrows),
                             squeeze=False)
    for ax in list(axes.flat)[len(metrics):]:
        fig.delaxes(ax)
    for ax, metric in zip(axes.flat, metrics):
        for name, h in histories.items():
            values = h[metric] if not isinstance(h, dict) else h[metric]
            ax.plot(np.arange(1, len(values) + 1), values, label=name)
        ax.set_xlabel("epoch")
        ax.set_title(metric)
        if logy:
            ax.set_yscale("log")
        ax.grid(alpha=0.3)
    axes[0][0].legend()
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def show_images(
    images: Sequence,
    titles: Sequence[str] | None = None,
    ncols: int = 4,
    size: float = 2.4,
    cmap: str | None = None,
):
    """A grid of images: ``(H, W)``, ``(H, W, C)`` arrays or ``(C, H, W)`` tensors in [0, 1] or uint8."""
    n = len(images)
    nrows = (n + ncols - 1) // ncols
    size = min(size, MAX_WIDTH_IN / ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(size * ncols, size * nrows), squeeze=False)
    for i, ax in enumerate(axes.flat):
        ax.axis("off")
        if i >= n:
            continue
        img = _to_hwc(images[i])
        ax.imshow(img, cmap=cmap or ("gray" if img.ndim == 2 else None))
        if titles is not None:
            ax.set_title(titles[i], fontsize=9)
    fig.tight_layout()
    return fig


def _to_hwc(img) -> np.ndarray:
    if hasattr(img, "detach"):
        img = img.detach().cpu()
        if img.ndim == 3 and img.shape[0] in (1, 3):
            img = img.permute(1, 2, 0)
        img = img.numpy()
    img = np.asarray(img)
    if img.ndim == 3 and img.shape[2] == 1:
        img = img[:, :, 0]
    if img.dtype != np.uint8:
        img = np.clip(img, 0.0, 1.0)
    return img


def plot_paths(
    f: Callable[[np.ndarray, np.ndarray], np.ndarray],
    paths: Mapping[str, np.ndarray],
    xlim: tuple[float, float],
    ylim: tuple[float, float],
    ax=None,
    title: str | None = None,
    levels: int = 30,
    log_levels: bool = True,
    minimum: tuple[float, float] | None = None,
):
    """Contours of a 2-D function with optimizer trajectories (each an ``(steps, 2)`` array) on top."""
    if ax is None:
        _, ax = plt.subplots(figsize=(5, 4))
    xs = np.linspace(*xlim, 300)
    ys = np.linspace(*ylim, 300)
    X, Y = np.meshgrid(xs, ys)
    Z = f(X, Y)
    if log_levels:
        Z = np.log1p(Z - Z.min())
    ax.contour(X, Y, Z, levels=levels, cmap="Greys", linewidths=0.6)
    for name, path in paths.items():
        path = np.asarray(path)
        ax.plot(path[:, 0], path[:, 1], ".-", ms=2, lw=1, label=name)
    if minimum is not None:
        ax.plot(*minimum, "k*", ms=10)
    ax.set_xlim(*xlim)
    ax.set_ylim(*ylim)
    ax.legend(fontsize=8)
    if title:
        ax.set_title(title)
    return ax


def plot_lr_curves(curves: Mapping[str, Sequence[float]], xlabel: str = "step", ncols: int = 2):
    """One small panel per learning-rate schedule, ``ncols`` a row, within the book's width."""
    n = len(curves)
    nrows = (n + ncols - 1) // ncols
    fig, axes = plt.subplots(nrows, ncols, figsize=(MAX_WIDTH_IN, 2.4 * nrows), squeeze=False)
    for ax, (name, lrs) in zip(axes.flat, curves.items()):
        ax.plot(lrs)
        ax.set_title(name, fontsize=10)
        ax.set_xlabel(xlabel)
        ax.set_ylabel("lr")
        ax.grid(alpha=0.3)
    for ax in list(axes.flat)[n:]:
        ax.axis("off")
    fig.tight_layout()
    return fig
