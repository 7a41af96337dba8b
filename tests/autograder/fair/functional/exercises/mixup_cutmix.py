"""mixup and cutmix from small pure functions: a Box NamedTuple, a boolean mask and torch.where for the
paste, labels by scatter into zeros, lam from NumPy's Beta seeded by one draw of the torch generator,
the centre's row drawn before its column."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import torch


class Box(NamedTuple):
    x1: int
    y1: int
    x2: int
    y2: int

    def area(self) -> int:
        return (self.x2 - self.x1) * (self.y2 - self.y1)


def _errors(images, labels, num_classes, alpha, lam) -> list[str]:
    n = images.shape[0] if images.ndim else 0
    shapes = [(n,), (n, num_classes)]
    return [msg for bad, msg in [
        (not alpha > 0, f"alpha must be > 0, got {alpha}"),
        (lam is not None and not 0 <= lam <= 1, f"lam must be in [0, 1], got {lam}"),
        (images.ndim != 4, f"images must be (N, C, H, W), got {tuple(images.shape)}"),
        (images.ndim == 4 and tuple(labels.shape) not in shapes, f"labels must be one of {shapes}"),
    ] if bad]


def _checked(images, labels, num_classes, alpha, lam):
    errors = _errors(images, labels, num_classes, alpha, lam)
    if errors:
        raise ValueError("; ".join(errors))


def draw_lam(alpha: float, generator) -> float:
    seed = int(torch.randint(0, 2**62, (1,), generator=generator))
    return float(np.random.default_rng(seed).beta(alpha, alpha))


def box(lam: float, cx: int, cy: int, height: int, width: int) -> Box:
    half = 0.5 * np.sqrt(1.0 - lam)
    hw, hh = int(half * width), int(half * height)
    return Box(max(cx - hw, 0), max(cy - hh, 0), min(cx + hw, width), min(cy + hh, height))


def rows_of(labels: torch.Tensor, num_classes: int) -> torch.Tensor:
    if labels.ndim == 2:
        return labels if labels.is_floating_point() else labels.to(torch.float32)
    out = torch.zeros(labels.shape[0], num_classes, dtype=torch.float32, device=labels.device)
    return out.scatter(1, labels[:, None], 1.0)


def partners(t: torch.Tensor) -> torch.Tensor:
    return torch.cat([t[-1:], t[:-1]])


def mix_rows(rows: torch.Tensor, lam: float) -> torch.Tensor:
    return rows * lam + partners(rows) * (1 - lam)


def mixup(images, labels, num_classes, alpha=1.0, *, lam=None, generator=None):
    if not torch.is_floating_point(images):
        raise TypeError(f"images must be floating point, got {images.dtype}")
    _checked(images, labels, num_classes, alpha, lam)
    lam = draw_lam(alpha, generator) if lam is None else lam
    return images * lam + partners(images) * (1 - lam), mix_rows(rows_of(labels, num_classes), lam)


def cutmix(images, labels, num_classes, alpha=1.0, *, lam=None, center=None, generator=None):
    _checked(images, labels, num_classes, alpha, lam)
    height, width = images.shape[2], images.shape[3]
    if center is not None and not (0 <= center[0] < width and 0 <= center[1] < height):
        raise ValueError(f"center {center} is outside the {height} x {width} image")
    lam = draw_lam(alpha, generator) if lam is None else lam
    if center is None:
        cy = int(torch.randint(0, height, (1,), generator=generator))
        cx = int(torch.randint(0, width, (1,), generator=generator))
        center = (cx, cy)
    b = box(lam, center[0], center[1], height, width)
    rows = torch.arange(height, device=images.device)[:, None]
    cols = torch.arange(width, device=images.device)[None, :]
    inside = (rows >= b.y1) & (rows < b.y2) & (cols >= b.x1) & (cols < b.x2)
    mixed = torch.where(inside, partners(images), images)
    return mixed, mix_rows(rows_of(labels, num_classes), 1 - b.area() / (height * width))
