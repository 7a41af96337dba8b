"""param_groups in the idiom of Keras's optimizers: a ``WeightDecayPolicy`` that works as Keras's
``AdamW.exclude_from_weight_decay(var_list=..., var_names=...)`` and ``_use_weight_decay(variable)``
(excluded variables by id, plus a regular expression searched in the variable's path), the
model's ``trainable_weights`` (each tensor once, frozen ones left out) with their paths, the norm
layers named as Keras names its normalization layers, and a per-path learning-rate multiplier (a
``re.match`` of ``head\\.``) as Keras's layer-wise learning rates are written."""

import re

from torch import nn

NORMALIZATION_LAYERS = (nn.BatchNorm1d, nn.BatchNorm2d, nn.BatchNorm3d, nn.SyncBatchNorm,  # BatchNormalization
                        nn.InstanceNorm1d, nn.InstanceNorm2d, nn.InstanceNorm3d,
                        nn.GroupNorm,  # GroupNormalization
                        nn.LayerNorm, nn.RMSNorm)  # LayerNormalization, RMSNormalization


class WeightDecayPolicy:
    def __init__(self):
        self._exclude_from_weight_decay = set()
        self._exclude_from_weight_decay_pattern = None

    def exclude_from_weight_decay(self, var_list=None, var_names=None):
        if var_list:
            self._exclude_from_weight_decay = {id(v) for v in var_list}
        if var_names:
            self._exclude_from_weight_decay_pattern = "|".join(var_names)

    def use_weight_decay(self, variable, path):
        if id(variable) in self._exclude_from_weight_decay:
            return False
        pattern = self._exclude_from_weight_decay_pattern
        return pattern is None or re.search(pattern, path) is None


def _trainable_weights(model):
    """(path, variable) for each trainable tensor once, by its first path, in the model's order."""
    return [(path, v) for path, v in model.named_parameters() if v.requires_grad]


def fine_tuning_param_groups(model, head_names, lr, backbone_lr_factor=0.1, weight_decay=0.01):
    for arg_name, value in (("lr", lr), ("backbone_lr_factor", backbone_lr_factor), ("weight_decay", weight_decay)):
        if value < 0:
            raise ValueError(f"Argument `{arg_name}` must be non-negative. Received: {arg_name}={value}")
    if isinstance(head_names, str):
        head_names = [head_names]
    head_patterns = [re.compile(re.escape(h) + r"\.") for h in head_names]
    all_paths = [path for path, _ in model.named_parameters(remove_duplicate=False)]
    for h, pattern in zip(head_names, head_patterns):
        if not any(pattern.match(path) for path in all_paths):
            raise ValueError(f"Could not find any weight under the head {h!r}.")

    policy = WeightDecayPolicy()
    policy.exclude_from_weight_decay(
        var_list=[v for layer in model.modules() if isinstance(layer, NORMALIZATION_LAYERS) for v in layer.parameters()]
        + [v for v in model.parameters() if v.ndim <= 1],
        var_names=[r"(^|\.)bias$"],
    )

    def lr_multiplier(path):  # the head at lr, the backbone at lr * backbone_lr_factor
        return 1.0 if any(pattern.match(path) for pattern in head_patterns) else backbone_lr_factor

    paths = {id(v): path for path, v in _trainable_weights(model)}
    groups = {}
    for path, variable in _trainable_weights(model):
        part = "head" if any(pattern.match(path) for pattern in head_patterns) else "backbone"
        kind = "decay" if policy.use_weight_decay(variable, path) else "no_decay"
        groups.setdefault(f"{part}/{kind}", []).append(variable)

    order = ["backbone/decay", "backbone/no_decay", "head/decay", "head/no_decay"]
    return [{"name": name, "params": groups[name],
             "lr": lr * lr_multiplier(paths[id(groups[name][0])]),
             "weight_decay": weight_decay if name.endswith("/decay") else 0.0}
            for name in order if name in groups]
