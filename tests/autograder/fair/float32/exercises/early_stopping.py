"""Early stopping with float32 bookkeeping: the metric, the best value and min_delta are
``np.float32`` and every comparison is done in float32; the counters are NumPy integers and the
flag a NumPy bool, as they come out of NumPy arithmetic."""

from pathlib import Path

import numpy as np
import torch


class EarlyStopping:
    def __init__(self, patience=10, min_delta=0.0, mode="min", save_path=None):
        if patience < 1:
            raise ValueError("patience must be >= 1")
        if min_delta < 0:
            raise ValueError("min_delta must be >= 0")
        if mode not in ("min", "max"):
            raise ValueError("mode must be 'min' or 'max'")
        self.patience = np.int64(patience)
        self.min_delta = np.float32(min_delta)
        self.mode = mode
        self.save_path = save_path
        self.best = None
        self.best_epoch = None
        self.counter = np.int64(0)
        self.epoch = np.int64(0)
        self.should_stop = np.bool_(False)

    def is_improvement(self, metric):
        metric = np.float32(metric)
        if np.isnan(metric):
            return False
        if self.best is None:
            return True
        if self.mode == "min":
            return bool(metric < self.best - self.min_delta)
        return bool(metric > self.best + self.min_delta)

    def step(self, metric, model=None):
        metric = np.float32(metric)
        if self.is_improvement(metric):
            self.best = metric
            self.best_epoch = self.epoch
            self.counter = np.int64(0)
            if self.save_path is not None and model is not None:
                torch.save(model.state_dict(), self.save_path)
        else:
            self.counter += 1
        self.epoch += 1
        self.should_stop = self.counter >= self.patience
        return self.should_stop

    __call__ = step

    def restore_best(self, model):
        if self.save_path is None:
            raise RuntimeError("EarlyStopping was built without a save_path: there is nothing to restore")
        if not Path(self.save_path).is_file():
            raise FileNotFoundError(f"no checkpoint at {self.save_path} yet")
        model.load_state_dict(torch.load(self.save_path, map_location="cpu", weights_only=True))
        return model

    def state_dict(self):
        return {"patience": self.patience, "min_delta": self.min_delta, "mode": self.mode, "best": self.best,
                "best_epoch": self.best_epoch, "counter": self.counter, "epoch": self.epoch,
                "should_stop": self.should_stop}

    def load_state_dict(self, state):
        self.patience = np.int64(state["patience"])
        self.min_delta = np.float32(state["min_delta"])
        self.mode = state["mode"]
        self.best = None if state["best"] is None else np.float32(state["best"])
        self.best_epoch = None if state["best_epoch"] is None else np.int64(state["best_epoch"])
        self.counter = np.int64(state["counter"])
        self.epoch = np.int64(state["epoch"])
        self.should_stop = np.bool_(state["should_stop"])
