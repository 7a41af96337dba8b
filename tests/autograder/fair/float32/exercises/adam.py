"""Adam with other bookkeeping types: the step counter is a float64 tensor, the bias corrections
come from ``math.pow`` of its value, the denominator is ``sqrt(v / bc2) + eps`` (another order of
operations than PyTorch's ``sqrt(v) / sqrt(bc2) + eps``)."""

import math

import numpy as np
import torch


def adam_update(w, grad, m, v, t, lr=1e-3, betas=(0.9, 0.999), eps=1e-8):
    if t < 1:
        raise ValueError("t must be >= 1")
    b1, b2 = betas
    bc1, bc2 = 1.0 - math.pow(b1, t), 1.0 - math.pow(b2, t)
    m_new = np.add(np.multiply(m, b1), np.multiply(grad, 1.0 - b1))
    v_new = np.add(np.multiply(v, b2), np.multiply(np.square(grad), 1.0 - b2))
    step = (lr / bc1) * m_new / (np.sqrt(v_new / bc2) + eps)
    return np.subtract(w, step), m_new, v_new


class Adam(torch.optim.Optimizer):
    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0,
                 decoupled_weight_decay=False):
        if not (lr >= 0 and eps >= 0 and weight_decay >= 0 and 0 <= betas[0] < 1 and 0 <= betas[1] < 1):
            raise ValueError(f"invalid Adam arguments lr={lr} betas={betas} eps={eps} weight_decay={weight_decay}")
        super().__init__(params, {"lr": lr, "betas": betas, "eps": eps, "weight_decay": weight_decay,
                                  "decoupled_weight_decay": decoupled_weight_decay})

    @torch.no_grad()
    def step(self, closure=None):
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        for group in self.param_groups:
            b1, b2 = group["betas"]
            lr, eps, wd = group["lr"], group["eps"], group["weight_decay"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                state = self.state[p]
                if len(state) == 0:
                    state["step"] = torch.zeros((), dtype=torch.float64)
                    state["exp_avg"] = torch.zeros_like(p)
                    state["exp_avg_sq"] = torch.zeros_like(p)
                state["step"].add_(1)
                t = float(state["step"])
                grad = p.grad
                if wd != 0 and group["decoupled_weight_decay"]:
                    p.mul_(1 - lr * wd)
                elif wd != 0:
                    grad = grad + wd * p
                m, v = state["exp_avg"], state["exp_avg_sq"]
                m.mul_(b1).add_((1 - b1) * grad)
                v.mul_(b2).add_((1 - b2) * grad * grad)
                bc1, bc2 = 1 - math.pow(b1, t), 1 - math.pow(b2, t)
                p.sub_((lr / bc1) * m / (v.div(bc2).sqrt() + eps))
        return loss


class AdamW(Adam):
    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2):
        super().__init__(params, lr, betas, eps, weight_decay, decoupled_weight_decay=True)
