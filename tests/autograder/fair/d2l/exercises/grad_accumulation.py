"""Gradient accumulation with d2l's tools: ``grad_clipping(net, theta)`` of "Recurrent Neural Networks
from Scratch" (the norm as Python's ``sum`` of per-tensor sums, ``param.grad[:] *= ...`` in place,
applied only when it shrinks), generalised to a p-norm and given the docstring's ``+ 1e-6``; the
loop of ``train_epoch_ch8`` (``updater.zero_grad()``, ``l.backward()``, ``grad_clipping``,
``updater.step()``) with ``l`` each micro-batch's mean loss times ``n_i / N``, the micro-batches of a
group first gathered in a list, and ``d2l.Accumulator`` for the sums of losses and samples."""

import math

import torch


class Accumulator:
    """For accumulating sums over n variables."""

    def __init__(self, n):
        self.data = [0.0] * n

    def add(self, *args):
        self.data = [a + float(b) for a, b in zip(self.data, args)]

    def reset(self):
        self.data = [0.0] * len(self.data)

    def __getitem__(self, idx):
        return self.data[idx]


def clip_grad_norm(parameters, max_norm, norm_type=2.0):
    """d2l's grad_clipping over any parameters, any p-norm; returns the norm before clipping."""
    if isinstance(parameters, torch.Tensor):
        parameters = [parameters]
    params = [p for p in parameters if p.grad is not None]
    if not params:
        return torch.tensor(0.0)
    norm_type = float(norm_type)
    if norm_type == math.inf:
        norm = max(torch.max(torch.abs(p.grad)) for p in params)
    else:
        norm = sum(torch.sum(torch.abs(p.grad) ** norm_type) for p in params) ** (1.0 / norm_type)
    coef = max_norm / (norm + 1e-6)
    if coef < 1:
        for param in params:
            param.grad[:] *= coef
    return norm


def train_accumulated(model, optimizer, loss_fn, batches, accumulation_steps, max_norm=None, norm_type=2.0):
    if accumulation_steps < 1:
        raise ValueError("accumulation_steps must be at least 1")
    if max_norm is not None and max_norm <= 0:
        raise ValueError("max_norm must be positive (or None)")
    net, updater, loss = model, optimizer, loss_fn
    net.train()
    updater.zero_grad()
    records = []
    metric = Accumulator(2)  # sum of n_i * loss_i, N

    def update(group):
        num_samples = sum(X.shape[0] for X, _ in group)
        metric.reset()
        for X, y in group:
            y_hat = net(X)
            l = loss(y_hat, y)
            (l * X.shape[0] / num_samples).backward()
            metric.add(l.detach() * X.shape[0], X.shape[0])
        norm = None
        if max_norm is not None:
            norm = float(clip_grad_norm(net.parameters(), max_norm, norm_type))
        updater.step()
        updater.zero_grad()
        records.append({"loss": metric[0] / metric[1], "grad_norm": norm, "samples": num_samples,
                        "micro_batches": len(group)})

    buffer = []
    for X, y in batches:
        buffer.append((X, y))
        if len(buffer) == accumulation_steps:
            update(buffer)
            buffer = []
    if buffer:
        update(buffer)
    return records
