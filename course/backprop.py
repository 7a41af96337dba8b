"""Backpropagation by hand (chapter 2): a NumPy two-layer network, gradient checking, gradient flow.

* :func:`init_params`, :func:`forward`, :func:`backward`, :func:`loss_and_grads` - the network
  ``linear -> tanh | relu -> linear -> softmax cross-entropy`` on a batch, with a hand-written
  backward pass.
* :func:`numerical_gradient`, :func:`relative_error`, :func:`gradient_check` - central finite
  differences and the relative error used to compare them with analytic gradients.
* :func:`deep_mlp`, :func:`layer_grad_norms` - per-layer gradient norms of deep MLPs
  (vanishing and exploding gradients).
* :func:`grad_fn_chain` - the names of the autograd nodes behind a tensor; :func:`draw_graph` draws a
  small graph.
"""

from __future__ import annotations

from typing import Callable

import numpy as np
import torch
from torch import nn

Params = dict[str, np.ndarray]

__all__ = [
    "init_params",
    "forward",
    "backward",
    "loss_and_grads",
    "numerical_gradient",
    "relative_error",
    "gradient_check",
    "deep_mlp",
    "layer_grad_norms",
    "grad_fn_chain",
    "draw_graph",
]


def init_params(
    n_in: int, n_hidden: int, n_out: int, seed: int = 0, dtype: type = np.float64
) -> Params:
    """Weights ``W1 (n_in, n_hidden)``, ``W2 (n_hidden, n_out)`` ~ N(0, 1/fan_in), biases small and random.

    Biases are random rather than zero so that a gradient check also exercises them.
    """
    rng = np.random.default_rng(seed)
    return {
        "W1": (rng.standard_normal((n_in, n_hidden)) / np.sqrt(n_in)).astype(dtype),
        "b1": (0.1 * rng.standard_normal(n_hidden)).astype(dtype),
        "W2": (rng.standard_normal((n_hidden, n_out)) / np.sqrt(n_hidden)).astype(dtype),
        "b2": (0.1 * rng.standard_normal(n_out)).astype(dtype),
    }


def _activation(name: str) -> tuple[Callable[[np.ndarray], np.ndarray], Callable[[np.ndarray, np.ndarray], np.ndarray]]:
    """``(f, df)`` where ``df(a, h)`` is ``f'(a)`` given the pre-activation ``a`` and ``h = f(a)``."""
    if name == "tanh":
        return np.tanh, lambda a, h: 1.0 - h**2
    if name == "relu":
        return (lambda a: np.maximum(a, 0.0)), (lambda a, h: (a > 0).astype(a.dtype))
    raise ValueError(f"activation must be 'tanh' or 'relu', got {name!r}")


def forward(params: Params, X: np.ndarray, y: np.ndarray, activation: str = "tanh") -> tuple[float, dict]:
    """Mean softmax cross-entropy of the network on the batch ``(X, y)``, and the cache for :func:`backward`.

    ``a1 = X W1 + b1``, ``h = f(a1)``, ``z = h W2 + b2``, ``p = softmax(z)``,
    ``L = -(1/N) sum_i log p[i, y_i]``. The softmax subtracts the row maximum (log-sum-exp trick).
    """
    f, _ = _activation(activation)
    a1 = X @ params["W1"] + params["b1"]
    h = f(a1)
    z = h @ params["W2"] + params["b2"]
    z_shift = z - z.max(axis=1, keepdims=True)
    log_p = z_shift - np.log(np.exp(z_shift).sum(axis=1, keepdims=True))
    n = len(y)
    loss = float(-log_p[np.arange(n), y].mean())
    cache = {"X": X, "y": y, "a1": a1, "h": h, "p": np.exp(log_p), "activation": activation}
    return loss, cache


def backward(params: Params, cache: dict) -> Params:
    """Gradients of the mean loss w.r.t. every parameter, by the chain rule, layer by layer backwards.

    ``dL/dz = (p - one_hot(y)) / N``; ``dW2 = h^T dz``; ``db2 = sum_i dz``; ``dh = dz W2^T``;
    ``da1 = dh * f'(a1)``; ``dW1 = X^T da1``; ``db1 = sum_i da1``.
    """
    X, y, a1, h, p = cache["X"], cache["y"], cache["a1"], cache["h"], cache["p"]
    _, df = _activation(cache["activation"])
    n = len(y)
    dz = p.copy()
    dz[np.arange(n), y] -= 1.0
    dz /= n
    dW2 = h.T @ dz
    db2 = dz.sum(axis=0)
    dh = dz @ params["W2"].T
    da1 = dh * df(a1, h)
    dW1 = X.T @ da1
    db1 = da1.sum(axis=0)
    return {"W1": dW1, "b1": db1, "W2": dW2, "b2": db2}


def loss_and_grads(params: Params, X: np.ndarray, y: np.ndarray, activation: str = "tanh") -> tuple[float, Params]:
    """:func:`forward` then :func:`backward`: the loss and the gradient of every parameter."""
    loss, cache = forward(params, X, y, activation)
    return loss, backward(params, cache)


def numerical_gradient(f: Callable[[], float], x: np.ndarray, h: float = 1e-5) -> np.ndarray:
    """Central differences ``(f(x + h e_i) - f(x - h e_i)) / 2h`` for every entry ``i`` of ``x``.

    ``f`` takes no argument and reads ``x``, which is perturbed in place and restored after each entry.
    The truncation error is O(h^2); the rounding error is about ``machine_eps * |f| / h``.
    """
    grad = np.zeros_like(x)
    it = np.nditer(x, flags=["multi_index"])
    for _ in it:
        i = it.multi_index
        old = x[i].copy()
        x[i] = old + h
        f_plus = f()
        x[i] = old - h
        f_minus = f()
        x[i] = old
        grad[i] = (f_plus - f_minus) / (2 * h)
    return grad


