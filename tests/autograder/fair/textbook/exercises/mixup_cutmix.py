"""mixup and cutmix as the lesson writes them, corrected: an index for the partners (i - 1), y_a and
y_b, cut_w = int(W * sqrt(1 - lam)) halved with //, np.clip, a copy of x before pasting; lam from two
Gamma draws; one if per invalid argument."""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F


def mixup(images, labels, num_classes, alpha=1.0, *, lam=None, generator=None):
    if not torch.is_floating_point(images):
        raise TypeError("mixup: images must be floating point")
    if alpha <= 0:
        raise ValueError("alpha must be > 0")
    if lam is not None and (lam < 0 or lam > 1):
        raise ValueError("lam must be in [0, 1]")
    if images.dim() != 4:
        raise ValueError("images must be (N, C, H, W)")
    batch_size = images.size(0)
    if labels.shape[0] != batch_size or (labels.dim() == 2 and labels.shape[1] != num_classes) or labels.dim() > 2:
        raise ValueError("labels do not fit the batch")
    if lam is None:
        gamma = torch.distributions.Gamma(float(alpha), 1.0)
        a = gamma.rsample(generator=generator).item()
        b = gamma.rsample(generator=generator).item()
        lam = a / (a + b)
    index = (torch.arange(batch_size, device=images.device) - 1) % batch_size
    mixed_x = lam * images + (1 - lam) * images[index]
    y_a = F.one_hot(labels, num_classes).float() if labels.dim() == 1 else labels
    if not y_a.is_floating_point():
        y_a = y_a.float()
    y_b = y_a[index.to(y_a.device)]
    return mixed_x, lam * y_a + (1 - lam) * y_b


def cutmix(images, labels, num_classes, alpha=1.0, *, lam=None, center=None, generator=None):
    if alpha <= 0:
        raise ValueError("alpha must be > 0")
    if lam is not None and (lam < 0 or lam > 1):
        raise ValueError("lam must be in [0, 1]")
    if images.dim() != 4:
        raise ValueError("images must be (N, C, H, W)")
    batch_size = images.size(0)
    if labels.shape[0] != batch_size or (labels.dim() == 2 and labels.shape[1] != num_classes) or labels.dim() > 2:
        raise ValueError("labels do not fit the batch")
    _, _, H, W = images.shape
    if center is not None and (center[0] < 0 or center[0] >= W):
        raise ValueError("cx must be in [0, W)")
    if center is not None and (center[1] < 0 or center[1] >= H):
        raise ValueError("cy must be in [0, H)")
    if lam is None:
        gamma = torch.distributions.Gamma(float(alpha), 1.0)
        a = gamma.rsample(generator=generator).item()
        b = gamma.rsample(generator=generator).item()
        lam = a / (a + b)
    index = (torch.arange(batch_size, device=images.device) - 1) % batch_size
    cut_rat = np.sqrt(1.0 - lam)
    cut_w = int(W * cut_rat)
    cut_h = int(H * cut_rat)
    if center is None:
        cx = int(torch.randint(W, (1,), generator=generator))
        cy = int(torch.randint(H, (1,), generator=generator))
    else:
        cx, cy = center
    bbx1 = int(np.clip(cx - cut_w // 2, 0, W))
    bby1 = int(np.clip(cy - cut_h // 2, 0, H))
    bbx2 = int(np.clip(cx + cut_w // 2, 0, W))
    bby2 = int(np.clip(cy + cut_h // 2, 0, H))
    x = images.clone()
    x[:, :, bby1:bby2, bbx1:bbx2] = images[index, :, bby1:bby2, bbx1:bbx2]
    lam = 1 - ((bbx2 - bbx1) * (bby2 - bby1) / (W * H))
    y_a = F.one_hot(labels, num_classes).float() if labels.dim() == 1 else labels
    if not y_a.is_floating_point():
        y_a = y_a.float()
    return x, lam * y_a + (1 - lam) * y_a[index.to(y_a.device)]
