"""A two-layer ReLU network's loss and gradients as a chain of pure functions, one per layer, each
returning its output and a closure that maps the upstream gradient to the gradients it owns (the
vector-Jacobian product, as autograd composes them)."""

from __future__ import annotations

from typing import Callable, NamedTuple

import numpy as np

Backward = Callable[[np.ndarray], tuple]


class Linear(NamedTuple):
    weight: np.ndarray
    bias: np.ndarray


def _validate(x, targets, first: Linear, second: Linear) -> None:
    if x.ndim != 2 or x.dtype.kind != "f" or x.dtype.itemsize not in (4, 8):
        raise ValueError(f"x must be a 2-D float32 or float64 array, got {x.dtype} {x.shape}")
    n, d = x.shape
    if targets.shape != (n,):
        raise ValueError(f"targets must have shape ({n},), got {targets.shape}")
    checks = ((first.weight, 2, d, "W1"), (second.weight, 2, first.weight.shape[0] if first.weight.ndim else -1, "W2"))
    for w, ndim, fan_in, name in checks:
        if w.ndim != ndim or w.shape[1] != fan_in:
            raise ValueError(f"{name} has shape {w.shape}, which does not fit")
    for layer, name in ((first, "b1"), (second, "b2")):
        if layer.bias.shape != (layer.weight.shape[0],):
            raise ValueError(f"{name} has shape {layer.bias.shape}; expected ({layer.weight.shape[0]},)")
    other = [name for name, a in zip(("W1", "b1", "W2", "b2"), (*first, *second)) if a.dtype != x.dtype]
    if other:
        raise ValueError(f"{', '.join(other)} must have the dtype of x ({x.dtype})")
    classes = second.weight.shape[0]
    if targets.size and (targets.min() < 0 or targets.max() >= classes):
        raise IndexError(f"targets must lie in [0, {classes})")


def linear(x: np.ndarray, layer: Linear) -> tuple[np.ndarray, Backward]:
    def backward(dy):
        return dy @ layer.weight, np.einsum("no,ni->oi", dy, x), np.einsum("no->o", dy)

    return np.einsum("ni,oi->no", x, layer.weight) + layer.bias, backward


def relu(a: np.ndarray) -> tuple[np.ndarray, Backward]:
    on = a > 0
    return a * on, lambda dy: (dy * on,)


def cross_entropy(z: np.ndarray, targets: np.ndarray) -> tuple[np.ndarray, Backward]:
    m = np.max(z, axis=1, keepdims=True)
    lse = m[:, 0] + np.log(np.sum(np.exp(z - m), axis=1))
    picked = np.take_along_axis(z, targets[:, None], axis=1)[:, 0]
    n = z.shape[0]

    def backward(dloss):
        probs = np.exp(z - lse[:, None])
        np.put_along_axis(probs, targets[:, None], np.take_along_axis(probs, targets[:, None], axis=1) - 1, axis=1)
        return (probs * (dloss / n),)

    return np.mean(lse - picked), backward


def mlp_forward_backward(x, targets, W1, b1, W2, b2):
    first, second = Linear(W1, b1), Linear(W2, b2)
    _validate(x, targets, first, second)
    a1, back1 = linear(x, first)
    h1, back_relu = relu(a1)
    z, back2 = linear(h1, second)
    loss, back_loss = cross_entropy(z, targets)
    (dz,) = back_loss(np.ones((), dtype=x.dtype))
    dh1, dW2, db2 = back2(dz)
    (da1,) = back_relu(dh1)
    _, dW1, db1 = back1(da1)
    return loss, {"W1": dW1, "b1": db1, "W2": dW2, "b2": db2}
