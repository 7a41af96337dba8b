"""Idioms a student may reasonably use: ``from torch.optim.optimizer import Optimizer``, a relative
import of a sibling helper, the state created by a loop over its names, and a demo under
``if __name__ == "__main__":``."""

import numpy as np
import torch
from torch.optim.optimizer import Optimizer

from ._checks import check_non_negative

_MOMENTS = ("exp_avg", "exp_avg_sq")


def adam_update(w, grad, m, v, t, lr=1e-3, betas=(0.9, 0.999), eps=1e-8):
    if t < 1:
        raise ValueError("t must be >= 1")
    beta1, beta2 = betas
    m = beta1 * m + (1 - beta1) * grad
    v = beta2 * v + (1 - beta2) * grad**2
    w = w - lr * (m / (1 - beta1**t)) / (np.sqrt(v / (1 - beta2**t)) + eps)
    return w, m, v


class Adam(Optimizer):
    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0,
                 decoupled_weight_decay=False):
        check_non_negative(lr=lr, eps=eps, weight_decay=weight_decay)
        if not (0 <= betas[0] < 1 and 0 <= betas[1] < 1):
            raise ValueError(f"Invalid beta parameters: {betas}")
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay,
                                      decoupled_weight_decay=decoupled_weight_decay))

    @torch.no_grad()
    def step(self, closure=None):
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        for group in self.param_groups:
            beta1, beta2 = group["betas"]
            lr, wd = group["lr"], group["weight_decay"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                state = self.state[p]
                if not state:
                    state["step"] = torch.tensor(0.0)
                    for name in _MOMENTS:
                        state[name] = torch.zeros_like(p)
                state["step"] += 1
                t = state["step"].item()
                grad = p.grad
                if wd and group["decoupled_weight_decay"]:
                    p.mul_(1 - lr * wd)
                elif wd:
                    grad = grad + wd * p
                m, v = (state[name] for name in _MOMENTS)
                m.mul_(beta1).add_(grad, alpha=1 - beta1)
                v.mul_(beta2).addcmul_(grad, grad, value=1 - beta2)
                denom = (v / (1 - beta2**t)).sqrt_().add_(group["eps"])
                p.addcdiv_(m, denom, value=-lr / (1 - beta1**t))
        return loss


class AdamW(Adam):
    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2):
        super().__init__(params, lr, betas, eps, weight_decay, decoupled_weight_decay=True)


if __name__ == "__main__":
    x = torch.tensor([3.0, -2.0], requires_grad=True)
    opt = Adam([x], lr=0.1)
    for _ in range(200):
        opt.zero_grad()
        (x**2).sum().backward()
        opt.step()
    print("minimum near 0:", x.detach())
