"""Patches of the ``adam`` mistakes: fragments of ``solutions/adam.py``, for instructors only.

Each ``find`` occurs exactly once in the reference. Left out of the student release.
"""

PATCHES: dict[str, tuple[tuple[str, str], ...]] = {
    'adam_no_bias_correction': (
        ('m_hat = m / (1 - beta1**t)',
         'm_hat = m'),
        ('v_hat = v / (1 - beta2**t)',
         'v_hat = v'),
        ('bias_correction1 = 1 - beta1**t',
         'bias_correction1 = 1.0'),
        ('bias_correction2_sqrt = (1 - beta2**t) ** 0.5',
         'bias_correction2_sqrt = 1.0'),
    ),
    'adam_eps_inside_sqrt': (
        ('np.sqrt(v_hat) + eps',
         'np.sqrt(v_hat + eps)'),
        ('denom = (exp_avg_sq.sqrt() / bias_correction2_sqrt).add_(eps)',
         'denom = (exp_avg_sq / bias_correction2_sqrt**2 + eps).sqrt()'),
    ),
    'adam_no_eps': (
        ('w = w - lr * m_hat / (np.sqrt(v_hat) + eps)',
         'w = w - lr * m_hat / np.sqrt(v_hat)'),
        ('denom = (exp_avg_sq.sqrt() / bias_correction2_sqrt).add_(eps)',
         'denom = exp_avg_sq.sqrt() / bias_correction2_sqrt'),
    ),
    'adam_betas_swapped': (
        ('beta1, beta2 = betas',
         'beta2, beta1 = betas'),
        ('beta1, beta2 = group["betas"]',
         'beta2, beta1 = group["betas"]'),
    ),
    'adam_coupled_decay_in_adamw': (
        ('if group["decoupled_weight_decay"]:',
         'if False:'),
    ),
    'adam_decoupled_decay_in_adam': (
        ('if group["decoupled_weight_decay"]:',
         'if True:'),
    ),
    'adam_decay_without_lr': (
        ('p.mul_(1 - lr * wd)',
         'p.mul_(1 - wd)'),
    ),
    'adam_decay_into_grad': (
        ('grad = grad.add(p, alpha=wd)',
         'grad = grad.add_(p, alpha=wd)'),
    ),
    'adam_param_rebound': (
        ('p.addcdiv_(exp_avg, denom, value=-lr / bias_correction1)',
         'p = p.addcdiv(exp_avg, denom, value=-lr / bias_correction1)'),
    ),
    'adam_update_keeps_state': (
        ('__all__ = ["adam_update", "Adam", "AdamW"]\n',
         '__all__ = ["adam_update", "Adam", "AdamW"]\n_calls = [0]\n'),
        ('    beta1, beta2 = betas\n',
         '    _calls[0] += 1\n    t = _calls[0]\n    beta1, beta2 = betas\n'),
    ),
    'adam_shared_step_counter': (
        ('super().__init__(params, defaults)',
         'super().__init__(params, defaults)\n        self.t = 0'),
        ('t = state["step"].item()',
         'self.t += 1\n                t = self.t'),
    ),
    'adam_ignores_group_lr': (
        ('lr, eps, wd = group["lr"], group["eps"], group["weight_decay"]',
         'lr, eps, wd = self.defaults["lr"], group["eps"], group["weight_decay"]'),
    ),
    'adam_updates_params_without_grad': (
        ('                if p.grad is None:\n                    continue\n',
         '                if p.grad is None:\n                    p.grad = torch.zeros_like(p)\n'),
    ),
    'adam_modifies_inputs': (
        ('m = beta1 * m + (1 - beta1) * grad',
         'm *= beta1\n    m += (1 - beta1) * grad'),
        ('w = w - lr * m_hat / (np.sqrt(v_hat) + eps)',
         'w -= lr * m_hat / (np.sqrt(v_hat) + eps)'),
    ),
}
