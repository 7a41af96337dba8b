"""Exercise ``param_groups``: everything the grader knows about it, in this package.

``__init__`` (this file, plain data: importing it needs neither NumPy nor torch): the cases and
their points, the specification map (which docstring statement each case grades), the time limit,
the function the student writes and the library names the static check refuses. ``probes.py`` runs
inside the student's sandbox (it builds torchvision models with ``weights=None``, nothing is
downloaded); ``judges.py`` judges in the grader's process; ``mistakes.py`` names known mistakes;
``patches.py`` (instructor only) turns the reference into each mistake.
"""

from __future__ import annotations

from autograder.exercise import Exercise, case as _c
from autograder.specification import _explains, _r

from .mistakes import CATALOGUE

_R, _M, _T = "resnet18", "mobilenet_v3_small", "tied"
_K = {"lr": 0.001, "backbone_lr_factor": 0.2, "weight_decay": 0.05}  # resnet18
_KM = {"lr": 0.0003, "backbone_lr_factor": 0.25, "weight_decay": 0.1}  # mobilenet_v3_small
_KT = {"lr": 0.01, "backbone_lr_factor": 0.5, "weight_decay": 0.02}  # the tied model


def _pg(id: str, title: str, judge: str, points: float, model: str, head_names, kwargs: dict, **extra):
    return _c(f"param_groups.{id}", title, "param_groups",
              {"model": model, "head_names": head_names, "kwargs": kwargs, **extra}, judge, points)


def _call(head_names, kwargs: dict | None = None, **extra) -> dict:
    return {"model": _T, "head_names": head_names, "kwargs": {"lr": 0.1, **(kwargs or {})}, **extra}


CASES = (
    _pg("resnet_membership", "resnet18, head fc: every parameter in exactly one group", "pg_membership", 2,
        _R, ["fc"], _K),
    _pg("resnet_lr", "resnet18: the head (fc) at lr, the backbone at lr * backbone_lr_factor", "pg_lr", 2,
        _R, ["fc"], _K),
    _pg("resnet_decay", "resnet18: no weight decay on biases and BatchNorm parameters, weight_decay on the rest",
        "pg_decay", 2, _R, ["fc"], _K),
    _pg("resnet_structure", "resnet18: the four groups, their names, keys and order, parameters in model order",
        "pg_structure", 2, _R, ["fc"], _K),
    _pg("mobilenet_lr", "mobilenet_v3_small, head classifier.3: learning rates", "pg_lr", 2,
        _M, ["classifier.3"], _KM),
    _pg("mobilenet_decay", "mobilenet_v3_small: weight decay (squeeze-excitation biases, BatchNorm)", "pg_decay", 1,
        _M, ["classifier.3"], _KM),
    _pg("frozen_excluded", "resnet18 with conv1, bn1, layer1, layer2 frozen: frozen parameters are in no group",
        "pg_membership", 2, _R, ["fc"], _K, freeze=["conv1", "bn1", "layer1", "layer2"]),
    _pg("frozen_head", "resnet18 with fc frozen: no error, only the backbone's groups", "pg_structure", 1,
        _R, ["fc"], _K, freeze=["fc"]),
    _pg("tied_once", "tied embedding/decoder weights: the shared tensor is in one group, once (block frozen)",
        "pg_membership", 2, _T, ["head"], _KT, freeze=["block"]),
    _pg("custom_decay", "no decay on a 2-D LayerNorm, GroupNorm, a 0-d gate and a 2-D bias; decay on the rest",
        "pg_decay", 2, _T, ["head"], _KT),
    _pg("custom_structure", "the tied model: the empty head/decay group is left out", "pg_structure", 1,
        _T, ["head"], _KT),
    _pg("prefix_match", "head_names=['head'] covers head.* but not head_norm.*", "pg_head_split", 2,
        _T, ["head"], _KT),
    _pg("string_head", "head_names='fc' (a single string) is one name", "pg_head_split", 1, _R, "fc", _K),
    _pg("adamw", "torch.optim.AdamW accepts the groups and uses their lr and weight_decay", "pg_adamw", 2,
        _T, ["head"], _K, freeze=["block"]),
    _pg("defaults_lr", "the default backbone_lr_factor=0.1", "pg_lr", 1, _M, ["classifier"], {"lr": 0.002}),
    _pg("defaults_decay", "the default weight_decay=0.01", "pg_decay", 1, _M, ["classifier"], {"lr": 0.002}),
    _c("param_groups.validation", "ValueError for a head name that matches no parameter (frozen and tied ones "
       "count) and for a negative lr, backbone_lr_factor or weight_decay", "param_groups_invalid",
       {"calls": [_call(["head"]), _call(["head", "nothing"]), _call(["hea"]), _call(["block"], freeze=["block"]),
                  _call(["head.decoder"]), _call(["head"], {"lr": -0.5}),
                  _call(["head"], {"backbone_lr_factor": -0.5}), _call(["head"], {"weight_decay": -0.01}),
                  _call(["head"], {"lr": 0.0, "backbone_lr_factor": 0.0, "weight_decay": 0.0})]},
       "same_exceptions", 2),
    _pg("model_untouched", "the model is not modified (values and requires_grad flags)", "pg_untouched", 1,
        _T, ["head"], _KT, freeze=["block"]),
)


