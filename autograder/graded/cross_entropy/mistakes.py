"""The catalogue of known mistakes of the ``cross_entropy`` exercise: names, titles, hints, where charged.

The patches that turn the reference into each mistake are in ``patches.py`` (instructor only).
"""

from __future__ import annotations

from autograder.exercise import mistake as _m

CATALOGUE = (
    _m("ce_no_max_shift", "cross_entropy", "exp of the raw logits (no max subtracted): overflow on large logits",
       "exp(z) overflows for z > 709 (float64) or 88 (float32) and gives inf/inf = NaN. Subtract each row's "
       "maximum first: shifted = z - z.max(axis=1, keepdims=True); then log_softmax = shifted - "
       "log(exp(shifted).sum(axis=1, keepdims=True)) and softmax = exp(shifted) / exp(shifted).sum(...).",
       charged_on=("loss_large_logits", "grad_large_logits", "loss_float32", "grad_float32")),
    _m("ce_log_of_softmax", "cross_entropy", "log(softmax(z)) instead of the log-softmax: log(0) = -inf",
       "A probability of exp(-2e4) underflows to 0 and its log is -inf, although the loss is a finite 2e4. "
       "Compute the log-softmax directly: (z - m) - log(sum(exp(z - m))), never np.log of the softmax.",
       charged_on=("loss_large_logits",)),
    _m("ce_unweighted_mean", "cross_entropy", "the weighted mean divided by the number of targets",
       "With class weights, reduction='mean' is PyTorch's weighted mean: divide the sum of the weighted losses "
       "by the sum of the weights of the non-ignored targets, w[y[keep]].sum(), not by their number "
       "(the gradient too).", charged_on=("loss_weights", "grad_weights_ignore")),
    _m("ce_mean_counts_ignored", "cross_entropy", "the mean divided by N, ignored samples included",
       "Ignored samples do not count in the mean: divide by the sum of the weights of the non-ignored targets "
       "(without weights, their number), not by N = len(targets) (the gradient too).",
       charged_on=("loss_ignore", "grad_weights_ignore")),
    _m("ce_smoothing_unweighted", "cross_entropy", "the smoothing term does not use the class weights",
       "PyTorch weights the smoothing term too: (eps / C) * sum_c w[c] * (-log p[c]), whose gradient is "
       "(eps / C) * (sum(w) * p - w); without weights it is the plain sum over the classes.",
       charged_on=("loss_smoothing_weights", "grad_smoothing")),
    _m("ce_smoothing_other_classes", "cross_entropy", "label smoothing as eps / (C - 1) on the other classes",
       "PyTorch mixes the one-hot target with the uniform distribution over ALL C classes: "
       "(1 - eps) * onehot + eps / C, so the true class gets 1 - eps + eps / C. Spreading eps over the C - 1 "
       "other classes is another convention (the lesson text's), with other values.",
       charged_on=("loss_smoothing", "grad_smoothing")),
    _m("ce_modifies_logits", "cross_entropy", "the max is subtracted from the caller's logits in place",
       "logits -= logits.max(...) changes the caller's array (their model output, say). Make a new array: "
       "shifted = logits - logits.max(axis=1, keepdims=True).", match=False,
       charged_on=("loss_inputs_untouched", "grad_inputs_untouched")),
    _m("ce_grad_not_normalised", "cross_entropy", "the gradient of the mean is not divided by the normaliser",
       "The mean divides the summed loss by the sum of the weights of the non-ignored targets, so its "
       "gradient is divided by the same number; only 'sum' and 'none' are not divided.",
       charged_on=("grad_mean",)),
    _m("ce_float64_result", "cross_entropy", "a float64 result for float32 logits",
       "np.zeros(n) and np.zeros(shape) are float64 and so is everything computed into them: create arrays with "
       "dtype=logits.dtype (np.zeros_like(logits), np.zeros(n, dtype=logits.dtype)).", match=False,
       charged_on=("loss_dtype", "grad_dtype")),
    _m("ce_no_validation", "cross_entropy", "the arguments are not checked",
       "Call the helper _check_arguments with all six arguments first in both "
       "functions: it raises the ValueError and IndexError the docstrings promise.",
       charged_on=("validation", "target_range", "grad_validation")),
)
