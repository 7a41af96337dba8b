"""The catalogue of known mistakes of the ``param_groups`` exercise: names, titles, hints, where charged.

The patches that turn the reference into each mistake are in ``patches.py`` (instructor only).
"""

from __future__ import annotations

from autograder.exercise import mistake as _m

CATALOGUE = (
    _m("pg_prefix_without_dot", "param_groups", "a head name matches every parameter name that merely starts with it",
       "name.startswith('head') is also true for head_norm.weight (and 'features.1' matches features.10): a head "
       "name h covers the parameters whose name starts with h + '.'.", charged_on=("prefix_match", "validation")),
    _m("pg_norms_by_ndim_only", "param_groups", "a LayerNorm over two dimensions is decayed",
       "p.ndim <= 1 exempts BatchNorm and GroupNorm parameters, but a LayerNorm (or RMSNorm) over several "
       "dimensions has 2-D parameters: exempt every parameter of a normalisation layer (isinstance on the module "
       "that holds it), whatever its shape.", charged_on=("custom_decay",)),
    _m("pg_decay_except_biases_only", "param_groups", "only biases skip weight decay; norm weights and scalars decay",
       "Normalisation layers' weights (BatchNorm, LayerNorm, GroupNorm scales) and other parameters with "
       "p.ndim <= 1 get weight_decay 0.0 too, not only the parameters named bias.",
       charged_on=("resnet_decay", "mobilenet_decay", "custom_decay")),
    _m("pg_includes_frozen", "param_groups", "frozen parameters are put in the groups",
       "Skip every parameter with requires_grad == False: the groups list what trains. (The optimizer skips a "
       "parameter whose .grad is None, but one unfrozen later would silently start training at its group's "
       "rate.)", charged_on=("frozen_excluded", "tied_once", "frozen_head")),
    _m("pg_tied_twice", "param_groups", "a tied parameter is put in the groups once per name",
       "model.named_parameters(remove_duplicate=False) (or walking every module's parameters) lists a shared "
       "tensor under each of its names; model.named_parameters() lists it once, under its first name. "
       "torch.optim refuses a parameter that is in two groups.", charged_on=("tied_once", "adamw")),
    _m("pg_factor_on_the_head", "param_groups", "the head gets lr * backbone_lr_factor and the backbone lr",
       "The head (new, random weights) trains at lr; the pretrained backbone at the smaller "
       "lr * backbone_lr_factor.", charged_on=("resnet_lr", "mobilenet_lr")),
    _m("pg_keeps_empty_groups", "param_groups", "groups without parameters are kept",
       "Leave out a group whose list of parameters is empty (a frozen head, a head without matrices): keep only "
       "the non-empty ones, in the stated order.", charged_on=("frozen_head", "custom_structure")),
    _m("pg_no_head_check", "param_groups", "a head name that matches nothing raises no error",
       "A typo in head_names would silently train the whole model at the backbone's rate: raise ValueError "
       "when a name matches no parameter of the model.", charged_on=("validation",)),
    _m("pg_head_check_trainable_only", "param_groups", "a head name is looked up among the trainable parameters only",
       "A frozen head (or one whose only parameter is tied to an earlier name) is not a typo: look the names up in "
       "model.named_parameters(remove_duplicate=False), frozen parameters included.",
       charged_on=("frozen_head", "validation")),
)
