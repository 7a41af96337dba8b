"""course.averaging: the EMA matches torch's AveragedModel; fit_averaged; the noisy quadratic."""

import numpy as np
import pytest
import torch
from torch import nn
from torch.optim.swa_utils import AveragedModel, get_ema_multi_avg_fn

from course import averaging
from course.data import make_loaders
from course.training import set_seed


def _model():
    set_seed(0)
    return nn.Sequential(nn.Linear(4, 8), nn.BatchNorm1d(8), nn.ReLU(), nn.Linear(8, 3))


def _steps(model, opt, hook, n=5):
    g = torch.Generator().manual_seed(1)
    for _ in range(n):
        x, y = torch.randn(16, 4, generator=g), torch.randint(0, 3, (16,), generator=g)
        opt.zero_grad()
        nn.functional.cross_entropy(model(x), y).backward()
        opt.step()
        hook()


def test_ema_equals_averaged_model_with_ema_fn():
    model = _model()
    opt = torch.optim.SGD(model.parameters(), lr=0.5, momentum=0.9)
    ema = averaging.EMA(model, decay=0.8)
    ref = AveragedModel(model, multi_avg_fn=get_ema_multi_avg_fn(0.8), use_buffers=True)
    ema.update(model)
    ref.update_parameters(model)
    _steps(model, opt, lambda: (ema.update(model), ref.update_parameters(model)))
    ours = dict(ema.module.state_dict())
    theirs = {k.removeprefix("module."): v for k, v in ref.state_dict().items() if k.startswith("module.")}
    for key, value in ours.items():
        if value.is_floating_point():
            torch.testing.assert_close(value, theirs[key], msg=key)
    assert ema.num_updates == 6
    assert not torch.equal(ema.module[0].weight, model[0].weight)


def test_ema_follows_the_formula_and_attach_updates_after_each_step():
    model = _model()
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    ema = averaging.EMA(model, decay=0.9)
    handle = ema.attach(opt, model)
    first = model[0].weight.detach().clone()
    _steps(model, opt, lambda: None, n=1)                 # first update: a copy
    torch.testing.assert_close(ema.module[0].weight, model[0].weight)
    w1 = model[0].weight.detach().clone()
    _steps(model, opt, lambda: None, n=1)
    torch.testing.assert_close(ema.module[0].weight, 0.9 * w1 + 0.1 * model[0].weight.detach())
    handle.remove()
    _steps(model, opt, lambda: None, n=1)
    assert ema.num_updates == 2 and not torch.equal(first, w1)
    with pytest.raises(ValueError):
        averaging.EMA(model, decay=1.5)


def test_fit_averaged_logs_every_network():
    g = torch.Generator().manual_seed(0)
    X, y = torch.randn(48, 4, generator=g), torch.randint(0, 3, (48,), generator=g)
    train, val = make_loaders(X[:32], y[:32], X[32:], y[32:], batch_size=8)
    model = _model()
    opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    run = averaging.fit_averaged(model, train, val, nn.CrossEntropyLoss(), opt, epochs=4,
                                 ema_decay=0.9, swa_start=2, swa_lr=0.05)
    assert set(run.histories) == {"model", "ema", "swa"}
    assert run.histories["model"].epochs == 4 and run.histories["ema"].epochs == 4
    assert run.histories["swa"].epochs == 2 and run.swa_model.n_averaged.item() == 2
    assert run.histories["model"]["lr"][:3] == [0.1, 0.1, 0.1]
    assert opt.param_groups[0]["lr"] == pytest.approx(0.05)   # SWALR annealed within one epoch
    assert run.ema.num_updates == 1 + 4 * 4
    assert not opt._optimizer_step_post_hooks, "the EMA hook must be removed"
    with pytest.raises(ValueError):
        averaging.fit_averaged(model, train, val, nn.CrossEntropyLoss(), opt, epochs=1, swa_start=0)


def test_averages_of_noisy_sgd_sit_closer_to_the_minimum():
    paths = averaging.noisy_quadratic_path(steps=400, swa_start=100, seed=0)
    assert {k: v.shape for k, v in paths.items()} == {k: (401, 2) for k in ("sgd", "ema", "mean")}
    dist = {k: np.linalg.norm(v[200:], axis=1).mean() for k, v in paths.items()}
    assert dist["ema"] < dist["sgd"] and dist["mean"] < dist["sgd"]
    np.testing.assert_allclose(paths["mean"][-1], paths["sgd"][100:].mean(axis=0))   # the plain mean
    np.testing.assert_array_equal(paths["mean"][:101], paths["sgd"][:101])
