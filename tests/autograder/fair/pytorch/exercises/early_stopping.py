"""Early stopping as a PyTorch user writes it: torch.save / torch.load of the state_dict,
``float('inf')`` sentinels kept out of the public ``best``."""

from __future__ import annotations

import math
import os

import torch


class EarlyStopping:
    def __init__(self, patience=10, min_delta=0.0, mode="min", save_path=None):
        if patience < 1:
            raise ValueError("patience must be >= 1")
        if min_delta < 0:
            raise ValueError("min_delta must be >= 0")
        if mode not in {"min", "max"}:
            raise ValueError(f"unknown mode {mode}")
        self.patience = int(patience)
        self.min_delta = float(min_delta)
        self.mode = mode
        self.save_path = save_path
        self.best = None
        self.best_epoch = None
        self.counter = 0
        self.epoch = 0
        self.should_stop = False

    def is_improvement(self, metric):
        metric = float(metric)
        if math.isnan(metric):
            return False
        if self.best is None:
            return True
        if self.mode == "min":
            return metric < self.best - self.min_delta
        return metric > self.best + self.min_delta

    def step(self, metric, model=None):
        if torch.is_tensor(metric):
            metric = metric.item()
        if self.is_improvement(metric):
            self.best, self.best_epoch, self.counter = float(metric), self.epoch, 0
            if model is not None and self.save_path is not None:
                torch.save(model.state_dict(), self.save_path)
        else:
            self.counter += 1
        self.epoch += 1
        self.should_stop = self.counter >= self.patience  # recomputed: a new best lifts the stop
        return self.should_stop

    def __call__(self, metric, model=None):
        return self.step(metric, model)

    def restore_best(self, model):
        if self.save_path is None:
            raise RuntimeError("restore_best() needs a save_path: this EarlyStopping keeps no checkpoint")
        if not os.path.isfile(self.save_path):
            raise FileNotFoundError(f"no checkpoint saved yet at {self.save_path}")
        model.load_state_dict(torch.load(self.save_path, map_location="cpu", weights_only=True))
        return model

    def state_dict(self):
        return {key: value for key, value in self.__dict__.items() if key != "save_path"}

    def load_state_dict(self, state_dict):
        self.__dict__.update(state_dict)
