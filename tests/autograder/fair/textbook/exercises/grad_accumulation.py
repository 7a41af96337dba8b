"""grad_accumulation as a textbook writes it: the p-norm summed out by hand (the max for p = inf), a
counter of micro-batches, one list per group, p.grad replaced by a new tensor."""

import math

import torch


def clip_grad_norm(parameters, max_norm, norm_type=2.0):
    if isinstance(parameters, torch.Tensor):
        parameters = [parameters]
    params_with_grad = []
    for p in parameters:
        if p.grad is not None:
            params_with_grad.append(p)
    if len(params_with_grad) == 0:
        return torch.tensor(0.0)
    p_norm = float(norm_type)
    if p_norm == math.inf:
        total = max(p.grad.abs().max() for p in params_with_grad)
    else:
        total = 0.0
        for p in params_with_grad:
            total = total + (p.grad.abs() ** p_norm).sum()
        total = total ** (1.0 / p_norm)
    coefficient = max_norm / (total + 1e-6)
    if coefficient > 1.0:
        coefficient = torch.ones_like(total)
    for p in params_with_grad:
        p.grad = p.grad * coefficient
    return total


def train_accumulated(model, optimizer, loss_fn, batches, accumulation_steps, max_norm=None, norm_type=2.0):
    if accumulation_steps < 1:
        raise ValueError("accumulation_steps must be at least 1")
    if max_norm is not None:
        if max_norm <= 0:
            raise ValueError("max_norm must be positive")

    model.train()
    optimizer.zero_grad()
    results = []

    def update(group):
        N = 0
        for x, y in group:
            N = N + len(x)
        total_loss = 0.0
        for x, y in group:
            prediction = model(x)
            loss = loss_fn(prediction, y)
            weight = len(x) / N
            (weight * loss).backward()
            total_loss = total_loss + weight * loss.item()
        norm = None
        if max_norm is not None:
            norm = clip_grad_norm(model.parameters(), max_norm, norm_type).item()
        optimizer.step()
        optimizer.zero_grad()
        results.append({"loss": total_loss, "grad_norm": norm, "samples": N, "micro_batches": len(group)})

    group = []
    count = 0
    for x, y in batches:
        group.append((x, y))
        count = count + 1
        if count % accumulation_steps == 0:
            update(group)
            group = []
    if len(group) > 0:
        update(group)
    return results
