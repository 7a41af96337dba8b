"""Weight initialisation and what it does to a deep network's signals (chapter 2b).

For a layer ``a = W h`` with ``fan_in`` inputs, independent zero-mean weights of variance
``Var(W)`` and inputs with second moment ``E[h^2]``::

    Var(a) = fan_in * Var(W) * E[h^2]

so the forward signal keeps its scale when ``fan_in * Var(W) * (E[h^2] / Var(a_prev)) = 1``. The
backward pass multiplies by ``W^T`` instead, with ``fan_out`` in place of ``fan_in``. The schemes:

    lecun   Var(W) = 1 / fan_in                      (linear or tanh around 0, forward only)
    xavier  Var(W) = 2 / (fan_in + fan_out)          (Glorot & Bengio 2010: a compromise of both passes)
    he      Var(W) = 2 / fan_in                      (He et al. 2015: ReLU halves E[h^2])

``torch.nn.init.xavier_normal_`` and ``kaiming_normal_(nonlinearity="relu")`` draw exactly these;
``nn.init.calculate_gain`` gives the factor (1 for linear, 5/3 for tanh, sqrt(2) for ReLU).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import nn

__all__ = ["INITS", "init_std", "init_linear_", "deep_mlp", "SignalStats", "signal_stats"]

INITS = ("small", "normal", "default", "xavier", "he")


def init_std(scheme: str, fan_in: int, fan_out: int) -> float:
    """The standard deviation of a weight under ``scheme``.

    ``"small"`` is ``N(0, 0.01^2)`` and ``"normal"`` is ``N(0, 1)``, whatever the fan (the naive
    choices); ``"default"`` is PyTorch's ``nn.Linear`` default, ``U(-1/sqrt(fan_in), 1/sqrt(fan_in))``,
    whose std is ``1/sqrt(3 fan_in)``; ``"xavier"`` and ``"he"`` as in the module docstring.
    """
    if scheme == "small":
        return 0.01
    if scheme == "normal":
        return 1.0
    if scheme == "default":
        return 1.0 / math.sqrt(3 * fan_in)
    if scheme == "xavier":
        return math.sqrt(2.0 / (fan_in + fan_out))
    if scheme == "he":
        return math.sqrt(2.0 / fan_in)
    raise ValueError(f"unknown init scheme {scheme!r}; choose from {INITS}")


def init_linear_(layer: nn.Linear, scheme: str, generator: torch.Generator | None = None) -> nn.Linear:
    """Re-draw ``layer.weight`` from ``N(0, init_std(...)^2)`` and zero the bias, in place.

    ``"default"`` keeps (re-draws) PyTorch's own uniform initialisation instead.
    """
    with torch.no_grad():
        if scheme == "default":
            bound = 1.0 / math.sqrt(layer.in_features)
            layer.weight.uniform_(-bound, bound, generator=generator)
            if layer.bias is not None:
                layer.bias.uniform_(-bound, bound, generator=generator)
            return layer
        std = init_std(scheme, layer.in_features, layer.out_features)
        layer.weight.normal_(0.0, std, generator=generator)
        if layer.bias is not None:
            layer.bias.zero_()
    return layer


_ACTIVATIONS = {"tanh": nn.Tanh, "relu": nn.ReLU, "linear": nn.Identity}
_NORMS = {"batch": nn.BatchNorm1d, "layer": nn.LayerNorm}


def deep_mlp(
    depth: int,
    width: int,
    in_features: int = 64,
    out_features: int = 10,
    activation: str = "relu",
    init: str = "he",
    norm: str | None = None,
    seed: int = 0,
) -> nn.Sequential:
    """``depth`` blocks ``Linear -> [norm] -> activation`` of ``width`` units and a linear head.

    Every ``nn.Linear`` (the head too) is initialised with ``init`` (see :func:`init_std`), drawn
    from a generator seeded with ``seed``. ``norm`` is ``None``, ``"batch"`` (``BatchNorm1d``) or
    ``"layer"`` (``LayerNorm``), placed before the activation as in most modern networks.
    """
    if activation not in _ACTIVATIONS:
        raise ValueError(f"activation must be one of {sorted(_ACTIVATIONS)}, got {activation!r}")
    if norm is not None and norm not in _NORMS:
        raise ValueError(f"norm must be None or one of {sorted(_NORMS)}, got {norm!r}")
    g = torch.Generator().manual_seed(seed)
    layers: list[nn.Module] = []
    w = in_features
    for _ in range(depth):
        layers.append(init_linear_(nn.Linear(w, width), init, g))
        if norm is not None:
            layers.append(_NORMS[norm](width))
        layers.append(_ACTIVATIONS[activation]())
        w = width
    layers.append(init_linear_(nn.Linear(w, out_features), init, g))
    return nn.Sequential(*layers)


@dataclass
class SignalStats:
    """Per hidden block, input side first: the std of its output (after the activation), of the
    gradient of the loss with respect to that output, and of the gradient of its weight."""

    act_std: list[float]
    grad_std: list[float]
    weight_grad_std: list[float]
    saturated: list[float]  # fraction of |activation| > 0.99 (tanh) - 0.0 for other activations


def signal_stats(model: nn.Sequential, x: torch.Tensor, y: torch.Tensor) -> SignalStats:
    """One forward and backward pass of the cross-entropy on ``(x, y)``, measuring every block.

    A block ends at each activation module (``Tanh``, ``ReLU``, ``Identity``) of ``model``; the
    head is not a block. The model is left with no gradients stored.
    """
    acts: list[torch.Tensor] = []
    hooks = []

    def keep(_module, _inputs, output):
        output.retain_grad()
        acts.append(output)

    for m in model:
        if isinstance(m, tuple(_ACTIVATIONS.values())):
            hooks.append(m.register_forward_hook(keep))
    try:
        model.zero_grad(set_to_none=True)
        nn.functional.cross_entropy(model(x), y).backward()
    finally:
        for h in hooks:
            h.remove()
    linears = [m for m in model if isinstance(m, nn.Linear)][: len(acts)]
    stats = SignalStats(
        act_std=[a.detach().std().item() for a in acts],
        grad_std=[a.grad.std().item() for a in acts],
        weight_grad_std=[lin.weight.grad.std().item() for lin in linears],
        saturated=[
            (a.detach().abs() > 0.99).float().mean().item() if isinstance(m, nn.Tanh) else 0.0
            for a, m in zip(acts, [m for m in model if isinstance(m, tuple(_ACTIVATIONS.values()))])
        ],
    )
    model.zero_grad(set_to_none=True)
    return stats
