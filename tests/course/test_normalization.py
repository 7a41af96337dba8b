"""course.normalization: normalising over axes reproduces BatchNorm, LayerNorm and GroupNorm."""

import pytest
import torch
from torch import nn

from course import normalization as norm


@pytest.fixture
def x():
    g = torch.Generator().manual_seed(0)
    return 3.0 + 2.0 * torch.randn(4, 6, 5, 5, generator=g, dtype=torch.float64)


def test_batch_norm_matches_batchnorm2d_in_training_mode(x):
    torch.testing.assert_close(norm.batch_norm(x), nn.BatchNorm2d(6).double().train()(x))


def test_batch_norm_matches_batchnorm1d_for_mlp_activations(x):
    flat = x[:, :, 0, 0]
    torch.testing.assert_close(norm.batch_norm(flat), nn.BatchNorm1d(6).double().train()(flat))


def test_layer_norm_matches_layernorm_over_all_but_the_batch(x):
    torch.testing.assert_close(norm.layer_norm(x), nn.LayerNorm([6, 5, 5]).double()(x))


@pytest.mark.parametrize("groups", [1, 2, 3, 6])
def test_group_norm_matches_groupnorm(x, groups):
    torch.testing.assert_close(norm.group_norm(x, groups), nn.GroupNorm(groups, 6).double()(x))


def test_group_norm_extremes_are_layer_and_instance_norm(x):
    torch.testing.assert_close(norm.group_norm(x, 1), norm.layer_norm(x))
    torch.testing.assert_close(norm.group_norm(x, 6), nn.InstanceNorm2d(6).double()(x))


def test_group_norm_rejects_uneven_groups(x):
    with pytest.raises(ValueError):
        norm.group_norm(x, 4)


def test_normalised_slices_have_zero_mean_and_unit_variance(x):
    y = norm.normalize(x, [0, 2, 3], eps=0.0)
    torch.testing.assert_close(y.mean(dim=(0, 2, 3)), torch.zeros(6, dtype=x.dtype))
    torch.testing.assert_close(y.var(dim=(0, 2, 3), unbiased=False), torch.ones(6, dtype=x.dtype))


def test_plot_norm_axes_draws_four_panels():
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig = norm.plot_norm_axes(n=4, c=6, groups=2)
    titles = [ax.get_title() for ax in fig.axes]
    assert len(titles) == 4
    assert "6 (mean, var) pairs" in titles[0] and "4 (mean, var)" in titles[1]
    assert "8 (mean, var)" in titles[2] and "24 (mean, var)" in titles[3]
    plt.close(fig)
