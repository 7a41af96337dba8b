"""Adam as CS231n's ``optim.py`` writes it: a rule ``adam(w, dw, config)`` whose ``config`` dict
carries the hyperparameters and the moments ``m``, ``v`` and the step ``t`` from call to call.
The exercise's signatures wrap that rule; the optimizer keeps one config per parameter."""

import numpy as np
import torch


def _adam(w, dw, config=None):
    """
    Uses the Adam update rule, which incorporates moving averages of both the
    gradient and its square and a bias correction term.

    config format:
    - learning_rate: Scalar learning rate.
    - beta1: Decay rate for moving average of first moment of gradient.
    - beta2: Decay rate for moving average of second moment of gradient.
    - epsilon: Small scalar used for smoothing to avoid dividing by zero.
    - m: Moving average of gradient.
    - v: Moving average of squared gradient.
    - t: Iteration number.
    """
    if config is None:
        config = {}
    config.setdefault("learning_rate", 1e-3)
    config.setdefault("beta1", 0.9)
    config.setdefault("beta2", 0.999)
    config.setdefault("epsilon", 1e-8)
    config.setdefault("m", np.zeros_like(w))
    config.setdefault("v", np.zeros_like(w))
    config.setdefault("t", 0)

    config["t"] += 1
    beta1, beta2, t = config["beta1"], config["beta2"], config["t"]
    config["m"] = beta1 * config["m"] + (1 - beta1) * dw
    mt = config["m"] / (1 - beta1**t)
    config["v"] = beta2 * config["v"] + (1 - beta2) * (dw**2)
    vt = config["v"] / (1 - beta2**t)
    next_w = w - config["learning_rate"] * mt / (np.sqrt(vt) + config["epsilon"])
    return next_w, config


def adam_update(w, grad, m, v, t, lr=1e-3, betas=(0.9, 0.999), eps=1e-8):
    if t < 1:
        raise ValueError(f"t must be at least 1, got {t}")
    config = {"learning_rate": lr, "beta1": betas[0], "beta2": betas[1], "epsilon": eps,
              "m": m, "v": v, "t": t - 1}
    next_w, config = _adam(w, grad, config)
    return next_w, config["m"], config["v"]


class Adam(torch.optim.Optimizer):
    """One CS231n config per parameter, kept in ``self.state[p]`` under PyTorch's names."""

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0,
                 decoupled_weight_decay=False):
        if lr < 0.0 or eps < 0.0 or weight_decay < 0.0:
            raise ValueError("lr, eps and weight_decay must be >= 0")
        if not (0.0 <= betas[0] < 1.0) or not (0.0 <= betas[1] < 1.0):
            raise ValueError("betas must lie in [0, 1)")
        super().__init__(params, {"lr": lr, "betas": betas, "eps": eps, "weight_decay": weight_decay,
                                  "decoupled_weight_decay": decoupled_weight_decay})

    @torch.no_grad()
    def step(self, closure=None):
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                dw = p.grad
                if group["weight_decay"] and not group["decoupled_weight_decay"]:
                    dw = dw + group["weight_decay"] * p  # L2 regularization, as the two-layer net adds reg * W
                w = p
                if group["weight_decay"] and group["decoupled_weight_decay"]:
                    w = p * (1 - group["lr"] * group["weight_decay"])
                state = self.state[p]
                config = {"learning_rate": group["lr"], "beta1": group["betas"][0], "beta2": group["betas"][1],
                          "epsilon": group["eps"]}
                if state:
                    config.update(m=state["exp_avg"], v=state["exp_avg_sq"], t=state["step"])
                else:
                    config.update(m=torch.zeros_like(p), v=torch.zeros_like(p), t=0)
                next_w, config = _torch_rule(w, dw, config)
                p.copy_(next_w)
                state["exp_avg"], state["exp_avg_sq"], state["step"] = config["m"], config["v"], config["t"]
        return loss


def _torch_rule(w, dw, config):
    """The same rule on tensors (np.sqrt would leave torch)."""
    config["t"] += 1
    beta1, beta2, t = config["beta1"], config["beta2"], config["t"]
    config["m"] = beta1 * config["m"] + (1 - beta1) * dw
    mt = config["m"] / (1 - beta1**t)
    config["v"] = beta2 * config["v"] + (1 - beta2) * (dw**2)
    vt = config["v"] / (1 - beta2**t)
    next_w = w - config["learning_rate"] * mt / (torch.sqrt(vt) + config["epsilon"])
    return next_w, config


class AdamW(Adam):
    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2):
        super().__init__(params, lr=lr, betas=betas, eps=eps, weight_decay=weight_decay,
                         decoupled_weight_decay=True)
