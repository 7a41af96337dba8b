"""Tests of course.transfer: freezing, frozen batch norm, discriminative rates, gradual unfreezing."""

import pytest
import torch

from course import models, transfer


def _model():
    torch.manual_seed(0)
    return models.DigitsCNN(num_classes=3, width=4)


def test_freeze_acts_on_parameters_not_on_a_module_attribute():
    m = _model()
    transfer.freeze(m)
    m.head.requires_grad = True  # the seed's mistake: only sets a Python attribute
    assert transfer.trainable_names(m) == []
    transfer.unfreeze(m.head)
    assert transfer.trainable_names(m) == ["head.weight", "head.bias"]


def test_frozen_batch_norm_still_updates_running_stats_in_train_mode_unless_set_to_eval():
    m = _model()
    transfer.freeze(m.backbone)
    bn = m.backbone[1]
    x = torch.randn(8, 1, 8, 8) + 3
    m.train()
    before = bn.running_mean.clone()
    m(x)
    assert not torch.equal(bn.running_mean, before), "train-mode BN updates its buffers even when frozen"
    m.train()
    names = transfer.set_frozen_bn_eval(m)
    assert names == ["backbone.1", "backbone.4", "backbone.8"]
    before = bn.running_mean.clone()
    m(x)
    assert torch.equal(bn.running_mean, before)
    assert m.head.training


def test_keep_frozen_bn_eval_survives_model_train_and_follows_unfreezing():
    m = _model()
    transfer.freeze(m.backbone)
    handles = transfer.keep_frozen_bn_eval(m)
    bn = m.backbone[1]
    m.train()
    before = bn.running_mean.clone()
    m(torch.randn(8, 1, 8, 8) + 3)
    assert torch.equal(bn.running_mean, before)
    transfer.unfreeze(m.backbone)
    m.train()
    m(torch.randn(8, 1, 8, 8) + 3)
    assert not torch.equal(bn.running_mean, before)
    for h in handles:
        h.remove()


def test_discriminative_param_groups_shrink_towards_the_input():
    m = _model()
    groups = transfer.layer_groups(m)
    assert len(groups) == 4 and groups[-1] is m.head
    pg = transfer.discriminative_param_groups(groups, lr=1e-2, decay=0.1)
    assert [g["lr"] for g in pg] == pytest.approx([1e-5, 1e-4, 1e-3, 1e-2])
    n = sum(p.numel() for g in pg for p in g["params"])
    assert n == models.count_parameters(m)
    transfer.unfreeze_top(groups, 2)
    pg = transfer.discriminative_param_groups(groups, lr=1e-2, decay=0.1)
    assert [g["lr"] for g in pg] == pytest.approx([1e-3, 1e-2])
    torch.optim.Adam(pg)  # a valid optimizer spec


def test_unfreeze_top_unfreezes_from_the_head_down():
    m = _model()
    groups = transfer.layer_groups(m)
    counts = []
    for n in range(5):
        transfer.unfreeze_top(groups, n)
        counts.append(models.count_parameters(m, trainable_only=True))
    assert counts[0] == 0 and counts == sorted(counts) and counts[-1] == models.count_parameters(m)
    transfer.unfreeze_top(groups, 1)
    assert transfer.trainable_names(m) == ["head.weight", "head.bias"]


def test_few_shot_takes_exactly_k_per_class_reproducibly():
    X = torch.arange(30).float()
    y = torch.arange(30) % 3
    Xa, ya = transfer.few_shot(X, y, 4, seed=1)
    Xb, _ = transfer.few_shot(X, y, 4, seed=1)
    assert torch.bincount(ya).tolist() == [4, 4, 4] and torch.equal(Xa, Xb)
    with pytest.raises(ValueError):
        transfer.few_shot(X, y, 11)


def test_feature_extraction_leaves_the_backbone_and_its_statistics_unchanged():
    src = _model()
    X = torch.rand(12, 1, 8, 8)
    y = torch.arange(12) % 2
    m = transfer.train_target("feature_extraction", X, y, pretrained=src, num_classes=2, epochs=2, batch_size=4)
    for k, v in src.backbone.state_dict().items():
        assert torch.equal(m.backbone.state_dict()[k], v), f"backbone {k} changed during feature extraction"
    ft = transfer.train_target("fine_tuning", X, y, pretrained=src, num_classes=2, epochs=3, batch_size=4)
    assert not torch.equal(ft.backbone[0].weight, src.backbone[0].weight)
    with pytest.raises(ValueError):
        transfer.train_target("fine_tuning", X, y, pretrained=None, num_classes=2)


def _separable(model, n=40):
    """Images and two labels that a linear function of ``model``'s features separates."""
    torch.manual_seed(0)
    X = torch.rand(n, 1, 8, 8)
    score = transfer.features(model, X) @ torch.randn(model.head.in_features)
    return X, (score > score.median()).long()


def test_fit_head_trains_only_the_head_to_a_low_loss_on_frozen_features():
    src = _model()
    X, y = _separable(src)
    model, _ = transfer.build_target_model("feature_extraction", num_classes=2, pretrained=src, width=4)
    transfer.freeze(model.backbone)
    before = {k: v.clone() for k, v in model.backbone.state_dict().items()}
    losses = transfer.fit_head(model, X, y, steps=300, lr=0.1)
    assert losses[-1] < 0.9 * losses[0] and losses[-1] <= min(losses[:30])
    for k, v in model.backbone.state_dict().items():
        assert torch.equal(v, before[k]), f"fit_head changed the backbone's {k}"
    assert model.training  # the caller's mode is left as it was
    assert torch.equal(transfer.features(model, X), transfer.features(model, X))


def test_linear_probe_scores_separable_features_perfectly():
    src = _model()
    X, y = _separable(src)
    assert transfer.linear_probe(src, X, y, X, y, C=100.0) >= 0.95
