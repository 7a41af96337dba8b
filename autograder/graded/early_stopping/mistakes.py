"""The catalogue of known mistakes of the ``early_stopping`` exercise: names, titles, hints, where charged.

The patches that turn the reference into each mistake are in ``patches.py`` (instructor only).
"""

from __future__ import annotations

from autograder.exercise import mistake as _m

CATALOGUE = (
    _m("es_counter_never_resets", "early_stopping", "the patience counter never resets on improvement",
       "Set counter = 0 whenever the metric improves: patience counts epochs since the LAST improvement.",
       charged_on=("counter_reset",)),
    _m("es_not_strict", "early_stopping", "a metric equal to the best counts as an improvement",
       "Improvement must be strict (metric < best - min_delta): otherwise a loss stuck on a plateau "
       "never stops the run. (The lesson text's EarlyStopping has this bug.)", charged_on=("plateau",)),
    _m("es_ignores_min_delta", "early_stopping", "min_delta is ignored",
       "An improvement must beat the best by more than min_delta.", charged_on=("min_delta",)),
    _m("es_ignores_mode", "early_stopping", "mode='max' behaves like mode='min'",
       "With mode='max' (accuracy) larger is better: compare metric > best + min_delta.", charged_on=("mode_max",)),
    _m("es_patience_off_by_one", "early_stopping", "stops one epoch late (counter > patience)",
       "Stop as soon as counter >= patience: patience=3 means three epochs without improvement.",
       charged_on=("patience",)),
    _m("es_best_epoch_one_based", "early_stopping", "best_epoch counts from 1",
       "best_epoch is the 0-based index of the step() call that produced best: record self.epoch before "
       "incrementing it.", charged_on=("best_epoch",)),
    _m("es_saves_every_epoch", "early_stopping", "the checkpoint is saved every epoch, not only on improvement",
       "Save inside the improvement branch: restore_best must bring back the BEST weights, not the last.",
       charged_on=("checkpoint",)),
    _m("es_restore_returns_none", "early_stopping", "restore_best returns None",
       "restore_best(model) loads the best weights into model and returns it (return model), so that "
       "model = es.restore_best(model) works.", match=False),
    _m("es_state_dict_missing_counter", "early_stopping", "state_dict() does not keep the patience counter",
       "A resumed run must continue exactly: save and load every counter (counter, best, best_epoch, epoch).",
       charged_on=("resume",)),
)