def relative_error(a: np.ndarray, b: np.ndarray, tiny: float = 1e-12, elementwise: bool = False) -> float:
    """``|a - b| / max(|a|, |b|, tiny)``, with ``|.|`` the Euclidean norm of the whole array.

    For scalars this is the usual relative error; ``tiny`` avoids 0/0 where both vanish.
    ``elementwise=True`` returns instead the largest element-wise relative error, which is
    dominated by entries whose gradient is nearly zero (there, rounding noise of the finite
    difference is large *relative* to the entry), so it needs looser thresholds.
    """
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    if elementwise:
        return float(np.max(np.abs(a - b) / np.maximum(np.maximum(np.abs(a), np.abs(b)), tiny)))
    return float(np.linalg.norm(a - b) / max(np.linalg.norm(a), np.linalg.norm(b), tiny))


def gradient_check(
    loss_fn: Callable[[], float], params: Params, grads: Params, h: float = 1e-5
) -> dict[str, float]:
    """The relative error (:func:`relative_error`, whole-array norms) between ``grads`` and
    central differences of ``loss_fn``, per parameter.

    As a rule of thumb in float64 with ``h = 1e-5``: below ~1e-7 the gradient is right; 1e-7..1e-4
    deserves a look (kinks such as ReLU at 0 can cause it); above ~1e-4 it is almost certainly wrong.
    """
    return {name: relative_error(grads[name], numerical_gradient(loss_fn, params[name], h)) for name in params}


def deep_mlp(
    depth: int, width: int, n_in: int, n_out: int, activation: str = "relu", init: str = "default", seed: int = 0
) -> nn.Sequential:
    """``depth`` hidden ``Linear -> activation`` blocks and a linear head.

    ``init``: ``"default"`` keeps PyTorch's ``nn.Linear`` initialisation (uniform, std ``1/sqrt(3 fan_in)``);
    ``"kaiming"`` draws ``N(0, 2/fan_in)`` (He et al., for ReLU); a float ``s`` such as ``"1.0"`` draws
    ``N(0, s^2)`` whatever the fan-in. Biases of the non-default inits are zero.
    """
    acts = {"relu": nn.ReLU, "sigmoid": nn.Sigmoid, "tanh": nn.Tanh}
    if activation not in acts:
        raise ValueError(f"activation must be one of {sorted(acts)}, got {activation!r}")
    torch.manual_seed(seed)
    layers: list[nn.Module] = []
    w = n_in
    for _ in range(depth):
        layers += [nn.Linear(w, width), acts[activation]()]
        w = width
    layers.append(nn.Linear(w, n_out))
    model = nn.Sequential(*layers)
    if init != "default":
        for m in model:
            if isinstance(m, nn.Linear):
                std = float(np.sqrt(2.0 / m.in_features)) if init == "kaiming" else float(init)
                nn.init.normal_(m.weight, 0.0, std)
                nn.init.zeros_(m.bias)
    return model


def layer_grad_norms(model: nn.Module, X: torch.Tensor, y: torch.Tensor) -> list[float]:
    """The Frobenius norm of the cross-entropy gradient w.r.t. the weight of each ``nn.Linear``, input first."""
    model.zero_grad(set_to_none=True)
    nn.functional.cross_entropy(model(X), y).backward()
    norms = [m.weight.grad.norm().item() for m in model.modules() if isinstance(m, nn.Linear)]
    model.zero_grad(set_to_none=True)
    return norms


def grad_fn_chain(t: torch.Tensor) -> list[str]:
    """The autograd nodes reachable from ``t.grad_fn``, breadth first, each named once (leaves included)."""
    out: list[str] = []
    seen: set[int] = set()
    queue = [t.grad_fn]
    while queue:
        node = queue.pop(0)
        if node is None or id(node) in seen:
            continue
        seen.add(id(node))
        out.append(type(node).__name__)
        queue.extend(n for n, _ in node.next_functions)
    return out


def draw_graph(
    nodes: dict[str, tuple[float, float, str]],
    edges: list[tuple[str, str]],
    title: str = "Computational graph",
    edge_labels: dict[tuple[str, str], str] | None = None,
):
    """Draw a small computational graph with matplotlib and return the figure.

    ``nodes`` maps a name to ``(x, y, text)`` (the text goes in a box, e.g. the value and the
    gradient); ``edges`` are ``(source, target)`` pairs drawn as arrows in the forward direction;
    ``edge_labels`` puts a text (e.g. a local derivative) at the middle of an edge.
    """
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(8.0, 3.6))
    for src, dst in edges:
        (x0, y0, _), (x1, y1, _) = nodes[src], nodes[dst]
        ax.annotate("", xy=(x1, y1), xytext=(x0, y0),
                    arrowprops=dict(arrowstyle="-|>", color="0.4", shrinkA=28, shrinkB=28))
        if edge_labels and (src, dst) in edge_labels:
            ax.text((x0 + x1) / 2, (y0 + y1) / 2 + 0.12, edge_labels[(src, dst)], ha="center",
                    fontsize=8, color="tab:red")
    for x, y, text in nodes.values():
        ax.text(x, y, text, ha="center", va="center", fontsize=9,
                bbox=dict(boxstyle="round,pad=0.4", fc="#e8f0fb", ec="tab:blue"))
    xs = [v[0] for v in nodes.values()]
    ys = [v[1] for v in nodes.values()]
    ax.set_xlim(min(xs) - 0.7, max(xs) + 0.7)
    ax.set_ylim(min(ys) - 0.7, max(ys) + 0.7)
    ax.axis("off")
    ax.set_title(title)
    fig.tight_layout()
    return fig
