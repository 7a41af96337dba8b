"""grad_accumulation, functional: the global norm as the norm of one concatenated vector, groups cut from the
iterator with islice, each step a pure function of its group's losses and gradients."""

from __future__ import annotations

from itertools import islice
from typing import NamedTuple

import torch


def _grads(parameters):
    params = [parameters] if isinstance(parameters, torch.Tensor) else list(parameters)
    return [p.grad for p in params if p.grad is not None]


def _global_norm(grads, norm_type):
    flat = torch.cat([g.reshape(-1) for g in grads])
    return torch.linalg.vector_norm(flat, ord=norm_type)


def clip_grad_norm(parameters, max_norm, norm_type=2.0):
    grads = _grads(parameters)
    if not grads:
        return torch.zeros(())
    total = _global_norm(grads, float(norm_type))
    scale = (max_norm / (total + 1e-6)).clamp(max=1.0)
    torch._foreach_mul_(grads, scale)
    return total


class Step(NamedTuple):
    loss: float
    samples: int
    micro_batches: int


def _accumulate(model, loss_fn, group):
    """Backpropagate the group's mean loss micro-batch by micro-batch; return what the step record needs."""
    sizes = [x.shape[0] for x, _ in group]
    total = sum(sizes)
    losses = []
    for (x, y), n in zip(group, sizes):
        loss = loss_fn(model(x), y)
        loss.mul(n / total).backward()
        losses.append(float(loss) * n / total)
    return Step(sum(losses), total, len(group))


def _chunks(iterable, size):
    it = iter(iterable)
    while chunk := list(islice(it, size)):
        yield chunk


def train_accumulated(model, optimizer, loss_fn, batches, accumulation_steps, max_norm=None, norm_type=2.0):
    if not accumulation_steps >= 1:
        raise ValueError("accumulation_steps must be >= 1")
    if max_norm is not None and max_norm <= 0:
        raise ValueError("max_norm must be > 0")
    model.train()
    optimizer.zero_grad()
    out = []
    for group in _chunks(batches, accumulation_steps):
        step = _accumulate(model, loss_fn, group)
        norm = None if max_norm is None else float(clip_grad_norm(model.parameters(), max_norm, norm_type))
        optimizer.step()
        optimizer.zero_grad()
        out.append({**step._asdict(), "grad_norm": norm})
    return out
