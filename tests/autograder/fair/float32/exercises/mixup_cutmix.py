"""mixup and cutmix with lam kept as a float32 tensor: torch.lerp for the blend, the labels computed in
float64 and cast back, the box's sides from sqrt of the float32 lam."""

from __future__ import annotations

import torch
import torch.nn.functional as F


def _lam32(alpha, lam, generator) -> torch.Tensor:
    if lam is not None:
        return torch.tensor(lam, dtype=torch.float32)
    a = torch.distributions.Gamma(torch.tensor(alpha, dtype=torch.float32), torch.tensor(1.0))
    g1 = a.rsample(generator=generator)
    g2 = a.rsample(generator=generator)
    return (g1 / (g1 + g2)).to(torch.float32)


def _check(images, labels, num_classes, alpha, lam):
    if alpha <= 0 or alpha != alpha:
        raise ValueError("alpha must be > 0")
    if lam is not None and not (0.0 <= lam <= 1.0):
        raise ValueError("lam must lie in [0, 1]")
    if images.dim() != 4:
        raise ValueError("images must be 4-D")
    n = images.size(0)
    if labels.dim() == 1 and labels.size(0) == n:
        return
    if labels.dim() == 2 and labels.size(0) == n and labels.size(1) == num_classes:
        return
    raise ValueError("labels must be (N,) or (N, num_classes)")


def _soft(labels, num_classes, lam64: float):
    if labels.dim() == 1:
        rows, dtype = F.one_hot(labels, num_classes).to(torch.float64), torch.float32
    else:
        rows = labels.to(torch.float64)
        dtype = labels.dtype if labels.is_floating_point() else torch.float32
    return (lam64 * rows + (1.0 - lam64) * rows.roll(1, 0)).to(dtype)


def mixup(images, labels, num_classes, alpha=1.0, *, lam=None, generator=None):
    if not images.is_floating_point():
        raise TypeError("mixup blends pixels: give it floating-point images")
    _check(images, labels, num_classes, alpha, lam)
    weight = _lam32(alpha, lam, generator)
    mixed = torch.lerp(images.roll(1, 0), images, weight.to(images.dtype).to(images.device))
    return mixed, _soft(labels, num_classes, float(weight))


def cutmix(images, labels, num_classes, alpha=1.0, *, lam=None, center=None, generator=None):
    _check(images, labels, num_classes, alpha, lam)
    n, c, h, w = images.shape
    if center is not None and not (0 <= center[0] < w and 0 <= center[1] < h):
        raise ValueError("center outside the image")
    weight = _lam32(alpha, lam, generator)
    if center is None:
        center = (int(torch.randint(w, (1,), generator=generator)), int(torch.randint(h, (1,), generator=generator)))
    r = 0.5 * (1.0 - float(weight) if lam is None else 1.0 - lam) ** 0.5
    hw, hh = int(r * w), int(r * h)
    x1, x2 = max(center[0] - hw, 0), min(center[0] + hw, w)
    y1, y2 = max(center[1] - hh, 0), min(center[1] + hh, h)
    out = torch.empty_like(images)
    out.copy_(images)
    out[:, :, y1:y2, x1:x2] = torch.roll(images, 1, 0)[:, :, y1:y2, x1:x2]
    return out, _soft(labels, num_classes, 1.0 - (x2 - x1) * (y2 - y1) / (h * w))
