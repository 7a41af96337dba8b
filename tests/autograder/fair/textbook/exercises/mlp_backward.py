"""The backward pass written as in a textbook: one loop over the samples, each one's softmax with its
maximum subtracted, the chain rule applied to that sample, the gradients averaged at the end."""

import numpy as np


def mlp_forward_backward(x, targets, W1, b1, W2, b2):
    if x.ndim != 2:
        raise ValueError("x must be 2-D")
    if x.dtype != np.float32 and x.dtype != np.float64:
        raise ValueError("x must be float32 or float64")
    if targets.ndim != 1 or len(targets) != len(x):
        raise ValueError("targets must have one entry per sample")
    if W1.ndim != 2 or W1.shape[1] != x.shape[1]:
        raise ValueError("W1 must have shape (H, D)")
    if b1.ndim != 1 or b1.shape[0] != W1.shape[0]:
        raise ValueError("b1 must have shape (H,)")
    if W2.ndim != 2 or W2.shape[1] != W1.shape[0]:
        raise ValueError("W2 must have shape (C, H)")
    if b2.ndim != 1 or b2.shape[0] != W2.shape[0]:
        raise ValueError("b2 must have shape (C,)")
    if W1.dtype != x.dtype:
        raise ValueError("W1 must have the dtype of x")
    if b1.dtype != x.dtype:
        raise ValueError("b1 must have the dtype of x")
    if W2.dtype != x.dtype:
        raise ValueError("W2 must have the dtype of x")
    if b2.dtype != x.dtype:
        raise ValueError("b2 must have the dtype of x")
    n_classes = W2.shape[0]
    for t in targets:
        if t < 0 or t >= n_classes:
            raise IndexError("target out of range")

    n = x.shape[0]
    total_loss = 0.0
    dW1 = np.zeros_like(W1)
    db1 = np.zeros_like(b1)
    dW2 = np.zeros_like(W2)
    db2 = np.zeros_like(b2)
    for i in range(n):
        # forward for sample i
        a = W1 @ x[i] + b1
        h = np.maximum(a, 0)
        z = W2 @ h + b2
        shifted = z - z.max()
        log_sum = np.log(np.exp(shifted).sum())
        total_loss += log_sum - shifted[targets[i]]
        # backward for sample i (the 1/n of the mean comes at the end)
        p = np.exp(shifted - log_sum)
        dz = p.copy()
        dz[targets[i]] -= 1
        dW2 += np.outer(dz, h)
        db2 += dz
        dh = W2.T @ dz
        da = dh * (a > 0)
        dW1 += np.outer(da, x[i])
        db1 += da
    loss = x.dtype.type(total_loss / n)
    grads = {"W1": dW1 / n, "b1": db1 / n, "W2": dW2 / n, "b2": db2 / n}
    return loss, grads
