"""The two-layer network as Keras builds it, in NumPy: ``Dense`` layers that keep a ``kernel`` of shape
``(in, out)`` (so the exercise's ``W`` is ``kernel.T``) and a ``bias``, an ``Activation("relu")`` layer,
and ``SparseCategoricalCrossentropy(from_logits=True)`` whose log-softmax is Keras's NumPy backend's
``x - max - log(sum(exp(x - max)))``. Each layer keeps its input in ``call`` and returns the input's
gradient from ``backward``, storing its own weights' gradients; the model runs the layers in order and
back. Each argument is checked on its own, and each error names the one argument it is about."""

import numpy as np


class Dense:
    def __init__(self, kernel, bias):
        self.kernel = kernel  # (in_features, out_features), Keras's layout
        self.bias = bias
        self.inputs = None
        self.kernel_grad = self.bias_grad = None

    def call(self, inputs):
        self.inputs = inputs
        return np.matmul(inputs, self.kernel) + self.bias

    def backward(self, upstream):
        self.kernel_grad = np.matmul(self.inputs.T, upstream)  # (in, out)
        self.bias_grad = np.sum(upstream, axis=0)
        return np.matmul(upstream, self.kernel.T)


class ReLU:
    def __init__(self):
        self.inputs = None

    def call(self, inputs):
        self.inputs = inputs
        return np.maximum(inputs, np.zeros((), dtype=inputs.dtype))

    def backward(self, upstream):
        return upstream * (self.inputs > 0).astype(upstream.dtype)  # 0 at exactly 0, as PyTorch


def _log_softmax(x, axis=-1):
    max_x = np.max(x, axis=axis, keepdims=True)
    logsumexp = np.log(np.sum(np.exp(x - max_x), axis=axis, keepdims=True))
    return x - max_x - logsumexp


class SparseCategoricalCrossentropy:
    """from_logits=True, reduction="sum_over_batch_size" (the mean over the batch)."""

    def __call__(self, y_true, y_pred):
        self.y_true, self.log_prob = y_true, _log_softmax(y_pred)
        n = y_pred.shape[0]
        return -np.mean(self.log_prob[np.arange(n), y_true])

    def backward(self):
        n, c = self.log_prob.shape
        one_hot = (self.y_true[:, None] == np.arange(c)[None, :]).astype(self.log_prob.dtype)
        return (np.exp(self.log_prob) - one_hot) / np.asarray(n, dtype=self.log_prob.dtype)


def _check_inputs(x, targets, W1, b1, W2, b2):
    if x.ndim != 2:
        raise ValueError(f"Input x must have rank 2 (batch, features), received shape {x.shape}")
    if x.dtype not in (np.float32, np.float64):
        raise ValueError(f"Input x must be float32 or float64, received dtype {x.dtype}")
    n, d = x.shape
    if targets.shape != (n,):
        raise ValueError(f"targets must have shape ({n},), received {targets.shape}")
    if W1.ndim != 2 or W1.shape[1] != d:
        raise ValueError(f"W1 must have shape (units, {d}), received {W1.shape}")
    h = W1.shape[0]
    if b1.shape != (h,):
        raise ValueError(f"b1 must have shape ({h},), received {b1.shape}")
    if W2.ndim != 2 or W2.shape[1] != h:
        raise ValueError(f"W2 must have shape (classes, {h}), received {W2.shape}")
    c = W2.shape[0]
    if b2.shape != (c,):
        raise ValueError(f"b2 must have shape ({c},), received {b2.shape}")
    for name, value in (("W1", W1), ("b1", b1), ("W2", W2), ("b2", b2)):
        if value.dtype != x.dtype:
            raise ValueError(f"{name} has dtype {value.dtype}; every weight must have the inputs' dtype "
                             f"{x.dtype}")
    if np.any(targets < 0) or np.any(targets >= c):
        raise IndexError(f"Received a target outside [0, {c}): {targets}")


def mlp_forward_backward(x, targets, W1, b1, W2, b2):
    _check_inputs(x, targets, W1, b1, W2, b2)
    hidden, relu, output = Dense(W1.T, b1), ReLU(), Dense(W2.T, b2)
    loss_fn = SparseCategoricalCrossentropy()
    logits = output.call(relu.call(hidden.call(x)))
    loss = loss_fn(targets, logits)
    upstream = loss_fn.backward()
    hidden.backward(relu.backward(output.backward(upstream)))
    grads = {"W1": hidden.kernel_grad.T, "b1": hidden.bias_grad,
             "W2": output.kernel_grad.T, "b2": output.bias_grad}
    return loss, grads
