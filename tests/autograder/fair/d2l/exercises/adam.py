"""Adam as Dive into Deep Learning writes it (chapter "Adam"): a function over ``params`` and their
``states`` with a ``hyperparams`` dict, the update done under ``torch.no_grad()`` with ``p -= ...``;
the NumPy version keeps its bookkeeping in float64."""

import numpy as np
import torch


def adam_update(w, grad, m, v, t, lr=1e-3, betas=(0.9, 0.999), eps=1e-8):
    if t < 1:
        raise ValueError("t starts at 1")
    beta1, beta2 = np.float64(betas[0]), np.float64(betas[1])
    v_new = beta1 * np.asarray(m, dtype=np.float64) + (1 - beta1) * np.asarray(grad, dtype=np.float64)
    s_new = beta2 * np.asarray(v, dtype=np.float64) + (1 - beta2) * np.square(np.asarray(grad, dtype=np.float64))
    v_bias_corr = v_new / (1 - beta1**t)
    s_bias_corr = s_new / (1 - beta2**t)
    w_new = np.asarray(w, dtype=np.float64) - lr * v_bias_corr / (np.sqrt(s_bias_corr) + eps)
    return w_new, v_new, s_new


def init_adam_states(p):
    v, s = torch.zeros_like(p), torch.zeros_like(p)
    return (v, s)


def adam(params, states, hyperparams):
    beta1, beta2, eps = hyperparams["beta1"], hyperparams["beta2"], hyperparams["eps"]
    for p, (v, s), t in zip(params, states, hyperparams["t"]):
        with torch.no_grad():
            grad = p.grad
            if hyperparams["wd"] and not hyperparams["decoupled"]:
                grad = grad + hyperparams["wd"] * p
            if hyperparams["wd"] and hyperparams["decoupled"]:
                p -= hyperparams["lr"] * hyperparams["wd"] * p
            v[:] = beta1 * v + (1 - beta1) * grad
            s[:] = beta2 * s + (1 - beta2) * torch.square(grad)
            v_bias_corr = v / (1 - beta1**t)
            s_bias_corr = s / (1 - beta2**t)
            p -= hyperparams["lr"] * v_bias_corr / (torch.sqrt(s_bias_corr) + eps)


class Adam(torch.optim.Optimizer):
    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0,
                 decoupled_weight_decay=False):
        if lr < 0 or eps < 0 or weight_decay < 0 or not (0 <= betas[0] < 1 and 0 <= betas[1] < 1):
            raise ValueError("invalid hyperparameters")
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay,
                                      decoupled_weight_decay=decoupled_weight_decay))

    def step(self, closure=None):
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        for group in self.param_groups:
            params = [p for p in group["params"] if p.grad is not None]
            states, steps = [], []
            for p in params:
                state = self.state[p]
                if "step" not in state:
                    state["step"] = 0
                    state["exp_avg"], state["exp_avg_sq"] = init_adam_states(p)
                state["step"] += 1
                states.append((state["exp_avg"], state["exp_avg_sq"]))
                steps.append(state["step"])
            adam(params, states, {"lr": group["lr"], "beta1": group["betas"][0], "beta2": group["betas"][1],
                                  "eps": group["eps"], "wd": group["weight_decay"],
                                  "decoupled": group["decoupled_weight_decay"], "t": steps})
        return loss


class AdamW(Adam):
    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2):
        super().__init__(params, lr, betas, eps, weight_decay, True)
