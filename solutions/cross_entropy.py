"""Exercise ``cross_entropy``: the cross-entropy loss from logits and its gradient, by hand in NumPy.

``cross_entropy`` computes what ``torch.nn.functional.cross_entropy`` computes for class-index
targets, and ``cross_entropy_grad`` what autograd gives as its gradient. For logits ``z`` of
shape ``(N, C)``, targets ``y`` of shape ``(N,)``, class weights ``w`` (all ones when ``weight``
is ``None``) and label smoothing ``eps``, the loss of sample ``i`` is::

    lse_i = m_i + log(sum_c exp(z[i, c] - m_i)),  where m_i = max_c z[i, c]
    loss_i = (1 - eps) * w[y_i] * (lse_i - z[i, y_i]) + (eps / C) * sum_c w[c] * (lse_i - z[i, c])

Subtracting the row's maximum ``m_i`` (the log-sum-exp trick) changes nothing mathematically and
keeps every ``exp`` at most 1, so that logits of ``+-1e4`` give finite, exact losses and gradients.
``lse_i - z[i, c]`` is ``-log softmax(z_i)[c]``. The smoothing term is PyTorch's: the target is
the mixture ``(1 - eps) * onehot(y_i) + eps / C`` of the one-hot and the uniform distribution,
and its every class ``c`` is weighted by ``w[c]``.

A sample whose target is ``ignore_index`` contributes nothing: its loss is 0, its row of the
gradient is 0, and it does not count in the mean. ``reduction`` then gives::

    "none": the N losses loss_i (0 for an ignored sample)
    "sum": sum_i loss_i
    "mean": sum_i loss_i / sum_{i not ignored} w[y_i]

The mean is PyTorch's weighted mean: it divides by the sum of the weights of the non-ignored
targets (without weights, by their number), not by ``N``. When every target is ignored, the mean
is ``0 / 0 = NaN``, as in PyTorch, and its gradient is zero.

The gradient of the loss of sample ``i`` with respect to its logits, with ``p_i = softmax(z_i)``
and ``W = sum_c w[c]``, is (divided by the same sum of weights for ``"mean"``)::

    d loss_i / d z[i, k] = (1 - eps) * w[y_i] * (p[i, k] - [k == y_i]) + (eps / C) * (W * p[i, k] - w[k])
"""

from __future__ import annotations

import numpy as np

__all__ = ["cross_entropy", "cross_entropy_grad"]


def _check_arguments(logits: np.ndarray, targets: np.ndarray, weight: np.ndarray | None, ignore_index: int,
                     reduction: str, label_smoothing: float) -> None:
    """Raise the errors that the docstrings of both functions promise; call it first in each."""
    if reduction not in ("mean", "sum", "none"):
        raise ValueError(f"{reduction} is not a valid value for reduction")
    if not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(f"label_smoothing must be between 0.0 and 1.0, got {label_smoothing}")
    if logits.ndim != 2:
        raise ValueError(f"logits must have shape (N, C), got {logits.shape}")
    if targets.shape != logits.shape[:1]:
        raise ValueError(f"targets must have shape {logits.shape[:1]}, got {targets.shape}")
    if weight is not None and weight.shape != logits.shape[1:]:
        raise ValueError(f"weight must have shape {logits.shape[1:]}, got {weight.shape}")
    kept = targets[targets != ignore_index]
    if np.any((kept < 0) | (kept >= logits.shape[1])):
        raise IndexError(f"a target is out of bounds [0, {logits.shape[1]}) and is not ignore_index")


