"""Patches of the ``warmup_cosine`` mistakes: fragments of ``solutions/warmup_cosine.py``, for instructors only.

Each ``find`` occurs exactly once in the reference. Left out of the student release.
"""

PATCHES: dict[str, tuple[tuple[str, str], ...]] = {
    "wc_warmup_off_by_one": (
        ("(f + (1.0 - f) * t / warmup)", "(f + (1.0 - f) * (t + 1) / warmup)"),
    ),
    "wc_ignores_start_factor": (
        ("(f + (1.0 - f) * t / warmup)", "(t / warmup)"),
    ),
    "wc_cosine_not_shifted": (
        ("progress = (min(t, total) - warmup) / (total - warmup)", "progress = min(t, total) / total"),
    ),
    "wc_min_lr_as_factor": (
        ("return [self.min_lr + (base_lr - self.min_lr) * cosine for base_lr in self.base_lrs]",
         "return [base_lr * (self.min_lr + (1.0 - self.min_lr) * cosine) for base_lr in self.base_lrs]"),
    ),
    "wc_clamped_at_min_lr": (
        ("return [self.min_lr + (base_lr - self.min_lr) * cosine for base_lr in self.base_lrs]",
         "return [max(self.min_lr, base_lr * cosine) for base_lr in self.base_lrs]"),
    ),
    "wc_cosine_past_total": (
        ("progress = (min(t, total) - warmup) / (total - warmup)", "progress = (t - warmup) / (total - warmup)"),
    ),
    "wc_first_group_lr": (
        ("return [base_lr * (f + (1.0 - f) * t / warmup) for base_lr in self.base_lrs]",
         "return [self.base_lrs[0] * (f + (1.0 - f) * t / warmup) for base_lr in self.base_lrs]"),
        ("return [self.min_lr + (base_lr - self.min_lr) * cosine for base_lr in self.base_lrs]",
         "return [self.min_lr + (self.base_lrs[0] - self.min_lr) * cosine for base_lr in self.base_lrs]"),
    ),
    "wc_ignores_last_epoch": (
        ("super().__init__(optimizer, last_epoch)", "super().__init__(optimizer)"),
    ),
}
