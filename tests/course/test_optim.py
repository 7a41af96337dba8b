"""The hand-written optimizers of ``course.optim`` follow ``torch.optim`` step for step."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from course import optim

STEPS = 50


@pytest.fixture(params=["quadratic", "rosenbrock"])
def surface(request) -> optim.Surface:
    return optim.ill_conditioned(20.0) if request.param == "quadratic" else optim.rosenbrock()


@pytest.mark.parametrize(
    "hand, torch_cls, kwargs",
    [
        (lambda: optim.GD(lr=1e-3), torch.optim.SGD, dict(lr=1e-3)),
        (lambda: optim.Momentum(lr=1e-3, momentum=0.9), torch.optim.SGD, dict(lr=1e-3, momentum=0.9)),
        (lambda: optim.Momentum(lr=1e-3, momentum=0.9, nesterov=True), torch.optim.SGD,
         dict(lr=1e-3, momentum=0.9, nesterov=True)),
        (lambda: optim.AdaGrad(lr=0.1), torch.optim.Adagrad, dict(lr=0.1)),
        (lambda: optim.RMSprop(lr=1e-2, alpha=0.9), torch.optim.RMSprop, dict(lr=1e-2, alpha=0.9)),
    ],
    ids=["gd", "momentum", "nesterov", "adagrad", "rmsprop"],
)
def test_hand_written_optimizer_matches_torch(surface, hand, torch_cls, kwargs):
    ours = optim.trajectory(hand(), surface.grad, surface.start, STEPS)
    theirs = optim.torch_trajectory(torch_cls, surface.f, surface.start, STEPS, **kwargs)
    assert ours.shape == theirs.shape == (STEPS + 1, 2)
    np.testing.assert_allclose(ours, theirs, rtol=1e-9, atol=1e-12,
                               err_msg=f"{type(hand()).__name__} drifted from {torch_cls.__name__}")


def test_surface_gradients_match_autograd(surface):
    for point in [(0.3, -0.7), (-1.2, 1.5), (2.0, 0.1)]:
        w = torch.tensor(point, dtype=torch.float64, requires_grad=True)
        surface.f(w[0], w[1]).backward()
        np.testing.assert_allclose(surface.grad(np.array(point)), w.grad.numpy(), rtol=1e-12)


def test_surface_minimum_has_zero_gradient(surface):
    np.testing.assert_allclose(surface.grad(np.array(surface.minimum)), [0.0, 0.0], atol=1e-12)


def test_two_momentum_forms_agree_for_constant_lr():
    s = optim.rosenbrock()
    seed_form = optim.trajectory(optim.MomentumSeed(lr=1e-3, mu=0.9), s.grad, s.start, 100)
    torch_form = optim.trajectory(optim.Momentum(lr=1e-3, momentum=0.9), s.grad, s.start, 100)
    np.testing.assert_allclose(seed_form, torch_form, rtol=1e-10, atol=1e-12)


def test_two_momentum_forms_differ_after_lr_change():
    s = optim.ill_conditioned(20.0)
    schedule = lambda t: 0.05 if t < 10 else 0.005  # noqa: E731
    seed_form = optim.trajectory(optim.MomentumSeed(lr=0.05, mu=0.9), s.grad, s.start, 30, lr_at=schedule)
    torch_form = optim.trajectory(optim.Momentum(lr=0.05, momentum=0.9), s.grad, s.start, 30, lr_at=schedule)
    np.testing.assert_allclose(seed_form[:11], torch_form[:11], atol=1e-12)
    assert np.abs(seed_form[11:] - torch_form[11:]).max() > 1e-2
    # PyTorch's buffer is rescaled by the new lr at once: its first step after the change is 10x smaller
    step_seed = np.linalg.norm(seed_form[11] - seed_form[10])
    step_torch = np.linalg.norm(torch_form[11] - torch_form[10])
    assert step_torch < 0.2 * step_seed


def test_torch_trajectory_with_lr_schedule_matches_pytorch_momentum():
    s = optim.ill_conditioned(20.0)
    schedule = lambda t: 0.05 if t < 10 else 0.005  # noqa: E731
    ours = optim.trajectory(optim.Momentum(lr=0.05, momentum=0.9), s.grad, s.start, 20, lr_at=schedule)
    w = torch.tensor(s.start, dtype=torch.float64, requires_grad=True)
    opt = torch.optim.SGD([w], lr=0.05, momentum=0.9)
    for t in range(20):
        opt.param_groups[0]["lr"] = schedule(t)
        opt.zero_grad()
        s.f(w[0], w[1]).backward()
        opt.step()
    np.testing.assert_allclose(ours[-1], w.detach().numpy(), rtol=1e-10)


def test_linreg_grad_matches_autograd():
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=30), rng.normal(size=30)
    wb = torch.tensor([0.4, -0.2], dtype=torch.float64, requires_grad=True)
    ((wb[0] * torch.from_numpy(x) + wb[1] - torch.from_numpy(y)) ** 2).mean().backward()
    np.testing.assert_allclose(optim.linreg_grad(np.array([0.4, -0.2]), x, y), wb.grad.numpy(), rtol=1e-12)


def test_mse_surface_equals_direct_mean_on_a_grid():
    rng = np.random.default_rng(1)
    x, y = rng.normal(size=40), rng.normal(size=40)
    f = optim.mse_surface(x, y)
    W, B = np.meshgrid(np.linspace(-2, 2, 5), np.linspace(-1, 1, 4))
    direct = ((W[..., None] * x + B[..., None] - y) ** 2).mean(-1)
    np.testing.assert_allclose(f(W, B), direct, rtol=1e-10, atol=1e-12)


def test_full_batch_sgd_is_gradient_descent_and_converges():
    rng = np.random.default_rng(2)
    x = rng.uniform(-3, 3, 200)
    y = 2 * x + 1 + 0.1 * rng.normal(size=200)
    path = optim.sgd_linreg_path(x, y, (0.0, 0.0), lr=0.05, batch_size=200, epochs=5)
    gd = optim.trajectory(optim.GD(lr=0.05), lambda wb: optim.linreg_grad(wb, x, y), (0.0, 0.0), 5)
    np.testing.assert_allclose(path, gd)
    long = optim.sgd_linreg_path(x, y, (0.0, 0.0), lr=0.05, batch_size=200, epochs=300)
    np.testing.assert_allclose(long[-1], np.polyfit(x, y, 1), atol=1e-3)


def test_minibatch_sgd_path_length_and_seed():
    x = np.linspace(-1, 1, 50)
    y = 3 * x
    a = optim.sgd_linreg_path(x, y, (0.0, 0.0), lr=0.1, batch_size=10, epochs=3, seed=4)
    b = optim.sgd_linreg_path(x, y, (0.0, 0.0), lr=0.1, batch_size=10, epochs=3, seed=4)
    assert a.shape == (1 + 3 * 5, 2)
    np.testing.assert_array_equal(a, b)


def test_heavy_ball_rate_matches_the_iterates_on_the_quadratic():
    quad = optim.ill_conditioned(20.0)
    for lr, mu in [(0.02, 0.9), (0.09, 0.0), (0.05, 0.5)]:
        path = optim.trajectory(optim.Momentum(lr=lr, momentum=mu), quad.grad, quad.start, 400)
        for axis, curvature in ((0, 1.0), (1, 20.0)):
            rate = optim.heavy_ball_rate(lr, mu, curvature)
            err = np.abs(path[:, axis])
            # the envelope of |error| decays like rate**t (up to a constant and the oscillation)
            measured = (err[200:400].max() / err[:200].max()) ** (1 / 200)
            assert abs(measured - rate) < 0.01, (lr, mu, curvature, measured, rate)


def test_momentum_0_9_is_underdamped_in_both_directions_with_rate_sqrt_mu():
    assert optim.is_underdamped(0.02, 0.9, 1.0) and optim.is_underdamped(0.02, 0.9, 20.0)
    assert optim.heavy_ball_rate(0.02, 0.9, 1.0) == pytest.approx(np.sqrt(0.9))
    assert optim.heavy_ball_rate(0.09, 0.0, 1.0) == pytest.approx(0.91)
    mu = optim.critical_momentum(0.02, 1.0)
    assert not optim.is_underdamped(0.02, mu - 1e-6, 1.0) and optim.is_underdamped(0.02, mu + 1e-6, 1.0)


def test_best_heavy_ball_for_condition_number_20():
    lr, mu, rate = optim.best_heavy_ball(1.0, 20.0)
    assert lr == pytest.approx(4 / (1 + 20**0.5) ** 2) and rate == pytest.approx(np.sqrt(mu))
    for c in (1.0, 20.0):
        assert optim.heavy_ball_rate(lr, mu, c) == pytest.approx(rate, abs=1e-6)
    assert rate < optim.heavy_ball_rate(0.09, 0.0, 1.0)  # faster than the best-possible plain GD here
