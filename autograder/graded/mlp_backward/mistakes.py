"""The catalogue of known mistakes of the ``mlp_backward`` exercise: names, titles, hints, where charged.

The patches that turn the reference into each mistake are in ``patches.py`` (instructor only).
"""

from __future__ import annotations

from autograder.exercise import mistake as _m

CATALOGUE = (
    _m("mlp_grad_no_mean", "mlp_backward", "the gradient of the mean without the 1/N",
       "The loss is the mean of the N per-sample losses, so dL/dZ = (P - Y) / N; every gradient below it "
       "inherits the 1/N. Without it each gradient is N times too large.",
       charged_on=("grad_W2", "grad_b2")),
    _m("mlp_relu_grad_at_zero", "mlp_backward", "ReLU's derivative taken as 1 at exactly 0 (A1 >= 0)",
       "PyTorch's ReLU has derivative 0 where the pre-activation is exactly 0 (the mask is A1 > 0). Masking "
       "with A1 >= 0 passes the gradient through units that are exactly 0; with H1 > 0 it is the same as "
       "A1 > 0, so either is right.", charged_on=("grads_relu_zero",)),
    _m("mlp_no_relu_mask", "mlp_backward", "the ReLU's derivative is missing: dA1 = dH1",
       "The gradient reaching the first layer passes through the ReLU: dA1 = dH1 * (A1 > 0), zero where the "
       "unit was off. Without the mask dW1 and db1 collect gradient from units that did not fire.",
       charged_on=("grad_W1", "grad_b1")),
    _m("mlp_transposed_weight_grad", "mlp_backward", "the weight gradients transposed (the (in, out) layout)",
       "nn.Linear stores a weight as (out_features, in_features) and computes X @ W.T, so its gradient is "
       "(upstream gradient).T @ (layer input): dW2 = dZ.T @ H1 of shape (C, H), dW1 = dA1.T @ X of shape "
       "(H, D). The chapter's X @ W1 layout has the transposes, H1.T @ dZ and X.T @ dA1.",
       charged_on=("grad_W1", "grad_W2")),
    _m("mlp_bias_grad_wrong_axis", "mlp_backward", "the bias gradients summed over the units, not the samples",
       "A bias is added to every row (sample) of the batch, so its gradient is the sum of the upstream "
       "gradient over the rows: db2 = dZ.sum(axis=0), shape (C,); db1 = dA1.sum(axis=0), shape (H,).",
       charged_on=("grad_b1", "grad_b2")),
    _m("mlp_W2_grad_preactivation", "mlp_backward", "dW2 computed from the pre-activations A1 instead of H1",
       "The second layer's input is the ReLU's output H1 = max(A1, 0), so dW2 = dZ.T @ H1; with A1 the "
       "negative pre-activations leak into dW2.", charged_on=("grad_W2",)),
    _m("mlp_no_max_shift", "mlp_backward", "softmax of the raw logits (no max subtracted): overflow",
       "exp(Z) overflows for logits above ~709 (float64) or ~88 (float32), and inf / inf is NaN. Subtract "
       "each row's maximum first: Z - Z.max(axis=1, keepdims=True) changes neither the softmax nor the loss.",
       charged_on=("loss_large_logits", "grads_large_logits")),
    _m("mlp_log_of_softmax", "mlp_backward", "log(softmax(Z)) instead of the log-softmax: log(0) = -inf",
       "A probability of exp(-2e4) underflows to 0 and its log is -inf, although the loss is finite. Compute "
       "the log-probability of the target directly: (Z - m)[i, y_i] - log(sum_c exp(Z[i, c] - m)).",
       charged_on=("loss_large_logits",)),
    _m("mlp_float64_result", "mlp_backward", "float64 gradients for float32 inputs",
       "np.eye(C) and np.zeros(shape) are float64, and so is everything computed with them: a one-hot made "
       "that way turns float32 gradients into float64. Use dtype=x.dtype, or subtract 1 at the targets in place.",
       match=False, charged_on=("dtypes",)),
    _m("mlp_no_validation", "mlp_backward", "the arguments are not checked",
       "Call the helper _check_arguments with all six arguments first: it raises the ValueError and "
       "IndexError the docstring promises.", charged_on=("validation", "target_range")),
)
