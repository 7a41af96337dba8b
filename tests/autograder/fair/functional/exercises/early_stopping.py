"""A pure transition function over an immutable state, wrapped in the class the exercise asks for:
``_advance(state, metric, rule) -> state`` decides; the class only stores the latest state."""

from __future__ import annotations

import math
import os
from typing import NamedTuple, Optional

import torch


class _Rule(NamedTuple):
    patience: int
    min_delta: float
    mode: str


class _State(NamedTuple):
    best: Optional[float] = None
    best_epoch: Optional[int] = None
    counter: int = 0
    epoch: int = 0
    should_stop: bool = False


def _better(metric: float, best: Optional[float], rule: _Rule) -> bool:
    if math.isnan(metric):
        return False
    if best is None:
        return True
    return metric < best - rule.min_delta if rule.mode == "min" else metric > best + rule.min_delta


def _advance(state: _State, metric: float, rule: _Rule) -> _State:
    if _better(metric, state.best, rule):
        best, best_epoch, counter = metric, state.epoch, 0
    else:
        best, best_epoch, counter = state.best, state.best_epoch, state.counter + 1
    return _State(best, best_epoch, counter, state.epoch + 1, counter >= rule.patience)


def _checkpoint(save_path) -> str:
    """The file to restore from, or the reason there is none."""
    if save_path is None:
        raise RuntimeError("no save_path: nothing is ever saved")
    if not os.path.isfile(save_path):
        raise FileNotFoundError(f"nothing saved at {save_path} yet")
    return save_path


class EarlyStopping:
    def __init__(self, patience=10, min_delta=0.0, mode="min", save_path=None):
        if patience < 1:
            raise ValueError("patience < 1")
        if min_delta < 0:
            raise ValueError("min_delta < 0")
        if mode not in ("min", "max"):
            raise ValueError("mode must be min or max")
        self.rule = _Rule(patience, min_delta, mode)
        self.save_path = save_path
        self.state = _State()

    patience = property(lambda self: self.rule.patience)
    min_delta = property(lambda self: self.rule.min_delta)
    mode = property(lambda self: self.rule.mode)
    best = property(lambda self: self.state.best)
    best_epoch = property(lambda self: self.state.best_epoch)
    counter = property(lambda self: self.state.counter)
    epoch = property(lambda self: self.state.epoch)
    should_stop = property(lambda self: self.state.should_stop)

    def is_improvement(self, metric):
        return _better(float(metric), self.state.best, self.rule)

    def step(self, metric, model=None):
        new = _advance(self.state, float(metric), self.rule)
        if new.best_epoch != self.state.best_epoch and model is not None and self.save_path is not None:
            torch.save(model.state_dict(), self.save_path)
        self.state = new
        return new.should_stop

    __call__ = step

    def restore_best(self, model):
        model.load_state_dict(torch.load(_checkpoint(self.save_path), weights_only=True))
        return model

    def state_dict(self):
        return {"rule": self.rule._asdict(), "state": self.state._asdict()}

    def load_state_dict(self, state):
        self.rule = _Rule(**state["rule"])
        self.state = _State(**state["state"])
