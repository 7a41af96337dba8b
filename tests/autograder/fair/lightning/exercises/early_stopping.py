"""EarlyStopping in the shape of Lightning's callback (``lightning/pytorch/callbacks/early_stopping.py``):
``monitor_op`` is ``torch.lt`` or ``torch.gt``, ``min_delta`` carries the sign of the mode, the best
score is a float32 tensor starting at +/-inf, ``wait_count`` counts epochs without improvement and
``state_dict`` uses Lightning's names (plus ``mode`` and the signed ``min_delta``, so that a resumed
callback needs no matching constructor). The exercise's attributes are properties over those."""

import os

import torch


class EarlyStopping:
    mode_dict = {"min": torch.lt, "max": torch.gt}

    def __init__(self, patience=10, min_delta=0.0, mode="min", save_path=None):
        if mode not in self.mode_dict:
            raise ValueError(f"`mode` can be {', '.join(self.mode_dict.keys())}, got {mode}")
        if patience < 1:
            raise ValueError(f"`patience` must be at least 1, got {patience}")
        if min_delta < 0:
            raise ValueError(f"`min_delta` must be non-negative, got {min_delta}")
        self.patience = patience
        self.mode = mode
        self.save_path = save_path
        self.min_delta = min_delta
        self.min_delta *= 1 if self.monitor_op == torch.gt else -1
        torch_inf = torch.tensor(torch.inf)
        self.best_score = torch_inf if self.monitor_op == torch.lt else -torch_inf
        self.wait_count = 0
        self.stopped_epoch = 0
        self.current_epoch = 0
        self.best_model_epoch = None

    @property
    def monitor_op(self):
        return self.mode_dict[self.mode]

    # the exercise's attribute names, over Lightning's state
    @property
    def best(self):
        return None if self.best_model_epoch is None else self.best_score

    @property
    def best_epoch(self):
        return self.best_model_epoch

    @property
    def counter(self):
        return self.wait_count

    @property
    def epoch(self):
        return self.current_epoch

    @property
    def should_stop(self):
        return self.wait_count >= self.patience

    def is_improvement(self, metric):
        current = torch.as_tensor(metric).squeeze()
        if torch.isnan(current):
            return False
        if self.best_model_epoch is None:  # the +/-inf sentinel would refuse an infinite first metric
            return True
        return bool(self.monitor_op(current - self.min_delta, self.best_score.to(current.device)))

    def _evaluate_stopping_criteria(self, current):
        should_stop = False
        if self.is_improvement(current):
            self.best_score = current
            self.wait_count = 0
            improved = True
        else:
            self.wait_count += 1
            improved = False
            if self.wait_count >= self.patience:
                should_stop = True
        return should_stop, improved

    def step(self, metric, model=None):
        current = torch.as_tensor(metric, dtype=torch.float32).squeeze()
        should_stop, improved = self._evaluate_stopping_criteria(current)
        if improved:
            self.best_model_epoch = self.current_epoch
            if model is not None and self.save_path is not None:
                torch.save(model.state_dict(), self.save_path)
        if should_stop:
            self.stopped_epoch = self.current_epoch
        self.current_epoch += 1
        return should_stop

    __call__ = step

    def restore_best(self, model):
        if self.save_path is None:
            raise RuntimeError("`restore_best` needs `save_path`: no checkpoint is ever written without it")
        if not os.path.exists(self.save_path):
            raise FileNotFoundError(f"no checkpoint at {self.save_path} yet")
        model.load_state_dict(torch.load(self.save_path, weights_only=True))
        return model

    def state_dict(self):
        return {
            "wait_count": self.wait_count,
            "stopped_epoch": self.stopped_epoch,
            "best_score": self.best_score,
            "patience": self.patience,
            "mode": self.mode,
            "min_delta": self.min_delta,
            "current_epoch": self.current_epoch,
            "best_model_epoch": self.best_model_epoch,
        }

    def load_state_dict(self, state_dict):
        self.wait_count = state_dict["wait_count"]
        self.stopped_epoch = state_dict["stopped_epoch"]
        self.best_score = state_dict["best_score"]
        self.patience = state_dict["patience"]
        self.mode = state_dict["mode"]  # monitor_op follows the mode
        self.min_delta = state_dict["min_delta"]  # already signed for that mode
        self.current_epoch = state_dict["current_epoch"]
        self.best_model_epoch = state_dict["best_model_epoch"]
