"""Tests of course.augment: mixup / cutmix label mixing, no in-place mutation, the fit hook."""

import pytest
import torch
import torch.nn.functional as F
from torchvision.transforms import v2

from course import augment


def _batch(n=6, c=3, h=10, w=12, k=4):
    g = torch.Generator().manual_seed(0)
    return torch.rand(n, c, h, w, generator=g), torch.arange(n) % k


def test_sample_lam_is_in_unit_interval_and_alpha_zero_means_no_mixing():
    torch.manual_seed(0)
    lams = [augment.sample_lam(0.2) for _ in range(200)]
    assert all(0.0 <= lam <= 1.0 for lam in lams)
    assert augment.sample_lam(0.0) == 1.0


def test_mixup_mixes_images_and_labels_with_the_same_lam():
    x, y = _batch()
    index = torch.tensor([1, 2, 3, 4, 5, 0])
    b = augment.mixup(x, y, lam=0.7, index=index)
    assert torch.allclose(b.x, 0.7 * x + 0.3 * x[index])
    assert torch.equal(b.y_a, y) and torch.equal(b.y_b, y[index])
    soft = b.soft_targets(4)
    assert torch.allclose(soft.sum(1), torch.ones(6))
    assert soft[0, y[0]] == pytest.approx(0.7) and soft[0, y[1]] == pytest.approx(0.3)


@pytest.mark.parametrize("name", ["mixup", "cutmix"])
def test_matches_torchvision_with_neighbour_pairing(name):
    x, y = _batch()
    tv = {"mixup": v2.MixUp, "cutmix": v2.CutMix}[name](alpha=1.0, num_classes=4)
    ours = getattr(augment, name)
    torch.manual_seed(5)
    x_tv, y_tv = tv(x, y)
    torch.manual_seed(5)
    b = ours(x, y, alpha=1.0, index=torch.arange(6).roll(1))
    assert torch.allclose(b.x, x_tv)
    assert torch.allclose(b.soft_targets(4), y_tv)


def test_cutmix_does_not_modify_its_input_and_lam_matches_the_pasted_area():
    x, y = _batch()
    before = x.clone()
    torch.manual_seed(1)
    b = augment.cutmix(x, y, lam=0.5, index=torch.arange(6).roll(1))
    assert torch.equal(x, before), "cutmix must work on a copy, not on the caller's batch"
    changed = (b.x != x).any(dim=(0, 1)).float().mean().item()
    assert 0 < changed and b.lam == pytest.approx(1 - changed)


def test_mixed_loss_equals_cross_entropy_with_soft_targets():
    x, y = _batch()
    torch.manual_seed(2)
    b = augment.mixup(x, y, alpha=0.4)
    logits = torch.randn(6, 4)
    assert torch.allclose(b.loss(F.cross_entropy, logits), F.cross_entropy(logits, b.soft_targets(4)), atol=1e-6)


def test_random_affine_shape_identity_and_per_sample_parameters():
    x = torch.zeros(16, 1, 8, 8)
    x[:, :, 2:6, 3:5] = 1.0
    assert torch.allclose(augment.random_affine(x, degrees=0, max_shift=0), x, atol=1e-6)
    torch.manual_seed(0)
    out = augment.random_affine(x, degrees=20, max_shift=1)
    assert out.shape == x.shape
    assert len({tuple(o.flatten().tolist()) for o in out}) > 1, "each image should get its own parameters"
    torch.manual_seed(0)
    assert torch.equal(augment.random_affine(x, degrees=20, max_shift=0, p=0.0), x)


def test_make_batch_transform_returns_a_loss_and_rejects_unknown_mix():
    x, y = _batch()
    plain = augment.make_batch_transform(F.cross_entropy)
    x2, loss_fn = plain(x, y)
    logits = torch.randn(6, 4)
    assert x2 is x and torch.allclose(loss_fn(logits), F.cross_entropy(logits, y))
    torch.manual_seed(0)
    x3, loss_fn = augment.make_batch_transform(F.cross_entropy, mix="cutmix")(x, y)
    assert x3.shape == x.shape and loss_fn(logits).ndim == 0
    with pytest.raises(ValueError):
        augment.make_batch_transform(F.cross_entropy, mix="mosaic")


def test_transformed_dataset_applies_the_transform_per_item():
    X, y = torch.ones(3, 1, 2, 2), torch.tensor([0, 1, 2])
    ds = augment.TransformedDataset(X, y, transform=lambda t: 2 * t)
    assert len(ds) == 3
    item, label = ds[1]
    assert torch.equal(item, 2 * X[1]) and label == 1
    with pytest.raises(ValueError):
        augment.TransformedDataset(X, y[:2])
