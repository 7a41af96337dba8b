"""Early stopping whose state_dict is a loop over the names of its state (getattr/setattr on self),
which checks its metric with ``hasattr(metric, "__float__")``, and a demo that prints ``vars(es)``."""

import math

import torch

from ._checks import check_non_negative

_STATE = ("patience", "min_delta", "mode", "best", "best_epoch", "counter", "epoch", "should_stop")


class EarlyStopping:
    def __init__(self, patience=10, min_delta=0.0, mode="min", save_path=None):
        if patience < 1:
            raise ValueError("patience must be >= 1")
        check_non_negative(min_delta=min_delta)
        if mode not in ("min", "max"):
            raise ValueError(f"mode must be 'min' or 'max', got {mode!r}")
        self.patience, self.min_delta, self.mode, self.save_path = patience, min_delta, mode, save_path
        self.best = self.best_epoch = None
        self.counter = self.epoch = 0
        self.should_stop = False

    def is_improvement(self, metric):
        if not hasattr(metric, "__float__"):
            raise TypeError(f"the metric must be a number, got {type(metric).__name__}")
        metric = float(metric)
        if math.isnan(metric):
            return False
        if self.best is None:
            return True
        if self.mode == "min":
            return metric < self.best - self.min_delta
        return metric > self.best + self.min_delta

    def step(self, metric, model=None):
        if self.is_improvement(metric):
            self.best, self.best_epoch, self.counter = float(metric), self.epoch, 0
            if model is not None and self.save_path is not None:
                torch.save(model.state_dict(), self.save_path)
        else:
            self.counter += 1
        self.epoch += 1
        self.should_stop = self.counter >= self.patience
        return self.should_stop

    __call__ = step

    def restore_best(self, model):
        if self.save_path is None:
            raise RuntimeError("restore_best() needs an EarlyStopping built with a save_path")
        with open(self.save_path, "rb") as f:  # FileNotFoundError before the first save
            model.load_state_dict(torch.load(f, weights_only=True))
        return model

    def state_dict(self):
        return {name: getattr(self, name) for name in _STATE}

    def load_state_dict(self, state):
        for name in _STATE:
            setattr(self, name, state[name])


if __name__ == "__main__":
    es = EarlyStopping(patience=2)
    for loss in (1.0, 0.9, 0.95, 0.97):
        es.step(loss)
    print(vars(es))
