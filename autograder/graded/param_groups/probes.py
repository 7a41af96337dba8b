"""Probes of the ``param_groups`` exercise: build a model, call the student's function, report where
every parameter landed, as plain data.

Runs inside the student's sandboxed process (and in the grader's, on the reference): imports only
the standard library, torch, torchvision and :mod:`autograder.inside.probing`. The models are built
without downloaded weights (``weights=None``), seeded, once per probe.
"""

from __future__ import annotations

import warnings

from autograder.inside.probing import StudentError, _kind, _need, _number, probe

NOT_A_PARAMETER = "<not a parameter of the model>"
# AdamW's own defaults in the probe: a group that forgets its "lr" or "weight_decay" key shows them
ADAMW_LR, ADAMW_WEIGHT_DECAY = 123.0, 456.0


def _tied_net(head_first: bool = False, rms: bool = False):
    """A small language-model-like network with what torchvision's models lack: a decoder tied to the
    embedding, a LayerNorm over two dimensions, a 0-d gate, a 2-D parameter named ``bias``, and a
    module ``head_norm`` whose name starts with ``head``."""
    import torch
    from torch import nn

    class Shift(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.bias = nn.Parameter(torch.zeros(2, 4))

    class Head(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.proj = nn.Linear(8, 8)
            self.decoder = nn.Linear(8, 12, bias=False)

    class TiedNet(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            if head_first:
                self.head = Head()
            self.embed = nn.Embedding(12, 8)
            self.stem = nn.Sequential(nn.Conv1d(8, 8, 3, padding=1, bias=False), nn.GroupNorm(2, 8))
            self.block = nn.Linear(8, 8)
            self.norm = nn.LayerNorm((2, 4))
            if rms:
                self.rms = nn.RMSNorm((2, 4))
            self.shift = nn.ModuleDict({"pos": Shift()})  # shift.pos.bias: a 2-D bias, three names deep
            self.gate = nn.Parameter(torch.tensor(0.5))
            self.head_norm = nn.LayerNorm(8)
            if not head_first:
                self.head = Head()
            self.head.decoder.weight = self.embed.weight  # tied: one tensor, two names

    return TiedNet()


def build_model(model: str, options: dict | None = None):
    """One of the graded models, built without downloaded weights: ``resnet18``,
    ``mobilenet_v3_small`` or ``tied`` (:func:`_tied_net`, with ``options``)."""
    import torch

    torch.manual_seed(0)
    if model == "tied":
        return _tied_net(**(options or {}))
    import torchvision

    return {"resnet18": torchvision.models.resnet18,
            "mobilenet_v3_small": torchvision.models.mobilenet_v3_small}[model](weights=None)


def _freeze(net, freeze: list) -> None:
    for name, p in net.named_parameters():
        if any(name.startswith(prefix + ".") for prefix in freeze):
            p.requires_grad_(False)


def _call(module, net, head_names, kwargs: dict):
    fn = _need(module, "fine_tuning_param_groups")
    return fn(net, head_names, **kwargs)


def _groups_of(groups) -> list:
    """The student's groups as a list of dicts with list-like ``params``, or a StudentError."""
    if not isinstance(groups, (list, tuple)):
        raise StudentError("fine_tuning_param_groups must return a list of dicts (one per group); it returned "
                           f"{_kind(groups)}")
    for i, g in enumerate(groups):
        if not isinstance(g, dict):
            raise StudentError(f"group {i} is a {type(g).__name__}; each group must be a dict "
                               "{'name': ..., 'params': [...], 'lr': ..., 'weight_decay': ...}")
        params = g.get("params")
        if not isinstance(params, (list, tuple)):
            raise StudentError(f"group {i}'s 'params' is {_kind(params)}; it must be a list of the group's "
                               "parameters (a generator would be used up by the first reader)")
    return list(groups)


def _setting(value):
    value = _number(value)
    return value if isinstance(value, (int, float, str)) or value is None else repr(value)


@probe
def param_groups(module, model: str, head_names, kwargs: dict, freeze: list | None = None,
                 options: dict | None = None) -> dict:
    """Build ``model``, freeze the modules named in ``freeze``, call ``fine_tuning_param_groups`` and
    report the groups (name, keys, lr, weight_decay, the parameters by name), the groups each
    parameter is in (by every name it has), whether the model was left as it was, and what
    ``torch.optim.AdamW`` makes of the groups."""
    import torch

    net = build_model(model, options)
    _freeze(net, freeze or [])
    every = list(net.named_parameters(remove_duplicate=False))
    first_name: dict[int, str] = {}
    for name, p in every:
        first_name.setdefault(id(p), name)
    flags = {name: p.requires_grad for name, p in every}
    values = {name: p.detach().clone() for name, p in net.named_parameters()}

    groups = _groups_of(_call(module, net, head_names, kwargs))

    observed, where = [], {id(p): [] for _, p in every}
    others = 0
    for i, g in enumerate(groups):
        names = []
        for p in g["params"]:
            if id(p) in where:
                where[id(p)].append(i)
                names.append(first_name[id(p)])
            else:
                others += 1
                names.append(NOT_A_PARAMETER)
        observed.append({"name": _setting(g.get("name", "<missing>")), "keys": sorted(str(k) for k in g),
                         "lr": _setting(g.get("lr", "<missing>")),
                         "weight_decay": _setting(g.get("weight_decay", "<missing>")), "params": names})
    params = {name: {"groups": where[id(p)], "trainable": flags[name]} for name, p in every}
    tied: dict[int, list] = {}
    for name, p in every:
        tied.setdefault(id(p), []).append(name)
    untouched = {
        "requires_grad changed": sorted(name for name, p in every if p.requires_grad != flags[name]),
        "values changed": sorted(name for name, p in net.named_parameters()
                                 if name not in values or not torch.equal(p.detach(), values[name])),
    }
    return {"groups": observed, "params": params, "others": others,
            "tied": [names for names in tied.values() if len(names) > 1],
            "untouched": untouched, "adamw": _adamw(groups, first_name)}


def _adamw(groups: list, first_name: dict) -> dict:
    """What ``torch.optim.AdamW(groups)`` does with the groups: the error it raises, or each
    parameter's lr and weight_decay in the optimizer."""
    import torch

    copies = [dict(g, params=list(g["params"])) for g in groups]  # AdamW fills in defaults in place
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # duplicates within one group: a warning today
            opt = torch.optim.AdamW(copies, lr=ADAMW_LR, weight_decay=ADAMW_WEIGHT_DECAY)
    except Exception as exc:  # noqa: BLE001 - reported by type and message
        return {"error": f"{type(exc).__name__}: {exc}", "settings": {}}
    settings = {}
    for g in opt.param_groups:
        for p in g["params"]:
            settings[first_name.get(id(p), NOT_A_PARAMETER)] = [_setting(g["lr"]), _setting(g["weight_decay"])]
    return {"error": None, "settings": settings}


@probe
def param_groups_invalid(module, calls: list) -> dict:
    """Each call ``{"model", "head_names", "kwargs", "freeze", "options"}`` on a fresh model: the
    exception it raises (by type name), ``None`` when it raises nothing."""
    out = {}
    for call in calls:
        net = build_model(call["model"], call.get("options"))
        _freeze(net, call.get("freeze", []))
        label = (f"{call['model']}{' frozen ' + str(call['freeze']) if call.get('freeze') else ''}: "
                 f"fine_tuning_param_groups(model, {call['head_names']!r}"
                 + "".join(f", {k}={v!r}" for k, v in call.get("kwargs", {}).items()) + ")")
        try:
            _call(module, net, call["head_names"], call.get("kwargs", {}))
            out[label] = None
        except NotImplementedError:
            raise
        except Exception as exc:  # noqa: BLE001 - reported by type
            out[label] = type(exc).__name__
    return out
