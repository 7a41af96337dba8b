"""course.experiments: checkpoints resume a run exactly; the grid runner, pivot and table."""

import math

import numpy as np
import pytest
import torch
from torch import nn

from course import experiments
from course.data import make_loaders
from course.training import fit, set_seed


class _Counter:
    """A stand-in early-stopping object with a state_dict."""

    def __init__(self):
        self.calls = 0

    def step(self, metric, model=None):
        self.calls += 1
        return False

    def state_dict(self):
        return {"calls": self.calls}

    def load_state_dict(self, state):
        self.calls = state["calls"]


def _setup(X, y):
    set_seed(0)
    model = nn.Sequential(nn.Linear(5, 16), nn.ReLU(), nn.Dropout(0.3), nn.Linear(16, 3))
    opt = torch.optim.Adam(model.parameters(), lr=1e-2)
    sched = torch.optim.lr_scheduler.StepLR(opt, step_size=1, gamma=0.7)
    train, val = make_loaders(X[:48], y[:48], X[48:], y[48:], batch_size=8, seed=1)
    return model, opt, sched, train, val


def test_resumed_run_reproduces_the_uninterrupted_run(tmp_path):
    g = torch.Generator().manual_seed(0)
    X, y = torch.randn(64, 5, generator=g), torch.randint(0, 3, (64,), generator=g)
    crit = nn.CrossEntropyLoss()

    model, opt, sched, train, val = _setup(X, y)
    full = fit(model, train, val, crit, opt, epochs=4, scheduler=sched)

    model, opt, sched, train, val = _setup(X, y)
    es = _Counter()
    first = fit(model, train, val, crit, opt, epochs=2, scheduler=sched, early_stopping=es)
    path = tmp_path / "ckpt.pt"
    experiments.save_checkpoint(path, 2, model, opt, sched, es, train.generator)
    torch.manual_seed(123)  # disturb the global RNG: the checkpoint must restore it

    model, opt, sched, train, val = _setup(X, y)
    es2 = _Counter()
    epoch = experiments.load_checkpoint(path, model, opt, sched, es2, train.generator)
    assert epoch == 2 and es2.calls == 2
    second = fit(model, train, val, crit, opt, epochs=2, scheduler=sched)
    for key in ("train_loss", "val_loss", "lr"):
        assert first[key] + second[key] == full[key], f"{key} differs after resuming"


def test_grid_order_and_run_grid_rows():
    assert experiments.grid(a=[1, 2], b=["x", "y"]) == [
        {"a": 1, "b": "x"}, {"a": 1, "b": "y"}, {"a": 2, "b": "x"}, {"a": 2, "b": "y"}]
    rows = experiments.run_grid(lambda a, b: {"score": a * len(b)}, a=[1, 2], b=["x", "yy"])
    assert rows[-1] == {"a": 2, "b": "yy", "score": 4}
    with pytest.raises(ValueError):
        experiments.run_grid(lambda a: {"a": 1}, a=[1])


def test_pivot_and_format_table():
    rows = [{"lr": lr, "bs": bs, "acc": lr * 10 + bs} for lr in (0.1, 0.2) for bs in (1, 2, 3)]
    rk, ck, table = experiments.pivot(rows, "lr", "bs", "acc")
    assert rk == [0.1, 0.2] and ck == [1, 2, 3]
    np.testing.assert_allclose(table, [[2, 3, 4], [3, 4, 5]])
    text = experiments.format_table(rk, ck, table, "lr", "bs", digits=1)
    lines = text.splitlines()
    assert lines[0].split() == ["lr", "\\", "bs", "1", "2", "3"]
    assert lines[2].split() == ["0.2", "3.0", "4.0", "5.0"]
    rk, ck, table = experiments.pivot(rows[:-1], "lr", "bs", "acc")
    assert math.isnan(table[1, 2])
    with pytest.raises(ValueError):
        experiments.pivot(rows + rows[:1], "lr", "bs", "acc")


def test_plot_heatmap_titles_and_labels():
    import matplotlib

    matplotlib.use("Agg")
    ax = experiments.plot_heatmap([1, 2], ["a", "b"], np.eye(2), "rows", "cols", "T")
    assert ax.get_title() == "T" and ax.get_xlabel() == "cols" and ax.get_ylabel() == "rows"
    assert len(ax.texts) == 4
