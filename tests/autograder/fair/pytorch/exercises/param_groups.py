"""param_groups in the style of Hugging Face's Trainer (``get_parameter_names`` with the norm layers
left out, ``"bias"`` in the name) and of ``torch.optim``'s own param-group dicts."""

from __future__ import annotations

import torch
from torch import nn

ALL_NORM_LAYERS = (nn.BatchNorm1d, nn.BatchNorm2d, nn.BatchNorm3d, nn.SyncBatchNorm, nn.InstanceNorm1d,
                   nn.InstanceNorm2d, nn.InstanceNorm3d, nn.GroupNorm, nn.LayerNorm, nn.RMSNorm)


def get_parameter_names(model: nn.Module, forbidden_layer_types) -> list[str]:
    """The names of the parameters that are not inside a forbidden layer (Transformers' helper)."""
    result = []
    for name, child in model.named_children():
        result += [f"{name}.{n}" for n in get_parameter_names(child, forbidden_layer_types)
                   if not isinstance(child, forbidden_layer_types)]
    result += list(model._parameters.keys())
    return result


def fine_tuning_param_groups(model, head_names, lr, backbone_lr_factor=0.1, weight_decay=0.01):
    if lr < 0:
        raise ValueError(f"Invalid learning rate: {lr}")
    if backbone_lr_factor < 0:
        raise ValueError(f"Invalid backbone_lr_factor: {backbone_lr_factor}")
    if weight_decay < 0:
        raise ValueError(f"Invalid weight_decay value: {weight_decay}")
    if isinstance(head_names, str):
        head_names = [head_names]
    all_names = [n for n, _ in model.named_parameters(remove_duplicate=False)]
    for head in head_names:
        if not any(n.startswith(head + ".") for n in all_names):
            raise ValueError(f"{head!r} is not a module with parameters in {type(model).__name__}")

    outside_norms = set(get_parameter_names(model, ALL_NORM_LAYERS))
    decay_parameters = {n for n in outside_norms if n.split(".")[-1] != "bias"}
    param_groups = []
    for part, rate in (("backbone", lr * backbone_lr_factor), ("head", lr)):
        in_part = [(n, p) for n, p in model.named_parameters()
                   if p.requires_grad and any(n.startswith(h + ".") for h in head_names) == (part == "head")]
        decay = [p for n, p in in_part if n in decay_parameters and p.dim() > 1]
        no_decay = [p for n, p in in_part if not (n in decay_parameters and p.dim() > 1)]
        for suffix, params, wd in (("decay", decay, weight_decay), ("no_decay", no_decay, 0.0)):
            if params:
                param_groups.append({"name": f"{part}/{suffix}", "params": params, "lr": rate, "weight_decay": wd})
    return param_groups


if __name__ == "__main__":
    import torchvision

    groups = fine_tuning_param_groups(torchvision.models.resnet18(weights=None), ["fc"], 1e-3)
    optimizer = torch.optim.AdamW(groups)
    for g in optimizer.param_groups:
        print(g["name"], g["lr"], g["weight_decay"], len(g["params"]))
