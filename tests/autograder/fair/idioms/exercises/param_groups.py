"""param_groups in timm's idiom (``param_groups_weight_decay``: ``ndim <= 1 or name.endswith(".bias")``),
with a ``defaultdict`` keyed by (part, decay), ``model.modules()``, ``float()`` settings, ``str.startswith``
with a tuple of prefixes and a relative import of a sibling helper."""

from __future__ import annotations

from collections import defaultdict

import torch
from torch.nn.modules.batchnorm import _NormBase
from torch.nn.modules.normalization import GroupNorm, LayerNorm, RMSNorm

from ._checks import check_non_negative

_NORMS = (_NormBase, GroupNorm, LayerNorm, RMSNorm)


def fine_tuning_param_groups(model, head_names, lr, backbone_lr_factor=0.1, weight_decay=0.01):
    check_non_negative(lr=lr, backbone_lr_factor=backbone_lr_factor, weight_decay=weight_decay)
    heads = [head_names] if isinstance(head_names, str) else list(head_names)
    prefixes = tuple(h + "." for h in heads)
    every = {n for n, _ in model.named_parameters(remove_duplicate=False)}
    missing = [h for h in heads if not any(n.startswith(h + ".") for n in every)]
    if missing:
        raise ValueError(f"head_names {missing} match no parameter of {type(model).__name__}")

    no_weight_decay = set()
    for module in model.modules():
        if isinstance(module, _NORMS):
            no_weight_decay.update(map(id, module.parameters(recurse=False)))

    buckets = defaultdict(list)
    for name, param in model.named_parameters():
        if not param.requires_grad:
            continue
        skip = param.ndim <= 1 or name.endswith(".bias") or name == "bias" or id(param) in no_weight_decay
        buckets["head" if name.startswith(prefixes) else "backbone", not skip].append(param)

    settings = {"backbone": float(lr) * float(backbone_lr_factor), "head": float(lr)}
    return [{"name": f"{part}/{'decay' if decay else 'no_decay'}", "params": buckets[part, decay],
             "lr": settings[part], "weight_decay": float(weight_decay) if decay else 0.0}
            for part in ("backbone", "head") for decay in (True, False) if buckets[part, decay]]


if __name__ == "__main__":
    import torchvision

    model = torchvision.models.mobilenet_v3_small(weights=None)
    opt = torch.optim.AdamW(fine_tuning_param_groups(model, "classifier.3", 1e-3))
    print([(g["name"], len(g["params"])) for g in opt.param_groups])
