"""The MLP of d2l's "Multilayer Perceptrons from Scratch" and "Forward Propagation, Backward Propagation,
and Computational Graphs", in NumPy: ``relu``, ``net(X)`` returning the intermediate variables, the
loss written as the docstring's formula (``lse = m + log(sum(exp(Z - m)))`` first, then ``lse - Z[y]``),
the softmax read off as ``exp(Z - lse)``, a one-hot ``Y`` from a comparison with ``arange``, and the
backward pass as d2l's chain of ``prod`` steps, the ReLU mask multiplied in (``dH * (A > 0)``)."""

import numpy as np


def relu(X):
    return np.maximum(X, 0)


def net(X, W1, b1, W2, b2):
    A = X @ W1.T + b1  # W1 is (H, D), as nn.Linear stores it
    H = relu(A)
    Z = H @ W2.T + b2
    return A, H, Z


def log_sum_exp(Z):
    m = Z.max(axis=1, keepdims=True)
    return m + np.log(np.exp(Z - m).sum(axis=1, keepdims=True))


def _check(X, y, W1, b1, W2, b2):
    if X.ndim != 2:
        raise ValueError(f"x must be a 2-D array, got shape {X.shape}")
    if X.dtype != np.float32 and X.dtype != np.float64:
        raise ValueError(f"x must be float32 or float64, got {X.dtype}")
    num_examples, num_inputs = X.shape
    if y.ndim != 1 or len(y) != num_examples:
        raise ValueError(f"targets must have shape ({num_examples},), got {y.shape}")
    if W1.ndim != 2 or W1.shape[1] != num_inputs:
        raise ValueError(f"W1 must have shape (num_hiddens, {num_inputs}), got {W1.shape}")
    num_hiddens = W1.shape[0]
    if b1.ndim != 1 or len(b1) != num_hiddens:
        raise ValueError(f"b1 must have shape ({num_hiddens},), got {b1.shape}")
    if W2.ndim != 2 or W2.shape[1] != num_hiddens:
        raise ValueError(f"W2 must have shape (num_outputs, {num_hiddens}), got {W2.shape}")
    num_outputs = W2.shape[0]
    if b2.ndim != 1 or len(b2) != num_outputs:
        raise ValueError(f"b2 must have shape ({num_outputs},), got {b2.shape}")
    for name, param in zip(["W1", "b1", "W2", "b2"], [W1, b1, W2, b2]):
        if param.dtype != X.dtype:
            raise ValueError(f"{name} is {param.dtype} but x is {X.dtype}")
    if y.min() < 0 or y.max() >= num_outputs:
        raise IndexError(f"every target must be in [0, {num_outputs}), got {y}")


def mlp_forward_backward(x, targets, W1, b1, W2, b2):
    _check(x, targets, W1, b1, W2, b2)
    X, y = x, targets
    n, q = X.shape[0], W2.shape[0]
    # forward propagation
    A, H, Z = net(X, W1, b1, W2, b2)
    lse = log_sum_exp(Z)[:, 0]
    l = lse - Z[np.arange(n), y]
    loss = l.sum() / n
    # backward propagation
    P = np.exp(Z - lse[:, None])
    Y = (y[:, None] == np.arange(q)).astype(Z.dtype)
    dZ = (P - Y) / n
    dW2 = dZ.T @ H
    db2 = dZ.sum(axis=0)
    dH = dZ @ W2
    dA = dH * (A > 0)
    dW1 = dA.T @ X
    db1 = dA.sum(axis=0)
    return loss, {"W1": dW1, "b1": db1, "W2": dW2, "b2": db2}
