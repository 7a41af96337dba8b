"""course.diagnostics: the gradient-norm monitor, overfitting one batch, the softmax-CE floor."""

import math

import pytest
import torch
from torch import nn

from course import diagnostics
from course.data import make_loaders
from course.training import fit, set_seed


def _model():
    set_seed(0)
    return nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 3))


def test_monitor_records_what_clip_grad_norm_computes():
    model = _model()
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    monitor = diagnostics.GradNormMonitor(model).attach(opt)
    x, y = torch.randn(16, 4), torch.randint(0, 3, (16,))
    nn.functional.cross_entropy(model(x), y).backward()
    expected = nn.utils.clip_grad_norm_(model.parameters(), max_norm=math.inf).item()
    before = model[0].weight.detach().clone()
    opt.step()
    assert monitor.steps == 1
    assert monitor.total[0] == pytest.approx(expected, rel=1e-6)
    assert monitor.per_param["0.weight"][0] == pytest.approx(model[0].weight.grad.norm().item())
    assert set(monitor.update_ratio) == {"0.weight", "2.weight"}
    ratio = (model[0].weight.detach() - before).norm() / before.norm()
    assert monitor.update_ratio["0.weight"][0] == pytest.approx(ratio.item(), rel=1e-5)


def test_monitor_counts_every_step_of_fit_and_detaches():
    g = torch.Generator().manual_seed(0)
    X, y = torch.randn(40, 4, generator=g), torch.randint(0, 3, (40,), generator=g)
    train, val = make_loaders(X[:32], y[:32], X[32:], y[32:], batch_size=8)
    model = _model()
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    monitor = diagnostics.GradNormMonitor(model).attach(opt)
    fit(model, train, val, nn.CrossEntropyLoss(), opt, epochs=3)
    assert monitor.steps == 12 and len(monitor.update_ratio["2.weight"]) == 12
    monitor.detach()
    fit(model, train, val, nn.CrossEntropyLoss(), opt, epochs=1)
    assert monitor.steps == 12


def test_parameter_without_gradient_records_zero():
    model = _model()
    model[2].bias.requires_grad_(True)
    monitor = diagnostics.GradNormMonitor(model)
    monitor.record()
    assert monitor.total == [0.0] and monitor.per_param["2.bias"] == [0.0]


def test_a_correct_model_overfits_one_batch():
    model = _model()
    x, y = torch.randn(8, 4), torch.randint(0, 3, (8,))
    losses = diagnostics.overfit_one_batch(model, x, y, nn.CrossEntropyLoss(),
                                           torch.optim.Adam(model.parameters(), lr=0.05), steps=200)
    assert len(losses) == 200 and losses[-1] < 0.01 * losses[0]


@pytest.mark.parametrize("k", [2, 3, 10])
def test_softmax_before_cross_entropy_cannot_go_below_the_floor(k):
    floor = diagnostics.softmax_ce_floor(k)
    perfect = torch.zeros(1, k)
    perfect[0, 0] = 1.0                 # the best probability vector there is
    assert nn.functional.cross_entropy(perfect, torch.tensor([0])).item() == pytest.approx(floor)
    assert diagnostics.softmax_ce_floor(10) == pytest.approx(1.4612, abs=1e-4)
    with pytest.raises(ValueError):
        diagnostics.softmax_ce_floor(1)
