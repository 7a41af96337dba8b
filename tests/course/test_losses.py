"""Tests of course.losses: every hand-written loss agrees with PyTorch's own."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import nn

from course import losses


@pytest.fixture
def batch():
    g = torch.Generator().manual_seed(0)
    logits = 3 * torch.randn(16, 5, generator=g, dtype=torch.float64)
    target = torch.randint(0, 5, (16,), generator=g)
    return logits, target


def test_logsumexp_matches_torch_and_survives_large_logits():
    x = torch.tensor([[1000.0, 999.0, 0.0], [-1000.0, -1001.0, -1002.0], [1.0, 2.0, 3.0]])
    torch.testing.assert_close(losses.logsumexp(x), torch.logsumexp(x, dim=-1))
    assert torch.isinf(losses.naive_logsumexp(x)[0]), "the naive version should overflow at 1000"
    assert torch.isinf(losses.naive_logsumexp(x)[1]), "the naive version should underflow to log(0) at -1000"
    assert torch.isfinite(losses.logsumexp(x)).all()


def test_logsumexp_all_minus_inf_row_is_minus_inf():
    x = torch.full((1, 3), float("-inf"))
    assert losses.logsumexp(x).item() == float("-inf")


def test_log_softmax_matches_torch(batch):
    logits, _ = batch
    torch.testing.assert_close(losses.log_softmax(logits, dim=1), F.log_softmax(logits, dim=1))


@pytest.mark.parametrize("eps", [0.0, 0.1, 0.3])
def test_smooth_targets_give_pytorch_label_smoothing(batch, eps):
    logits, target = batch
    q = losses.smooth_targets(target, 5, eps, dtype=logits.dtype)
    assert q.dtype == torch.float64
    torch.testing.assert_close(q.sum(1), torch.ones(16, dtype=logits.dtype))
    ours = losses.soft_cross_entropy(logits, q)
    torch.testing.assert_close(ours, F.cross_entropy(logits, target, label_smoothing=eps))


def test_smooth_targets_values():
    q = losses.smooth_targets(torch.tensor([2]), 4, 0.1)
    torch.testing.assert_close(q, torch.tensor([[0.025, 0.025, 0.925, 0.025]]))


def test_lesson_convention_differs_from_pytorch(batch):
    logits, target = batch
    q = losses.smooth_targets_others(torch.tensor([2]), 4, 0.1)
    torch.testing.assert_close(q, torch.tensor([[0.1 / 3, 0.1 / 3, 0.9, 0.1 / 3]]))
    q_all = losses.smooth_targets_others(target, 5, 0.1, dtype=logits.dtype)
    ours = losses.soft_cross_entropy(logits, q_all)
    assert not torch.allclose(ours, F.cross_entropy(logits, target, label_smoothing=0.1))


def test_soft_cross_entropy_with_one_hot_equals_integer_targets(batch):
    logits, target = batch
    one_hot = F.one_hot(target, 5).to(logits.dtype)
    torch.testing.assert_close(losses.soft_cross_entropy(logits, one_hot), F.cross_entropy(logits, target))


def test_focal_loss_with_gamma_zero_is_cross_entropy(batch):
    logits, target = batch
    torch.testing.assert_close(losses.focal_loss(logits, target, gamma=0.0), F.cross_entropy(logits, target))


def test_focal_loss_down_weights_easy_examples():
    logits = torch.tensor([[4.0, 0.0], [0.5, 0.0]])  # an easy and a hard example of class 0
    target = torch.tensor([0, 0])
    ce = losses.focal_loss(logits, target, gamma=0.0, reduction="none")
    fl = losses.focal_loss(logits, target, gamma=2.0, reduction="none")
    ratio = fl / ce
    assert ratio[0] < 0.001 and ratio[1] > 0.1, "the easy example must lose far more weight than the hard one"


def test_focal_loss_alpha_weights_per_class(batch):
    logits, target = batch
    alpha = torch.linspace(0.5, 1.5, 5, dtype=logits.dtype)
    expected = alpha[target] * losses.focal_loss(logits, target, gamma=2.0, reduction="none")
    torch.testing.assert_close(losses.focal_loss(logits, target, gamma=2.0, alpha=alpha, reduction="none"), expected)


def test_binary_focal_matches_torchvision():
    ops = pytest.importorskip("torchvision.ops")
    g = torch.Generator().manual_seed(1)
    z = 5 * torch.randn(64, generator=g, dtype=torch.float64)
    y = (torch.rand(64, generator=g) < 0.3).double()
    for gamma, alpha in [(2.0, 0.25), (0.5, -1)]:
        ref = ops.sigmoid_focal_loss(z, y, alpha=alpha, gamma=gamma, reduction="mean")
        ours = losses.binary_focal_loss_with_logits(z, y, gamma=gamma, alpha=None if alpha < 0 else alpha)
        torch.testing.assert_close(ours, ref)


def test_binary_focal_gamma_zero_no_alpha_is_bce_with_logits():
    z = torch.tensor([-30.0, -1.0, 0.0, 2.0, 40.0])
    y = torch.tensor([1.0, 0.0, 1.0, 1.0, 0.0])
    torch.testing.assert_close(
        losses.binary_focal_loss_with_logits(z, y, gamma=0.0, alpha=None), F.binary_cross_entropy_with_logits(z, y)
    )


def test_loss_and_grad_of_huber():
    r = torch.tensor([-3.0, -0.5, 0.0, 0.5, 3.0])
    value, grad = losses.loss_and_grad(nn.HuberLoss(reduction="none", delta=1.0), r)
    torch.testing.assert_close(value, torch.tensor([2.5, 0.125, 0.0, 0.125, 2.5]))
    torch.testing.assert_close(grad, torch.tensor([-1.0, -0.5, 0.0, 0.5, 1.0]))


def test_reduction_is_validated(batch):
    logits, target = batch
    with pytest.raises(ValueError):
        losses.focal_loss(logits, target, reduction="avg")


def test_compare_on_imbalanced_is_deterministic_and_focal_gamma0_is_bce():
    crit = {
        "bce": F.binary_cross_entropy_with_logits,
        "focal0": lambda z, y: losses.binary_focal_loss_with_logits(z, y, gamma=0.0, alpha=None),
    }
    a = losses.compare_on_imbalanced(crit, seeds=(0,), steps=15, n_samples=600)
    b = losses.compare_on_imbalanced(crit, seeds=(0,), steps=15, n_samples=600)
    assert a["bce"].shape == (1, len(losses.IMBALANCE_METRICS))
    np.testing.assert_array_equal(a["bce"], b["bce"])
    np.testing.assert_allclose(a["bce"], a["focal0"], atol=1e-6)
    assert ((a["bce"] >= 0) & (a["bce"] <= 1)).all()


def test_make_imbalanced_has_about_five_percent_positives():
    X_tr, y_tr, X_te, y_te = losses.make_imbalanced(0, n_samples=2000)
    assert X_tr.shape == (1000, 20) and X_te.shape == (1000, 20)
    assert 0.03 < y_tr.mean().item() < 0.08 and 0.03 < y_te.mean() < 0.08
    torch.testing.assert_close(X_tr.mean(0), torch.zeros(20), atol=1e-5, rtol=0)
