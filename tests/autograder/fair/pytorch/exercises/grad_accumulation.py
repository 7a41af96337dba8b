"""grad_accumulation in PyTorch's own idiom: clip_grad_norm_'s per-device/dtype foreach kernels, and the
accumulation of Lightning and Accelerate (backpropagate n_i * loss_i, divide by N once the group is over)."""

from __future__ import annotations

from collections import defaultdict

import torch


def clip_grad_norm(parameters, max_norm, norm_type=2.0):
    if isinstance(parameters, torch.Tensor):
        parameters = [parameters]
    grads = [p.grad for p in parameters if p.grad is not None]
    norm_type = float(norm_type)
    if len(grads) == 0:
        return torch.tensor(0.0)
    by_key = defaultdict(list)
    for g in grads:
        by_key[(g.device, g.dtype)].append(g)
    norms = []
    for device_grads in by_key.values():
        norms.extend(torch._foreach_norm(device_grads, norm_type))
    first_device = grads[0].device
    total_norm = torch.linalg.vector_norm(torch.stack([n.to(first_device) for n in norms]), norm_type)
    clip_coef_clamped = torch.clamp(max_norm / (total_norm + 1e-6), max=1.0)
    for (device, _), device_grads in by_key.items():
        torch._foreach_mul_(device_grads, clip_coef_clamped.to(device))
    return total_norm


def train_accumulated(model, optimizer, loss_fn, batches, accumulation_steps, max_norm=None, norm_type=2.0):
    if accumulation_steps < 1:
        raise ValueError(f"accumulation_steps must be a positive integer, got {accumulation_steps}")
    if max_norm is not None and not max_norm > 0:
        raise ValueError(f"max_norm must be positive, got {max_norm}")
    model.train()
    optimizer.zero_grad(set_to_none=True)
    history = []
    pending, n_samples, weighted_loss = 0, 0, 0.0

    def optimizer_step():
        grads = [p.grad for p in model.parameters() if p.grad is not None]
        if grads:
            torch._foreach_div_(grads, float(n_samples))  # the mean over the effective batch
        norm = None
        if max_norm is not None:
            norm = clip_grad_norm(model.parameters(), max_norm, norm_type).item()
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
        history.append({"loss": weighted_loss / n_samples, "grad_norm": norm, "samples": n_samples,
                        "micro_batches": pending})

    for batch_idx, (inputs, targets) in enumerate(batches):
        output = model(inputs)
        loss = loss_fn(output, targets)
        n = inputs.size(0)
        (loss * n).backward()
        pending += 1
        n_samples += n
        weighted_loss += loss.detach().item() * n
        if (batch_idx + 1) % accumulation_steps == 0:
            optimizer_step()
            pending, n_samples, weighted_loss = 0, 0, 0.0
    if pending:
        optimizer_step()
    return history
