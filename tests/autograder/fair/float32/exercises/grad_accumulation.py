"""grad_accumulation with explicit float64 bookkeeping: norms and the clip coefficient computed in float64
NumPy-free Python floats, loss sums kept as a float64 tensor, gradients scaled by a Python float."""

from __future__ import annotations

import math

import torch


def clip_grad_norm(parameters, max_norm, norm_type=2.0):
    tensors = [parameters] if torch.is_tensor(parameters) else list(parameters)
    grads = [t.grad for t in tensors if t.grad is not None]
    p = float(norm_type)
    if not grads:
        return torch.tensor(0.0)
    per_tensor = [torch.linalg.vector_norm(g.double(), p).item() for g in grads]
    if math.isinf(p):
        total = max(per_tensor)
    else:
        total = math.fsum(n ** p for n in per_tensor) ** (1.0 / p)
    coef = min(max_norm / (total + 1e-6), 1.0)
    with torch.no_grad():
        for g in grads:
            g.mul_(coef)
    return torch.tensor(total, dtype=grads[0].dtype)


def train_accumulated(model, optimizer, loss_fn, batches, accumulation_steps, max_norm=None, norm_type=2.0):
    if int(accumulation_steps) != accumulation_steps or accumulation_steps < 1:
        raise ValueError(f"accumulation_steps must be an integer >= 1, got {accumulation_steps!r}")
    if max_norm is not None and float(max_norm) <= 0.0:
        raise ValueError(f"max_norm must be > 0, got {max_norm!r}")
    model.train()
    for q in model.parameters():
        q.grad = None
    records = []
    buffered = []
    source = iter(batches)
    exhausted = False
    while not exhausted:
        buffered.clear()
        while len(buffered) < accumulation_steps:
            nxt = next(source, None)
            if nxt is None:
                exhausted = True
                break
            buffered.append(nxt)
        if not buffered:
            break
        n_total = sum(int(x.shape[0]) for x, _ in buffered)
        loss_sum = torch.zeros((), dtype=torch.float64)
        for x, y in buffered:
            micro = loss_fn(model(x), y)
            (micro * (x.shape[0] / n_total)).backward()
            loss_sum += micro.detach().double() * x.shape[0]
        norm = float(clip_grad_norm(model.parameters(), max_norm, norm_type)) if max_norm is not None else None
        optimizer.step()
        optimizer.zero_grad()
        records.append({"loss": (loss_sum / n_total).item(), "grad_norm": norm, "samples": n_total,
                        "micro_batches": len(buffered)})
    return records
