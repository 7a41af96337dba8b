"""cs231n's layers: ``affine_forward``/``affine_backward``, ``relu_forward``/``relu_backward`` with a cache,
``softmax_loss`` returning the loss and dscores, composed into a two-layer net's ``loss``. The weights
are stored (out, in) as nn.Linear stores them, so the affine layer multiplies by ``w.T``."""

import numpy as np


def affine_forward(x, w, b):
    out = x.dot(w.T) + b
    return out, (x, w, b)


def affine_backward(dout, cache):
    x, w, b = cache
    dx = dout.dot(w)
    dw = dout.T.dot(x)
    db = np.sum(dout, axis=0)
    return dx, dw, db


def relu_forward(x):
    return np.maximum(0, x), x


def relu_backward(dout, cache):
    x = cache
    dx = dout.copy()
    dx[x <= 0] = 0
    return dx


def softmax_loss(x, y):
    shifted_logits = x - np.max(x, axis=1, keepdims=True)
    Z = np.sum(np.exp(shifted_logits), axis=1, keepdims=True)
    log_probs = shifted_logits - np.log(Z)
    probs = np.exp(log_probs)
    N = x.shape[0]
    loss = -np.sum(log_probs[np.arange(N), y]) / N
    dx = probs.copy()
    dx[np.arange(N), y] -= 1
    dx /= N
    return loss, dx


def _check(x, y, W1, b1, W2, b2):
    if x.ndim != 2 or x.dtype not in (np.float32, np.float64):
        raise ValueError("x must be a 2-D float32 or float64 array")
    N, D = x.shape
    if y.shape != (N,):
        raise ValueError("targets (y) must have shape (N,)")
    H = W1.shape[0] if W1.ndim == 2 else None
    if H is None or W1.shape != (H, D) or b1.shape != (H,):
        raise ValueError("W1, b1 must be (H, D), (H,)")
    C = W2.shape[0] if W2.ndim == 2 else None
    if C is None or W2.shape != (C, H) or b2.shape != (C,):
        raise ValueError("W2, b2 must be (C, H), (C,)")
    if {W1.dtype, b1.dtype, W2.dtype, b2.dtype} != {x.dtype}:
        raise ValueError(f"x, W1, b1, W2 and b2 must share one dtype, got {x.dtype}, {W1.dtype}, "
                         f"{b1.dtype}, {W2.dtype}, {b2.dtype}")
    if np.any(y < 0) or np.any(y >= C):
        raise IndexError("a label (target) is out of range")


def mlp_forward_backward(x, targets, W1, b1, W2, b2):
    _check(x, targets, W1, b1, W2, b2)
    hidden, fc1_cache = affine_forward(x, W1, b1)
    hidden, relu_cache = relu_forward(hidden)
    scores, fc2_cache = affine_forward(hidden, W2, b2)
    loss, dscores = softmax_loss(scores, targets)
    grads = {}
    dhidden, grads["W2"], grads["b2"] = affine_backward(dscores, fc2_cache)
    dhidden = relu_backward(dhidden, relu_cache)
    _, grads["W1"], grads["b1"] = affine_backward(dhidden, fc1_cache)
    return loss, grads
