"""Gradient accumulation as Keras 3 optimizers do it (``gradient_accumulation_steps``): the gradients
are taken as a ``GradientTape`` takes them (``torch.autograd.grad`` of each micro-batch's loss with
respect to the trainable weights, not ``backward()`` into ``p.grad``) and added into accumulator
tensors, one per weight; here each micro-batch's gradient is weighted by its size ``n_i`` and the
sum divided by ``N`` when the group is applied (Keras divides by the number of steps, which is the
same only for equal micro-batches). Clipping is ``global_clipnorm``'s ``clip_by_global_norm``:
``global_norm`` as ``sqrt(2 * sum(l2_loss(t)))`` for the 2-norm (the p-th root of the sum of
``|g| ** p`` otherwise, the largest ``|g|`` for inf), with the coefficient the docstring gives.
The reported loss is a ``Mean`` metric updated with ``sample_weight=n_i``."""

import math

import torch


def _l2_loss(t):
    return torch.sum(t * t) / 2  # tf.nn.l2_loss


def global_norm(t_list, norm_type=2.0):
    if norm_type == math.inf:
        return torch.stack([t.abs().max() for t in t_list]).max()
    if norm_type == 2.0:
        half_squared_norm = torch.sum(torch.stack([_l2_loss(t) for t in t_list]))
        return torch.sqrt(half_squared_norm * 2)
    total = torch.sum(torch.stack([torch.sum(t.abs() ** norm_type) for t in t_list]))
    return total ** (1.0 / norm_type)


def clip_grad_norm(parameters, max_norm, norm_type=2.0):
    if isinstance(parameters, torch.Tensor):
        parameters = [parameters]
    variables = [v for v in parameters if v.grad is not None]
    if not variables:
        return torch.tensor(0.0)
    with torch.no_grad():
        use_norm = global_norm([v.grad for v in variables], float(norm_type))
        scale = torch.clamp(max_norm / (use_norm + 1e-6), max=1.0)
        for v in variables:
            v.grad = v.grad * scale
    return use_norm


class Mean:
    """keras.metrics.Mean: a weighted running mean."""

    def __init__(self):
        self.total, self.count = 0.0, 0

    def update_state(self, value, sample_weight=1):
        self.total += float(value) * sample_weight
        self.count += sample_weight

    def result(self):
        return self.total / self.count


def train_accumulated(model, optimizer, loss_fn, batches, accumulation_steps, max_norm=None, norm_type=2.0):
    if accumulation_steps < 1:
        raise ValueError(f"`gradient_accumulation_steps` must be an integer >= 1. Received: {accumulation_steps}")
    if max_norm is not None and max_norm <= 0:
        raise ValueError(f"`global_clipnorm` must be > 0 (or None). Received: {max_norm}")
    model.train()
    optimizer.zero_grad()
    trainable_weights = [p for p in model.parameters() if p.requires_grad]
    history = []
    state = {}

    def reset():
        state.update(accumulators=[None] * len(trainable_weights), samples=0, micro_batches=0, loss=Mean())

    def apply_gradients():
        n = state["samples"]
        for v, acc in zip(trainable_weights, state["accumulators"]):
            v.grad = None if acc is None else acc / n
        grad_norm = None
        if max_norm is not None:
            grad_norm = float(clip_grad_norm(model.parameters(), max_norm, norm_type))
        optimizer.step()
        optimizer.zero_grad()
        history.append({"loss": state["loss"].result(), "grad_norm": grad_norm, "samples": n,
                        "micro_batches": state["micro_batches"]})
        reset()

    reset()
    for x, y in batches:
        n_i = x.shape[0]
        loss = loss_fn(model(x), y)
        grads = torch.autograd.grad(loss, trainable_weights, allow_unused=True)
        with torch.no_grad():
            for j, g in enumerate(grads):
                if g is not None:
                    acc = state["accumulators"][j]
                    state["accumulators"][j] = g * n_i if acc is None else acc + g * n_i
        state["loss"].update_state(loss.detach(), sample_weight=n_i)
        state["samples"] += n_i
        state["micro_batches"] += 1
        if state["micro_batches"] == accumulation_steps:
            apply_gradients()
    if state["micro_batches"]:
        apply_gradients()
    return history
