"""Exercise ``mlp_backward``: the forward and backward pass of a two-layer ReLU network, by hand in NumPy.

The network is ``nn.Linear -> ReLU -> nn.Linear`` followed by ``F.cross_entropy``, with the weights
stored as ``nn.Linear`` stores them, shape ``(out_features, in_features)``. For inputs ``X`` of shape
``(N, D)``, integer targets ``y`` of shape ``(N,)``, ``W1`` of shape ``(H, D)``, ``b1`` of shape ``(H,)``,
``W2`` of shape ``(C, H)`` and ``b2`` of shape ``(C,)``::

    A1 = X @ W1.T + b1                      (N, H)  the hidden pre-activations
    H1 = relu(A1) = max(A1, 0)              (N, H)
    Z = H1 @ W2.T + b2                      (N, C)  the logits
    L = (1 / N) * sum_i (lse_i - Z[i, y_i]),  lse_i = m_i + log(sum_c exp(Z[i, c] - m_i)),  m_i = max_c Z[i, c]

``L`` is ``F.cross_entropy(Z, y)``, the mean over the batch; subtracting the row maximum ``m_i`` keeps
every ``exp`` at most 1, so that logits of ``+-1e4`` give a finite, exact loss and gradient. With
``P = softmax(Z)`` row by row and ``Y`` the one-hot matrix of ``y``, the backward pass is::

    dZ = (P - Y) / N                        (N, C)
    dW2 = dZ.T @ H1                         (C, H)
    db2 = sum_i dZ[i, :]                    (C,)
    dH1 = dZ @ W2                           (N, H)
    dA1 = dH1 * (A1 > 0)                    (N, H)
    dW1 = dA1.T @ X                         (H, D)
    db1 = sum_i dA1[i, :]                   (H,)

These are the gradients ``torch.autograd`` gives for the same network. ReLU's derivative is 1 where
``A1 > 0`` and 0 where ``A1 <= 0``: at exactly 0 it is 0, as in PyTorch.
"""

from __future__ import annotations

import numpy as np

__all__ = ["mlp_forward_backward"]


def _check_arguments(x: np.ndarray, targets: np.ndarray, W1: np.ndarray, b1: np.ndarray, W2: np.ndarray,
                     b2: np.ndarray) -> None:
    """Raise the errors that the docstring of :func:`mlp_forward_backward` promises; call it first."""
    if x.ndim != 2:
        raise ValueError(f"x must have shape (N, D), got {x.shape}")
    if x.dtype not in (np.float32, np.float64):
        raise ValueError(f"x must be float32 or float64, got {x.dtype}")
    if targets.shape != x.shape[:1]:
        raise ValueError(f"targets must have shape {x.shape[:1]}, got {targets.shape}")
    if W1.ndim != 2 or W1.shape[1] != x.shape[1]:
        raise ValueError(f"W1 must have shape (H, {x.shape[1]}) (out_features, in_features), got {W1.shape}")
    if b1.shape != W1.shape[:1]:
        raise ValueError(f"b1 must have shape {W1.shape[:1]}, got {b1.shape}")
    if W2.ndim != 2 or W2.shape[1] != W1.shape[0]:
        raise ValueError(f"W2 must have shape (C, {W1.shape[0]}) (out_features, in_features), got {W2.shape}")
    if b2.shape != W2.shape[:1]:
        raise ValueError(f"b2 must have shape {W2.shape[:1]}, got {b2.shape}")
    for name, p in (("W1", W1), ("b1", b1), ("W2", W2), ("b2", b2)):
        if p.dtype != x.dtype:
            raise ValueError(f"{name} must have the dtype of x ({x.dtype}), got {p.dtype}")
    if np.any((targets < 0) | (targets >= W2.shape[0])):
        raise IndexError(f"a target is out of bounds [0, {W2.shape[0]})")


def mlp_forward_backward(
    x: np.ndarray,
    targets: np.ndarray,
    W1: np.ndarray,
    b1: np.ndarray,
    W2: np.ndarray,
    b2: np.ndarray,
) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """The loss ``L`` of the network on ``(x, targets)`` and its gradient for every parameter, by hand.

    Args:
        x: the inputs, a float32 or float64 array of shape ``(N, D)``.
        targets: an integer array of shape ``(N,)``, each a class in ``[0, C)``.
        W1: the first layer's weight, shape ``(H, D)``, in the dtype of ``x``.
        b1: the first layer's bias, shape ``(H,)``, in the dtype of ``x``.
        W2: the second layer's weight, shape ``(C, H)``, in the dtype of ``x``.
        b2: the second layer's bias, shape ``(C,)``, in the dtype of ``x``.

    Returns:
        ``(loss, grads)``: ``loss`` is ``F.cross_entropy(Z, targets)``, a NumPy scalar (or 0-d array)
        in the dtype of ``x``; ``grads`` is a dict with the keys ``"W1"``, ``"b1"``, ``"W2"`` and
        ``"b2"``, each ``dL/dparameter``, an array of that parameter's shape and dtype. The arguments
        are not modified.

    Raises:
        ValueError: for ``x`` that is not 2-D or not float32 or float64, ``targets`` not of shape
            ``(N,)``, a parameter whose shape does not fit ``x`` and the others (``W1`` not ``(H, D)``,
            ``b1`` not ``(H,)``, ``W2`` not ``(C, H)``, ``b2`` not ``(C,)``), or a parameter whose dtype
            is not that of ``x``; the message names the argument at fault (``x``, ``targets``, ``W1``,
            ``b1``, ``W2`` or ``b2``). The sizes are read from ``x`` (``N``, ``D``), ``W1`` (``H``) and
            ``W2`` (``C``), so a ``b1`` that disagrees with ``W1`` is at fault, not ``W1``, and a ``b2``
            that disagrees with ``W2`` is at fault, not ``W2``. When ``x`` has a dtype that no
            parameter has, naming ``x`` or a parameter is right.
        IndexError: for a target outside ``[0, C)`` (as PyTorch), with a message that mentions the target.
    """
    _check_arguments(x, targets, W1, b1, W2, b2)
    n = x.shape[0]
    rows = np.arange(n)
    # forward, keeping what the backward pass needs
    a1 = x @ W1.T + b1
    h1 = np.maximum(a1, 0)
    z = h1 @ W2.T + b2
    z_shifted = z - z.max(axis=1, keepdims=True)
    exp_z = np.exp(z_shifted)
    total = exp_z.sum(axis=1)
    log_likelihood = z_shifted[rows, targets] - np.log(total)
    loss = -log_likelihood.mean()
    # backward, from the loss to the first layer
    dz = exp_z / total[:, None]
    dz[rows, targets] -= 1
    dz /= n
    dh1 = dz @ W2
    da1 = np.where(a1 > 0, dh1, 0)
    grads = {"W1": da1.T @ x, "b1": da1.sum(axis=0), "W2": dz.T @ h1, "b2": dz.sum(axis=0)}
    return loss, grads
