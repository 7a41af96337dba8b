"""Cross-entropy as a textbook writes it: a loop over the samples, the softmax of each row with its
maximum subtracted, -log p[y] and the smoothed target q = (1 - eps) onehot + eps / K written out,
one ``if`` per invalid argument."""

import numpy as np


def _check(logits, targets, weight, ignore_index, reduction, label_smoothing):
    if reduction != "mean" and reduction != "sum" and reduction != "none":
        raise ValueError("reduction must be 'mean', 'sum' or 'none'")
    if not (0 <= label_smoothing <= 1):
        raise ValueError("label_smoothing must be in [0, 1]")
    if len(logits.shape) != 2:
        raise ValueError("logits must be 2-D")
    N, K = logits.shape
    if targets.shape != (N,):
        raise ValueError("targets must have shape (N,)")
    if weight is not None and weight.shape != (K,):
        raise ValueError("weight must have shape (K,)")
    for y in targets:
        if y != ignore_index and not (0 <= y < K):
            raise IndexError(f"target {y} out of range")


def _row(z, y, w, eps):
    """Loss and gradient of one sample."""
    K = len(z)
    e = np.exp(z - np.max(z))
    p = e / np.sum(e)
    log_p = (z - np.max(z)) - np.log(np.sum(e))
    q = np.full(K, eps / K, dtype=z.dtype)
    q[y] += 1 - eps
    # loss = sum_k w_k * (target weight of class k) * (-log p_k), with torch's weighting:
    # the one-hot part weighted by w[y], the uniform part by each w[k]
    loss = (1 - eps) * w[y] * -log_p[y] + np.sum(eps / K * w * -log_p)
    grad = (1 - eps) * w[y] * p + eps / K * np.sum(w) * p - eps / K * w
    grad[y] -= (1 - eps) * w[y]
    return loss, grad


def cross_entropy(logits, targets, weight=None, ignore_index=-100, reduction="mean", label_smoothing=0.0):
    _check(logits, targets, weight, ignore_index, reduction, label_smoothing)
    N, K = logits.shape
    w = weight if weight is not None else np.ones(K, dtype=logits.dtype)
    losses = np.zeros(N, dtype=logits.dtype)
    total_weight = 0.0
    for i in range(N):
        y = targets[i]
        if y == ignore_index:
            continue
        losses[i] = _row(logits[i], y, w, label_smoothing)[0]
        total_weight += w[y]
    if reduction == "none":
        return losses
    if reduction == "sum":
        return np.sum(losses)
    if total_weight == 0:
        return np.array(np.nan, dtype=logits.dtype)
    return np.array(np.sum(losses) / total_weight, dtype=logits.dtype)


def cross_entropy_grad(logits, targets, weight=None, ignore_index=-100, reduction="mean", label_smoothing=0.0):
    _check(logits, targets, weight, ignore_index, reduction, label_smoothing)
    N, K = logits.shape
    w = weight if weight is not None else np.ones(K, dtype=logits.dtype)
    grad = np.zeros_like(logits)
    total_weight = 0.0
    for i in range(N):
        y = targets[i]
        if y == ignore_index:
            continue
        grad[i] = _row(logits[i], y, w, label_smoothing)[1]
        total_weight += w[y]
    if reduction == "mean" and total_weight > 0:
        grad = grad / total_weight
    return grad.astype(logits.dtype)
