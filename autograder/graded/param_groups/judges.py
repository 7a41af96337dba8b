"""Judges of the ``param_groups`` exercise: compare a student's groups with the reference's.

Runs in the grader's process, never in the sandbox. Each judge registers itself by name
(``autograder.judges.JUDGES``) and judges one thing, so that one mistake costs the cases about it:
which parameters are in a group (``pg_membership``), which are in the head (``pg_head_split``),
each one's learning rate (``pg_lr``) and weight decay (``pg_decay``), the list of groups itself
(``pg_structure``), and what ``torch.optim.AdamW`` makes of it (``pg_adamw``).
"""

from __future__ import annotations

from autograder.judges import HINTS, Context, Verdict, _fmt, _same, judge

SHOWN = 6  # parameter names listed per kind of fault


def _names(names: list) -> str:
    more = f", ... ({len(names)} in all)" if len(names) > SHOWN else ""
    return ", ".join(names[:SHOWN]) + more


def _inputs(case) -> str:
    """The case's inputs, as the student would write the call."""
    a = case.args
    model = {"resnet18": "torchvision.models.resnet18(weights=None)",
             "mobilenet_v3_small": "torchvision.models.mobilenet_v3_small(weights=None)",
             "tied": "the probes' tied model (build_model('tied', options) in autograder/graded/param_groups/probes.py)"}
    text = f"model = {model.get(a.get('model'), a.get('model'))}"
    if a.get("options"):
        text += f" with {a['options']}"
    if a.get("freeze"):
        text += f", frozen modules {a['freeze']}"
    kwargs = "".join(f", {k}={v!r}" for k, v in a.get("kwargs", {}).items())
    return f"{text}; fine_tuning_param_groups(model, {a.get('head_names')!r}{kwargs})"


def _expected_group(expected: dict, name: str) -> dict | None:
    where = expected["params"][name]["groups"]
    return expected["groups"][where[0]] if where else None


def _settings(got: dict, name: str, key: str) -> list:
    """The values of ``key`` in every group of the student's that holds parameter ``name``."""
    entry = got.get("params", {}).get(name, {"groups": []})
    return [got["groups"][i].get(key) for i in entry["groups"]]


def _tied_note(got: dict, names: list) -> str:
    tied = [t for t in got.get("tied", []) if set(t) & set(names)]
    if not tied:
        return ""
    return ("; " + "; ".join(" and ".join(t) for t in tied) + " are one tensor (tied weights): it goes in one group, "
            "once, by its first name (model.named_parameters() lists it once)")


@judge
def pg_membership(case, got: dict, expected: dict, ctx: Context) -> Verdict:
    """Every trainable parameter in exactly one group, once; frozen ones in none."""
    frozen, missing, repeated = [], [], []
    for name, e in expected["params"].items():
        n = len(got.get("params", {}).get(name, {"groups": []})["groups"])
        if n == len(e["groups"]):
            continue
        if not e["trainable"] and n:
            frozen.append(name)
        elif n == 0:
            missing.append(name)
        else:
            repeated.append(name)
    problems = []
    if frozen:
        problems.append(f"frozen parameters (requires_grad=False) are in a group; leave them out: {_names(frozen)}")
    if missing:
        problems.append(f"trainable parameters in no group (they would never be updated): {_names(missing)}")
    if repeated:
        problems.append(f"parameters in more than one group, or twice in one: {_names(repeated)}"
                        + _tied_note(got, repeated))
    if got.get("others"):
        problems.append(f"{got['others']} tensors in the groups are not parameters of the model (copies?): put the "
                        "model's own parameters in the groups")
    if problems:
        return Verdict(False, f"{_inputs(case)}:\n  " + "\n  ".join(problems))
    return Verdict(True, "every trainable parameter is in exactly one group, and no frozen one")