SPEC = (
    _explains("Exercise ``param_groups``: optimizer parameter groups", "the title"),
    _explains("Fine-tuning trains a pretrained *backbone*", "motivation"),
    _explains("The backbone's features are already useful", "motivation"),
    _explains("Weight decay pulls weights towards zero", "motivation"),
    _explains("This is the recipe of BERT's and timm's", "a citation"),
    _r("The result is the list that ``torch.optim.AdamW(groups)``", "param_groups.adamw"),
    _explains("Student version: fill in", "how to work"),
    _r("Parameter groups for fine-tuning ``model``: a slower backbone", "param_groups.resnet_lr",
       "param_groups.resnet_decay"),
    _r("Which parameters: every parameter with ``requires_grad=True``", "param_groups.resnet_membership",
       "param_groups.frozen_excluded", "param_groups.tied_once"),
    _r("A parameter shared by several modules (tied weights) is placed once", "param_groups.tied_once",
       "param_groups.adamw"),
    _r("Head or backbone: a parameter is in the head when", "param_groups.prefix_match", "param_groups.resnet_lr",
       "param_groups.mobilenet_lr"),
    _r("The head trains at ``lr``, the backbone at", "param_groups.resnet_lr", "param_groups.mobilenet_lr"),
    _r("Decay or not: no weight decay (``0.0``) for a bias", "param_groups.resnet_decay",
       "param_groups.mobilenet_decay", "param_groups.custom_decay"),
    _r("The groups, in this order, each left out when it has no parameter", "param_groups.resnet_structure",
       "param_groups.frozen_head", "param_groups.custom_structure"),
    _r('"name" "lr" "weight_decay"', "param_groups.resnet_structure"),
    _r('"backbone/decay" lr * backbone_lr_factor weight_decay', "param_groups.resnet_lr", "param_groups.resnet_decay"),
    _r('"backbone/no_decay" lr * backbone_lr_factor 0.0', "param_groups.resnet_lr", "param_groups.resnet_decay"),
    _r('"head/decay" lr weight_decay', "param_groups.resnet_lr", "param_groups.resnet_decay"),
    _r('"head/no_decay" lr 0.0', "param_groups.resnet_lr", "param_groups.resnet_decay"),
    _r("Each group is a dict with exactly the keys", "param_groups.resnet_structure"),
    _r("``torch.optim.AdamW(groups)`` takes the list as it is.", "param_groups.adamw"),
    _r("model: the network; it is not modified", "param_groups.model_untouched"),
    _r("head_names: the qualified names of the head's modules", "param_groups.resnet_lr",
       "param_groups.mobilenet_lr", "param_groups.string_head"),
    _r("lr: the head's learning rate.", "param_groups.resnet_lr"),
    _r("backbone_lr_factor: the backbone's learning rate as a fraction of ``lr``", "param_groups.defaults_lr"),
    _r("weight_decay: the decay of the decayed parameters", "param_groups.defaults_decay"),
    _r("The list of group dicts described above.", "param_groups.resnet_structure"),
    _r("ValueError: when a name of ``head_names`` matches no parameter", "param_groups.validation",
       "param_groups.frozen_head"),
)


EXERCISE = Exercise(
    name="param_groups",
    title="Optimizer parameter groups for fine-tuning: head and backbone rates, no decay on biases and norms",
    chapter="book/07_transfer_learning",
    timeout=90.0,
    warm=("torch._dynamo",),  # an Optimizer's constructor imports it on first use (0.7 s)
    todo=("fine_tuning_param_groups",),
    delegated=frozenset(("param_groups_weight_decay", "param_groups_layer_decay", "create_optimizer_v2")),
    cases=CASES,
    spec=SPEC,
    mistakes=CATALOGUE,
)
