"""A correct early stopping with another structure (signed comparison): it must score full marks."""

import math
import os

import torch


class EarlyStopping:
    def __init__(self, patience=10, min_delta=0.0, mode="min", save_path=None):
        if patience < 1 or min_delta < 0 or mode not in ("min", "max"):
            raise ValueError("bad arguments")
        self.patience, self.min_delta, self.mode, self.save_path = patience, min_delta, mode, save_path
        self.best, self.best_epoch, self.counter, self.epoch, self.should_stop = None, None, 0, 0, False

    def is_improvement(self, metric):
        metric = float(metric)
        if metric != metric:
            return False
        if self.best is None:
            return True
        sign = 1.0 if self.mode == "min" else -1.0
        return sign * (self.best - metric) > self.min_delta

    def step(self, metric, model=None):
        if self.is_improvement(float(metric)):
            self.best, self.best_epoch, self.counter = float(metric), self.epoch, 0
            if model is not None and self.save_path:
                torch.save({k: v.clone() for k, v in model.state_dict().items()}, self.save_path)
        else:
            self.counter += 1
        self.epoch += 1
        self.should_stop = self.counter >= self.patience
        return self.should_stop

    __call__ = step

    def restore_best(self, model):
        if self.save_path is None:
            raise RuntimeError("no save_path was given")
        if not os.path.exists(self.save_path):
            raise FileNotFoundError("nothing has been saved yet")
        model.load_state_dict(torch.load(self.save_path, weights_only=True))
        return model

    def state_dict(self):
        return dict(patience=self.patience, min_delta=self.min_delta, mode=self.mode,
                    best=self.best, best_epoch=self.best_epoch, counter=self.counter, epoch=self.epoch,
                    should_stop=self.should_stop)

    def load_state_dict(self, state):
        self.patience, self.min_delta, self.mode = state["patience"], state["min_delta"], state["mode"]
        self.best, self.best_epoch = state["best"], state["best_epoch"]
        self.counter, self.epoch, self.should_stop = state["counter"], state["epoch"], state["should_stop"]
