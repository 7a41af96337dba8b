"""mixup and cutmix as torchvision.transforms.v2 writes MixUp and CutMix: in-place arithmetic on the
rolled copy, the box from torch.clamp of tensor coordinates, labels mixed by roll().mul_().add_()."""

from __future__ import annotations

import math

import torch
from torch.nn.functional import one_hot


def _validate(images, labels, num_classes, alpha, lam):
    if not alpha > 0:
        raise ValueError("alpha must be positive")
    if lam is not None and (lam < 0 or lam > 1):
        raise ValueError("lam must be in [0, 1]")
    if images.ndim != 4:
        raise ValueError("expected a batched input with 4 dims")
    if labels.ndim not in (1, 2) or labels.shape[0] != images.shape[0]:
        raise ValueError("the batch size of the images does not match the labels")
    if labels.ndim == 2 and labels.shape[-1] != num_classes:
        raise ValueError("label rows must have num_classes entries")


def _beta(alpha, generator):
    concentration = torch.tensor([float(alpha), float(alpha)])
    gammas = torch.distributions.Gamma(concentration, torch.ones(2)).rsample(generator=generator)
    return float(gammas[0] / gammas.sum())


def _mixup_label(label, num_classes, lam):
    if label.ndim == 1:
        label = one_hot(label, num_classes=num_classes)
    if not label.dtype.is_floating_point:
        label = label.float()
    return label.roll(1, 0).mul_(1.0 - lam).add_(label.mul(lam))


def mixup(images, labels, num_classes, alpha=1.0, *, lam=None, generator=None):
    if not images.dtype.is_floating_point:
        raise TypeError("mixup needs floating-point images")
    _validate(images, labels, num_classes, alpha, lam)
    lam = _beta(alpha, generator) if lam is None else float(lam)
    output = images.roll(1, 0).mul_(1.0 - lam).add_(images.mul(lam))
    return output, _mixup_label(labels, num_classes, lam)


def cutmix(images, labels, num_classes, alpha=1.0, *, lam=None, center=None, generator=None):
    _validate(images, labels, num_classes, alpha, lam)
    H, W = images.shape[-2:]
    if center is not None:
        if not (0 <= center[0] < W) or not (0 <= center[1] < H):
            raise ValueError("the centre must lie inside the image")
        r_x, r_y = torch.tensor([center[0]]), torch.tensor([center[1]])
    lam = _beta(alpha, generator) if lam is None else float(lam)
    if center is None:
        r_x = torch.randint(W, size=(1,), generator=generator)
        r_y = torch.randint(H, size=(1,), generator=generator)
    r = 0.5 * math.sqrt(1.0 - lam)
    r_w_half = int(r * W)
    r_h_half = int(r * H)
    x1 = int(torch.clamp(r_x - r_w_half, min=0))
    y1 = int(torch.clamp(r_y - r_h_half, min=0))
    x2 = int(torch.clamp(r_x + r_w_half, max=W))
    y2 = int(torch.clamp(r_y + r_h_half, max=H))
    rolled = images.roll(1, 0)
    output = images.clone()
    output[..., y1:y2, x1:x2] = rolled[..., y1:y2, x1:x2]
    lam_adjusted = float(1.0 - (x2 - x1) * (y2 - y1) / (W * H))
    return output, _mixup_label(labels, num_classes, lam_adjusted)
