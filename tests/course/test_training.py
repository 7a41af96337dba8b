"""The shared training loop: it learns, it repeats under a seed, and its hooks behave."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from course import data, models, training
from solutions.early_stopping import EarlyStopping


def _digits_run(seed: int = 0, epochs: int = 3, **kwargs):
    training.set_seed(seed)
    split = data.load_digits_tensors(seed=0)
    train, val = data.make_loaders(split.X_train, split.y_train, split.X_val, split.y_val, batch_size=64, seed=seed)
    model = models.mlp(hidden=(64,))
    opt = torch.optim.Adam(model.parameters(), lr=1e-2)
    return training.fit(model, train, val, nn.CrossEntropyLoss(), opt, epochs=epochs, **kwargs), model


def test_fit_learns_digits():
    history, _ = _digits_run(epochs=5)
    assert history.epochs == 5
    assert history["val_acc"][-1] > 0.9
    assert history["train_loss"][-1] < history["train_loss"][0]


def test_fit_is_reproducible_under_a_seed():
    a, _ = _digits_run(seed=3)
    b, _ = _digits_run(seed=3)
    assert a.metrics == b.metrics


def test_epoch_scheduler_steps_once_per_epoch_and_history_logs_lr():
    training.set_seed(0)
    split = data.load_digits_tensors(seed=0)
    train, val = data.make_loaders(split.X_train, split.y_train, split.X_val, split.y_val)
    model = models.mlp(hidden=(32,))
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    sched = torch.optim.lr_scheduler.StepLR(opt, step_size=1, gamma=0.5)
    h = training.fit(model, train, val, nn.CrossEntropyLoss(), opt, epochs=3, scheduler=sched)
    assert h["lr"] == pytest.approx([0.1, 0.05, 0.025])


def test_step_scheduler_steps_every_batch():
    training.set_seed(0)
    split = data.load_digits_tensors(seed=0)
    train, val = data.make_loaders(split.X_train, split.y_train, split.X_val, split.y_val, batch_size=100)
    model = models.mlp(hidden=(32,))
    opt = torch.optim.SGD(model.parameters(), lr=1.0)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda step: 1.0 / (1 + step))
    training.fit(model, train, val, nn.CrossEntropyLoss(), opt, epochs=2, scheduler=sched, scheduler_interval="step")
    assert sched.last_epoch == 2 * len(train)


def test_plateau_scheduler_receives_the_monitored_metric():
    training.set_seed(0)
    x = torch.zeros(32, 4)
    y = torch.zeros(32, dtype=torch.long)
    loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(x, y), batch_size=8)
    model = nn.Linear(4, 2)
    with torch.no_grad():
        model.weight.zero_()
        model.bias.zero_()
    opt = torch.optim.SGD(model.parameters(), lr=0.0)  # nothing changes: a perfect plateau
    sched = torch.optim.lr_scheduler.ReduceLROnPlateau(opt, patience=0, factor=0.5)
    opt.param_groups[0]["lr"] = 0.0
    training.fit(model, loader, loader, nn.CrossEntropyLoss(), opt, epochs=3, scheduler=sched)
    assert sched.num_bad_epochs == 0 and sched.last_epoch == 3


def test_early_stopping_ends_the_loop_and_records_the_best_epoch(tmp_path):
    es = EarlyStopping(patience=1, mode="max", save_path=tmp_path / "best.pt")
    h, model = _digits_run(epochs=30, early_stopping=es, monitor="val_acc")
    assert h.stopped_epoch is not None and h.epochs == h.stopped_epoch + 1 < 30
    assert h.best_epoch == es.best_epoch
    assert (tmp_path / "best.pt").exists()


def test_non_finite_loss_raises_a_clear_error():
    x = torch.randn(16, 2)
    y = torch.randn(16, 1) * 1e30
    loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(x, y), batch_size=16)
    model = nn.Linear(2, 1)
    opt = torch.optim.SGD(model.parameters(), lr=1e10)
    with pytest.raises(FloatingPointError, match="lower the learning rate"):
        training.fit(model, loader, None, nn.MSELoss(), opt, epochs=5)


def test_regression_reports_loss_only():
    x, y = data.make_linear_data(n=64)
    loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(x, y), batch_size=16)
    h = training.fit(nn.Linear(1, 1), loader, loader, nn.MSELoss(), torch.optim.SGD(nn.Linear(1, 1).parameters(), lr=0.01), epochs=1)
    assert set(h.metrics) == {"lr", "train_loss", "val_loss"}


def test_cpu_mixed_precision_runs_and_learns():
    history, _ = _digits_run(epochs=3, amp=True)
    assert history["val_acc"][-1] > 0.85


def test_get_device():
    assert training.get_device("cpu").type == "cpu"
    assert training.get_device("auto").type == ("cuda" if torch.cuda.is_available() else "cpu")
    if not torch.cuda.is_available():
        with pytest.raises(RuntimeError, match="is_available"):
            training.get_device("cuda")
