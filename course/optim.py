"""Optimizers written out by hand on NumPy vectors, 2-D test surfaces, and trajectory helpers.

Chapter 3 uses these to *see* what an optimizer does: each class below keeps its state in plain
attributes and implements one update rule in a few lines, and :func:`trajectory` records the path
it takes on a surface. The tests check every rule against ``torch.optim`` step for step, so the
hand-written versions follow PyTorch's conventions (defaults, where ``lr`` enters, ``eps``
placement). Adam is deliberately absent: it is the graded exercise ``adam``; for Adam/AdamW paths
use :func:`torch_trajectory` with ``torch.optim.Adam``.

Update rules (``g`` is the gradient at ``w``, every operation elementwise):

* ``GD``:            ``w = w - lr * g``
* ``MomentumSeed``:  ``v = mu * v - lr * g;  w = w + v``            (the lesson texts' form)
* ``Momentum``:      ``b = mu * b + g;  w = w - lr * b``            (``torch.optim.SGD``)
  with ``nesterov=True``: ``w = w - lr * (g + mu * b)``
* ``AdaGrad``:       ``s = s + g**2;  w = w - lr * g / (sqrt(s) + eps)``          (``torch.optim.Adagrad``)
* ``RMSprop``:       ``s = alpha * s + (1 - alpha) * g**2;  w = w - lr * g / (sqrt(s) + eps)``
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Protocol

import numpy as np
import torch

Array = np.ndarray


class HandOptimizer(Protocol):
    """Anything with a mutable ``lr`` and ``step(w, g) -> new w``."""

    lr: float

    def step(self, w: Array, g: Array) -> Array: ...


class GD:
    """Plain (stochastic) gradient descent: ``w = w - lr * g``."""

    def __init__(self, lr: float) -> None:
        self.lr = lr

    def step(self, w: Array, g: Array) -> Array:
        return w - self.lr * g


class MomentumSeed:
    """Momentum as the lesson texts write it: ``v = mu v - lr g;  w = w + v``.

    The velocity ``v`` already contains the learning rate of every past step.
    """

    def __init__(self, lr: float, mu: float = 0.9) -> None:
        self.lr, self.mu = lr, mu
        self.v: Array | None = None

    def step(self, w: Array, g: Array) -> Array:
        if self.v is None:
            self.v = np.zeros_like(w, dtype=float)
        self.v = self.mu * self.v - self.lr * g
        return w + self.v


class Momentum:
    """Momentum as ``torch.optim.SGD(momentum=mu, nesterov=...)`` (dampening 0) implements it.

    ``b = mu b + g`` (``b = g`` at the first step), then ``w = w - lr b``, or with Nesterov
    ``w = w - lr (g + mu b)``. The buffer ``b`` holds gradients only; ``lr`` multiplies it afresh
    at every step.
    """

    def __init__(self, lr: float, momentum: float = 0.9, nesterov: bool = False) -> None:
        self.lr, self.momentum, self.nesterov = lr, momentum, nesterov
        self.buf: Array | None = None

    def step(self, w: Array, g: Array) -> Array:
        if self.buf is None:
            self.buf = np.array(g, dtype=float)
        else:
            self.buf = self.momentum * self.buf + g
        d = g + self.momentum * self.buf if self.nesterov else self.buf
        return w - self.lr * d


class AdaGrad:
    """``torch.optim.Adagrad`` (no ``lr_decay``): ``s += g**2;  w -= lr g / (sqrt(s) + eps)``."""

    def __init__(self, lr: float = 1e-2, eps: float = 1e-10) -> None:
        self.lr, self.eps = lr, eps
        self.s: Array | None = None

    def step(self, w: Array, g: Array) -> Array:
        if self.s is None:
            self.s = np.zeros_like(w, dtype=float)
        self.s = self.s + g * g
        return w - self.lr * g / (np.sqrt(self.s) + self.eps)


class RMSprop:
    """``torch.optim.RMSprop`` (no momentum, not centered):
    ``s = alpha s + (1 - alpha) g**2;  w -= lr g / (sqrt(s) + eps)``."""

    def __init__(self, lr: float = 1e-2, alpha: float = 0.99, eps: float = 1e-8) -> None:
        self.lr, self.alpha, self.eps = lr, alpha, eps
        self.s: Array | None = None

    def step(self, w: Array, g: Array) -> Array:
        if self.s is None:
            self.s = np.zeros_like(w, dtype=float)
        self.s = self.alpha * self.s + (1 - self.alpha) * g * g
        return w - self.lr * g / (np.sqrt(self.s) + self.eps)


# ----------------------------------------------------------------------------- surfaces


@dataclass(frozen=True)
class Surface:
    """A 2-D test function. ``f(x, y)`` works on floats, NumPy arrays and torch tensors."""

    name: str
    f: Callable
    grad: Callable[[Array], Array]
    minimum: tuple[float, float]
    start: tuple[float, float]
    xlim: tuple[float, float]
    ylim: tuple[float, float]

    def __call__(self, x, y):
        return self.f(x, y)


def ill_conditioned(scale: float = 20.0) -> Surface:
    """The quadratic ``f = (x**2 + scale * y**2) / 2``: curvature 1 along x, ``scale`` along y.

    Its condition number is ``scale``: gradient descent needs ``lr < 2 / scale`` to stay stable in y,
    and then crawls along x.
    """

    def f(x, y):
        return 0.5 * (x**2 + scale * y**2)

    def grad(w: Array) -> Array:
        return np.array([w[0], scale * w[1]], dtype=float)

    return Surface(f"quadratic (condition number {scale:g})", f, grad, (0.0, 0.0), (-4.0, 1.0),
                   (-4.5, 1.5), (-1.5, 1.5))


def rosenbrock(a: float = 1.0, b: float = 100.0) -> Surface:
    """Rosenbrock's banana ``f = (a - x)**2 + b (y - x**2)**2``, minimum at ``(a, a**2)``."""

    def f(x, y):
        return (a - x) ** 2 + b * (y - x**2) ** 2

    def grad(w: Array) -> Array:
        x, y = float(w[0]), float(w[1])
        return np.array([-2 * (a - x) - 4 * b * x * (y - x**2), 2 * b * (y - x**2)])

    return Surface("Rosenbrock", f, grad, (a, a * a), (-1.2, 1.0), (-1.5, 1.5), (-0.5, 1.5))


