"""Exercise ``param_groups``: optimizer parameter groups for fine-tuning a pretrained network.

Fine-tuning trains a pretrained *backbone* together with a new *head*. The backbone's features are
already useful and the head starts from random weights, so the backbone learns more slowly. Weight
decay pulls weights towards zero, which suits weight matrices and convolution kernels but not
biases or the scales and shifts of normalisation layers (decaying those only fights the
normalisation). This is the recipe of BERT's and timm's training scripts
(``timm.optim.param_groups_weight_decay``).

The result is the list that ``torch.optim.AdamW(groups)``, or any ``torch.optim`` optimizer, takes
as its first argument: each group's ``lr`` and ``weight_decay`` override the optimizer's defaults.
"""

from __future__ import annotations

from collections.abc import Sequence

from torch import nn

__all__ = ["fine_tuning_param_groups"]

GROUP_NAMES = ("backbone/decay", "backbone/no_decay", "head/decay", "head/no_decay")
# BatchNorm, InstanceNorm and GroupNorm only have 1-D parameters (one per channel), which the
# ndim rule already exempts; LayerNorm and RMSNorm over several dimensions have 2-D or larger ones.
MULTI_DIM_NORMS = (nn.LayerNorm, nn.RMSNorm)


def fine_tuning_param_groups(
    model: nn.Module,
    head_names: str | Sequence[str],
    lr: float,
    backbone_lr_factor: float = 0.1,
    weight_decay: float = 0.01,
) -> list[dict]:
    """Parameter groups for fine-tuning ``model``: a slower backbone, no decay on biases and norms.

    Which parameters: every parameter with ``requires_grad=True``, each in exactly one group, once;
    frozen parameters (``requires_grad=False``) are left out. A parameter shared by several modules
    (tied weights) is placed once, by the first name ``model.named_parameters()`` gives it.

    Head or backbone: a parameter is in the head when its qualified name starts with ``h + "."``
    for some ``h`` in ``head_names`` (``"head"`` covers ``head.weight`` and ``head.0.bias``, not
    ``head_norm.weight``); every other parameter is in the backbone. The head trains at ``lr``,
    the backbone at ``lr * backbone_lr_factor``.

    Decay or not: no weight decay (``0.0``) for a bias (the last part of its name is ``bias``),
    for a parameter with fewer than two dimensions (``p.ndim <= 1``: norm scales, scalars), and
    for every parameter of a normalisation layer, whatever its shape (``nn.BatchNorm1d/2d/3d``,
    ``nn.SyncBatchNorm``, ``nn.InstanceNorm1d/2d/3d``, ``nn.GroupNorm``, ``nn.LayerNorm``,
    ``nn.RMSNorm``, subclasses included); every other parameter decays with ``weight_decay``.

    The groups, in this order, each left out when it has no parameter::

        "name"               "lr"                      "weight_decay"
        "backbone/decay"     lr * backbone_lr_factor   weight_decay
        "backbone/no_decay"  lr * backbone_lr_factor   0.0
        "head/decay"         lr                        weight_decay
        "head/no_decay"      lr                        0.0

    Each group is a dict with exactly the keys ``"name"``, ``"params"``, ``"lr"`` and
    ``"weight_decay"``; its ``"params"`` is a list of parameters in the order of
    ``model.named_parameters()``. ``torch.optim.AdamW(groups)`` takes the list as it is.

    Args:
        model: the network; it is not modified (the parameters' values and ``requires_grad``
            flags stay as they are).
        head_names: the qualified names of the head's modules, as ``model.named_modules()``
            gives them (``["fc"]`` for a torchvision ResNet, ``["classifier.3"]`` for
            MobileNetV3); a single string is one name.
        lr: the head's learning rate.
        backbone_lr_factor: the backbone's learning rate as a fraction of ``lr`` (default 0.1).
        weight_decay: the decay of the decayed parameters (default 0.01).

    Returns:
        The list of group dicts described above.

    Raises:
        ValueError: when a name of ``head_names`` matches no parameter of ``model`` (frozen and
            tied ones count, so a frozen head is not an error), or when ``lr``,
            ``backbone_lr_factor`` or ``weight_decay`` is negative.
    """
    if lr < 0 or backbone_lr_factor < 0 or weight_decay < 0:
        raise ValueError(f"lr, backbone_lr_factor and weight_decay must be >= 0, got {lr}, "
                         f"{backbone_lr_factor}, {weight_decay}")
    heads = (head_names,) if isinstance(head_names, str) else tuple(head_names)
    every_name = [name for name, _ in model.named_parameters(remove_duplicate=False)]
    for h in heads:
        if not any(name.startswith(h + ".") for name in every_name):
            raise ValueError(f"head name {h!r} matches no parameter of the model")
    norm_params = {id(p) for m in model.modules() if isinstance(m, MULTI_DIM_NORMS) for p in m.parameters()}

    groups: dict[str, list[nn.Parameter]] = {name: [] for name in GROUP_NAMES}
    for name, p in model.named_parameters():  # each tensor once, under its first name
        if not p.requires_grad:
            continue
        part = "head" if any(name.startswith(h + ".") for h in heads) else "backbone"
        decays = p.ndim >= 2 and name.split(".")[-1] != "bias" and id(p) not in norm_params
        groups[part + ("/decay" if decays else "/no_decay")].append(p)

    rates = {"backbone": lr * backbone_lr_factor, "head": lr}
    return [{"name": name, "params": params, "lr": rates[name.split("/")[0]],
             "weight_decay": weight_decay if name.endswith("/decay") else 0.0}
            for name, params in groups.items() if params]
