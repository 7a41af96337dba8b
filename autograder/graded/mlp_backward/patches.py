"""Patches of the ``mlp_backward`` mistakes: fragments of ``solutions/mlp_backward.py``, for instructors only.

Each ``find`` occurs exactly once in the reference. Left out of the student release.
"""

PATCHES: dict[str, tuple[tuple[str, str], ...]] = {
    "mlp_grad_no_mean": (
        ("    dz /= n\n", ""),
    ),
    "mlp_relu_grad_at_zero": (
        ("np.where(a1 > 0, dh1, 0)", "np.where(a1 >= 0, dh1, 0)"),
    ),
    "mlp_no_relu_mask": (
        ("da1 = np.where(a1 > 0, dh1, 0)", "da1 = dh1"),
    ),
    "mlp_transposed_weight_grad": (
        ('"W1": da1.T @ x', '"W1": x.T @ da1'),
        ('"W2": dz.T @ h1', '"W2": h1.T @ dz'),
    ),
    "mlp_bias_grad_wrong_axis": (
        ('"b1": da1.sum(axis=0)', '"b1": da1.sum(axis=1)'),
        ('"b2": dz.sum(axis=0)', '"b2": dz.sum(axis=1)'),
    ),
    "mlp_W2_grad_preactivation": (
        ('"W2": dz.T @ h1', '"W2": dz.T @ a1'),
    ),
    "mlp_no_max_shift": (
        ("z_shifted = z - z.max(axis=1, keepdims=True)", "z_shifted = z"),
    ),
    "mlp_log_of_softmax": (
        ("log_likelihood = z_shifted[rows, targets] - np.log(total)",
         "log_likelihood = np.log(exp_z[rows, targets] / total)"),
    ),
    "mlp_float64_result": (
        ("    dz = exp_z / total[:, None]\n    dz[rows, targets] -= 1\n",
         "    dz = exp_z / total[:, None] - np.eye(W2.shape[0])[targets]\n"),
    ),
    "mlp_no_validation": (
        ("    _check_arguments(x, targets, W1, b1, W2, b2)\n", ""),
    ),
}
