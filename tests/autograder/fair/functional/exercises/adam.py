"""One pure Adam kernel shared by both parts: ``_adam_math`` returns new ``(w, m, v)`` from old ones
and works on NumPy arrays and tensors alike (it is given the right ``sqrt``); ``adam_update`` calls
it on arrays, ``Adam.step`` on tensors and writes the results back."""

from __future__ import annotations

import numpy as np
import torch


def _adam_math(w, g, m, v, t, *, lr, beta1, beta2, eps, sqrt):
    m = beta1 * m + (1.0 - beta1) * g
    v = beta2 * v + (1.0 - beta2) * g * g
    m_hat = m / (1.0 - beta1**t)
    v_hat = v / (1.0 - beta2**t)
    return w - lr * m_hat / (sqrt(v_hat) + eps), m, v


def adam_update(w, grad, m, v, t, lr=1e-3, betas=(0.9, 0.999), eps=1e-8):
    if t < 1:
        raise ValueError("t counts from 1")
    return _adam_math(w, grad, m, v, t, lr=lr, beta1=betas[0], beta2=betas[1], eps=eps, sqrt=np.sqrt)


class Adam(torch.optim.Optimizer):
    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0,
                 decoupled_weight_decay=False):
        for name, value in (("lr", lr), ("eps", eps), ("weight_decay", weight_decay)):
            if value < 0:
                raise ValueError(f"invalid {name}: {value}")
        if not all(0.0 <= b < 1.0 for b in betas):
            raise ValueError(f"invalid betas: {betas}")
        super().__init__(params, dict(lr=lr, betas=tuple(betas), eps=eps, weight_decay=weight_decay,
                                      decoupled_weight_decay=decoupled_weight_decay))

    def step(self, closure=None):
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        with torch.no_grad():
            for group in self.param_groups:
                beta1, beta2 = group["betas"]
                lr, wd = group["lr"], group["weight_decay"]
                for p in (q for q in group["params"] if q.grad is not None):
                    state = self.state[p]
                    if not state:
                        state.update(step=0, exp_avg=torch.zeros_like(p), exp_avg_sq=torch.zeros_like(p))
                    state["step"] += 1
                    w, g = p.detach(), p.grad
                    if wd and group["decoupled_weight_decay"]:
                        w = w * (1.0 - lr * wd)
                    elif wd:
                        g = g + wd * w
                    w, state["exp_avg"], state["exp_avg_sq"] = _adam_math(
                        w, g, state["exp_avg"], state["exp_avg_sq"], state["step"],
                        lr=lr, beta1=beta1, beta2=beta2, eps=group["eps"], sqrt=torch.sqrt)
                    p.copy_(w)
        return loss


class AdamW(Adam):
    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2):
        super().__init__(params, lr, betas, eps, weight_decay, decoupled_weight_decay=True)
