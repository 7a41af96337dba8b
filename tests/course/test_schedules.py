"""``course.schedules``: traced curves, warmup + cosine, and the LR range test."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
import torch
from torch import nn

from course import schedules
from course.data import make_loaders


def test_lr_trace_step_lr_follows_the_formula():
    lrs = schedules.lr_trace(lambda o: torch.optim.lr_scheduler.StepLR(o, step_size=5, gamma=0.5), 20, lr=0.1)
    assert len(lrs) == 20
    np.testing.assert_allclose(lrs, [0.1 * 0.5 ** (i // 5) for i in range(20)], rtol=1e-12)


def test_lr_trace_emits_no_order_warning():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        schedules.lr_trace(lambda o: torch.optim.lr_scheduler.CosineAnnealingLR(o, T_max=10), 10)


def test_lr_trace_plateau_needs_metrics_and_reduces():
    make = lambda o: torch.optim.lr_scheduler.ReduceLROnPlateau(o, factor=0.5, patience=2)  # noqa: E731
    with pytest.raises(ValueError):
        schedules.lr_trace(make, 5)
    lrs = schedules.lr_trace(make, 8, lr=1.0, metrics=[1.0] * 8)
    # best at step 0; steps 1, 2 are patience; step 3 is the 3rd bad epoch -> halve for step 4
    assert lrs == [1.0, 1.0, 1.0, 1.0, 0.5, 0.5, 0.5, 0.25]


def test_warmup_cosine_values():
    lrs = schedules.lr_trace(lambda o: schedules.warmup_cosine(o, 10, 110), 111, lr=1.0)
    assert lrs[0] == 0.0
    assert lrs[5] == pytest.approx(0.5)
    assert lrs[10] == pytest.approx(1.0)
    assert lrs[60] == pytest.approx(0.5)
    assert lrs[110] == pytest.approx(0.0, abs=1e-12)
    assert max(lrs) == pytest.approx(1.0)
    assert all(a >= b for a, b in zip(lrs[10:], lrs[11:])), "must not increase after warmup"


def test_warmup_cosine_min_factor_and_validation():
    lrs = schedules.lr_trace(lambda o: schedules.warmup_cosine(o, 2, 12, min_factor=0.1), 20, lr=2.0)
    assert lrs[12] == pytest.approx(0.2) and lrs[19] == pytest.approx(0.2)
    with pytest.raises(ValueError):
        schedules.warmup_cosine(torch.optim.SGD([nn.Parameter(torch.zeros(1))], lr=1.0), 10, 10)


def _toy_problem():
    torch.manual_seed(0)
    X = torch.randn(256, 5)
    y = (X @ torch.tensor([1.0, -2.0, 0.5, 0.0, 3.0]) > 0).long()
    train, _ = make_loaders(X, y, X, y, batch_size=32)
    model = nn.Linear(5, 2)
    return model, train


def test_lr_range_test_lrs_are_geometric_and_state_restored():
    model, loader = _toy_problem()
    opt = torch.optim.SGD(model.parameters(), lr=0.123, momentum=0.9)
    before = {k: v.clone() for k, v in model.state_dict().items()}
    result = schedules.lr_range_test(model, loader, nn.CrossEntropyLoss(), opt,
                                     lr_min=1e-4, lr_max=1.0, num_steps=30, diverge_factor=1e9)
    # 30 steps from 8 batches per epoch: the loader was cycled
    assert len(result.lrs) == len(result.losses) == len(result.smoothed) == 30
    assert result.lrs[0] == pytest.approx(1e-4) and result.lrs[-1] == pytest.approx(1.0)
    ratios = np.array(result.lrs[1:]) / np.array(result.lrs[:-1])
    np.testing.assert_allclose(ratios, ratios[0])
    for k, v in model.state_dict().items():
        torch.testing.assert_close(v, before[k], msg=f"{k} was not restored")
    assert opt.param_groups[0]["lr"] == 0.123 and len(opt.state) == 0


def test_lr_range_test_finds_a_useful_rate_and_stops_on_divergence():
    model, loader = _toy_problem()
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    result = schedules.lr_range_test(model, loader, nn.CrossEntropyLoss(), opt,
                                     lr_min=1e-4, lr_max=1e4, num_steps=100)
    assert result.diverged and len(result.lrs) < 100
    assert min(result.smoothed) < result.smoothed[0] - 0.1, "the loss should fall at good rates"
    lr = schedules.suggest_lr(result)
    assert lr == pytest.approx(result.best_lr / 10)
    assert 1e-4 < lr < result.best_lr


def test_smoothed_loss_is_bias_corrected():
    model, loader = _toy_problem()
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    r = schedules.lr_range_test(model, loader, nn.CrossEntropyLoss(), opt, lr_min=1e-6, lr_max=1e-5,
                                num_steps=5)
    assert r.smoothed[0] == pytest.approx(r.losses[0])
    assert all(math.isfinite(v) for v in r.smoothed)
