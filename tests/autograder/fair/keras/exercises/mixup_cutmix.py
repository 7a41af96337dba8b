"""mixup and cutmix in the idiom of KerasCV's ``MixUp`` and ``CutMix`` layers, with the exercise's
conventions (one lam per batch, torchvision's box, partners by roll): the batch is moved to Keras's
channels-last layout (``permute(0, 2, 3, 1)``) and back, lam comes from ``_sample_from_beta`` as two
standard gammas (``tf.random.gamma``: here ``torch._standard_gamma`` with the generator), the labels
are ``one_hot`` in float32 mixed as ``labels * lam + shuffled * (1 - lam)``, and CutMix pastes with
``fill_rectangle``: a box mask from ``corners_to_mask`` and ``where(mask, shuffled, images)``; the
centre's row is drawn before its column, by ``uniform(0, H)`` floored, as KerasCV does."""

import torch


def _sample_from_beta(alpha, beta, generator):
    params = torch.tensor([alpha, beta], dtype=torch.float64)
    sample = torch._standard_gamma(params, generator=generator)
    return float(sample[0] / (sample[0] + sample[1]))


def _one_hot(labels, num_classes):
    return (labels[:, None] == torch.arange(num_classes, device=labels.device)).to(torch.float32)


def _labels_as_rows(labels, num_classes):
    return _one_hot(labels, num_classes) if labels.ndim == 1 else labels


def corners_to_mask(bounding_boxes, mask_shape):
    """A (H, W) boolean mask, True inside the box (x1, y1, x2, y2), right and bottom edges excluded."""
    x1, y1, x2, y2 = bounding_boxes
    height, width = mask_shape
    xs = torch.arange(width).reshape(1, width)
    ys = torch.arange(height).reshape(height, 1)
    return (xs >= x1) & (xs < x2) & (ys >= y1) & (ys < y2)


def fill_rectangle(images, box, fill_values):
    """images and fill_values channels-last (N, H, W, C): the box of ``images`` replaced by ``fill_values``."""
    mask = corners_to_mask(box, images.shape[1:3]).to(images.device)
    return torch.where(mask[None, :, :, None], fill_values, images)


def _validate(images, labels, num_classes, alpha, lam):
    if alpha <= 0:
        raise ValueError(f"`alpha` must be positive. Received: alpha={alpha}")
    if lam is not None and not 0.0 <= lam <= 1.0:
        raise ValueError(f"`lam` must be in [0, 1]. Received: lam={lam}")
    if len(images.shape) != 4:
        raise ValueError(f"Expected images of rank 4 (batch, channels, height, width). Received: "
                         f"images.shape={tuple(images.shape)}")
    batch_size = images.shape[0]
    if tuple(labels.shape) != (batch_size,) and tuple(labels.shape) != (batch_size, num_classes):
        raise ValueError(f"Expected labels of shape ({batch_size},) or ({batch_size}, {num_classes}). Received: "
                         f"labels.shape={tuple(labels.shape)}")


def mixup(images, labels, num_classes, alpha=1.0, *, lam=None, generator=None):
    if not images.dtype.is_floating_point:
        raise TypeError(f"MixUp expects floating-point images. Received: images.dtype={images.dtype}")
    _validate(images, labels, num_classes, alpha, lam)
    lambda_sample = _sample_from_beta(alpha, alpha, generator) if lam is None else float(lam)
    images_nhwc = images.permute(0, 2, 3, 1)
    shuffled = torch.roll(images_nhwc, shifts=1, dims=0)
    mixed = images_nhwc * lambda_sample + shuffled * (1.0 - lambda_sample)
    rows = _labels_as_rows(labels, num_classes)
    soft = rows * lambda_sample + torch.roll(rows, shifts=1, dims=0) * (1.0 - lambda_sample)
    return mixed.permute(0, 3, 1, 2), soft


def cutmix(images, labels, num_classes, alpha=1.0, *, lam=None, center=None, generator=None):
    _validate(images, labels, num_classes, alpha, lam)
    image_height, image_width = images.shape[2], images.shape[3]
    if center is not None:
        cx, cy = center
        if not (0 <= cx < image_width) or not (0 <= cy < image_height):
            raise ValueError(f"`center` must lie in the image (0 <= cx < {image_width}, 0 <= cy < {image_height}). "
                             f"Received: center={center}")
    lambda_sample = _sample_from_beta(alpha, alpha, generator) if lam is None else float(lam)
    if center is None:
        cy = int(float(torch.rand((), dtype=torch.float64, generator=generator)) * image_height)
        cx = int(float(torch.rand((), dtype=torch.float64, generator=generator)) * image_width)
    ratio = 0.5 * (1.0 - lambda_sample) ** 0.5
    half_width, half_height = int(ratio * image_width), int(ratio * image_height)
    x1, x2 = max(cx - half_width, 0), min(cx + half_width, image_width)
    y1, y2 = max(cy - half_height, 0), min(cy + half_height, image_height)
    images_nhwc = images.permute(0, 2, 3, 1)
    shuffled = torch.roll(images_nhwc, shifts=1, dims=0)
    mixed = fill_rectangle(images_nhwc, (x1, y1, x2, y2), shuffled)
    lam_box = 1.0 - (x2 - x1) * (y2 - y1) / (image_height * image_width)
    rows = _labels_as_rows(labels, num_classes)
    soft = rows * lam_box + torch.roll(rows, shifts=1, dims=0) * (1.0 - lam_box)
    return mixed.permute(0, 3, 1, 2), soft
