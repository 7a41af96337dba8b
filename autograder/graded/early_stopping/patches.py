"""Patches of the ``early_stopping`` mistakes: fragments of ``solutions/early_stopping.py``, for instructors only.

Each ``find`` occurs exactly once in the reference. Left out of the student release.
"""

PATCHES: dict[str, tuple[tuple[str, str], ...]] = {
    'es_best_epoch_one_based': (
        ('            self.best_epoch = self.epoch\n',
         '            self.best_epoch = self.epoch + 1\n'),
    ),
    'es_restore_returns_none': (
        ('        model.load_state_dict(state)\n        return model\n',
         '        model.load_state_dict(state)\n'),
    ),
    'es_counter_never_resets': (
        ('            self.best_epoch = self.epoch\n            self.counter = 0\n',
         '            self.best_epoch = self.epoch\n'),
    ),
    'es_not_strict': (
        ('return metric < self.best - self.min_delta',
         'return metric <= self.best - self.min_delta'),
        ('return metric > self.best + self.min_delta',
         'return metric >= self.best + self.min_delta'),
    ),
    'es_ignores_min_delta': (
        ('return metric < self.best - self.min_delta',
         'return metric < self.best'),
        ('return metric > self.best + self.min_delta',
         'return metric > self.best'),
    ),
    'es_ignores_mode': (
        ('if self.mode == "min":',
         'if True:'),
    ),
    'es_patience_off_by_one': (
        ('self.should_stop = self.counter >= self.patience',
         'self.should_stop = self.counter > self.patience'),
    ),
    'es_saves_every_epoch': (
        ('            if self.save_path is not None and model is not None:\n                torch.save(model.state_dict(), self.save_path)\n',
         ''),
        ('        self.epoch += 1\n',
         '        self.epoch += 1\n        if self.save_path is not None and model is not None:\n            torch.save(model.state_dict(), self.save_path)\n'),
    ),
    'es_state_dict_missing_counter': (
        ('            "counter": self.counter,\n',
         ''),
        ('        self.counter = state["counter"]\n',
         ''),
    ),
}
