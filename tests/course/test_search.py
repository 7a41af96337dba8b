"""course.search: search spaces, grid and random configurations, the running best."""

import math

import numpy as np
import pytest

from course import search


def test_log_uniform_grid_is_geometric_and_samples_stay_inside():
    d = search.LogUniform(1e-3, 1.0)
    assert d.grid(4) == pytest.approx([1e-3, 1e-2, 1e-1, 1.0])
    rng = np.random.default_rng(0)
    draws = np.array([d.sample(rng) for _ in range(2000)])
    assert draws.min() >= 1e-3 and draws.max() <= 1.0
    # every decade equally likely
    counts = np.histogram(np.log10(draws), bins=[-3, -2, -1, 0])[0]
    assert counts.min() > 600
    with pytest.raises(ValueError):
        search.LogUniform(0.0, 1.0)


def test_uniform_and_choice():
    assert search.Uniform(0, 1).grid(3) == [0.0, 0.5, 1.0]
    c = search.Choice([16, 64])
    assert c.grid(5) == [16, 64]
    rng = np.random.default_rng(0)
    assert {c.sample(rng) for _ in range(50)} == {16, 64}
    with pytest.raises(ValueError):
        search.Choice([])


def test_grid_configs_cover_every_combination():
    space = {"lr": search.LogUniform(0.01, 1.0), "momentum": search.Uniform(0.0, 0.9)}
    configs = search.grid_configs(space, 3)
    assert len(configs) == 9
    assert configs[1] == {"lr": pytest.approx(0.01), "momentum": pytest.approx(0.45)}
    assert len({c["lr"] for c in configs}) == 3
    assert len(search.grid_configs(space, {"lr": 4, "momentum": 2})) == 8


def test_random_configs_are_seeded_and_distinct_per_axis():
    space = {"lr": search.LogUniform(0.01, 1.0), "momentum": search.Uniform(0.0, 0.9)}
    a, b = search.random_configs(space, 9, seed=3), search.random_configs(space, 9, seed=3)
    assert a == b and a != search.random_configs(space, 9, seed=4)
    assert len({c["lr"] for c in a}) == 9


def test_run_configs_and_best_so_far():
    rows = search.run_configs(lambda lr: {"score": -abs(math.log10(lr) + 1)}, [{"lr": 1.0}, {"lr": 0.1}])
    assert rows == [{"lr": 1.0, "score": -1.0}, {"lr": 0.1, "score": 0.0}]
    with pytest.raises(ValueError):
        search.run_configs(lambda lr: {"lr": 2}, [{"lr": 1}])
    assert search.best_so_far([0.2, float("nan"), 0.5, 0.4]) == [0.2, 0.2, 0.5, 0.5]
    assert search.best_so_far([3, 1, 2], mode="min") == [3, 1, 1]
