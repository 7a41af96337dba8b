"""Tests of course.backprop: the hand-written backward pass, the gradient check, gradient flow."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from course import backprop


def _batch(n=8, n_in=5, n_out=3, seed=0):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((n, n_in)), rng.integers(0, n_out, n)


def _autograd(params, X, y, activation):
    t = {k: torch.tensor(v, requires_grad=True) for k, v in params.items()}
    h = torch.tanh if activation == "tanh" else torch.relu
    z = h(torch.tensor(X) @ t["W1"] + t["b1"]) @ t["W2"] + t["b2"]
    loss = torch.nn.functional.cross_entropy(z, torch.tensor(y))
    loss.backward()
    return loss.item(), {k: v.grad.numpy() for k, v in t.items()}


@pytest.mark.parametrize("activation", ["tanh", "relu"])
def test_hand_gradients_equal_autograd(activation):
    X, y = _batch()
    params = backprop.init_params(5, 7, 3, seed=1)
    loss, grads = backprop.loss_and_grads(params, X, y, activation)
    ref_loss, ref = _autograd(params, X, y, activation)
    assert loss == pytest.approx(ref_loss, rel=1e-12)
    for k in params:
        assert grads[k].shape == params[k].shape
        np.testing.assert_allclose(grads[k], ref[k], rtol=1e-10, atol=1e-12, err_msg=k)


def test_gradient_check_passes_on_correct_gradients():
    X, y = _batch()
    params = backprop.init_params(5, 7, 3, seed=1)
    _, grads = backprop.loss_and_grads(params, X, y)
    errors = backprop.gradient_check(lambda: backprop.forward(params, X, y)[0], params, grads)
    assert max(errors.values()) < 1e-7, errors


def test_gradient_check_catches_a_wrong_gradient():
    X, y = _batch()
    params = backprop.init_params(5, 7, 3, seed=1)
    _, grads = backprop.loss_and_grads(params, X, y)
    grads["b1"] = 2 * grads["b1"]  # a classic bug: a factor dropped or doubled
    errors = backprop.gradient_check(lambda: backprop.forward(params, X, y)[0], params, grads)
    assert errors["b1"] > 0.1 and errors["W1"] < 1e-7


def test_numerical_gradient_restores_parameters_and_is_exact_for_a_quadratic():
    x = np.array([1.0, -2.0, 3.0])
    before = x.copy()
    g = backprop.numerical_gradient(lambda: float((x**2).sum()), x)
    np.testing.assert_allclose(g, 2 * before, rtol=1e-9)
    np.testing.assert_array_equal(x, before)


def test_relative_error():
    assert backprop.relative_error(np.zeros(3), np.zeros(3)) == 0.0
    assert backprop.relative_error(2.0, 2.2) == pytest.approx(0.2 / 2.2)
    a, b = np.array([3.0, 0.0]), np.array([3.0, 4.0])
    assert backprop.relative_error(a, b) == pytest.approx(4.0 / 5.0)
    a, b = np.array([1.0, 1e-9]), np.array([1.0, 2e-9])
    assert backprop.relative_error(a, b) < 1e-8, "the norm version ignores a tiny entry's noise"
    assert backprop.relative_error(a, b, elementwise=True) == pytest.approx(0.5)


def test_unknown_activation_is_rejected():
    X, y = _batch()
    with pytest.raises(ValueError):
        backprop.forward(backprop.init_params(5, 7, 3), X, y, activation="gelu")


def test_sigmoid_gradients_vanish_and_large_init_explodes():
    g = torch.Generator().manual_seed(0)
    X, y = torch.randn(64, 16, generator=g), torch.randint(0, 4, (64,), generator=g)
    sig = backprop.layer_grad_norms(backprop.deep_mlp(10, 32, 16, 4, "sigmoid"), X, y)
    relu = backprop.layer_grad_norms(backprop.deep_mlp(10, 32, 16, 4, "relu", init="kaiming"), X, y)
    big = backprop.layer_grad_norms(backprop.deep_mlp(10, 32, 16, 4, "relu", init="1.0"), X, y)
    assert len(sig) == 11
    assert sig[0] / sig[-1] < 1e-4, "sigmoid: the first layer's gradient should be tiny next to the last's"
    assert 1e-2 < relu[0] / relu[-1] < 1e2, "ReLU + Kaiming: gradients should keep their scale"
    assert big[0] > 1e3 * relu[0], "a too-large init should blow the first layer's gradient up"


def test_grad_fn_chain_names_the_operations():
    w = torch.tensor(2.0, requires_grad=True)
    loss = (w * 3.0 + 1.0) ** 2
    chain = backprop.grad_fn_chain(loss)
    assert chain[:3] == ["PowBackward0", "AddBackward0", "MulBackward0"]
    assert chain[-1] == "AccumulateGrad"


def test_draw_graph_draws_every_node_and_edge():
    import matplotlib
    import matplotlib.text

    matplotlib.use("Agg")
    nodes = {"x": (0, 0, "x"), "w": (0, 1, "w"), "m": (1, 0.5, "*")}
    fig = backprop.draw_graph(nodes, [("x", "m"), ("w", "m")], title="t", edge_labels={("x", "m"): "w"})
    ax = fig.axes[0]
    assert ax.get_title() == "t"
    labels = sorted(t.get_text() for t in ax.texts if t.get_text())
    arrows = [t for t in ax.texts if isinstance(t, matplotlib.text.Annotation)]
    assert labels == ["*", "w", "w", "x"]  # three nodes and one edge label
    assert len(arrows) == 2
