"""Exercise ``early_stopping``: everything the grader knows about it, in this package.

``__init__`` (this file, plain data: importing it needs neither NumPy nor torch): the cases and their points, the specification map (which docstring
statement each case grades), the time limit, the functions the student writes and the library
names the static check refuses. ``probes.py`` runs inside the student's sandbox; ``judges.py``
judges in the grader's process; ``mistakes.py`` names known mistakes; ``patches.py`` (instructor
only) turns the reference into each mistake.
"""

from __future__ import annotations

from typing import Any  # noqa: F401

from autograder.exercise import Exercise, case as _c
from autograder.specification import _explains, _r

from .mistakes import CATALOGUE

_ES_SEQ = [1.0, 0.9, 0.8, 0.85, 0.82, 0.81, 0.79, 0.8, 0.8, 0.8, 0.8, 0.8]
_ES_RESET = [1.0, 1.1, 1.2, 0.9, 1.0, 1.1, 1.05, 1.2, 1.3]

CASES = (
    _c("early_stopping.patience", "stops after `patience` epochs without improvement", "early_stopping_sequence",
       {"metrics": _ES_SEQ, "kwargs": {"patience": 3}}, "es_stops", 3),
    # the next cases judge one attribute each, with a patience the runs never reach
    _c("early_stopping.counter_reset", "an improvement resets the counter", "early_stopping_sequence",
       {"metrics": _ES_RESET, "kwargs": {"patience": 100}}, "es_counter", 2),
    _c("early_stopping.min_delta", "improvements smaller than min_delta do not count", "early_stopping_sequence",
       {"metrics": [1.0, 0.97, 0.96, 0.90, 0.89, 0.88, 0.87, 0.86], "kwargs": {"patience": 100, "min_delta": 0.05}},
       "es_improvements", 2),
    _c("early_stopping.plateau", "a plateau (equal values) is not an improvement", "early_stopping_sequence",
       {"metrics": [0.5, 0.5, 0.5, 0.5, 0.5, 0.5], "kwargs": {"patience": 100}}, "es_improvements", 2),
    _c("early_stopping.mode_max", "mode='max' for accuracies: larger is better", "early_stopping_sequence",
       {"metrics": [0.5, 0.6, 0.65, 0.64, 0.66, 0.66, 0.67, 0.65, 0.6, 0.55], "kwargs": {"patience": 100, "mode": "max"}},
       "es_improvements", 2),
    _c("early_stopping.nan", "a NaN metric is never an improvement", "early_stopping_sequence",
       {"metrics": [float("nan"), 1.0, float("nan"), float("nan"), float("nan")], "kwargs": {"patience": 100}},
       "es_improvements", 2),
    _c("early_stopping.best_value", "best holds the best metric so far", "early_stopping_sequence",
       {"metrics": [0.9, 0.7, 0.8, 0.6, 0.65], "kwargs": {"patience": 100}}, "es_best", 1),
    _c("early_stopping.best_epoch", "best_epoch is the 0-based index of the step() call that produced best",
       "early_stopping_sequence", {"metrics": [0.9, 0.7, 0.8, 0.6, 0.65], "kwargs": {"patience": 100}},
       "es_best_epoch", 1),
    _c("early_stopping.checkpoint", "the best model is saved to save_path and restore_best brings it back",
       "early_stopping_checkpoint",
       {"metrics": [1.0, 0.8, 0.7, 0.75, 0.72, 0.71, 0.9], "kwargs": {"patience": 3}}, "es_checkpoint", 4),
    _c("early_stopping.restore_returns_model", "restore_best(model) returns the model", "early_stopping_checkpoint",
       {"metrics": [1.0, 0.8, 0.9], "kwargs": {"patience": 3}}, "es_restore_returns", 1),
    _c("early_stopping.resume", "state_dict/load_state_dict: a resumed run decides exactly as an uninterrupted one",
       "early_stopping_resume", {"metrics": _ES_RESET, "kwargs": {"patience": 3}, "split": 5}, "es_resume", 3),
    _c("early_stopping.resume_into_defaults",
       "load_state_dict into a new EarlyStopping() restores the settings, the counters and should_stop",
       "early_stopping_resume", {"metrics": [0.5, 0.6, 0.62, 0.63, 0.8, 0.81, 0.82], "split": 4, "fresh_kwargs": {},
                                 "kwargs": {"patience": 2, "min_delta": 0.05, "mode": "max"}}, "resume_loaded", 2),
    _c("early_stopping.defaults", "EarlyStopping() uses its defaults: patience=10, min_delta=0, mode='min'",
       "early_stopping_sequence", {"metrics": [1.0, 0.9, 0.8] + [0.8] * 11, "kwargs": {}}, "exact", 1),
    _c("early_stopping.new_object", "a new EarlyStopping: best/best_epoch None, counters 0, should_stop False; "
       "is_improvement returns a bool", "early_stopping_fresh", {"kwargs": {"patience": 3}}, "same_values", 1),
    _c("early_stopping.validation", "patience < 1, min_delta < 0 or an unknown mode raise ValueError",
       "early_stopping_invalid", {"cases": [
           {"patience": 0}, {"patience": -1}, {"patience": 1}, {"min_delta": -0.1}, {"min_delta": 0.0},
           {"mode": "avg"}, {"mode": "max"}]}, "same_exceptions", 1),
    _c("early_stopping.optional_model", "step saves only when both a model and a save_path are given",
       "early_stopping_optional_model", {"metrics": [1.0, 0.9, 0.95]}, "same_values", 1),
    _c("early_stopping.restore_errors", "restore_best raises RuntimeError without a save_path, "
       "FileNotFoundError before anything was saved", "early_stopping_restore_errors", {}, "same_exceptions", 1),
)


