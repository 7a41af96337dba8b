"""EarlyStopping in the shape of ``keras.callbacks.EarlyStopping``: ``monitor_op`` is ``np.less`` or
``np.greater``, ``min_delta`` carries the sign of the mode, ``wait`` counts epochs without
improvement, ``stopped_epoch`` records the stop, and the best value is a NumPy float64."""

import numpy as np
import torch


class EarlyStopping:
    def __init__(self, patience=10, min_delta=0.0, mode="min", save_path=None):
        if mode not in ["min", "max"]:
            raise ValueError(f"EarlyStopping mode {mode} is unknown")
        if patience < 1:
            raise ValueError("patience must be at least 1")
        if min_delta < 0:
            raise ValueError("min_delta must be non-negative")
        self.patience = patience
        self.mode = mode
        self.save_path = save_path
        self.monitor_op = np.less if mode == "min" else np.greater
        self.min_delta = abs(min_delta)
        if self.monitor_op == np.less:
            self.min_delta *= -1
        self.wait = 0
        self.stopped_epoch = 0
        self.best = None
        self.best_epoch = None
        self.epoch = 0
        self.should_stop = False

    # the names of the exercise's attributes
    @property
    def counter(self):
        return self.wait

    def _is_improvement(self, monitor_value, reference_value):
        if np.isnan(monitor_value):
            return False
        if reference_value is None:
            return True
        return bool(self.monitor_op(monitor_value - self.min_delta, reference_value))

    def is_improvement(self, metric):
        return self._is_improvement(np.float64(metric), self.best)

    def on_epoch_end(self, epoch, current, model=None):
        self.wait += 1
        if self._is_improvement(current, self.best):
            self.best = current
            self.best_epoch = epoch
            self.wait = 0
            self.should_stop = False  # a new best lifts an earlier stop
            if model is not None and self.save_path is not None:
                torch.save(model.state_dict(), self.save_path)
            return
        if self.wait >= self.patience:
            self.stopped_epoch = epoch
            self.should_stop = True

    def step(self, metric, model=None):
        self.on_epoch_end(self.epoch, np.float64(metric), model)
        self.epoch += 1
        return self.should_stop

    __call__ = step

    def restore_best(self, model):
        if self.save_path is None:
            raise RuntimeError("restore_best needs a save_path")
        model.load_state_dict(torch.load(self.save_path, weights_only=True))
        return model

    def state_dict(self):
        return {"wait": self.wait, "stopped_epoch": self.stopped_epoch, "best": self.best,
                "best_epoch": self.best_epoch, "epoch": self.epoch, "should_stop": self.should_stop,
                "patience": self.patience, "min_delta": self.min_delta, "mode": self.mode}

    def load_state_dict(self, state):
        self.wait = state["wait"]
        self.stopped_epoch = state["stopped_epoch"]
        self.best = state["best"]
        self.best_epoch = state["best_epoch"]
        self.epoch = state["epoch"]
        self.should_stop = state["should_stop"]
        self.patience = state["patience"]
        self.min_delta = state["min_delta"]
        self.mode = state["mode"]
        self.monitor_op = np.less if self.mode == "min" else np.greater
