"""Loss functions that chapter 1 builds by hand and checks against PyTorch.

* :func:`logsumexp`, :func:`naive_logsumexp`, :func:`log_softmax` - the log-sum-exp trick.
* :func:`smooth_targets` (PyTorch's convention) and :func:`smooth_targets_others` (the lesson
  text's ``LabelSmoothingLoss``) - label-smoothing target distributions.
* :func:`soft_cross_entropy` - cross-entropy against a probability target, from logits.
* :func:`focal_loss` (multi-class, from logits) and :func:`binary_focal_loss_with_logits`.
* :func:`loss_and_grad` - a loss and its derivative w.r.t. the prediction, for plots.
* :func:`make_imbalanced`, :func:`compare_on_imbalanced` - cross-entropy vs focal loss measured on
  a generated binary task with ~5% positives.
"""

from __future__ import annotations

from contextlib import contextmanager
from typing import Callable, Sequence

import numpy as np
import torch
import torch.nn.functional as F

__all__ = [
    "naive_logsumexp",
    "logsumexp",
    "log_softmax",
    "smooth_targets",
    "smooth_targets_others",
    "soft_cross_entropy",
    "focal_loss",
    "binary_focal_loss_with_logits",
    "loss_and_grad",
    "make_imbalanced",
    "compare_on_imbalanced",
    "IMBALANCE_METRICS",
]


def _reduce(loss: torch.Tensor, reduction: str) -> torch.Tensor:
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    if reduction == "none":
        return loss
    raise ValueError(f"reduction must be 'mean', 'sum' or 'none', got {reduction!r}")


def naive_logsumexp(x: torch.Tensor, dim: int = -1) -> torch.Tensor:
    """``log(sum(exp(x)))`` computed literally: overflows to ``inf`` once some ``x`` exceeds ~88 (float32)."""
    return torch.log(torch.exp(x).sum(dim=dim))


def logsumexp(x: torch.Tensor, dim: int = -1) -> torch.Tensor:
    """The stable log-sum-exp, equal to :func:`torch.logsumexp`.

    Uses the identity ``log sum_j exp(x_j) = m + log sum_j exp(x_j - m)`` with ``m = max_j x_j``:
    every ``exp`` argument is ``<= 0``, so nothing overflows, and the largest term is exactly 1,
    so the sum is ``>= 1`` and its log never underflows to ``-inf``.
    """
    m = x.amax(dim=dim, keepdim=True)
    m = torch.where(torch.isfinite(m), m, torch.zeros_like(m))  # rows of all -inf (or +inf)
    return (m + torch.log(torch.exp(x - m).sum(dim=dim, keepdim=True))).squeeze(dim)


def log_softmax(x: torch.Tensor, dim: int = -1) -> torch.Tensor:
    """``log softmax(x) = x - logsumexp(x)``, stable for any finite logits (equals :func:`F.log_softmax`)."""
    return x - logsumexp(x, dim=dim).unsqueeze(dim)


def smooth_targets(
    target: torch.Tensor, num_classes: int, eps: float, dtype: torch.dtype | None = None
) -> torch.Tensor:
    """Label-smoothed target distributions as PyTorch defines them.

    ``q = (1 - eps) * one_hot(target) + eps / K``: every class, the true one included, receives
    ``eps / K``, so the true class gets ``1 - eps + eps / K``. This is the target that
    ``F.cross_entropy(logits, target, label_smoothing=eps)`` uses. ``dtype`` defaults to
    ``torch.get_default_dtype()``; ask for the logits' dtype to avoid a float32 rounding of ``eps / K``.
    """
    if not 0.0 <= eps <= 1.0:
        raise ValueError(f"eps must be in [0, 1], got {eps}")
    one_hot = F.one_hot(target, num_classes).to(dtype or torch.get_default_dtype())
    return (1.0 - eps) * one_hot + eps / num_classes