SPEC = (
        _explains("Exercise ``early_stopping``: stop when", "the title"),
        _explains("The rule (the same as PyTorch Lightning's ``EarlyStopping``)", "introduces the block below"),
        _r("improved = best is None or metric < best - min_delta", "early_stopping.min_delta",
           "early_stopping.plateau"),
        _r("if improved:  best = metric; counter = 0; save the model's state_dict", "early_stopping.counter_reset",
           "early_stopping.best_value", "early_stopping.checkpoint"),
        _r("else:         counter += 1", "early_stopping.patience"),
        _r("stop = counter >= patience", "early_stopping.patience"),
        _r("``mode=\"max\"`` mirrors it", "early_stopping.mode_max"),
        _r("A NaN metric is never an improvement.", "early_stopping.nan"),
        _r("a metric equal to the best is *not* an improvement", "early_stopping.plateau", "early_stopping.mode_max"),
        _explains("Student version: fill in", "how to work"),
        _r("Early stopping with patience, ``min_delta``, a mode, and a checkpoint", "early_stopping.patience",
           "early_stopping.checkpoint"),
        _r("patience: how many epochs in a row without improvement end training", "early_stopping.patience",
           "early_stopping.defaults", "early_stopping.validation"),
        _r("min_delta: the smallest change that counts as an improvement, an absolute amount",
           "early_stopping.min_delta", "early_stopping.defaults", "early_stopping.validation"),
        _r("mode: ``\"min\"`` for losses (the default), ``\"max\"`` for accuracies.", "early_stopping.mode_max",
           "early_stopping.defaults"),
        _r("save_path: where ``step`` saves ``model.state_dict()``", "early_stopping.checkpoint",
           "early_stopping.optional_model"),
        _r("``None`` (the default) saves nothing.", "early_stopping.optional_model"),
        _r("best: the best metric so far", "early_stopping.best_value", "early_stopping.new_object"),
        _r("best_epoch: the 0-based index of the ``step`` call", "early_stopping.best_epoch"),
        _r("counter: epochs since the last improvement.", "early_stopping.counter_reset"),
        _r("should_stop: the last ``step``'s answer, ``counter >= patience``", "early_stopping.resume_into_defaults",
           "early_stopping.new_object"),
        _r("epoch: how many times ``step`` has been called.", "early_stopping.resume_into_defaults"),
        _r("A new object has ``best = best_epoch = None``", "early_stopping.new_object"),
        _r("ValueError: for ``patience < 1``", "early_stopping.validation"),
        _r("Whether ``metric`` beats ``best`` by more than ``min_delta`` in this mode (a ``bool``).",
           "early_stopping.new_object", "early_stopping.min_delta"),
        _r("Always ``True`` while ``best`` is ``None`` (except for NaN); never ``True`` for NaN.",
           "early_stopping.new_object", "early_stopping.nan"),
        _r("Record one epoch's metric; return ``True`` to stop", "early_stopping.patience"),
        _r("When the metric improves and both ``model`` and ``save_path`` are given", "early_stopping.checkpoint",
           "early_stopping.optional_model"),
        _r("Load the best checkpoint from ``save_path`` into ``model`` and return ``model``.",
           "early_stopping.checkpoint", "early_stopping.restore_returns_model"),
        _r("RuntimeError: when ``save_path`` is ``None``.", "early_stopping.restore_errors"),
        _r("FileNotFoundError: when nothing was saved yet", "early_stopping.restore_errors"),
        _r("Everything needed to resume: settings and counters", "early_stopping.resume",
           "early_stopping.resume_into_defaults"),
        _r("Restore what :meth:`state_dict` returned, settings included", "early_stopping.resume_into_defaults",
           "early_stopping.resume"),
        _r("``should_stop`` is restored too.", "early_stopping.resume_into_defaults"),
    
)


EXERCISE = Exercise(
    name="early_stopping",
    title="Early stopping with patience, min_delta, checkpoints and resume",
    chapter="book/08_training_loop",
    timeout=60.0,
    todo=('EarlyStopping.is_improvement', 'EarlyStopping.step', 'EarlyStopping.restore_best', 'EarlyStopping.state_dict', 'EarlyStopping.load_state_dict'),
    delegated=frozenset(()),
    cases=CASES,
    spec=SPEC,
    mistakes=CATALOGUE,
)