def _compare_setting(case, got: dict, expected: dict, key: str, what: str, explain) -> Verdict:
    wrong: dict[tuple, list] = {}
    for name, e in expected["params"].items():
        group = _expected_group(expected, name)
        if group is None:
            continue
        have = _settings(got, name, key)
        want = group[key]
        if not have:
            wrong.setdefault(("in no group", want, group["name"]), []).append(name)
        elif not all(_same(h, want) for h in have):
            shown = _fmt(have[0]) if len(have) == 1 else " and ".join(_fmt(h) for h in have) + " (several groups)"
            wrong.setdefault((shown, want, group["name"]), []).append(name)
    if not wrong:
        return Verdict(True, f"every parameter has the expected {what}")
    lines = [f"{_names(names)}: {what} {shown}, expected {_fmt(want)} ({explain(group)})"
             for (shown, want, group), names in wrong.items()]
    return Verdict(False, f"{_inputs(case)}:\n  " + "\n  ".join(lines))


def _lr_reason(group: str) -> str:
    return "lr: the head" if group.startswith("head/") else "lr * backbone_lr_factor: the backbone"


def _decay_reason(group: str) -> str:
    return ("weight_decay: a weight matrix or kernel" if group.endswith("/decay")
            else "no decay: a bias, a parameter with ndim <= 1, or a LayerNorm/RMSNorm parameter")


@judge
def pg_lr(case, got: dict, expected: dict, ctx: Context) -> Verdict:
    """The learning rate of each trainable parameter's group: lr in the head, lr * backbone_lr_factor elsewhere."""
    return _compare_setting(case, got, expected, "lr", "lr", _lr_reason)


@judge
def pg_decay(case, got: dict, expected: dict, ctx: Context) -> Verdict:
    """The weight decay of each trainable parameter's group."""
    return _compare_setting(case, got, expected, "weight_decay", "weight_decay", _decay_reason)


@judge
def pg_head_split(case, got: dict, expected: dict, ctx: Context) -> Verdict:
    """Which parameters are in the head: those that share the head's learning rate, whatever its value
    (a wrong rate is ``pg_lr``'s to judge)."""
    head, backbone, unplaced = [], [], []
    for name in expected["params"]:
        group = _expected_group(expected, name)
        if group is None:
            continue
        lrs = _settings(got, name, "lr")
        if not lrs:
            unplaced.append(name)
        (head if group["name"].startswith("head/") else backbone).append((name, lrs[0] if lrs else None))
    if unplaced:
        return Verdict(False, f"{_inputs(case)}:\n  trainable parameters in no group: {_names(unplaced)}")
    values = [lr for _, lr in head]
    head_lr = max(set(map(repr, values)), key=[repr(v) for v in values].count) if values else None
    in_head = [n for n, lr in backbone if repr(lr) == head_lr]
    out_of_head = [n for n, lr in head if repr(lr) != head_lr]
    if not in_head and not out_of_head:
        return Verdict(True, f"the head is the {len(head)} parameters under {case.args['head_names']!r}")
    problems = []
    if in_head:
        problems.append(f"in the backbone, but given the head's learning rate: {_names(in_head)} (a head name h "
                        "covers the parameters whose name starts with h + '.'; 'head' covers head.weight, not "
                        "head_norm.weight)")
    if out_of_head:
        problems.append(f"in the head, but not given the head's learning rate: {_names(out_of_head)}")
    return Verdict(False, f"{_inputs(case)}:\n  " + "\n  ".join(problems))


@judge
def pg_structure(case, got: dict, expected: dict, ctx: Context) -> Verdict:
    """The groups themselves: their names, in order, their keys, their parameters in order (empty groups left out)."""
    g_names = [g.get("name") for g in got.get("groups", [])]
    e_names = [g["name"] for g in expected["groups"]]
    if g_names != e_names:
        return Verdict(False, f"{_inputs(case)}:\n  the groups are named {g_names}; expected {e_names} (in this "
                              "order: backbone/decay, backbone/no_decay, head/decay, head/no_decay, leaving out a "
                              "group without parameters)")
    for g, e in zip(got["groups"], expected["groups"]):
        if g.get("keys") != e["keys"]:
            return Verdict(False, f"{_inputs(case)}:\n  group {e['name']!r} has the keys {g.get('keys')}; expected "
                                  f"exactly {e['keys']}")
        if g.get("params") != e["params"]:
            gp, ep = g.get("params", []), e["params"]
            if sorted(map(str, gp)) == sorted(ep):
                first = next(i for i, (a, b) in enumerate(zip(gp, ep)) if a != b)
                return Verdict(False, f"{_inputs(case)}:\n  group {e['name']!r} holds the right parameters in another "
                                      f"order: at position {first}, {gp[first]} where {ep[first]} was expected "
                                      "(keep the order of model.named_parameters())")
            extra = [n for n in gp if n not in ep]
            lacking = [n for n in ep if n not in gp]
            return Verdict(False, f"{_inputs(case)}:\n  group {e['name']!r} holds {len(gp)} parameters, expected "
                                  f"{len(ep)}" + (f"; not expected there: {_names(extra)}" if extra else "")
                           + (f"; missing: {_names(lacking)}" if lacking else ""))
    return Verdict(True, f"the groups {e_names}, with the expected keys and parameters")


