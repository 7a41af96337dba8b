"""Early stopping with the bookkeeping of d2l's training loops: every epoch's metric is appended to
a float64 NumPy history and every decision is read off that history (the best value, its epoch,
the epochs since)."""

import numpy as np
import torch


class EarlyStopping:
    def __init__(self, patience=10, min_delta=0.0, mode="min", save_path=None):
        if patience < 1 or min_delta < 0 or mode not in ("min", "max"):
            raise ValueError(f"invalid arguments: patience={patience}, min_delta={min_delta}, mode={mode}")
        self.patience, self.min_delta, self.mode, self.save_path = patience, min_delta, mode, save_path
        self.history = np.zeros(0, dtype=np.float64)
        self.best = None
        self.best_epoch = None
        self.counter = 0
        self.epoch = 0
        self.should_stop = False

    def is_improvement(self, metric):
        metric = np.float64(metric)
        if np.isnan(metric):
            return False
        if self.best is None:
            return True
        sign = 1.0 if self.mode == "min" else -1.0
        return bool(sign * metric < sign * self.best - self.min_delta)

    def step(self, metric, model=None):
        improved = self.is_improvement(metric)
        self.history = np.append(self.history, np.float64(metric))
        if improved:
            self.best_epoch = len(self.history) - 1
            self.best = self.history[self.best_epoch]
            if model is not None and self.save_path is not None:
                torch.save(model.state_dict(), self.save_path)
        self.epoch = len(self.history)
        self.counter = self.epoch - 1 - (self.best_epoch if self.best_epoch is not None else -1)
        self.should_stop = self.counter >= self.patience
        return self.should_stop

    __call__ = step

    def restore_best(self, model):
        if self.save_path is None:
            raise RuntimeError("restore_best needs a save_path")
        # before the first save torch.load raises FileNotFoundError
        model.load_state_dict(torch.load(self.save_path, weights_only=True))
        return model

    def state_dict(self):
        return {"history": self.history.copy(), "best_epoch": self.best_epoch, "patience": self.patience,
                "min_delta": self.min_delta, "mode": self.mode}

    def load_state_dict(self, state):
        self.history = np.asarray(state["history"], dtype=np.float64)
        self.best_epoch = state["best_epoch"]
        self.patience, self.min_delta, self.mode = state["patience"], state["min_delta"], state["mode"]
        self.best = None if self.best_epoch is None else self.history[self.best_epoch]
        self.epoch = len(self.history)
        self.counter = self.epoch - 1 - (self.best_epoch if self.best_epoch is not None else -1)
        self.should_stop = self.counter >= self.patience
