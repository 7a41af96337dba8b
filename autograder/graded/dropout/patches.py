"""Patches of the ``dropout`` mistakes: fragments of ``solutions/dropout.py``, for instructors only.

Each ``find`` occurs exactly once in the reference. Left out of the student release.
"""

PATCHES: dict[str, tuple[tuple[str, str], ...]] = {
    'dropout_no_rescale': (
        ('return (x * keep / (1.0 - p)).astype(x.dtype, copy=False)',
         'return (x * keep).astype(x.dtype, copy=False)'),
        ('return x * keep / (1.0 - self.p)',
         'return x * keep'),
    ),
    'dropout_scaled_by_keep_prob': (
        ('return (x * keep / (1.0 - p)).astype(x.dtype, copy=False)',
         'return (x * keep * (1.0 - p)).astype(x.dtype, copy=False)'),
        ('return x * keep / (1.0 - self.p)',
         'return x * keep * (1.0 - self.p)'),
    ),
    'dropout_p_is_keep_prob': (
        ('keep = rng.random(x.shape) >= p',
         'keep = rng.random(x.shape) < p'),
        ('keep = torch.rand_like(x) >= self.p',
         'keep = torch.rand_like(x) < self.p'),
    ),
    'dropout_active_in_eval': (
        ('if not training or p == 0.0:',
         'if p == 0.0:'),
        ('if not self.training or self.p == 0.0:',
         'if self.p == 0.0:'),
    ),
    'dropout_p_one_nan': (
        ('    if p == 1.0:\n        return np.zeros_like(x)\n',
         ''),
        ('        if self.p == 1.0:\n            return x * 0.0\n',
         ''),
    ),
    'dropout_ignores_rng': (
        ('rng = np.random.default_rng() if rng is None else rng',
         'rng = np.random'),
    ),
    'dropout_fixed_mask': (
        ('        keep = torch.rand_like(x) >= self.p\n',
         '        if not hasattr(self, "_keep") or self._keep.shape != x.shape:\n            self._keep = torch.rand_like(x) >= self.p\n        keep = self._keep\n'),
    ),
    'dropout_modifies_input': (
        ('    return (x * keep / (1.0 - p)).astype(x.dtype, copy=False)',
         '    x *= keep / (1.0 - p)\n    return x'),
    ),
    'dropout_changes_dtype': (
        ('return (x * keep / (1.0 - p)).astype(x.dtype, copy=False)',
         'return x * keep.astype(float) / (1.0 - p)'),
    ),
}
