"""Exercise ``mixup_cutmix``: mixup and CutMix on a batch of images, with their labels mixed.

Mixup (Zhang et al., 2018) blends each image of a batch with a partner image; CutMix (Yun et al.,
2019) pastes a box of the partner into it. Both mix the labels in the proportion in which they mix
the pixels, so the target of a mixed image is a probability vector (soft labels), which
``F.cross_entropy(logits, soft_labels)`` accepts.

The conventions are those of ``torchvision.transforms.v2.MixUp`` and ``v2.CutMix``, which these
functions reproduce (up to rounding) given the same ``lam`` and, for CutMix, the same box centre:

* ``images`` is a batch ``(N, C, H, W)``, channels first. The partner of image ``i`` is image
  ``i - 1``, and that of image 0 is image ``N - 1``: the batch is paired with
  ``images.roll(1, dims=0)``, no permutation is drawn (a shuffled ``DataLoader`` makes the pairs
  random). A batch of one image is paired with itself.
* ``lam`` weighs the image itself and ``1 - lam`` its partner, in the pixels and in the labels.
* The labels of image ``i`` become ``lam * t[i] + (1 - lam) * t[i - 1]``, where ``t`` is
  ``F.one_hot(labels, num_classes)`` for class indices of shape ``(N,)`` and ``labels`` itself for
  rows of shape ``(N, num_classes)`` (one-hot or already soft).
* Nothing is modified in place: ``images`` and ``labels`` stay as they were, and the results are
  new tensors (writing into them changes no input).

Randomness: ``lam ~ Beta(alpha, alpha)`` and CutMix's box centre are drawn from ``generator`` (a
``torch.Generator``), or from PyTorch's global generator when ``generator`` is ``None``, so that
``torch.manual_seed`` repeats a result. Given a generator, the global generator is not used at all:
the same generator state gives the same result, whatever the global seed, and successive calls
with one generator give new draws. The order of the draws is yours to choose. The reference draws
``lam`` first, as ``g1 / (g1 + g2)`` with ``g1, g2 = torch.distributions.Gamma(alpha,
1.0).rsample((2,), generator=generator)`` (the standard construction of a Beta variable:
``torch.distributions.Beta`` takes no generator), then CutMix's ``cx``, then ``cy``.

Student version: fill in every function that raises ``NotImplementedError``, then run
``python -m autograder check mixup_cutmix``.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

__all__ = ["mixup", "cutmix"]


def _check(images: torch.Tensor, labels: torch.Tensor, num_classes: int, alpha: float, lam: float | None) -> None:
    """Raise ``ValueError`` for the invalid arguments the docstrings of ``mixup`` and ``cutmix`` list."""
    raise NotImplementedError("exercise mixup_cutmix: implement _check")


def _sample_lam(alpha: float, generator: torch.Generator | None) -> float:
    """One draw of ``Beta(alpha, alpha)`` from ``generator`` (the global generator when ``None``)."""
    raise NotImplementedError("exercise mixup_cutmix: implement _sample_lam")


def _soft_labels(labels: torch.Tensor, num_classes: int, lam: float) -> torch.Tensor:
    """``lam * t + (1 - lam) * t.roll(1, 0)``, ``t`` the labels as rows of ``num_classes`` probabilities."""
    raise NotImplementedError("exercise mixup_cutmix: implement _soft_labels")


def mixup(
    images: torch.Tensor,
    labels: torch.Tensor,
    num_classes: int,
    alpha: float = 1.0,
    *,
    lam: float | None = None,
    generator: torch.Generator | None = None,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Mixup: each image blended with its partner, ``lam * image + (1 - lam) * partner``.

    Args:
        images: a floating-point batch ``(N, C, H, W)`` (float32, float64, on any device).
        labels: class indices ``(N,)`` (an integer tensor) or probability rows ``(N, num_classes)``.
        num_classes: the number of classes.
        alpha: the parameter of ``Beta(alpha, alpha)``, ``> 0`` (default 1.0, which makes ``lam``
            uniform on ``[0, 1]``; the seed lesson's 0.2 keeps most images lightly mixed).
        lam: the weight of each image itself, ``0 <= lam <= 1``; drawn from ``Beta(alpha, alpha)``
            when ``None`` (the default).
        generator: where the random numbers come from (the module docstring says how).

    Returns:
        ``(mixed_images, soft_labels)``: ``mixed_images[i] = lam * images[i] + (1 - lam) *
        images[i - 1]``, with the shape, dtype and device of ``images``; ``soft_labels`` of shape
        ``(N, num_classes)``, mixed with the same ``lam``, on the device of ``labels``, float32 for
        integer labels and the dtype of ``labels`` for floating-point rows.

    Raises:
        TypeError: when ``images`` is not floating point (uint8 pixels cannot hold a blend:
            convert them first, with ``v2.ToDtype(torch.float32, scale=True)`` for instance).
        ValueError: when ``alpha <= 0`` (whether or not ``lam`` is given), ``lam`` is outside
            ``[0, 1]``, ``images`` is not 4-D, or ``labels`` is neither ``(N,)`` nor
            ``(N, num_classes)``.
    """
    raise NotImplementedError("exercise mixup_cutmix: implement mixup")


