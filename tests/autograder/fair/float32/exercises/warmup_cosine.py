"""Warmup + cosine computed in float32 tensors (torch.cos of a float32 angle), returned as floats."""

import torch
from torch.optim.lr_scheduler import LRScheduler


class WarmupCosine(LRScheduler):
    def __init__(self, optimizer, warmup_steps, total_steps, min_lr=0.0, warmup_start_factor=0.0, last_epoch=-1):
        if warmup_steps < 0 or total_steps <= warmup_steps:
            raise ValueError("need 0 <= warmup_steps < total_steps")
        if min_lr < 0 or not 0 <= warmup_start_factor <= 1:
            raise ValueError("need min_lr >= 0 and 0 <= warmup_start_factor <= 1")
        self.warmup_steps = warmup_steps
        self.total_steps = total_steps
        self.min_lr = min_lr
        self.warmup_start_factor = warmup_start_factor
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        base = torch.tensor(self.base_lrs, dtype=torch.float32)
        step = torch.tensor(float(self.last_epoch), dtype=torch.float32)
        w = torch.tensor(float(self.warmup_steps), dtype=torch.float32)
        total = torch.tensor(float(self.total_steps), dtype=torch.float32)
        f = torch.tensor(self.warmup_start_factor, dtype=torch.float32)
        low = torch.tensor(self.min_lr, dtype=torch.float32)
        if self.last_epoch < self.warmup_steps:
            lrs = base * (f + (1 - f) * step / w)
        else:
            progress = (torch.minimum(step, total) - w) / (total - w)
            lrs = low + (base - low) * 0.5 * (1 + torch.cos(torch.pi * progress))
        return [float(x) for x in lrs]
