"""Transfer learning helpers: freezing, frozen batch norm, discriminative learning rates, gradual
unfreezing, and a small pretrain-then-transfer experiment on the digits (chapter 7).

The experiment stands in for "download an ImageNet model": :func:`pretrain_backbone` trains a
:class:`course.models.DigitsCNN` on some digits (the *source* task) and :func:`train_target` reuses
its weights on other digits with a handful of labels (the *target* task).
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Iterable, Sequence

import torch
from torch import nn

from course import data, models, training

BN_TYPES = (nn.BatchNorm1d, nn.BatchNorm2d, nn.BatchNorm3d)
STRATEGIES = ("scratch", "feature_extraction", "fine_tuning", "discriminative", "gradual")


# --------------------------------------------------------------------------- freezing
def set_requires_grad(modules: nn.Module | Iterable[nn.Module], flag: bool) -> None:
    """Set ``requires_grad`` on every *parameter* of the given module(s).

    Note ``module.requires_grad = True`` would only create a plain Python attribute on the module
    object; autograd looks at each parameter's own flag.
    """
    for m in [modules] if isinstance(modules, nn.Module) else modules:
        for p in m.parameters():
            p.requires_grad_(flag)


def freeze(modules: nn.Module | Iterable[nn.Module]) -> None:
    """``requires_grad = False`` on every parameter (no gradient, so the optimizer leaves it alone)."""
    set_requires_grad(modules, False)


def unfreeze(modules: nn.Module | Iterable[nn.Module]) -> None:
    """``requires_grad = True`` on every parameter."""
    set_requires_grad(modules, True)


def trainable_names(model: nn.Module) -> list[str]:
    """Names of the parameters that currently require a gradient."""
    return [name for name, p in model.named_parameters() if p.requires_grad]


# --------------------------------------------------------------------------- batch norm
def _is_frozen(module: nn.Module) -> bool:
    params = list(module.parameters())
    return bool(params) and not any(p.requires_grad for p in params)


def set_frozen_bn_eval(model: nn.Module) -> list[str]:
    """Put every batch-norm layer whose parameters are all frozen in eval mode; returns their names.

    Call it *after* ``model.train()``: ``train()`` sets every sub-module back to training mode, and a
    batch-norm layer in training mode updates ``running_mean``/``running_var`` on each forward pass
    whatever ``requires_grad`` says (the statistics are buffers, not parameters).
    """
    names = []
    for name, m in model.named_modules():
        if isinstance(m, BN_TYPES) and _is_frozen(m):
            m.eval()
            names.append(name)
    return names


def keep_frozen_bn_eval(model: nn.Module) -> list[torch.utils.hooks.RemovableHandle]:
    """Make frozen batch-norm layers switch themselves to eval mode before each forward pass.

    Useful with a training loop that calls ``model.train()`` itself (``course.training.fit``). The
    check runs every call, so unfreezing a layer later (gradual unfreezing) lets it train normally.
    Returns the hook handles; ``handle.remove()`` undoes it.
    """

    def hook(module: nn.Module, inputs) -> None:
        if module.training and _is_frozen(module):
            module.eval()

    return [m.register_forward_pre_hook(hook) for m in model.modules() if isinstance(m, BN_TYPES)]


# --------------------------------------------------------------------------- learning rates
def layer_groups(model: models.DigitsCNN) -> list[nn.Module]:
    """The DigitsCNN cut into four groups, from the input (bottom) to the output (top):
    conv block 1, conv block 2 (+ pooling), conv block 3 (+ global pooling), the head."""
    b = model.backbone
    return [b[0:3], b[3:7], b[7:], model.head]


def discriminative_param_groups(
    groups: Sequence[nn.Module], lr: float, decay: float = 0.3, trainable_only: bool = True
) -> list[dict]:
    """Optimizer parameter groups with a learning rate that shrinks towards the input.

    The top group gets ``lr``, the one below ``lr * decay``, then ``lr * decay**2``, and so on.
    Groups with no trainable parameter are skipped when ``trainable_only``.
    """
    out = []
    for depth, group in enumerate(reversed(list(groups))):
        params = [p for p in group.parameters() if p.requires_grad or not trainable_only]
        if params:
            out.append({"params": params, "lr": lr * decay**depth})
    return out[::-1]


def unfreeze_top(groups: Sequence[nn.Module], n: int) -> None:
    """Freeze every group, then unfreeze the top ``n`` (``n = 1``: only the head trains)."""
    freeze(groups)
    if n > 0:
        unfreeze(list(groups)[-n:])


# --------------------------------------------------------------------------- data and experiment
def few_shot(X: torch.Tensor, y: torch.Tensor, per_class: int, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """Exactly ``per_class`` random examples of every class present in ``y`` (seeded)."""
    g = torch.Generator().manual_seed(seed)
    keep = []
    for c in torch.unique(y):
        idx = torch.nonzero(y == c).flatten()
        if len(idx) < per_class:
            raise ValueError(f"class {int(c)} has {len(idx)} examples, fewer than per_class={per_class}")
        keep.append(idx[torch.randperm(len(idx), generator=g)[:per_class]])
    keep = torch.cat(keep).sort().values
    return X[keep], y[keep]


@torch.no_grad()
def accuracy(model: nn.Module, X: torch.Tensor, y: torch.Tensor) -> float:
    """Accuracy of ``model`` in eval mode on tensors ``X, y``."""
    model.eval()
    return training.accuracy(model(X), y)


def pretrain_backbone(
    classes: tuple[int, ...] = (0, 1, 2, 3, 4),
    epochs: int = 15,
    width: int = 32,
    lr: float = 3e-3,
    seed: int = 0,
    cache: str | Path | None = None,
) -> tuple[models.DigitsCNN, float]:
    """Train a DigitsCNN on the digits ``classes`` (the source task); returns it and its test accuracy.

    With ``cache`` (a file path), the weights are loaded from it when it exists and saved to it
    otherwise, so a notebook can be re-run quickly; without, it always trains (seeded: same result).
    """
    split = data.load_digits_tensors(images=True, classes=classes, seed=seed)
    training.set_seed(seed)
    model = models.DigitsCNN(num_classes=len(classes), width=width)
    if cache is not None and Path(cache).exists():
        model.load_state_dict(torch.load(cache, weights_only=True))
    else:
        train, _ = data.make_loaders(split.X_train, split.y_train, split.X_val, split.y_val, batch_size=32, seed=seed)
        opt = torch.optim.Adam(model.parameters(), lr=lr)
        sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=epochs)
        training.fit(model, train, None, nn.CrossEntropyLoss(), opt, epochs=epochs, scheduler=sched)
        if cache is not None:
            Path(cache).parent.mkdir(parents=True, exist_ok=True)
            torch.save(model.state_dict(), cache)
    return model, accuracy(model, split.X_test, split.y_test)


def build_target_model(
    strategy: str, num_classes: int, pretrained: nn.Module | None = None, width: int = 32
) -> tuple[models.DigitsCNN, list[nn.Module]]:
    """A DigitsCNN for the target task and its layer groups, initialised for ``strategy``.

    ``"scratch"`` starts from random weights; every other strategy copies the pretrained backbone
    and gets a new, randomly initialised head with ``num_classes`` outputs.
    """
    if strategy not in STRATEGIES:
        raise ValueError(f"strategy must be one of {STRATEGIES}, got {strategy!r}")
    model = models.DigitsCNN(num_classes=num_classes, width=width)
    if strategy != "scratch":
        if pretrained is None:
            raise ValueError(f"strategy {strategy!r} needs a pretrained model")
        model.backbone.load_state_dict(copy.deepcopy(pretrained.backbone.state_dict()))
    return model, layer_groups(model)


@torch.no_grad()
def features(model: models.DigitsCNN, X: torch.Tensor) -> torch.Tensor:
    """The backbone's pooled features of ``X`` in eval mode (``(N, 2 * width)``)."""
    was_training = model.training
    model.eval()
    try:
        return model.backbone(X)
    finally:
        model.train(was_training)


