"""The patches of the catalogued mistakes: fragments of the reference solutions, for instructors only.

Each entry turns ``solutions/<exercise>.py`` into the mistake's mutant (``find`` -> ``replace``,
each ``find`` occurring exactly once). The fragments are the reference's own code, so this module
is left out of the student release (``python -m autograder release``); :mod:`autograder.mistakes`
keeps the names, titles and hints, and imports these patches when the module is present.
"""

PATCHES: dict[str, tuple[tuple[str, str], ...]] = {
    "adam_no_bias_correction": (
        ("m_hat = m / (1 - beta1**t)", "m_hat = m"),
        ("v_hat = v / (1 - beta2**t)", "v_hat = v"),
        ("bias_correction1 = 1 - beta1**t", "bias_correction1 = 1.0"),
        ("bias_correction2_sqrt = (1 - beta2**t) ** 0.5", "bias_correction2_sqrt = 1.0"),
    ),
    "adam_eps_inside_sqrt": (
        ("np.sqrt(v_hat) + eps", "np.sqrt(v_hat + eps)"),
        ("denom = (exp_avg_sq.sqrt() / bias_correction2_sqrt).add_(eps)",
         "denom = (exp_avg_sq / bias_correction2_sqrt**2 + eps).sqrt()"),
    ),
    "adam_no_eps": (
        ("w = w - lr * m_hat / (np.sqrt(v_hat) + eps)", "w = w - lr * m_hat / np.sqrt(v_hat)"),
        ("denom = (exp_avg_sq.sqrt() / bias_correction2_sqrt).add_(eps)",
         "denom = exp_avg_sq.sqrt() / bias_correction2_sqrt"),
    ),
    "adam_betas_swapped": (
        ("beta1, beta2 = betas", "beta2, beta1 = betas"),
        ('beta1, beta2 = group["betas"]', 'beta2, beta1 = group["betas"]'),
    ),
    "adam_coupled_decay_in_adamw": (
        ('if group["decoupled_weight_decay"]:', "if False:"),
    ),
    "adam_decoupled_decay_in_adam": (
        ('if group["decoupled_weight_decay"]:', "if True:"),
    ),
    "adam_decay_without_lr": (
        ("p.mul_(1 - lr * wd)", "p.mul_(1 - wd)"),
    ),
    "adam_decay_into_grad": (
        ("grad = grad.add(p, alpha=wd)", "grad = grad.add_(p, alpha=wd)"),
    ),
    "adam_param_rebound": (
        ("p.addcdiv_(exp_avg, denom, value=-lr / bias_correction1)",
         "p = p.addcdiv(exp_avg, denom, value=-lr / bias_correction1)"),
    ),
    "adam_update_keeps_state": (
        ('__all__ = ["adam_update", "Adam", "AdamW"]\n', '__all__ = ["adam_update", "Adam", "AdamW"]\n_calls = [0]\n'),
        ("    beta1, beta2 = betas\n", "    _calls[0] += 1\n    t = _calls[0]\n    beta1, beta2 = betas\n"),
    ),
    "adam_shared_step_counter": (
        ("super().__init__(params, defaults)", "super().__init__(params, defaults)\n        self.t = 0"),
        ('t = state["step"].item()', 'self.t += 1\n                t = self.t'),
    ),
    "adam_ignores_group_lr": (
        ('lr, eps, wd = group["lr"], group["eps"], group["weight_decay"]',
         'lr, eps, wd = self.defaults["lr"], group["eps"], group["weight_decay"]'),
    ),
    "adam_updates_params_without_grad": (
        ("                if p.grad is None:\n                    continue\n",
         "                if p.grad is None:\n                    p.grad = torch.zeros_like(p)\n"),
    ),
    "adam_modifies_inputs": (
        ("m = beta1 * m + (1 - beta1) * grad", "m *= beta1\n    m += (1 - beta1) * grad"),
        ("w = w - lr * m_hat / (np.sqrt(v_hat) + eps)", "w -= lr * m_hat / (np.sqrt(v_hat) + eps)"),
    ),
    "dropout_no_rescale": (
        ("return (x * keep / (1.0 - p)).astype(x.dtype, copy=False)", "return (x * keep).astype(x.dtype, copy=False)"),
        ("return x * keep / (1.0 - self.p)", "return x * keep"),
    ),
    "dropout_scaled_by_keep_prob": (
        ("return (x * keep / (1.0 - p)).astype(x.dtype, copy=False)", "return (x * keep * (1.0 - p)).astype(x.dtype, copy=False)"),
        ("return x * keep / (1.0 - self.p)", "return x * keep * (1.0 - self.p)"),
    ),
    "dropout_p_is_keep_prob": (
        ("keep = rng.random(x.shape) >= p", "keep = rng.random(x.shape) < p"),
        ("keep = torch.rand_like(x) >= self.p", "keep = torch.rand_like(x) < self.p"),
    ),
    "dropout_active_in_eval": (
        ("if not training or p == 0.0:", "if p == 0.0:"),
        ("if not self.training or self.p == 0.0:", "if self.p == 0.0:"),
    ),
    "dropout_p_one_nan": (
        ("    if p == 1.0:\n        return np.zeros_like(x)\n", ""),
        ("        if self.p == 1.0:\n            return x * 0.0\n", ""),
    ),
    "dropout_ignores_rng": (
        ("rng = np.random.default_rng() if rng is None else rng", "rng = np.random"),
    ),
    "dropout_fixed_mask": (
        ("        keep = torch.rand_like(x) >= self.p\n",
         "        if not hasattr(self, \"_keep\") or self._keep.shape != x.shape:\n"
         "            self._keep = torch.rand_like(x) >= self.p\n        keep = self._keep\n"),
    ),
    "dropout_modifies_input": (
        ("    return (x * keep / (1.0 - p)).astype(x.dtype, copy=False)",
         "    x *= keep / (1.0 - p)\n    return x"),
    ),
    "dropout_changes_dtype": (
        ("return (x * keep / (1.0 - p)).astype(x.dtype, copy=False)", "return x * keep.astype(float) / (1.0 - p)"),
    ),
    "es_best_epoch_one_based": (
        ("            self.best_epoch = self.epoch\n", "            self.best_epoch = self.epoch + 1\n"),
    ),
    "es_restore_returns_none": (
        ("        model.load_state_dict(state)\n        return model\n", "        model.load_state_dict(state)\n"),
    ),
    "es_counter_never_resets": (
        ("            self.best_epoch = self.epoch\n            self.counter = 0\n",
         "            self.best_epoch = self.epoch\n"),
    ),
    "es_not_strict": (
        ("return metric < self.best - self.min_delta", "return metric <= self.best - self.min_delta"),
        ("return metric > self.best + self.min_delta", "return metric >= self.best + self.min_delta"),
    ),
    "es_ignores_min_delta": (
        ("return metric < self.best - self.min_delta", "return metric < self.best"),
        ("return metric > self.best + self.min_delta", "return metric > self.best"),
    ),
    "es_ignores_mode": (
        ('if self.mode == "min":', "if True:"),
    ),
    "es_patience_off_by_one": (
        ("self.should_stop = self.counter >= self.patience", "self.should_stop = self.counter > self.patience"),
    ),
    "es_saves_every_epoch": (
        ("            if self.save_path is not None and model is not None:\n"
         "                torch.save(model.state_dict(), self.save_path)\n", ""),
        ("        self.epoch += 1\n",
         "        self.epoch += 1\n        if self.save_path is not None and model is not None:\n"
         "            torch.save(model.state_dict(), self.save_path)\n"),
    ),
    "es_state_dict_missing_counter": (
        ('            "counter": self.counter,\n', ""),
        ('        self.counter = state["counter"]\n', ""),
    ),
}