def cutmix(
    images: torch.Tensor,
    labels: torch.Tensor,
    num_classes: int,
    alpha: float = 1.0,
    *,
    lam: float | None = None,
    center: tuple[int, int] | None = None,
    generator: torch.Generator | None = None,
) -> tuple[torch.Tensor, torch.Tensor]:
    """CutMix: a box of each image's partner pasted into a copy of the image; labels mixed by area.

    The box is ``v2.CutMix``'s. With ``r = 0.5 * sqrt(1 - lam)``, its half-width is ``int(r * W)``
    and its half-height ``int(r * H)`` around the centre ``(cx, cy)``, and it is clipped at the
    border of the image::

        x1 = max(cx - int(r * W), 0)    x2 = min(cx + int(r * W), W)
        y1 = max(cy - int(r * H), 0)    y2 = min(cy + int(r * H), H)

    Every image gets the same box: ``mixed_images[i, :, y1:y2, x1:x2] = images[i - 1, :, y1:y2,
    x1:x2]`` and the rest of ``mixed_images[i]`` is ``images[i]``. The labels are mixed with the
    weight recomputed from the clipped box, ``lam_box = 1 - (x2 - x1) * (y2 - y1) / (H * W)``: the
    fraction of each image that is still its own, not the drawn ``lam`` (a box clipped at the
    border pastes less than ``1 - lam`` of the image).

    Args:
        images: a batch ``(N, C, H, W)`` of any dtype (uint8 images stay uint8: pixels are copied,
            not blended), on any device.
        labels: class indices ``(N,)`` (an integer tensor) or probability rows ``(N, num_classes)``.
        num_classes: the number of classes.
        alpha: the parameter of ``Beta(alpha, alpha)``, ``> 0`` (default 1.0).
        lam: the weight that sets the size of the box, ``0 <= lam <= 1``; drawn from
            ``Beta(alpha, alpha)`` when ``None`` (the default).
        center: ``(cx, cy)``, the centre of the box: the column ``cx`` (``0 <= cx < W``) and the row
            ``cy`` (``0 <= cy < H``), x before y as in torchvision; when ``None`` (the default),
            ``cx`` and ``cy`` are drawn uniformly from ``0, ..., W - 1`` and ``0, ..., H - 1``.
        generator: where the random numbers come from (the module docstring says how).

    Returns:
        ``(mixed_images, soft_labels)``: the images with the box pasted, with the shape, dtype and
        device of ``images``; ``soft_labels`` of shape ``(N, num_classes)``, mixed with
        ``lam_box``, on the device of ``labels``, float32 for integer labels and the dtype of
        ``labels`` for floating-point rows.

    Raises:
        ValueError: when ``alpha <= 0`` (whether or not ``lam`` is given), ``lam`` is outside
            ``[0, 1]``, ``images`` is not 4-D, ``labels`` is neither ``(N,)`` nor
            ``(N, num_classes)``, or ``center`` is outside the image.
    """
    raise NotImplementedError("exercise mixup_cutmix: implement cutmix")