# ----------------------------------------------------------------------------- trajectories


def trajectory(
    opt: HandOptimizer,
    grad: Callable[[Array], Array],
    w0,
    steps: int,
    lr_at: Callable[[int], float] | None = None,
) -> Array:
    """Run ``steps`` updates of a hand-written optimizer from ``w0``; return the ``(steps + 1, d)`` path.

    ``lr_at(t)``, if given, sets ``opt.lr`` before step ``t`` (``t = 0, 1, ...``): a schedule.
    """
    w = np.array(w0, dtype=float)
    path = [w.copy()]
    for t in range(steps):
        if lr_at is not None:
            opt.lr = lr_at(t)
        w = opt.step(w, grad(w))
        path.append(w.copy())
    return np.stack(path)


def torch_trajectory(
    optimizer_cls: type[torch.optim.Optimizer] | Callable[..., torch.optim.Optimizer],
    f: Callable,
    w0,
    steps: int,
    **kwargs,
) -> Array:
    """The path of a ``torch.optim`` optimizer minimising ``f(x, y)`` over one 2-element parameter.

    ``kwargs`` go to the optimizer (``lr=...``, ``momentum=...``). Computed in float64 so that
    paths can be compared with the NumPy optimizers to ~1e-12.
    """
    w = torch.tensor(np.asarray(w0, dtype=float), dtype=torch.float64, requires_grad=True)
    opt = optimizer_cls([w], **kwargs)
    path = [w.detach().numpy().copy()]
    for _ in range(steps):
        opt.zero_grad()
        f(w[0], w[1]).backward()
        opt.step()
        path.append(w.detach().numpy().copy())
    return np.stack(path)


# ----------------------------------------------------------------------------- linear regression