def smooth_targets_others(
    target: torch.Tensor, num_classes: int, eps: float, dtype: torch.dtype | None = None
) -> torch.Tensor:
    """Label-smoothed targets in the lesson text's convention (its ``LabelSmoothingLoss``).

    The true class gets exactly ``1 - eps`` and the ``K - 1`` wrong classes share ``eps``
    equally, ``eps / (K - 1)`` each. Not what PyTorch's ``label_smoothing`` computes.
    """
    if num_classes < 2:
        raise ValueError("label smoothing needs at least two classes")
    if not 0.0 <= eps <= 1.0:
        raise ValueError(f"eps must be in [0, 1], got {eps}")
    q = torch.full((len(target), num_classes), eps / (num_classes - 1), dtype=dtype or torch.get_default_dtype())
    return q.scatter(1, target.unsqueeze(1), 1.0 - eps)


def soft_cross_entropy(logits: torch.Tensor, target_probs: torch.Tensor, reduction: str = "mean") -> torch.Tensor:
    """Cross-entropy ``-sum_k q_k log softmax(z)_k`` of logits ``z`` against a distribution ``q``.

    Equals ``F.cross_entropy(logits, target_probs)`` (PyTorch accepts probability targets).
    """
    return _reduce(-(target_probs * log_softmax(logits, dim=1)).sum(dim=1), reduction)


def focal_loss(
    logits: torch.Tensor,
    target: torch.Tensor,
    gamma: float = 2.0,
    alpha: torch.Tensor | None = None,
    reduction: str = "mean",
) -> torch.Tensor:
    """Multi-class focal loss from logits (Lin et al., 2017).

    ``FL = -alpha_t (1 - p_t)^gamma log p_t`` where ``p_t = softmax(logits)[target]`` and
    ``alpha_t = alpha[target]`` (a per-class weight tensor; ``None`` means 1). With ``gamma = 0``
    and no ``alpha`` it is exactly ``F.cross_entropy(logits, target)``. ``log p_t`` comes from
    ``log_softmax``, so it stays finite for large logits.
    """
    log_pt = F.log_softmax(logits, dim=1).gather(1, target.unsqueeze(1)).squeeze(1)
    pt = log_pt.exp()
    loss = -((1.0 - pt) ** gamma) * log_pt
    if alpha is not None:
        loss = alpha.to(logits.dtype)[target] * loss
    return _reduce(loss, reduction)


def binary_focal_loss_with_logits(
    logits: torch.Tensor,
    target: torch.Tensor,
    gamma: float = 2.0,
    alpha: float | None = 0.25,
    reduction: str = "mean",
) -> torch.Tensor:
    """Binary focal loss from logits, matching ``torchvision.ops.sigmoid_focal_loss``.

    ``p_t = sigmoid(z)`` for positives and ``1 - sigmoid(z)`` for negatives;
    ``alpha_t = alpha`` for positives and ``1 - alpha`` for negatives (``None`` disables it).
    ``-log p_t`` is ``F.binary_cross_entropy_with_logits``, which is exact at any logit.
    Note: unlike torchvision (default ``"none"``), the default reduction here is ``"mean"``.
    """
    target = target.to(logits.dtype)
    ce = F.binary_cross_entropy_with_logits(logits, target, reduction="none")
    p = torch.sigmoid(logits)
    pt = p * target + (1 - p) * (1 - target)
    loss = ce * (1 - pt) ** gamma
    if alpha is not None:
        loss = (alpha * target + (1 - alpha) * (1 - target)) * loss
    return _reduce(loss, reduction)


def loss_and_grad(
    loss_fn: Callable[[torch.Tensor, torch.Tensor], torch.Tensor], residual: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor]:
    """Per-sample loss ``L(pred, 0)`` at ``pred = residual`` and its derivative ``dL/dpred`` (autograd).

    ``loss_fn`` must use ``reduction="none"``, e.g. ``nn.HuberLoss(reduction="none", delta=1.0)``.
    """
    pred = residual.detach().clone().requires_grad_(True)
    loss = loss_fn(pred, torch.zeros_like(pred))
    (grad,) = torch.autograd.grad(loss.sum(), pred)
    return loss.detach(), grad