def cross_entropy(
    logits: np.ndarray,
    targets: np.ndarray,
    weight: np.ndarray | None = None,
    ignore_index: int = -100,
    reduction: str = "mean",
    label_smoothing: float = 0.0,
) -> np.ndarray:
    """The cross-entropy of ``logits`` against class-index ``targets``, as ``F.cross_entropy``.

    Args:
        logits: a float32 or float64 array of shape ``(N, C)``, unnormalised log-probabilities.
        targets: an integer array of shape ``(N,)``; each is a class in ``[0, C)`` or ``ignore_index``.
        weight: the weight of each class, an array of shape ``(C,)`` in the dtype of ``logits``
            (default ``None``: every weight is 1).
        ignore_index: the target value of the samples to ignore (default -100); it may be a class.
        reduction: ``"mean"`` (default), ``"sum"`` or ``"none"``.
        label_smoothing: ``eps``, in ``[0, 1]`` (default 0.0).

    Returns:
        The loss, in the dtype of ``logits``: a scalar (a NumPy scalar or 0-d array) for
        ``"mean"`` and ``"sum"``, an array of shape ``(N,)`` for ``"none"``. The arguments are
        not modified.

    Raises:
        ValueError: for a ``reduction`` other than the three, a ``label_smoothing`` outside
            ``[0, 1]``, ``logits`` that are not 2-D, ``targets`` not of shape ``(N,)``, or a
            ``weight`` not of shape ``(C,)``.
        IndexError: for a target outside ``[0, C)`` that is not ``ignore_index`` (as PyTorch).
    """
    _check_arguments(logits, targets, weight, ignore_index, reduction, label_smoothing)
    n, c = logits.shape
    w = np.ones(c, dtype=logits.dtype) if weight is None else weight
    keep = targets != ignore_index
    t = targets[keep]
    shifted = logits[keep] - logits[keep].max(axis=1, keepdims=True)
    log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))  # log softmax
    nll = -log_probs[np.arange(t.size), t]
    smooth = -(log_probs * w).sum(axis=1)
    losses = np.zeros(n, dtype=logits.dtype)
    losses[keep] = (1 - label_smoothing) * w[t] * nll + label_smoothing / c * smooth
    if reduction == "none":
        return losses
    if reduction == "sum":
        return losses.sum()
    with np.errstate(invalid="ignore"):  # every target ignored: 0 / 0 = NaN, as PyTorch
        return losses.sum() / w[t].sum()


def cross_entropy_grad(
    logits: np.ndarray,
    targets: np.ndarray,
    weight: np.ndarray | None = None,
    ignore_index: int = -100,
    reduction: str = "mean",
    label_smoothing: float = 0.0,
) -> np.ndarray:
    """The gradient ``d loss / d logits`` of :func:`cross_entropy` with the same arguments, by hand.

    It is what ``torch.autograd`` gives for ``F.cross_entropy``; for ``"none"``, the gradient of
    the sum of the N losses (row ``i`` is the gradient of ``loss_i``).

    Args:
        logits: as for :func:`cross_entropy`.
        targets: as for :func:`cross_entropy`.
        weight: as for :func:`cross_entropy` (default ``None``).
        ignore_index: as for :func:`cross_entropy` (default -100).
        reduction: as for :func:`cross_entropy` (default ``"mean"``).
        label_smoothing: as for :func:`cross_entropy` (default 0.0).

    Returns:
        An array of the shape and dtype of ``logits``: zero rows for the ignored samples, all
        zeros for ``"mean"`` when every target is ignored. The arguments are not modified.

    Raises:
        ValueError: as :func:`cross_entropy`.
        IndexError: as :func:`cross_entropy`.
    """
    _check_arguments(logits, targets, weight, ignore_index, reduction, label_smoothing)
    n, c = logits.shape
    w = np.ones(c, dtype=logits.dtype) if weight is None else weight
    keep = targets != ignore_index
    t = targets[keep]
    shifted = logits[keep] - logits[keep].max(axis=1, keepdims=True)
    e = np.exp(shifted)
    probs = e / e.sum(axis=1, keepdims=True)  # softmax
    one_hot = np.zeros_like(probs)
    one_hot[np.arange(t.size), t] = 1
    scale = w[t].sum() if reduction == "mean" else 1  # the mean's normaliser
    grad = np.zeros_like(logits)
    grad[keep] = ((1 - label_smoothing) * w[t, None] * (probs - one_hot)
                  + label_smoothing / c * (w.sum() * probs - w)) / scale
    return grad
