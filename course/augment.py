"""Batch-level data augmentation: mixup, cutmix, per-sample random affine, and the ``fit`` hook.

Chapter 6 uses these. Everything draws from PyTorch's global random generator, so
``course.training.set_seed`` (or ``torch.manual_seed``) makes a run repeat, and nothing here
modifies its input tensors in place.

* :func:`mixup` and :func:`cutmix` return a :class:`MixedBatch` (mixed images, both label sets,
  ``lam``) that gives the loss ``lam * CE(out, y_a) + (1 - lam) * CE(out, y_b)`` or the equivalent
  soft targets. They match ``torchvision.transforms.v2.MixUp`` / ``v2.CutMix`` when given
  ``index=torch.arange(n).roll(1)`` (torchvision pairs each image with its neighbour).
* :func:`random_affine` rotates and shifts every image of a batch by its own random amount.
* :func:`make_batch_transform` builds the ``batch_transform(x, y) -> (x, loss_fn)`` hook that
  :func:`course.training.fit` calls on every training batch.
* :class:`TransformedDataset` applies a per-sample transform in ``__getitem__`` (the usual pipeline).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable

import torch
import torch.nn.functional as F
from torch.utils.data import Dataset

Criterion = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]


def sample_lam(alpha: float) -> float:
    """``lam ~ Beta(alpha, alpha)`` drawn as torchvision does; ``alpha <= 0`` gives ``1.0`` (no mixing).

    Small ``alpha`` (0.2) puts most mass near 0 and 1 (mild mixing); ``alpha = 1`` is uniform on [0, 1].
    """
    if alpha <= 0:
        return 1.0
    dist = torch.distributions.Beta(torch.tensor([float(alpha)]), torch.tensor([float(alpha)]))
    return float(dist.sample(()))


@dataclass
class MixedBatch:
    """A mixed batch: image ``i`` is made of ``x[i]`` (weight ``lam``) and ``x[index[i]]`` (``1 - lam``)."""

    x: torch.Tensor
    y_a: torch.Tensor
    y_b: torch.Tensor
    lam: float

    def loss(self, criterion: Criterion, logits: torch.Tensor) -> torch.Tensor:
        """``lam * criterion(logits, y_a) + (1 - lam) * criterion(logits, y_b)``."""
        return self.lam * criterion(logits, self.y_a) + (1 - self.lam) * criterion(logits, self.y_b)

    def soft_targets(self, num_classes: int) -> torch.Tensor:
        """``lam * onehot(y_a) + (1 - lam) * onehot(y_b)``, shape ``(N, num_classes)``, rows sum to 1.

        Cross-entropy is linear in its target, so ``F.cross_entropy(logits, soft_targets)`` equals
        :meth:`loss` with ``F.cross_entropy``.
        """
        a = F.one_hot(self.y_a, num_classes).float()
        b = F.one_hot(self.y_b, num_classes).float()
        return self.lam * a + (1 - self.lam) * b


def _pairing(n: int, index: torch.Tensor | None, device: torch.device) -> torch.Tensor:
    return torch.randperm(n, device=device) if index is None else index.to(device)


def mixup(
    x: torch.Tensor,
    y: torch.Tensor,
    alpha: float = 0.2,
    lam: float | None = None,
    index: torch.Tensor | None = None,
) -> MixedBatch:
    """Mixup (Zhang et al., 2018): ``x~ = lam * x + (1 - lam) * x[index]``, ``y~`` mixed alike.

    Args:
        alpha: ``lam ~ Beta(alpha, alpha)`` unless ``lam`` is given.
        index: the partner of every sample; a random permutation by default.
    """
    lam = sample_lam(alpha) if lam is None else float(lam)
    index = _pairing(len(x), index, x.device)
    mixed = lam * x + (1 - lam) * x[index]
    return MixedBatch(mixed, y, y[index], lam)


def cutmix_box(height: int, width: int, lam: float) -> tuple[int, int, int, int]:
    """A random box ``(x1, y1, x2, y2)`` covering about ``1 - lam`` of the image, clipped to it.

    Same recipe as ``torchvision.transforms.v2.CutMix``: a centre drawn uniformly over the image,
    half-sides ``int(0.5 * sqrt(1 - lam) * W)`` and ``int(0.5 * sqrt(1 - lam) * H)``.
    """
    cx = torch.randint(width, size=(1,))
    cy = torch.randint(height, size=(1,))
    r = 0.5 * math.sqrt(1.0 - lam)
    half_w, half_h = int(r * width), int(r * height)
    x1 = int(torch.clamp(cx - half_w, min=0))
    y1 = int(torch.clamp(cy - half_h, min=0))
    x2 = int(torch.clamp(cx + half_w, max=width))
    y2 = int(torch.clamp(cy + half_h, max=height))
    return x1, y1, x2, y2


def cutmix(
    x: torch.Tensor,
    y: torch.Tensor,
    alpha: float = 1.0,
    lam: float | None = None,
    index: torch.Tensor | None = None,
) -> MixedBatch:
    """CutMix (Yun et al., 2019): paste a box of ``x[index]`` into a *copy* of ``x``.

    The returned ``lam`` is recomputed from the clipped box, ``1 - box_area / (H * W)``: it is the
    fraction of every image that still comes from ``x`` itself, so the label weights match the pixels.
    """
    lam = sample_lam(alpha) if lam is None else float(lam)
    index = _pairing(len(x), index, x.device)
    H, W = x.shape[-2:]
    x1, y1, x2, y2 = cutmix_box(H, W, lam)
    mixed = x.clone()  # the seed's version wrote into x itself
    mixed[..., y1:y2, x1:x2] = x[index][..., y1:y2, x1:x2]
    lam_box = 1.0 - (x2 - x1) * (y2 - y1) / (W * H)
    return MixedBatch(mixed, y, y[index], lam_box)


def random_affine(x: torch.Tensor, degrees: float = 10.0, max_shift: int = 1, p: float = 1.0) -> torch.Tensor:
    """Rotate each image of ``(N, C, H, W)`` by its own angle in ``[-degrees, degrees]`` and shift it by
    a whole number of pixels in ``[-max_shift, max_shift]`` (each axis); zeros fill the border.

    Each image is transformed with probability ``p`` and left untouched otherwise. Unlike a
    ``torchvision.transforms.v2`` transform called on a batch tensor (one random draw for the whole
    batch), the parameters here differ per image; it is vectorised, so it is cheap on the CPU.
    """
    n, _, H, W = x.shape
    angle = (torch.rand(n) * 2 - 1) * math.radians(degrees)
    dx = torch.randint(-max_shift, max_shift + 1, (n,)).float() * 2 / W
    dy = torch.randint(-max_shift, max_shift + 1, (n,)).float() * 2 / H
    cos, sin = torch.cos(angle), torch.sin(angle)
    theta = torch.stack([torch.stack([cos, -sin, dx], 1), torch.stack([sin, cos, dy], 1)], 1).to(x)
    grid = F.affine_grid(theta, list(x.shape), align_corners=False)
    out = F.grid_sample(x, grid, align_corners=False, padding_mode="zeros")
    if p < 1.0:
        keep = (torch.rand(n) >= p).to(x.device)
        out = torch.where(keep[:, None, None, None], x, out)
    return out


def make_batch_transform(
    criterion: Criterion,
    augment: Callable[[torch.Tensor], torch.Tensor] | None = None,
    mix: str | None = None,
    alpha: float = 1.0,
) -> Callable[[torch.Tensor, torch.Tensor], tuple[torch.Tensor, Callable[[torch.Tensor], torch.Tensor]]]:
    """The ``batch_transform`` hook of :func:`course.training.fit`.

    Every training batch ``(x, y)`` becomes ``(x', loss_fn)``: ``augment(x)`` first (if given), then
    ``mix in {"mixup", "cutmix"}`` (if given), and ``loss_fn(logits)`` is the matching loss.
    """
    if mix not in (None, "mixup", "cutmix"):
        raise ValueError(f"mix must be None, 'mixup' or 'cutmix', got {mix!r}")

    def transform(x: torch.Tensor, y: torch.Tensor):
        if augment is not None:
            x = augment(x)
        if mix is None:
            return x, lambda logits: criterion(logits, y)
        batch = (mixup if mix == "mixup" else cutmix)(x, y, alpha=alpha)
        return batch.x, lambda logits: batch.loss(criterion, logits)

    return transform


class TransformedDataset(Dataset):
    """``(transform(X[i]), y[i])``: a per-sample transform applied each time an item is read."""

    def __init__(self, X: torch.Tensor, y: torch.Tensor, transform: Callable | None = None) -> None:
        if len(X) != len(y):
            raise ValueError(f"X and y differ in length: {len(X)} != {len(y)}")
        self.X, self.y, self.transform = X, y, transform

    def __len__(self) -> int:
        return len(self.y)

    def __getitem__(self, i: int):
        x = self.X[i]
        return (self.transform(x) if self.transform is not None else x), self.y[i]
