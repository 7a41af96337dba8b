"""Gradient accumulation as Lightning's automatic optimization runs it: a ``_PrefetchDataFetcher``
reads one micro-batch ahead so that the loop knows which one is the last (Lightning's ``done``), the
micro-batches that do not step run ``closure()`` (forward and backward) directly, and the one that
steps hands the closure to ``optimizer.step(closure)``, which calls it once: forward, backward, then
``_after_closure`` (``on_before_optimizer_step`` and ``clip_gradients``) before the update. Each
micro-batch backpropagates ``n_i * loss_i``; ``_after_closure`` first divides the accumulated
gradients by ``N``. The norm is Lightning's ``grad_norm`` utility: one norm per gradient, then the
norm of those norms; the scale is applied with ``mul_`` to ``p.grad.data``."""

import math

import torch


class _PrefetchDataFetcher:
    """Yields (batch, done): done is True for the last batch, found by reading one batch ahead."""

    def __init__(self, iterable):
        self.iterator = iter(iterable)
        self._sentinel = object()

    def __iter__(self):
        current = next(self.iterator, self._sentinel)
        while current is not self._sentinel:
            upcoming = next(self.iterator, self._sentinel)
            yield current, upcoming is self._sentinel
            current = upcoming


def grad_norm_total(parameters, norm_type):
    norms = [p.grad.data.norm(norm_type) for p in parameters]
    return torch.stack(norms).norm(norm_type)


def clip_grad_norm(parameters, max_norm, norm_type=2.0):
    if isinstance(parameters, torch.Tensor):
        parameters = [parameters]
    with_grads = [p for p in parameters if p.grad is not None]
    if len(with_grads) == 0:
        return torch.tensor(0.0)
    total_norm = grad_norm_total(with_grads, float(norm_type))
    clip_coef = max_norm / (total_norm + 1e-6)
    clip_coef_clamped = torch.clamp(clip_coef, max=1.0)
    for p in with_grads:
        p.grad.data.mul_(clip_coef_clamped.to(p.grad.dtype))
    return total_norm


def train_accumulated(model, optimizer, loss_fn, batches, accumulation_steps, max_norm=None, norm_type=2.0):
    if accumulation_steps < 1:
        raise ValueError(f"accumulate_grad_batches should be >= 1, got {accumulation_steps}")
    if max_norm is not None and not max_norm > 0:
        raise ValueError(f"gradient_clip_val should be > 0 or None, got {max_norm}")
    model.train()
    optimizer.zero_grad()
    outputs = []
    acc = {"loss_sum": 0.0, "samples": 0, "micro_batches": 0, "grad_norm": None}

    def training_step(batch):
        x, y = batch
        loss = loss_fn(model(x), y)
        (loss * x.shape[0]).backward()
        acc["loss_sum"] += loss.item() * x.shape[0]
        acc["samples"] += x.shape[0]
        acc["micro_batches"] += 1
        return loss

    def after_closure():
        n = acc["samples"]
        for p in model.parameters():
            if p.grad is not None:
                p.grad.data.div_(n)
        if max_norm is not None:
            acc["grad_norm"] = float(clip_grad_norm(model.parameters(), max_norm, norm_type))

    for batch_idx, (batch, done) in enumerate(_PrefetchDataFetcher(batches)):
        should_step = (acc["micro_batches"] + 1) == accumulation_steps or done
        if not should_step:
            training_step(batch)
            continue

        def closure(batch=batch):
            loss = training_step(batch)
            after_closure()
            return loss

        optimizer.step(closure)
        optimizer.zero_grad()
        outputs.append({"loss": acc["loss_sum"] / acc["samples"], "grad_norm": acc["grad_norm"],
                        "samples": acc["samples"], "micro_batches": acc["micro_batches"]})
        acc.update(loss_sum=0.0, samples=0, micro_batches=0, grad_norm=None)
    return outputs
