"""Everything in float64 whatever the inputs' dtype (the softmax from a dense one-hot matrix made with
np.eye, the mean as a Python float), the results cast back to the inputs' dtype at the end."""

import numpy as np

_PARAMS = ("W1", "b1", "W2", "b2")


def mlp_forward_backward(x, targets, W1, b1, W2, b2):
    params = dict(zip(_PARAMS, (W1, b1, W2, b2)))
    if x.ndim != 2:
        raise ValueError(f"x must be 2-D, got shape {x.shape}")
    if x.dtype.name not in ("float32", "float64"):
        raise ValueError(f"x must be float32 or float64, got {x.dtype}")
    n, d = x.shape
    if targets.shape != (n,):
        raise ValueError(f"targets must have shape ({n},), got {targets.shape}")
    hidden = W1.shape[0] if W1.ndim == 2 else -1
    classes = W2.shape[0] if W2.ndim == 2 else -1
    expected = {"W1": (hidden, d), "b1": (hidden,), "W2": (classes, hidden), "b2": (classes,)}
    for name, p in params.items():
        if p.shape != expected[name] or min(expected[name]) < 0:
            raise ValueError(f"{name} has shape {p.shape}, expected {expected[name]}")
        if p.dtype != x.dtype:
            raise ValueError(f"{name} is {p.dtype}, x is {x.dtype}")
    if ((targets < 0) | (targets >= classes)).any():
        raise IndexError(f"every target must be in [0, {classes})")

    X = x.astype(np.float64)
    P = {k: v.astype(np.float64) for k, v in params.items()}
    A1 = X @ P["W1"].T + P["b1"]
    H1 = np.maximum(A1, 0.0)
    Z = H1 @ P["W2"].T + P["b2"]
    M = Z.max(axis=1, keepdims=True)
    log_softmax = Z - M - np.log(np.exp(Z - M).sum(axis=1, keepdims=True))
    Y = np.eye(classes)[targets]
    loss = -float((Y * log_softmax).sum()) / n
    dZ = (np.exp(log_softmax) - Y) / n
    dA1 = (dZ @ P["W2"]) * (A1 > 0.0)
    grads64 = {"W1": dA1.T @ X, "b1": dA1.sum(axis=0), "W2": dZ.T @ H1, "b2": dZ.sum(axis=0)}
    return np.asarray(loss, dtype=x.dtype), {k: g.astype(x.dtype) for k, g in grads64.items()}