@contextmanager
def _one_thread():
    """Run a tiny full-batch loop on one thread: on a busy 2-core machine, two OpenMP threads
    spinning against other processes make small matrix products 10x slower, and a fixed thread
    count also fixes the order of floating-point sums, so results repeat exactly."""
    old = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(old)


def make_imbalanced(
    seed: int = 0, n_samples: int = 4000, positive_fraction: float = 0.05
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, np.ndarray]:
    """A generated binary task with ~``positive_fraction`` positives (``sklearn.datasets.make_classification``),
    split in half, stratified, and standardised with the training statistics.

    Returns ``X_train`` (float32), ``y_train`` (float32 0/1), ``X_test`` (float32), ``y_test`` (NumPy int).
    """
    from sklearn.datasets import make_classification
    from sklearn.model_selection import train_test_split

    X, y = make_classification(
        n_samples=n_samples, n_features=20, n_informative=6, n_redundant=4,
        weights=[1 - positive_fraction], class_sep=0.7, flip_y=0.01, random_state=seed,
    )
    X_tr, X_te, y_tr, y_te = train_test_split(X, y, test_size=0.5, stratify=y, random_state=seed)
    mu, sd = X_tr.mean(0), X_tr.std(0)
    as_t = lambda a: torch.tensor((a - mu) / sd, dtype=torch.float32)  # noqa: E731
    return as_t(X_tr), torch.tensor(y_tr, dtype=torch.float32), as_t(X_te), y_te


IMBALANCE_METRICS = ("recall", "precision", "f1", "average_precision")


def compare_on_imbalanced(
    criteria: dict[str, Callable[[torch.Tensor, torch.Tensor], torch.Tensor]],
    seeds: Sequence[int] = (0, 1, 2, 3, 4),
    steps: int = 300,
    lr: float = 1e-2,
    hidden: int = 32,
    **data_kwargs,
) -> dict[str, np.ndarray]:
    """Train the same small MLP with each binary criterion ``loss(logits, y)`` on :func:`make_imbalanced`.

    For each seed (a new data set and a new initialisation, shared by all criteria) the model
    ``Linear(20, hidden) -> ReLU -> Linear(hidden, 1)`` takes ``steps`` full-batch Adam steps.
    Returns, per criterion, an array ``(len(seeds), 4)`` of the test-set minority-class recall,
    precision and F1 at threshold 0.5, and the average precision (threshold-free), in the order
    of :data:`IMBALANCE_METRICS`.
    """
    from sklearn.metrics import average_precision_score, f1_score, precision_score, recall_score

    results: dict[str, list[list[float]]] = {name: [] for name in criteria}
    with _one_thread():
        for seed in seeds:
            X_tr, y_tr, X_te, y_te = make_imbalanced(seed, **data_kwargs)
            for name, criterion in criteria.items():
                torch.manual_seed(seed)
                model = torch.nn.Sequential(
                    torch.nn.Linear(X_tr.shape[1], hidden), torch.nn.ReLU(), torch.nn.Linear(hidden, 1)
                )
                opt = torch.optim.Adam(model.parameters(), lr=lr)
                for _ in range(steps):
                    opt.zero_grad()
                    criterion(model(X_tr).squeeze(1), y_tr).backward()
                    opt.step()
                with torch.no_grad():
                    p = torch.sigmoid(model(X_te).squeeze(1)).numpy()
                pred = (p > 0.5).astype(int)
                results[name].append([
                    recall_score(y_te, pred, zero_division=0),
                    precision_score(y_te, pred, zero_division=0),
                    f1_score(y_te, pred, zero_division=0),
                    average_precision_score(y_te, p),
                ])
    return {name: np.array(rows) for name, rows in results.items()}