def linreg_grad(wb: Array, x: Array, y: Array) -> Array:
    """Gradient of the mean squared error ``mean((w x + b - y)**2)`` with respect to ``(w, b)``."""
    r = wb[0] * x + wb[1] - y
    return np.array([2 * np.mean(r * x), 2 * np.mean(r)])


def mse_surface(x: Array, y: Array) -> Callable[[Array, Array], Array]:
    """``f(W, B)``: the mean squared error of the line ``W x + B`` on ``(x, y)``, for grids W, B."""
    x = np.asarray(x, dtype=float).ravel()
    y = np.asarray(y, dtype=float).ravel()
    sx, sy, sxx, sxy, syy = x.mean(), y.mean(), (x * x).mean(), (x * y).mean(), (y * y).mean()

    def f(W, B):
        # the expanded square, so a 300x300 grid costs no more than one point
        return W**2 * sxx + 2 * W * B * sx + B**2 - 2 * W * sxy - 2 * B * sy + syy

    return f


def sgd_linreg_path(
    x: Array,
    y: Array,
    w0,
    lr: float,
    batch_size: int,
    epochs: int,
    seed: int = 0,
) -> Array:
    """Mini-batch SGD on the line fit, one shuffled pass per epoch; returns the path of ``(w, b)``.

    ``batch_size = len(x)`` is full-batch gradient descent.
    """
    x = np.asarray(x, dtype=float).ravel()
    y = np.asarray(y, dtype=float).ravel()
    rng = np.random.default_rng(seed)
    wb = np.array(w0, dtype=float)
    path = [wb.copy()]
    for _ in range(epochs):
        order = rng.permutation(len(x))
        for start in range(0, len(x), batch_size):
            idx = order[start:start + batch_size]
            wb = wb - lr * linreg_grad(wb, x[idx], y[idx])
            path.append(wb.copy())
    return np.stack(path)


# ---------------------------------------------------------------- momentum on a quadratic -----
def heavy_ball_rate(lr: float, momentum: float, curvature: float) -> float:
    """How fast momentum (heavy ball, either form) shrinks the error along one eigendirection of a
    quadratic: the largest |root| of ``r**2 - (1 + momentum - lr * curvature) * r + momentum``.

    Along a direction of curvature ``c`` the iterates obey ``e[t+1] = (1 + mu - lr c) e[t] - mu e[t-1]``;
    the error shrinks like ``rate**t``. With ``momentum = 0`` this is gradient descent's ``|1 - lr c|``.
    When the roots are complex (``(1 + mu - lr c)**2 < 4 mu``: the *underdamped* case) the iterates
    oscillate and the rate is ``sqrt(mu)`` whatever the curvature.
    """
    roots = np.roots([1.0, -(1.0 + momentum - lr * curvature), momentum])
    return float(np.abs(roots).max())


def is_underdamped(lr: float, momentum: float, curvature: float) -> bool:
    """Whether momentum oscillates along a direction of this curvature (complex roots)."""
    return (1.0 + momentum - lr * curvature) ** 2 < 4.0 * momentum


def critical_momentum(lr: float, curvature: float) -> float:
    """The momentum at which a direction of this curvature is critically damped,
    ``(1 - sqrt(lr * curvature))**2`` (for ``lr * curvature <= 1``): any larger momentum oscillates."""
    return float((1.0 - np.sqrt(lr * curvature)) ** 2)


def best_heavy_ball(curvature_min: float, curvature_max: float) -> tuple[float, float, float]:
    """Polyak's tuning for a quadratic with curvatures in ``[m, L]``: ``(lr, momentum, rate)`` with
    ``lr = 4 / (sqrt(L) + sqrt(m))**2``, ``momentum = ((sqrt(k) - 1) / (sqrt(k) + 1))**2`` for the
    condition number ``k = L / m``, and the rate ``sqrt(momentum)`` in every direction."""
    sl, sm = np.sqrt(curvature_max), np.sqrt(curvature_min)
    lr = 4.0 / (sl + sm) ** 2
    momentum = ((sl - sm) / (sl + sm)) ** 2
    return float(lr), float(momentum), float(np.sqrt(momentum))
