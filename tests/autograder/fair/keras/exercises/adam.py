"""Adam written the way Keras writes it (``keras/src/optimizers/adam.py``): the bias corrections
folded into one step size ``alpha = lr * sqrt(1 - beta_2^t) / (1 - beta_1^t)``, the moments updated
with ``assign_add`` of ``(g - m) * (1 - beta_1)``, the powers computed in the variable's dtype.
The epsilon is scaled by ``sqrt(1 - beta_2^t)`` so that the update is exactly PyTorch's
(Kingma & Ba's "epsilon hat").

The optimizer must be a ``torch.optim.Optimizer``, so the moments live in ``self.state`` under
PyTorch's names (that is what ``state_dict`` saves); ``build`` gathers them into Keras's lists
``self._momentums`` and ``self._velocities`` for the variables of a step."""

import numpy as np
import torch


def adam_update(w, grad, m, v, t, lr=1e-3, betas=(0.9, 0.999), eps=1e-8):
    if t < 1:
        raise ValueError("t must be >= 1")
    beta_1, beta_2 = betas
    beta_1_power = np.power(beta_1, t)
    beta_2_power = np.power(beta_2, t)
    alpha = lr * np.sqrt(1 - beta_2_power) / (1 - beta_1_power)
    m = m + (grad - m) * (1 - beta_1)
    v = v + (np.square(grad) - v) * (1 - beta_2)
    w = w - (m * alpha) / (np.sqrt(v) + eps * np.sqrt(1 - beta_2_power))
    return w, m, v


class Adam(torch.optim.Optimizer):
    def __init__(self, params, lr=0.001, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0,
                 decoupled_weight_decay=False):
        if lr < 0 or eps < 0 or weight_decay < 0:
            raise ValueError("lr, eps and weight_decay must be non-negative")
        if not (0 <= betas[0] < 1 and 0 <= betas[1] < 1):
            raise ValueError(f"betas must be in [0, 1), got {betas}")
        super().__init__(params, {"lr": lr, "betas": betas, "eps": eps, "weight_decay": weight_decay,
                                  "decoupled_weight_decay": decoupled_weight_decay})
        self._momentums, self._velocities, self._index = [], [], {}

    def build(self, var_list):
        """Create the slots of new variables; list this step's slots in Keras's order."""
        for var in var_list:
            slots = self.state[var]
            if not slots:
                slots["step"] = 0
                slots["exp_avg"] = torch.zeros_like(var)
                slots["exp_avg_sq"] = torch.zeros_like(var)
        self._momentums = [self.state[var]["exp_avg"] for var in var_list]
        self._velocities = [self.state[var]["exp_avg_sq"] for var in var_list]
        self._index = {id(var): i for i, var in enumerate(var_list)}

    def _get_variable_index(self, variable):
        return self._index[id(variable)]

    def update_step(self, gradient, variable, learning_rate, group):
        beta_1, beta_2 = group["betas"]
        dtype = variable.dtype
        slots = self.state[variable]
        slots["step"] += 1
        local_step = torch.tensor(slots["step"], dtype=dtype)
        beta_1_power = torch.pow(torch.tensor(beta_1, dtype=dtype), local_step)
        beta_2_power = torch.pow(torch.tensor(beta_2, dtype=dtype), local_step)

        if group["weight_decay"]:
            if group["decoupled_weight_decay"]:
                variable.sub_(variable * group["weight_decay"] * learning_rate)
            else:
                gradient = gradient + group["weight_decay"] * variable

        m = self._momentums[self._get_variable_index(variable)]
        v = self._velocities[self._get_variable_index(variable)]
        alpha = learning_rate * torch.sqrt(1 - beta_2_power) / (1 - beta_1_power)
        m.add_((gradient - m) * (1 - beta_1))
        v.add_((torch.square(gradient) - v) * (1 - beta_2))
        epsilon_hat = group["eps"] * torch.sqrt(1 - beta_2_power)
        variable.sub_((m * alpha) / (torch.sqrt(v) + epsilon_hat))

    def step(self, closure=None):
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        with torch.no_grad():
            for group in self.param_groups:
                var_list = [p for p in group["params"] if p.grad is not None]
                self.build(var_list)
                for variable in var_list:
                    self.update_step(variable.grad, variable, group["lr"], group)
        return loss


class AdamW(Adam):
    def __init__(self, params, lr=0.001, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.01):
        super().__init__(params, lr=lr, betas=betas, eps=eps, weight_decay=weight_decay,
                         decoupled_weight_decay=True)
