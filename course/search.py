"""Hyperparameter search under a budget: grid search and random search over one search space
(chapter 9).

A search space maps each hyperparameter's name to a distribution::

    space = {"lr": LogUniform(1e-3, 1.0), "momentum": Uniform(0.0, 0.99), "batch_size": Choice([32, 64])}

:func:`grid_configs` takes ``k`` evenly spaced values of each axis (geometrically spaced for a
``LogUniform``) and every combination of them; :func:`random_configs` draws ``n`` independent
configurations. With a budget of ``k**d`` runs, a grid tries only ``k`` distinct values of each
hyperparameter; random search tries ``k**d`` distinct values of each, which is why it finds good
values of the few hyperparameters that matter more often (Bergstra and Bengio, 2012).
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from typing import Any, Callable, Mapping, Sequence

import numpy as np

__all__ = ["LogUniform", "Uniform", "Choice", "grid_configs", "random_configs", "run_configs", "best_so_far"]


@dataclass(frozen=True)
class LogUniform:
    """``exp(U(log low, log high))``: every decade between ``low`` and ``high`` equally likely."""

    low: float
    high: float

    def __post_init__(self) -> None:
        if not 0 < self.low < self.high:
            raise ValueError(f"need 0 < low < high, got {self.low}, {self.high}")

    def sample(self, rng: np.random.Generator) -> float:
        return float(math.exp(rng.uniform(math.log(self.low), math.log(self.high))))

    def grid(self, k: int) -> list[float]:
        return [float(v) for v in np.geomspace(self.low, self.high, k)]


@dataclass(frozen=True)
class Uniform:
    """``U(low, high)``."""

    low: float
    high: float

    def __post_init__(self) -> None:
        if not self.low < self.high:
            raise ValueError(f"need low < high, got {self.low}, {self.high}")

    def sample(self, rng: np.random.Generator) -> float:
        return float(rng.uniform(self.low, self.high))

    def grid(self, k: int) -> list[float]:
        return [float(v) for v in np.linspace(self.low, self.high, k)]


@dataclass(frozen=True)
class Choice:
    """One of ``values``, each equally likely; its grid is the values themselves."""

    values: tuple

    def __init__(self, values: Sequence[Any]) -> None:
        if not values:
            raise ValueError("Choice needs at least one value")
        object.__setattr__(self, "values", tuple(values))

    def sample(self, rng: np.random.Generator) -> Any:
        return self.values[int(rng.integers(len(self.values)))]

    def grid(self, k: int) -> list[Any]:
        return list(self.values)


def grid_configs(space: Mapping[str, Any], k: int | Mapping[str, int]) -> list[dict[str, Any]]:
    """Every combination of ``k`` grid values per axis (``k`` may differ per axis: a mapping);
    the last axis varies fastest."""
    names = list(space)
    per_axis = {n: (k[n] if isinstance(k, Mapping) else k) for n in names}
    values = [space[n].grid(per_axis[n]) for n in names]
    return [dict(zip(names, combo)) for combo in itertools.product(*values)]


def random_configs(space: Mapping[str, Any], n: int, seed: int = 0) -> list[dict[str, Any]]:
    """``n`` configurations drawn independently from ``space`` with ``np.random.default_rng(seed)``."""
    rng = np.random.default_rng(seed)
    return [{name: dist.sample(rng) for name, dist in space.items()} for _ in range(n)]


def run_configs(run: Callable[..., Mapping[str, Any]], configs: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Call ``run(**config)`` for each configuration; one row per run: the configuration and the
    results ``run`` returned (a mapping whose keys must not clash with the configuration's)."""
    rows = []
    for config in configs:
        result = dict(run(**config))
        clash = set(result) & set(config)
        if clash:
            raise ValueError(f"run() returned keys that clash with the configuration: {sorted(clash)}")
        rows.append({**config, **result})
    return rows


def best_so_far(values: Sequence[float], mode: str = "max") -> list[float]:
    """The running best: ``out[i]`` is the best of ``values[: i + 1]`` (NaN counts as worst)."""
    if mode not in ("max", "min"):
        raise ValueError(f"mode must be 'max' or 'min', got {mode!r}")
    worst = -math.inf if mode == "max" else math.inf
    out, best = [], worst
    for v in values:
        v = worst if v is None or math.isnan(v) else v
        best = max(best, v) if mode == "max" else min(best, v)
        out.append(best)
    return out
