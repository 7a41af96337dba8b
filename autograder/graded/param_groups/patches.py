"""Patches of the ``param_groups`` mistakes: fragments of ``solutions/param_groups.py``, for instructors only.

Each ``find`` occurs exactly once in the reference. Left out of the student release.
"""

PATCHES: dict[str, tuple[tuple[str, str], ...]] = {
    "pg_prefix_without_dot": (
        ('if not any(name.startswith(h + ".") for name in every_name):',
         'if not any(name.startswith(h) for name in every_name):'),
        ('part = "head" if any(name.startswith(h + ".") for h in heads) else "backbone"',
         'part = "head" if any(name.startswith(h) for h in heads) else "backbone"'),
    ),
    "pg_norms_by_ndim_only": (
        (' and id(p) not in norm_params\n', '\n'),
    ),
    "pg_decay_except_biases_only": (
        ('decays = p.ndim >= 2 and name.split(".")[-1] != "bias" and id(p) not in norm_params',
         'decays = name.split(".")[-1] != "bias"'),
    ),
    "pg_includes_frozen": (
        ('        if not p.requires_grad:\n            continue\n', ''),
    ),
    "pg_tied_twice": (
        ('for name, p in model.named_parameters():  # each tensor once, under its first name',
         'for name, p in model.named_parameters(remove_duplicate=False):'),
    ),
    "pg_factor_on_the_head": (
        ('rates = {"backbone": lr * backbone_lr_factor, "head": lr}',
         'rates = {"backbone": lr, "head": lr * backbone_lr_factor}'),
    ),
    "pg_keeps_empty_groups": (
        ('            for name, params in groups.items() if params]',
         '            for name, params in groups.items()]'),
    ),
    "pg_no_head_check": (
        ('            raise ValueError(f"head name {h!r} matches no parameter of the model")\n',
         '            pass\n'),
    ),
    "pg_head_check_trainable_only": (
        ('every_name = [name for name, _ in model.named_parameters(remove_duplicate=False)]',
         'every_name = [name for name, p in model.named_parameters() if p.requires_grad]'),
    ),
}