@judge
def pg_adamw(case, got: dict, expected: dict, ctx: Context) -> Verdict:
    """``torch.optim.AdamW(groups)`` accepts the groups and trains each parameter with its group's settings."""
    g, e = got.get("adamw", {}), expected["adamw"]
    if g.get("error") != e["error"]:
        if g.get("error"):
            repeated = [n for n, entry in got.get("params", {}).items() if len(entry["groups"]) > 1]
            return Verdict(False, f"{_inputs(case)}; torch.optim.AdamW(groups) raised {g['error']}"
                                  + _tied_note(got, repeated))
        return Verdict(False, f"{_inputs(case)}; torch.optim.AdamW(groups) accepted the groups, expected "
                              f"{e['error']}")
    wrong = []
    for name, want in e["settings"].items():
        have = g.get("settings", {}).get(name)
        if have is None:
            wrong.append(f"{name}: not trained by the optimizer, expected lr={_fmt(want[0])}, "
                         f"weight_decay={_fmt(want[1])}")
        elif not _same(have, want):
            wrong.append(f"{name}: lr={_fmt(have[0])}, weight_decay={_fmt(have[1])}; expected lr={_fmt(want[0])}, "
                         f"weight_decay={_fmt(want[1])}")
    extra = sorted(set(g.get("settings", {})) - set(e["settings"]))
    if extra:
        wrong.append(f"trained by the optimizer, but they should not be: {_names(extra)}")
    if wrong:
        shown = wrong[:SHOWN] + ([f"... ({len(wrong)} in all)"] if len(wrong) > SHOWN else [])
        return Verdict(False, f"{_inputs(case)}; in torch.optim.AdamW(groups, lr=123.0, weight_decay=456.0) (a "
                              "group's own lr and weight_decay override these defaults):\n  " + "\n  ".join(shown))
    return Verdict(True, f"AdamW trains the {len(e['settings'])} parameters with their groups' settings")


@judge
def pg_untouched(case, got: dict, expected: dict, ctx: Context) -> Verdict:
    """The model after the call: the same parameter values and requires_grad flags as before."""
    changed = {k: v for k, v in got.get("untouched", {}).items() if v}
    if changed:
        text = "; ".join(f"{k}: {_names(v)}" for k, v in changed.items())
        return Verdict(False, f"{_inputs(case)}: the call changed the model ({text}); building the groups only reads "
                              "the model: set no requires_grad flag, change no value", symptom="input_mutated")
    return Verdict(True, "the model is as it was")


# what to try when a case of this exercise fails and no catalogued mistake matches
HINTS.update({
    "pg_membership": "loop over model.named_parameters() (each tensor once), skip those with requires_grad False, "
                     "and append each parameter to exactly one list.",
    "pg_lr": "print [(g['name'], g['lr'], len(g['params'])) for g in groups] and compare with the table in the "
             "docstring.",
    "pg_decay": "print, for each parameter name, p.ndim, the last part of its name and type(module) of its module: "
                "decide decay from those.",
    "pg_head_split": "a parameter is in the head when name.startswith(h + '.') for some h in head_names.",
    "pg_structure": "build the four lists in the order backbone/decay, backbone/no_decay, head/decay, head/no_decay "
                    "and keep only the non-empty ones.",
    "pg_adamw": "each group must be a dict with 'params' (a list of the model's parameters), 'lr' and "
                "'weight_decay', and no parameter may be in two groups.",
})
