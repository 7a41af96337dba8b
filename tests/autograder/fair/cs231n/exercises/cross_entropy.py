"""Cross-entropy as cs231n's ``softmax_loss(x, y)`` writes it, extended to class weights, ignored
targets and label smoothing: one function returns the loss and ``dx`` together (the layers of the
assignment return ``(out, cache)`` / ``(loss, dx)``); every row is computed, the ignored ones are
then zeroed by multiplying with a 0/1 mask, and ``dx`` is built in place from ``probs.copy()``."""

import numpy as np


def _validate(x, y, weight, ignore_index, reduction, label_smoothing):
    if reduction not in {"mean", "sum", "none"}:
        raise ValueError("Invalid reduction %r" % (reduction,))
    if label_smoothing < 0 or label_smoothing > 1:
        raise ValueError("label_smoothing should be in [0, 1], got %r" % (label_smoothing,))
    if x.ndim != 2:
        raise ValueError("x should have shape (N, C), got %s" % (x.shape,))
    N, C = x.shape
    if y.ndim != 1 or y.shape[0] != N:
        raise ValueError("y should have shape (%d,), got %s" % (N, y.shape))
    if weight is not None and (weight.ndim != 1 or weight.shape[0] != C):
        raise ValueError("weight should have shape (%d,), got %s" % (C, weight.shape))
    bad = (y != ignore_index) & ((y < 0) | (y >= C))
    if bad.any():
        raise IndexError("target %d is out of bounds for %d classes" % (y[bad][0], C))


def softmax_loss(x, y, weight=None, ignore_index=-100, reduction="mean", label_smoothing=0.0):
    """
    Computes the loss and gradient for softmax classification.

    Inputs:
    - x: Input data, of shape (N, C) where x[i, j] is the score for the jth class for the ith input.
    - y: Vector of labels, of shape (N,) where y[i] is the label for x[i] and 0 <= y[i] < C, or
      ignore_index.

    Returns a tuple of:
    - loss: the loss (a scalar, or shape (N,) for reduction="none")
    - dx: Gradient of the loss with respect to x
    """
    _validate(x, y, weight, ignore_index, reduction, label_smoothing)
    N, C = x.shape
    eps = label_smoothing
    w = np.ones(C, dtype=x.dtype) if weight is None else weight

    mask = (y != ignore_index).astype(x.dtype)  # 1 for a counted sample, 0 for an ignored one
    y_safe = np.where(y != ignore_index, y, 0)  # any valid class for the ignored rows

    shifted_logits = x - np.max(x, axis=1, keepdims=True)
    Z = np.sum(np.exp(shifted_logits), axis=1, keepdims=True)
    log_probs = shifted_logits - np.log(Z)
    probs = np.exp(log_probs)

    sample_w = w[y_safe] * mask  # w[y_i], 0 when ignored
    nll = -log_probs[np.arange(N), y_safe]
    smooth = -np.sum(log_probs * w, axis=1)
    losses = (1 - eps) * sample_w * nll + (eps / C) * mask * smooth

    dx = probs.copy()
    dx *= ((1 - eps) * sample_w + (eps / C) * np.sum(w) * mask)[:, None]
    dx[np.arange(N), y_safe] -= (1 - eps) * sample_w
    dx -= (eps / C) * mask[:, None] * w[None, :]

    if reduction == "none":
        return losses, dx
    if reduction == "sum":
        return np.sum(losses), dx
    denom = np.sum(sample_w)
    with np.errstate(invalid="ignore", divide="ignore"):
        loss = np.sum(losses) / denom  # 0 / 0 = nan when every target is ignored
    if denom != 0:
        dx /= denom
    return loss, dx


def cross_entropy(logits, targets, weight=None, ignore_index=-100, reduction="mean", label_smoothing=0.0):
    loss, _ = softmax_loss(logits, targets, weight, ignore_index, reduction, label_smoothing)
    return loss


def cross_entropy_grad(logits, targets, weight=None, ignore_index=-100, reduction="mean", label_smoothing=0.0):
    _, dx = softmax_loss(logits, targets, weight, ignore_index, reduction, label_smoothing)
    return dx
