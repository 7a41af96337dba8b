"""One pure ``_terms`` for both functions: the per-sample negative log-probabilities, the weights and
the normaliser; the loss reduces them, the gradient differentiates them. The log-sum-exp is computed
first and subtracted (``lse - z``), as scipy's ``logsumexp`` does, with ``np.take_along_axis``."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np


class _Terms(NamedTuple):
    neg_log_p: np.ndarray  # (K, C) for the kept samples
    targets: np.ndarray  # (K,)
    keep: np.ndarray  # (N,) bool
    w: np.ndarray  # (C,)
    norm: object  # what the reduction divides by


def _validate(logits, targets, weight, ignore_index, reduction, label_smoothing):
    if reduction not in {"none", "sum", "mean"}:
        raise ValueError(f"unknown reduction {reduction!r}")
    if label_smoothing < 0.0 or label_smoothing > 1.0:
        raise ValueError("label_smoothing outside [0, 1]")
    if np.ndim(logits) != 2 or np.shape(targets) != (np.shape(logits)[0],):
        raise ValueError("expected logits (N, C) and targets (N,)")
    if weight is not None and np.shape(weight) != (np.shape(logits)[1],):
        raise ValueError("expected weight (C,)")
    t = np.asarray(targets)[np.asarray(targets) != ignore_index]
    if t.size and (t.min() < 0 or t.max() >= logits.shape[1]):
        raise IndexError("target out of bounds")


def _terms(logits, targets, weight, ignore_index, reduction) -> _Terms:
    keep = targets != ignore_index
    z = logits[keep]
    m = z.max(axis=1, keepdims=True)
    lse = m + np.log(np.sum(np.exp(z - m), axis=1, keepdims=True))
    w = np.ones(logits.shape[1], logits.dtype) if weight is None else weight
    t = targets[keep]
    norm = np.sum(w[t]) if reduction == "mean" else 1
    return _Terms(lse - z, t, keep, w, norm)


def _scatter(rows, keep, shape, dtype):
    out = np.zeros(shape, dtype)
    out[keep] = rows
    return out


def cross_entropy(logits, targets, weight=None, ignore_index=-100, reduction="mean", label_smoothing=0.0):
    _validate(logits, targets, weight, ignore_index, reduction, label_smoothing)
    T = _terms(logits, targets, weight, ignore_index, reduction)
    C = logits.shape[1]
    nll = np.take_along_axis(T.neg_log_p, T.targets[:, None], axis=1)[:, 0]
    per = (1.0 - label_smoothing) * T.w[T.targets] * nll + label_smoothing / C * (T.neg_log_p @ T.w)
    losses = _scatter(per, T.keep, targets.shape, logits.dtype)
    if reduction == "none":
        return losses
    with np.errstate(invalid="ignore"):
        return np.divide(losses.sum(), T.norm, dtype=logits.dtype)


def cross_entropy_grad(logits, targets, weight=None, ignore_index=-100, reduction="mean", label_smoothing=0.0):
    _validate(logits, targets, weight, ignore_index, reduction, label_smoothing)
    T = _terms(logits, targets, weight, ignore_index, reduction)
    C = logits.shape[1]
    p = np.exp(-T.neg_log_p)
    onehot = np.eye(C, dtype=logits.dtype)[T.targets]
    rows = ((1.0 - label_smoothing) * T.w[T.targets][:, None] * (p - onehot)
            + label_smoothing / C * (T.w.sum() * p - T.w)) / T.norm
    return _scatter(rows, T.keep, logits.shape, logits.dtype)
