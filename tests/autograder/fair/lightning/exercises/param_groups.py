"""param_groups in the idiom of Lightning's ``BaseFinetuning`` callback: the model is walked module by
module (``named_modules()``), each module's own parameters read with ``named_parameters(recurse=False)``
(as ``BaseFinetuning.filter_params`` does on ``flatten_modules``), the norm layers recognised by their
base classes (``_NormBase``, which ``_BatchNorm`` and ``_InstanceNorm`` derive from, then ``GroupNorm``,
``LayerNorm``, ``RMSNorm``), a tied tensor kept by a set of seen ids, and the groups returned as
``configure_optimizers`` would hand them to ``AdamW``; the settings are validated as
``torch.optim`` validates its own."""

from __future__ import annotations

from torch import nn
from torch.nn.modules.batchnorm import _NormBase

NORM_TYPES = (_NormBase, nn.GroupNorm, nn.LayerNorm, nn.RMSNorm)


def _qualified(prefix: str, name: str) -> str:
    return f"{prefix}.{name}" if prefix else name


def _in_head(qualified_name: str, head_names) -> bool:
    return any(qualified_name.startswith(f"{h}.") for h in head_names)


def fine_tuning_param_groups(model: nn.Module, head_names, lr: float, backbone_lr_factor: float = 0.1,
                             weight_decay: float = 0.01) -> list:
    if not 0.0 <= lr:
        raise ValueError(f"Invalid learning rate: {lr}")
    if not 0.0 <= backbone_lr_factor:
        raise ValueError(f"Invalid backbone_lr_factor: {backbone_lr_factor}")
    if not 0.0 <= weight_decay:
        raise ValueError(f"Invalid weight_decay value: {weight_decay}")
    head_names = [head_names] if isinstance(head_names, str) else list(head_names)

    # every (module, qualified name, parameter), tied tensors under each of their names
    owned = []
    for prefix, module in model.named_modules(remove_duplicate=False):
        for name, param in module.named_parameters(recurse=False, remove_duplicate=False):
            owned.append((module, _qualified(prefix, name), param))

    for head in head_names:
        if not any(_in_head(qname, [head]) for _, qname, _ in owned):
            raise ValueError(f"The head {head!r} has no parameters in {model.__class__.__name__}")

    in_norm = {id(param) for module, _, param in owned if isinstance(module, NORM_TYPES)}

    # the model's order, each tensor once under its first name: named_parameters() walks the same way
    seen: set[int] = set()
    buckets = {("backbone", True): [], ("backbone", False): [], ("head", True): [], ("head", False): []}
    for _, qname, param in owned:
        if id(param) in seen:
            continue
        seen.add(id(param))
        if not param.requires_grad:
            continue
        part = "head" if _in_head(qname, head_names) else "backbone"
        decay = param.ndim > 1 and qname.rsplit(".", 1)[-1] != "bias" and id(param) not in in_norm
        buckets[(part, decay)].append(param)

    rates = {"backbone": lr * backbone_lr_factor, "head": lr}
    return [
        {"name": f"{part}/{'decay' if decay else 'no_decay'}", "params": params, "lr": rates[part],
         "weight_decay": weight_decay if decay else 0.0}
        for (part, decay), params in buckets.items()
        if params
    ]
