"""Experiments around the training loop (chapter 8): full checkpoints that resume a run exactly,
and a small grid-search runner with a text table and a heatmap.

A *full* checkpoint holds everything the next epoch depends on::

    {"epoch", "model", "optimizer", "scheduler", "early_stopping", "torch_rng", "loader_rng"}

``model.state_dict()`` alone (what most tutorials save) is enough to *use* the model, not to
*continue training* it: Adam's moments, the scheduler's position, the early-stopping counter and
the random number generators (shuffling, dropout) would all restart from scratch.
"""

from __future__ import annotations

import itertools
import os
from typing import Any, Callable, Mapping, Sequence

import numpy as np
import torch
from torch import nn

__all__ = ["save_checkpoint", "load_checkpoint", "grid", "run_grid", "pivot", "format_table", "plot_heatmap"]


def save_checkpoint(
    path: str | os.PathLike,
    epoch: int,
    model: nn.Module,
    optimizer: torch.optim.Optimizer,
    scheduler: Any = None,
    early_stopping: Any = None,
    generator: torch.Generator | None = None,
) -> dict[str, Any]:
    """Save a full training checkpoint with ``torch.save`` and return the dict that was saved.

    Args:
        epoch: the number of epochs completed (training resumes at this 0-based epoch).
        scheduler, early_stopping: anything with ``state_dict()``; ``None`` is stored as ``None``.
        generator: the ``DataLoader``'s shuffling generator (``loader.generator``).
    """
    state = {
        "epoch": epoch,
        "model": model.state_dict(),
        "optimizer": optimizer.state_dict(),
        "scheduler": None if scheduler is None else scheduler.state_dict(),
        "early_stopping": None if early_stopping is None else early_stopping.state_dict(),
        "torch_rng": torch.get_rng_state(),
        "loader_rng": None if generator is None else generator.get_state(),
    }
    torch.save(state, path)
    return state


def load_checkpoint(
    path: str | os.PathLike,
    model: nn.Module,
    optimizer: torch.optim.Optimizer,
    scheduler: Any = None,
    early_stopping: Any = None,
    generator: torch.Generator | None = None,
) -> int:
    """Restore what :func:`save_checkpoint` saved into freshly built objects; return the epoch.

    The global torch RNG and ``generator`` are restored too, so the resumed run draws the same
    shuffles and dropout masks as an uninterrupted one.
    """
    # weights_only=True refuses arbitrary pickles; the early-stopping state is plain numbers.
    state = torch.load(path, map_location="cpu", weights_only=True)
    model.load_state_dict(state["model"])
    optimizer.load_state_dict(state["optimizer"])
    if scheduler is not None and state["scheduler"] is not None:
        scheduler.load_state_dict(state["scheduler"])
    if early_stopping is not None and state["early_stopping"] is not None:
        early_stopping.load_state_dict(state["early_stopping"])
    torch.set_rng_state(state["torch_rng"])
    if generator is not None and state["loader_rng"] is not None:
        generator.set_state(state["loader_rng"])
    return int(state["epoch"])


def grid(**axes: Sequence[Any]) -> list[dict[str, Any]]:
    """Every combination of the given values: ``grid(lr=[1, 2], bs=[3])`` ->
    ``[{"lr": 1, "bs": 3}, {"lr": 2, "bs": 3}]`` (the last axis varies fastest)."""
    names = list(axes)
    return [dict(zip(names, values)) for values in itertools.product(*(axes[n] for n in names))]


def run_grid(run: Callable[..., Mapping[str, Any]], **axes: Sequence[Any]) -> list[dict[str, Any]]:
    """Call ``run(**config)`` for every configuration of :func:`grid`; one row per call, holding
    the configuration and what ``run`` returned (a mapping of results)."""
    rows = []
    for config in grid(**axes):
        result = run(**config)
        overlap = set(result) & set(config)
        if overlap:
            raise ValueError(f"run() returned keys that clash with the configuration: {sorted(overlap)}")
        rows.append({**config, **result})
    return rows


def pivot(
    rows: Sequence[Mapping[str, Any]], index: str, columns: str, value: str
) -> tuple[list[Any], list[Any], np.ndarray]:
    """A 2-D table ``table[i, j] = value`` of the row with ``index == rows_i`` and ``columns == cols_j``
    (values in first-seen order; a missing combination is NaN, a repeated one is an error)."""
    row_keys = list(dict.fromkeys(r[index] for r in rows))
    col_keys = list(dict.fromkeys(r[columns] for r in rows))
    table = np.full((len(row_keys), len(col_keys)), np.nan)
    for r in rows:
        i, j = row_keys.index(r[index]), col_keys.index(r[columns])
        if not np.isnan(table[i, j]):
            raise ValueError(f"two rows have {index}={r[index]!r}, {columns}={r[columns]!r}")
        table[i, j] = float(r[value])
    return row_keys, col_keys, table


def format_table(
    row_keys: Sequence[Any], col_keys: Sequence[Any], table: np.ndarray,
    index: str = "", columns: str = "", digits: int = 3,
) -> str:
    """The pivot table as aligned text, with ``index \\ columns`` in the corner."""
    corner = f"{index} \\ {columns}" if index or columns else ""
    cells = [[corner] + [str(c) for c in col_keys]]
    cells += [[str(r)] + [f"{v:.{digits}f}" for v in row] for r, row in zip(row_keys, table)]
    widths = [max(len(line[k]) for line in cells) for k in range(len(cells[0]))]
    return "\n".join("  ".join(s.rjust(w) for s, w in zip(line, widths)) for line in cells)


def plot_heatmap(
    row_keys: Sequence[Any], col_keys: Sequence[Any], table: np.ndarray,
    index: str, columns: str, title: str, digits: int = 3, ax=None,
):
    """The pivot table as an annotated heatmap (rows on the y axis); returns the axes."""
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(1.3 * len(col_keys) + 2, 0.8 * len(row_keys) + 1.5))
    im = ax.imshow(table, cmap="viridis", aspect="auto")
    ax.set_xticks(range(len(col_keys)), [str(c) for c in col_keys])
    ax.set_yticks(range(len(row_keys)), [str(r) for r in row_keys])
    ax.set_xlabel(columns)
    ax.set_ylabel(index)
    ax.set_title(title)
    mid = np.nanmean(table)
    for i in range(table.shape[0]):
        for j in range(table.shape[1]):
            ax.text(j, i, f"{table[i, j]:.{digits}f}", ha="center", va="center",
                    color="black" if table[i, j] > mid else "white", fontsize=9)
    ax.figure.colorbar(im, ax=ax)
    return ax
