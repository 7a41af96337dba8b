"""Float bookkeeping: everything is computed in float64 whatever the logits' dtype (float32 logits
too), the weights summed in Python floats, and the results cast back to the logits' dtype at the
end; the smoothed target is built as a dense (N, C) matrix."""

from __future__ import annotations

import numpy as np


def _prepare(logits, targets, weight, ignore_index, reduction, label_smoothing):
    if reduction not in ("mean", "sum", "none"):
        raise ValueError(reduction)
    if not 0.0 <= float(label_smoothing) <= 1.0:
        raise ValueError(label_smoothing)
    z = np.asarray(logits, dtype=np.float64)
    if z.ndim != 2:
        raise ValueError("logits must be (N, C)")
    n, c = z.shape
    y = np.asarray(targets)
    if y.shape != (n,):
        raise ValueError("targets must be (N,)")
    w = np.ones(c) if weight is None else np.asarray(weight, dtype=np.float64)
    if w.shape != (c,):
        raise ValueError("weight must be (C,)")
    keep = y != ignore_index
    if ((y[keep] < 0) | (y[keep] >= c)).any():
        raise IndexError("target out of range")
    safe = np.where(keep, y, 0)
    q = np.full((n, c), label_smoothing / c)  # smoothed target, rows of ignored samples zeroed below
    q[np.arange(n), safe] += 1.0 - label_smoothing
    # torch weights the one-hot part by w[y] and the uniform part by w[c]
    coef = w[safe][:, None] * (q - label_smoothing / c) + label_smoothing / c * w
    coef[~keep] = 0.0
    denom = float(sum(float(w[t]) for t in y[keep])) if reduction == "mean" else 1.0
    return z, coef, denom


def cross_entropy(logits, targets, weight=None, ignore_index=-100, reduction="mean", label_smoothing=0.0):
    z, coef, denom = _prepare(logits, targets, weight, ignore_index, reduction, label_smoothing)
    shifted = z - z.max(axis=1, keepdims=True)
    neg_log_p = np.log(np.exp(shifted).sum(axis=1, keepdims=True)) - shifted
    losses = (coef * neg_log_p).sum(axis=1)
    if reduction == "none":
        return losses.astype(logits.dtype)
    total = losses.sum()
    return np.asarray(total / denom if denom else float("nan") if reduction == "mean" else total,
                      dtype=logits.dtype)


def cross_entropy_grad(logits, targets, weight=None, ignore_index=-100, reduction="mean", label_smoothing=0.0):
    z, coef, denom = _prepare(logits, targets, weight, ignore_index, reduction, label_smoothing)
    e = np.exp(z - z.max(axis=1, keepdims=True))
    p = e / e.sum(axis=1, keepdims=True)
    # d/dz of sum_c coef_c * (lse - z_c) = sum(coef) * p - coef
    grad = coef.sum(axis=1, keepdims=True) * p - coef
    if denom:
        grad = grad / denom
    return grad.astype(logits.dtype)
