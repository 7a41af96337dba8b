"""PyTorch-idiomatic: the NumPy arrays become tensors (``torch.from_numpy``), the loss is written with
tensor operations as ``aten``'s cross_entropy composes it (a stable log-softmax from ``amax``, a
``gather`` for the NLL, a masked smoothing term, ``(1 - eps) * nll + eps / C * smooth``), and the
gradient from the same pieces; results go back with ``.numpy()``."""

from __future__ import annotations

import numpy as np
import torch


def _checked(logits, targets, weight, ignore_index, reduction, label_smoothing):
    if reduction not in ("mean", "sum", "none"):
        raise ValueError(f"{reduction} is not a valid value for reduction")
    if not (0.0 <= label_smoothing <= 1.0):
        raise ValueError(f"label_smoothing must be between 0.0 and 1.0. Got: {label_smoothing}")
    x, t = torch.from_numpy(logits), torch.from_numpy(np.asarray(targets)).long()
    if x.dim() != 2 or t.shape != x.shape[:1]:
        raise ValueError("expected input (N, C) and target (N,)")
    w = None if weight is None else torch.from_numpy(weight)
    if w is not None and w.shape != x.shape[1:]:
        raise ValueError("weight tensor should be defined for all classes")
    mask = t == ignore_index
    if ((t < 0) | (t >= x.shape[1]))[~mask].any():
        raise IndexError("Target is out of bounds.")
    return x, t, w, mask


def _log_probs(x):
    shifted = x - x.amax(dim=1, keepdim=True)
    return shifted - shifted.exp().sum(dim=1, keepdim=True).log()


def cross_entropy(logits, targets, weight=None, ignore_index=-100, reduction="mean", label_smoothing=0.0):
    x, t, w, mask = _checked(logits, targets, weight, ignore_index, reduction, label_smoothing)
    C = x.shape[1]
    w_ = torch.ones(C, dtype=x.dtype) if w is None else w
    lp = _log_probs(x)
    safe = t.masked_fill(mask, 0)
    nll = -lp.gather(1, safe[:, None]).squeeze(1) * w_[safe]
    smooth = -(lp * w_).sum(dim=1)
    nll, smooth = nll.masked_fill(mask, 0.0), smooth.masked_fill(mask, 0.0)
    loss = (1 - label_smoothing) * nll + label_smoothing / C * smooth
    if reduction == "sum":
        loss = loss.sum()
    elif reduction == "mean":
        loss = loss.sum() / w_[safe].masked_fill(mask, 0.0).sum()
    return loss.numpy()


def cross_entropy_grad(logits, targets, weight=None, ignore_index=-100, reduction="mean", label_smoothing=0.0):
    x, t, w, mask = _checked(logits, targets, weight, ignore_index, reduction, label_smoothing)
    C = x.shape[1]
    w_ = torch.ones(C, dtype=x.dtype) if w is None else w
    p = _log_probs(x).exp()
    safe = t.masked_fill(mask, 0)
    onehot = torch.zeros_like(x).scatter_(1, safe[:, None], 1.0)
    grad = (1 - label_smoothing) * w_[safe][:, None] * (p - onehot) + label_smoothing / C * (w_.sum() * p - w_)
    grad = grad.masked_fill(mask[:, None], 0.0)
    if reduction == "mean" and not mask.all():
        grad = grad / w_[safe].masked_fill(mask, 0.0).sum()
    return grad.numpy()
