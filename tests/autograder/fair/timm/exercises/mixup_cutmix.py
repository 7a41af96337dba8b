"""mixup and cutmix as timm's ``timm/data/mixup.py`` writes them, with the exercise's conventions: a
``one_hot`` by ``torch.full(...).scatter_``, ``mixup_target`` mixing rows with their partners,
``rand_bbox`` (``cut_h = int(img_h * sqrt(1 - lam))``, the centre drawn or given, the corners from
``cut // 2`` and ``np.clip``) and ``cutmix_bbox_and_lam(correct_lam=True)``, which recomputes lam from
the clipped box; the blend as timm's in-place ``mul_``/``add_`` chain, run on a copy of the batch,
pairs by ``roll(1, 0)`` instead of timm's ``flip(0)``. timm draws lam from ``np.random.beta``; here
it is NumPy's own algorithm for ``random_beta`` (Johnk's for alpha <= 1, else a ratio of two
Marsaglia-Tsang gammas) on uniform and normal draws of the torch generator."""

import math

import numpy as np
import torch


# ------------------------------------------------------------------ Beta from the torch generator ---
def _uniform(generator):
    return float(torch.rand((), dtype=torch.float64, generator=generator))


def _normal(generator):
    return float(torch.randn((), dtype=torch.float64, generator=generator))


def _standard_gamma(shape, generator):
    """Marsaglia and Tsang (2000); for shape < 1, Gamma(shape + 1) * U ** (1 / shape)."""
    if shape < 1.0:
        return _standard_gamma(shape + 1.0, generator) * _uniform(generator) ** (1.0 / shape)
    d = shape - 1.0 / 3.0
    c = 1.0 / math.sqrt(9.0 * d)
    while True:
        x = _normal(generator)
        v = 1.0 + c * x
        if v <= 0.0:
            continue
        v = v * v * v
        u = _uniform(generator)
        if u < 1.0 - 0.0331 * x ** 4 or math.log(u) < 0.5 * x * x + d * (1.0 - v + math.log(v)):
            return d * v


def _beta(a, b, generator):
    """numpy's random_beta: Johnk's algorithm when a, b <= 1, else X / (X + Y) of two gammas."""
    if a <= 1.0 and b <= 1.0:
        while True:
            u, v = _uniform(generator), _uniform(generator)
            if u == 0.0 or v == 0.0:
                continue
            log_x, log_y = math.log(u) / a, math.log(v) / b
            log_xy = log_x if log_x > log_y else log_y
            log_xy += math.log1p(math.exp(-abs(log_x - log_y)))  # log(X + Y)
            if log_xy <= 0.0:
                return math.exp(log_x - log_xy)
    x, y = _standard_gamma(a, generator), _standard_gamma(b, generator)
    return x / (x + y)


# ------------------------------------------------------------------------------- timm's helpers ---
def one_hot(x, num_classes, on_value=1.0, off_value=0.0):
    x = x.long().view(-1, 1)
    return torch.full((x.size()[0], num_classes), off_value, device=x.device).scatter_(1, x, on_value)


def mixup_target(target, num_classes, lam=1.0):
    y1 = one_hot(target, num_classes) if target.dim() == 1 else target
    y2 = y1.roll(1, 0)
    return y1 * lam + y2 * (1.0 - lam)


def rand_bbox(img_shape, lam, center=None, generator=None):
    ratio = np.sqrt(1 - lam)
    img_h, img_w = img_shape[-2:]
    cut_h, cut_w = int(img_h * ratio), int(img_w * ratio)
    if center is None:
        cx = int(torch.randint(0, img_w, (1,), generator=generator))
        cy = int(torch.randint(0, img_h, (1,), generator=generator))
    else:
        cx, cy = int(center[0]), int(center[1])
    yl = int(np.clip(cy - cut_h // 2, 0, img_h))
    yh = int(np.clip(cy + cut_h // 2, 0, img_h))
    xl = int(np.clip(cx - cut_w // 2, 0, img_w))
    xh = int(np.clip(cx + cut_w // 2, 0, img_w))
    return yl, yh, xl, xh


def cutmix_bbox_and_lam(img_shape, lam, center=None, correct_lam=True, generator=None):
    yl, yu, xl, xu = rand_bbox(img_shape, lam, center=center, generator=generator)
    if correct_lam:
        bbox_area = (yu - yl) * (xu - xl)
        lam = 1.0 - bbox_area / float(img_shape[-2] * img_shape[-1])
    return (yl, yu, xl, xu), lam


def _assert_args(x, target, num_classes, alpha, lam):
    if alpha <= 0:
        raise ValueError(f"alpha should be > 0, got {alpha}")
    if lam is not None and (lam < 0 or lam > 1):
        raise ValueError(f"lam should be in [0, 1], got {lam}")
    if x.dim() != 4:
        raise ValueError(f"Expected a batch of images (B, C, H, W), got {x.dim()} dims")
    b = x.size(0)
    if tuple(target.shape) not in ((b,), (b, num_classes)):
        raise ValueError(f"target should be ({b},) or ({b}, {num_classes}), got {tuple(target.shape)}")


def mixup(images, labels, num_classes, alpha=1.0, *, lam=None, generator=None):
    if not torch.is_floating_point(images):
        raise TypeError(f"mixup blends pixels: images must be floating point, not {images.dtype}")
    _assert_args(images, labels, num_classes, alpha, lam)
    if lam is None:
        lam = _beta(alpha, alpha, generator)
    lam = float(lam)
    x = images.clone()
    x_flipped = images.roll(1, 0).mul_(1.0 - lam)
    x.mul_(lam).add_(x_flipped)
    return x, mixup_target(labels, num_classes, lam)


def cutmix(images, labels, num_classes, alpha=1.0, *, lam=None, center=None, generator=None):
    _assert_args(images, labels, num_classes, alpha, lam)
    img_h, img_w = images.shape[-2:]
    if center is not None and not (0 <= center[0] < img_w and 0 <= center[1] < img_h):
        raise ValueError(f"center {tuple(center)} lies outside the {img_w} x {img_h} image")
    if lam is None:
        lam = _beta(alpha, alpha, generator)
    (yl, yh, xl, xh), lam = cutmix_bbox_and_lam(images.shape, lam, center=center, generator=generator)
    x = images.clone()
    x[:, :, yl:yh, xl:xh] = images.roll(1, 0)[:, :, yl:yh, xl:xh]
    return x, mixup_target(labels, num_classes, lam)
