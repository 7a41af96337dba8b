"""course.initialization: the schemes' standard deviations, and what they do to a deep network."""

import math

import pytest
import torch
from torch import nn

from course import initialization as ini


@pytest.mark.parametrize("scheme, expected", [
    ("small", 0.01), ("normal", 1.0), ("default", 1 / math.sqrt(3 * 200)),
    ("xavier", math.sqrt(2 / (200 + 50))), ("he", math.sqrt(2 / 200)),
])
def test_init_std_formulas(scheme, expected):
    assert ini.init_std(scheme, 200, 50) == pytest.approx(expected)


def test_init_std_rejects_unknown_scheme():
    with pytest.raises(ValueError, match="unknown init"):
        ini.init_std("glorot", 3, 3)


@pytest.mark.parametrize("scheme, torch_init", [
    ("xavier", lambda w: nn.init.xavier_normal_(w)),
    ("he", lambda w: nn.init.kaiming_normal_(w, nonlinearity="relu")),
    ("default", lambda w: nn.init.kaiming_uniform_(w, a=math.sqrt(5))),
])
def test_drawn_weights_have_the_std_of_torch_init(scheme, torch_init):
    ours = ini.init_linear_(nn.Linear(400, 300), scheme, torch.Generator().manual_seed(0)).weight
    theirs = torch.empty(300, 400)
    torch.manual_seed(0)
    torch_init(theirs)
    assert ours.std().item() == pytest.approx(theirs.std().item(), rel=0.02)


def test_deep_mlp_structure_and_seed():
    m = ini.deep_mlp(3, 16, in_features=5, out_features=2, activation="tanh", init="xavier", norm="batch")
    kinds = [type(x).__name__ for x in m]
    assert kinds == ["Linear", "BatchNorm1d", "Tanh"] * 3 + ["Linear"]
    again = ini.deep_mlp(3, 16, in_features=5, out_features=2, activation="tanh", init="xavier", norm="batch")
    assert all(torch.equal(a, b) for a, b in zip(m.state_dict().values(), again.state_dict().values()))
    assert torch.count_nonzero(m[0].bias) == 0
    with pytest.raises(ValueError):
        ini.deep_mlp(2, 4, activation="gelu")


def _stats(activation, init, depth=20, norm=None):
    g = torch.Generator().manual_seed(1)
    x, y = torch.randn(256, 64, generator=g), torch.randint(0, 10, (256,), generator=g)
    return ini.signal_stats(ini.deep_mlp(depth, 128, activation=activation, init=init, norm=norm), x, y)


def test_he_keeps_relu_signals_alive_and_xavier_lets_them_decay():
    he, xavier = _stats("relu", "he"), _stats("relu", "xavier")
    assert len(he.act_std) == len(he.grad_std) == len(he.weight_grad_std) == 20
    assert 0.3 < he.act_std[-1] / he.act_std[0] < 3
    assert 0.3 < he.grad_std[0] / he.grad_std[-1] < 3
    assert xavier.act_std[-1] / xavier.act_std[0] < 1e-3   # about 2**(-19/2)


def test_large_weights_saturate_tanh_and_small_weights_vanish():
    big, small = _stats("tanh", "normal"), _stats("tanh", "small")
    assert big.saturated[-1] > 0.5 and small.saturated[-1] == 0.0
    assert small.act_std[-1] < 1e-15
    assert big.grad_std[0] > 1e3 * big.grad_std[-1]


def test_batch_norm_rescues_the_small_init():
    s = _stats("relu", "small", norm="batch")
    assert 0.3 < s.act_std[-1] < 1.0   # ReLU of a standardised signal: std sqrt((pi-1)/(2pi)) = 0.58


def test_signal_stats_leaves_no_hooks_and_no_gradients():
    m = ini.deep_mlp(2, 8, in_features=4, out_features=3)
    ini.signal_stats(m, torch.randn(5, 4), torch.tensor([0, 1, 2, 0, 1]))
    assert all(p.grad is None for p in m.parameters())
    assert all(not mod._forward_hooks for mod in m)
