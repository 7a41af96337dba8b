"""A correct Adam written the textbook way (not PyTorch's fused formula): it must score full marks."""

import numpy as np
import torch


def adam_update(w, grad, m, v, t, lr=1e-3, betas=(0.9, 0.999), eps=1e-8):
    if t < 1:
        raise ValueError("the step count t starts at 1")
    b1, b2 = betas
    m_new = b1 * m + (1.0 - b1) * grad
    v_new = b2 * v + (1.0 - b2) * np.square(grad)
    m_hat = m_new / (1.0 - np.power(b1, t))
    v_hat = v_new / (1.0 - np.power(b2, t))
    return w - lr * m_hat / (np.sqrt(v_hat) + eps), m_new, v_new


class Adam(torch.optim.Optimizer):
    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0,
                 decoupled_weight_decay=False):
        if lr < 0:
            raise ValueError("lr must be non-negative")
        if eps < 0:
            raise ValueError("eps must be non-negative")
        for b in betas:
            if not 0 <= b < 1:
                raise ValueError("each beta must be in [0, 1)")
        if weight_decay < 0:
            raise ValueError("weight_decay must be non-negative")
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay,
                                      decoupled_weight_decay=decoupled_weight_decay))

    def step(self, closure=None):
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        with torch.no_grad():
            for group in self.param_groups:
                b1, b2 = group["betas"]
                for p in group["params"]:
                    if p.grad is None:
                        continue
                    g = p.grad.clone()
                    st = self.state[p]
                    if not st:
                        st["step"] = 0
                        st["m"] = torch.zeros_like(p)
                        st["v"] = torch.zeros_like(p)
                    st["step"] += 1
                    t = st["step"]
                    if group["weight_decay"]:
                        if group["decoupled_weight_decay"]:
                            p.data = p.data - group["lr"] * group["weight_decay"] * p.data
                        else:
                            g = g + group["weight_decay"] * p
                    st["m"] = b1 * st["m"] + (1 - b1) * g
                    st["v"] = b2 * st["v"] + (1 - b2) * g * g
                    m_hat = st["m"] / (1 - b1 ** t)
                    v_hat = st["v"] / (1 - b2 ** t)
                    p.data = p.data - group["lr"] * m_hat / (torch.sqrt(v_hat) + group["eps"])
        return loss


class AdamW(Adam):
    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2):
        super().__init__(params, lr, betas, eps, weight_decay, decoupled_weight_decay=True)
