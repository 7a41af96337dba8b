"""Patches of the ``cross_entropy`` mistakes: fragments of ``solutions/cross_entropy.py``, for instructors only.

Each ``find`` occurs exactly once in the reference. Left out of the student release.
"""

_LOSS_SHIFT = "    shifted = logits[keep] - logits[keep].max(axis=1, keepdims=True)\n    log_probs ="
_GRAD_SHIFT = "    shifted = logits[keep] - logits[keep].max(axis=1, keepdims=True)\n    e = np.exp(shifted)"
_CHECK = "    _check_arguments(logits, targets, weight, ignore_index, reduction, label_smoothing)\n"

PATCHES: dict[str, tuple[tuple[str, str], ...]] = {
    "ce_no_max_shift": (
        (_LOSS_SHIFT, "    shifted = logits[keep]\n    log_probs ="),
        (_GRAD_SHIFT, "    shifted = logits[keep]\n    e = np.exp(shifted)"),
    ),
    "ce_log_of_softmax": (
        ("log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))",
         "log_probs = np.log(np.exp(shifted) / np.exp(shifted).sum(axis=1, keepdims=True))"),
    ),
    "ce_unweighted_mean": (
        ("return losses.sum() / w[t].sum()", "return losses.sum() / t.size"),
        ("scale = w[t].sum() if reduction", "scale = t.size if reduction"),
    ),
    "ce_mean_counts_ignored": (
        ("return losses.sum() / w[t].sum()", "return losses.sum() / n"),
        ("scale = w[t].sum() if reduction", "scale = n if reduction"),
    ),
    "ce_smoothing_unweighted": (
        ("smooth = -(log_probs * w).sum(axis=1)", "smooth = -log_probs.sum(axis=1)"),
        ("(w.sum() * probs - w)", "(c * probs - 1)"),
    ),
    "ce_smoothing_other_classes": (
        ("+ label_smoothing / c * smooth",
         "+ label_smoothing / (c - 1) * (smooth - w[t] * nll)"),
        ("+ label_smoothing / c * (w.sum() * probs - w))",
         "+ label_smoothing / (c - 1) * ((w.sum() * probs - w) - w[t, None] * (probs - one_hot)))"),
    ),
    "ce_modifies_logits": (
        (_LOSS_SHIFT, "    logits -= logits.max(axis=1, keepdims=True)\n    shifted = logits[keep]\n    log_probs ="),
        (_GRAD_SHIFT, "    logits -= logits.max(axis=1, keepdims=True)\n    shifted = logits[keep]\n"
                      "    e = np.exp(shifted)"),
    ),
    "ce_grad_not_normalised": (
        ('scale = w[t].sum() if reduction == "mean" else 1', "scale = 1"),
    ),
    "ce_float64_result": (
        ("losses = np.zeros(n, dtype=logits.dtype)", "losses = np.zeros(n)"),
        ("grad = np.zeros_like(logits)", "grad = np.zeros(logits.shape)"),
    ),
    "ce_no_validation": (
        ("(as PyTorch).\n    \"\"\"\n" + _CHECK, "(as PyTorch).\n    \"\"\"\n"),
        ("IndexError: as :func:`cross_entropy`.\n    \"\"\"\n" + _CHECK, "IndexError: as :func:`cross_entropy`.\n    \"\"\"\n"),
    ),
}