def fit_head(model: models.DigitsCNN, X: torch.Tensor, y: torch.Tensor, steps: int = 300,
             lr: float = 1e-2) -> list[float]:
    """Train ``model.head`` alone on the frozen backbone's features of ``X``; returns the losses.

    The backbone is frozen, so its features are computed once; the head is then a multinomial
    logistic regression, trained full-batch with Adam for ``steps`` steps until its loss has
    levelled off (a few-shot training set is a single batch). Training a new head for a handful of
    epochs of a tiny data set instead (a few Adam steps) leaves it far from its optimum, and
    judges the features by an unfinished head.
    """
    F = features(model, X)
    optimizer = torch.optim.Adam(model.head.parameters(), lr=lr)
    criterion = nn.CrossEntropyLoss()
    losses = []
    for _ in range(steps):
        optimizer.zero_grad()
        loss = criterion(model.head(F), y)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return losses


def linear_probe(model: models.DigitsCNN, X_train: torch.Tensor, y_train: torch.Tensor,
                 X_test: torch.Tensor, y_test: torch.Tensor, C: float = 1.0) -> float:
    """Test accuracy of a logistic regression (scikit-learn, standardised inputs) on ``model``'s
    frozen features: how linearly separable the target classes are in that feature space."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    probe = make_pipeline(StandardScaler(), LogisticRegression(C=C, max_iter=5000))
    probe.fit(features(model, X_train).numpy(), y_train.numpy())
    return float(probe.score(features(model, X_test).numpy(), y_test.numpy()))


def train_target(
    strategy: str,
    X_train: torch.Tensor,
    y_train: torch.Tensor,
    pretrained: nn.Module | None = None,
    num_classes: int = 5,
    epochs: int = 30,
    lr: float = 3e-3,
    fine_tune_lr: float = 3e-3,
    decay: float = 0.5,
    batch_size: int = 16,
    head_steps: int = 300,
    warmup_steps: int = 30,
    head_lr: float = 1e-2,
    width: int | None = None,
    seed: int = 0,
) -> models.DigitsCNN:
    """Train a target model with one strategy, seeded; returns the trained model.

    * ``scratch``: random init, everything trains at ``lr`` for ``epochs`` epochs.
    * ``feature_extraction``: backbone frozen (batch norm kept in eval mode); only the head trains,
      to convergence (:func:`fit_head`: ``head_steps`` full-batch Adam steps at ``head_lr``).
    * ``fine_tuning``: a head warm-up (``warmup_steps`` of :func:`fit_head`, far from converged:
      a head that already fits the few labels perfectly leaves the backbone almost no gradient to
      adapt with), then everything at ``fine_tune_lr`` for ``epochs - epochs // 3`` epochs.
    * ``discriminative``: the warm-up, then everything with ``fine_tune_lr`` at the head and
      ``* decay`` per group below (:func:`discriminative_param_groups`).
    * ``gradual``: the warm-up, then the top 2, 3, 4 groups, in equal stages of
      ``epochs - epochs // 3`` epochs in all, with discriminative rates.

    ``width`` defaults to the pretrained model's (32 without one).
    """
    training.set_seed(seed)
    model, groups = build_target_model(strategy, num_classes, pretrained, width=width or _width(pretrained))
    loader = torch.utils.data.DataLoader(
        torch.utils.data.TensorDataset(X_train, y_train),
        batch_size=batch_size, shuffle=True, generator=torch.Generator().manual_seed(seed),
    )
    criterion = nn.CrossEntropyLoss()
    keep_frozen_bn_eval(model)

    def run(n_epochs: int, param_groups: list[dict]) -> None:
        if n_epochs > 0:
            training.fit(model, loader, None, criterion, torch.optim.Adam(param_groups), epochs=n_epochs)

    if strategy == "scratch":
        run(epochs, [{"params": model.parameters(), "lr": lr}])
        return model
    unfreeze_top(groups, 1)
    fit_head(model, X_train, y_train, steps=head_steps if strategy == "feature_extraction" else warmup_steps,
             lr=head_lr)
    rest = epochs - epochs // 3
    if strategy in ("fine_tuning", "discriminative"):
        unfreeze(model)
        d = 1.0 if strategy == "fine_tuning" else decay
        run(rest, discriminative_param_groups(groups, fine_tune_lr, decay=d))
    elif strategy == "gradual":
        stages = len(groups) - 1
        per_stage = [rest // stages + (1 if s < rest % stages else 0) for s in range(stages)]
        for s, n_epochs in enumerate(per_stage, start=2):
            unfreeze_top(groups, s)
            run(n_epochs, discriminative_param_groups(groups, fine_tune_lr, decay=decay))
    return model


def _width(model: nn.Module | None) -> int:
    return 32 if model is None else model.head.in_features // 2
