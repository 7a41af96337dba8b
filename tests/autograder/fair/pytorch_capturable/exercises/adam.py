"""Adam with the arithmetic of PyTorch's *capturable* kernel (``torch/optim/adam.py``,
``_single_tensor_adam`` with ``capturable=True``, the path CUDA graphs use): the step stays a
tensor and the bias corrections are computed from it as tensors, never as Python floats; lr and
eps are folded into the denominator. The step has the parameter's dtype (PyTorch uses the default
dtype), so a float32 parameter gets float32 bias corrections, as in Keras. The NumPy part does the
same in the array's dtype."""

import numpy as np
import torch


def adam_update(w, grad, m, v, t, lr=1e-3, betas=(0.9, 0.999), eps=1e-8):
    if t < 1:
        raise ValueError("t must be >= 1")
    dtype = np.result_type(w)
    beta1, beta2 = np.asarray(betas[0], dtype), np.asarray(betas[1], dtype)
    step = np.asarray(t, dtype)
    exp_avg = m + (grad - m) * (1 - beta1)
    exp_avg_sq = v * beta2 + grad * grad * (1 - beta2)
    bias_correction1 = 1 - beta1**step
    bias_correction2 = 1 - beta2**step
    step_size_neg = -(lr / bias_correction1)
    denom = np.sqrt(exp_avg_sq) / (np.sqrt(bias_correction2) * step_size_neg) + eps / step_size_neg
    return w + exp_avg / denom, exp_avg, exp_avg_sq


class Adam(torch.optim.Optimizer):
    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0,
                 decoupled_weight_decay=False):
        if not 0.0 <= lr:
            raise ValueError(f"Invalid learning rate: {lr}")
        if not 0.0 <= eps:
            raise ValueError(f"Invalid epsilon value: {eps}")
        if not 0.0 <= betas[0] < 1.0 or not 0.0 <= betas[1] < 1.0:
            raise ValueError(f"Invalid beta parameters: {betas}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
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
            lr, eps, weight_decay = group["lr"], group["eps"], group["weight_decay"]
            for param in group["params"]:
                if param.grad is None:
                    continue
                grad = param.grad
                state = self.state[param]
                if len(state) == 0:
                    state["step"] = torch.zeros((), dtype=param.dtype, device=param.device)
                    state["exp_avg"] = torch.zeros_like(param, memory_format=torch.preserve_format)
                    state["exp_avg_sq"] = torch.zeros_like(param, memory_format=torch.preserve_format)
                step_t, exp_avg, exp_avg_sq = state["step"], state["exp_avg"], state["exp_avg_sq"]
                step_t += 1
                if weight_decay != 0:
                    if group["decoupled_weight_decay"]:
                        param.mul_(1 - lr * weight_decay)
                    else:
                        grad = grad.add(param, alpha=weight_decay)
                exp_avg.lerp_(grad, 1 - beta1)
                exp_avg_sq.mul_(beta2).addcmul_(grad, grad, value=1 - beta2)
                step = step_t
                bias_correction1 = 1 - beta1**step
                bias_correction2 = 1 - beta2**step
                step_size = lr / bias_correction1
                step_size_neg = step_size.neg()
                bias_correction2_sqrt = bias_correction2.sqrt()
                denom = (exp_avg_sq.sqrt() / (bias_correction2_sqrt * step_size_neg)).add_(eps / step_size_neg)
                param.addcdiv_(exp_avg, denom)
        return loss


class AdamW(Adam):
    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2):
        super().__init__(params, lr, betas, eps, weight_decay, decoupled_weight_decay=True)
