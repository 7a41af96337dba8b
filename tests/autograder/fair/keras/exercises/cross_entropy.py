"""Cross-entropy in the idiom of Keras's ``sparse_categorical_crossentropy(from_logits=True,
ignore_class=...)``: the sparse targets become a one-hot ``y_true`` cast to the logits' dtype,
smoothed as ``y_true * (1 - label_smoothing) + label_smoothing / num_classes``, the log-softmax
is ``logits - logsumexp(logits)`` (``logsumexp`` with the maximum added back), and ``ignore_class``
zeroes the ignored targets and masks their losses. The class weights multiply the (smoothed)
target, so the loss is ``-sum(target * log_prob)``, and the gradient the closed form
``sum(target) * softmax - target``; the reductions by ``np.einsum``."""

import numpy as np


def _logsumexp(x, axis=-1, keepdims=True):
    max_x = np.max(x, axis=axis, keepdims=True)
    out = np.log(np.sum(np.exp(x - max_x), axis=axis, keepdims=True)) + max_x
    return out if keepdims else np.squeeze(out, axis=axis)


def _log_softmax(x, axis=-1):
    return x - _logsumexp(x, axis=axis)


def _check(y_pred, y_true, class_weight, ignore_class, reduction, label_smoothing):
    if reduction not in ("mean", "sum", "none"):
        raise ValueError(f"Invalid value for argument `reduction`. Expected one of 'mean', 'sum', 'none'. "
                         f"Received: reduction={reduction}")
    if not 0 <= label_smoothing <= 1:
        raise ValueError(f"`label_smoothing` must be in [0, 1]. Received: label_smoothing={label_smoothing}")
    if len(y_pred.shape) != 2:
        raise ValueError(f"Arguments `target` and `output` must have rank 1 and 2. Received: "
                         f"output.shape={y_pred.shape}")
    if tuple(y_true.shape) != (y_pred.shape[0],):
        raise ValueError(f"Argument `target` must have shape ({y_pred.shape[0]},). Received: "
                         f"target.shape={y_true.shape}")
    if class_weight is not None and tuple(class_weight.shape) != (y_pred.shape[1],):
        raise ValueError(f"Argument `weight` must have shape ({y_pred.shape[1]},). Received: "
                         f"weight.shape={class_weight.shape}")
    valid = y_true != ignore_class
    if np.any(valid & ((y_true < 0) | (y_true >= y_pred.shape[1]))):
        raise IndexError(f"Target out of bounds [0, {y_pred.shape[1]}) and not ignore_class={ignore_class}")


def _weighted_target(y_pred, y_true, class_weight, ignore_class, label_smoothing):
    """The target matrix (one-hot, smoothed, times the class weights; zero rows for ignored targets),
    the validity mask and the sample weights w[y_i]."""
    num_classes = y_pred.shape[-1]
    dtype = y_pred.dtype
    valid_mask = y_true != ignore_class
    y_true = np.where(valid_mask, y_true, 0)
    target = np.eye(num_classes, dtype=dtype)[y_true]  # ops.one_hot
    if label_smoothing:
        target = target * (1.0 - label_smoothing) + (label_smoothing / num_classes)
    if class_weight is not None:
        class_weight = np.asarray(class_weight, dtype=dtype)
        target = target * class_weight
        sample_weight = class_weight[y_true]
    else:
        sample_weight = np.ones(y_true.shape, dtype=dtype)
    target = target * valid_mask[:, None].astype(dtype)
    sample_weight = sample_weight * valid_mask.astype(dtype)
    return target, valid_mask, sample_weight


def _reduce(values, sample_weight, reduction):
    if reduction == "none":
        return values
    total = np.sum(values, axis=0)
    if reduction == "sum":
        return total
    with np.errstate(invalid="ignore", divide="ignore"):
        return total / np.sum(sample_weight)


def cross_entropy(logits, targets, weight=None, ignore_index=-100, reduction="mean", label_smoothing=0.0):
    _check(logits, targets, weight, ignore_index, reduction, label_smoothing)
    target, _, sample_weight = _weighted_target(logits, targets, weight, ignore_index, label_smoothing)
    log_prob = _log_softmax(logits, axis=-1)
    losses = -np.einsum("nc,nc->n", target, log_prob)
    return _reduce(losses, sample_weight, reduction)


def cross_entropy_grad(logits, targets, weight=None, ignore_index=-100, reduction="mean", label_smoothing=0.0):
    _check(logits, targets, weight, ignore_index, reduction, label_smoothing)
    target, _, sample_weight = _weighted_target(logits, targets, weight, ignore_index, label_smoothing)
    softmax = np.exp(_log_softmax(logits, axis=-1))
    grad = np.einsum("nc,n->nc", softmax, target.sum(axis=-1)) - target
    if reduction == "mean":
        total = np.sum(sample_weight)
        if total > 0:
            grad = grad / total
        else:
            grad = np.zeros_like(grad)  # every target ignored: autograd gives zeros
    return grad.astype(logits.dtype, copy=False)
