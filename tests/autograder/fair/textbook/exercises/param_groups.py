"""param_groups written out as a textbook would: one list per group, one ``if`` per rule."""

from __future__ import annotations

from torch import nn


def is_norm_layer(module):
    return isinstance(module, (nn.BatchNorm1d, nn.BatchNorm2d, nn.BatchNorm3d, nn.SyncBatchNorm,
                               nn.InstanceNorm1d, nn.InstanceNorm2d, nn.InstanceNorm3d,
                               nn.GroupNorm, nn.LayerNorm, nn.RMSNorm))


def fine_tuning_param_groups(model, head_names, lr, backbone_lr_factor=0.1, weight_decay=0.01):
    if lr < 0:
        raise ValueError("lr must not be negative")
    if backbone_lr_factor < 0:
        raise ValueError("backbone_lr_factor must not be negative")
    if weight_decay < 0:
        raise ValueError("weight_decay must not be negative")
    if isinstance(head_names, str):
        head_names = [head_names]

    # every name of every parameter, frozen and shared ones included
    all_names = []
    for module_name, module in model.named_modules(remove_duplicate=False):
        for param_name, param in module.named_parameters(recurse=False):
            all_names.append(module_name + "." + param_name if module_name else param_name)
    for head in head_names:
        found = False
        for name in all_names:
            if name.startswith(head + "."):
                found = True
        if not found:
            raise ValueError("no parameter of the model is in " + head)

    # the parameters of normalisation layers
    norm_parameters = []
    for module in model.modules():
        if is_norm_layer(module):
            for param in module.parameters(recurse=False):
                norm_parameters.append(param)

    backbone_decay, backbone_no_decay, head_decay, head_no_decay = [], [], [], []
    seen = []
    for name, param in model.named_parameters():
        if not param.requires_grad:
            continue
        if any(param is q for q in seen):
            continue
        seen.append(param)
        head = False
        for h in head_names:
            if name.startswith(h + "."):
                head = True
        no_decay = False
        if name.split(".")[-1] == "bias":
            no_decay = True
        if len(param.shape) < 2:
            no_decay = True
        if any(param is q for q in norm_parameters):
            no_decay = True
        if head and no_decay:
            head_no_decay.append(param)
        elif head:
            head_decay.append(param)
        elif no_decay:
            backbone_no_decay.append(param)
        else:
            backbone_decay.append(param)

    backbone_lr = lr * backbone_lr_factor
    groups = []
    if len(backbone_decay) > 0:
        groups.append({"name": "backbone/decay", "params": backbone_decay, "lr": backbone_lr,
                       "weight_decay": weight_decay})
    if len(backbone_no_decay) > 0:
        groups.append({"name": "backbone/no_decay", "params": backbone_no_decay, "lr": backbone_lr,
                       "weight_decay": 0.0})
    if len(head_decay) > 0:
        groups.append({"name": "head/decay", "params": head_decay, "lr": lr, "weight_decay": weight_decay})
    if len(head_no_decay) > 0:
        groups.append({"name": "head/no_decay", "params": head_no_decay, "lr": lr, "weight_decay": 0.0})
    return groups
