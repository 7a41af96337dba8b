"""param_groups as pure functions: a parameter's place is a value computed from its name, its shape
and the set of normalisation parameters; the groups are a stable sort of the parameters by place."""

from __future__ import annotations

from typing import NamedTuple

from torch import nn

ORDER = ("backbone/decay", "backbone/no_decay", "head/decay", "head/no_decay")
NORMS = (nn.modules.batchnorm._NormBase, nn.GroupNorm, nn.LayerNorm, nn.RMSNorm)


class Place(NamedTuple):
    part: str
    decay: bool

    @property
    def label(self) -> str:
        return f"{self.part}/{'decay' if self.decay else 'no_decay'}"


def in_head(name: str, heads: tuple) -> bool:
    return any(name.startswith(f"{h}.") for h in heads)


def place(name: str, p, heads: tuple, norm_ids: frozenset) -> Place:
    is_bias = name.rpartition(".")[2] == "bias"
    return Place("head" if in_head(name, heads) else "backbone", not (is_bias or p.dim() < 2 or id(p) in norm_ids))


def norm_ids(model: nn.Module) -> frozenset:
    return frozenset(id(p) for m in model.modules() if isinstance(m, NORMS) for p in m.parameters(recurse=False))


def check(model, heads: tuple, lr, factor, wd) -> None:
    negative = [k for k, v in (("lr", lr), ("backbone_lr_factor", factor), ("weight_decay", wd)) if v < 0]
    if negative:
        raise ValueError(f"must be >= 0: {', '.join(negative)}")
    names = tuple(n for n, _ in model.named_parameters(remove_duplicate=False))
    unknown = [h for h in heads if not any(in_head(n, (h,)) for n in names)]
    if unknown:
        raise ValueError(f"no parameter under {unknown}")


def fine_tuning_param_groups(model, head_names, lr, backbone_lr_factor=0.1, weight_decay=0.01):
    heads = (head_names,) if isinstance(head_names, str) else tuple(head_names)
    check(model, heads, lr, backbone_lr_factor, weight_decay)
    ids = norm_ids(model)
    placed = [(place(n, p, heads, ids).label, p) for n, p in model.named_parameters() if p.requires_grad]
    placed.sort(key=lambda item: ORDER.index(item[0]))  # stable: model order within a group
    settings = {"head": lr, "backbone": lr * backbone_lr_factor}
    return [{"name": label,
             "params": [p for l, p in placed if l == label],
             "lr": settings[label.partition("/")[0]],
             "weight_decay": weight_decay if label.endswith("/decay") else 0.0}
            for label in ORDER if any(l == label for l, _ in placed)]
