"""The catalogue of known mistakes of the ``adam`` exercise: names, titles, hints, where charged.

The patches that turn the reference into each mistake are in ``patches.py`` (instructor only).
"""

from __future__ import annotations

from autograder.exercise import mistake as _m

CATALOGUE = (
    _m("adam_no_bias_correction", "adam", "Adam without bias correction",
       "m and v start at 0, so early averages are too small: divide by (1 - beta1**t) and "
       "(1 - beta2**t) before the update.", charged_on=("numpy_first_steps", "torch_one_group")),
    _m("adam_eps_inside_sqrt", "adam", "eps added inside the square root",
       "PyTorch divides by sqrt(v_hat) + eps, not sqrt(v_hat + eps).",
       charged_on=("numpy_small_gradients", "torch_small_gradients")),
    _m("adam_no_eps", "adam", "eps left out of the denominator",
       "Divide by sqrt(v_hat) + eps: without eps a parameter whose gradient is zero gets 0 / 0 = NaN, and "
       "small gradients get huge steps.",
       charged_on=("numpy_small_gradients", "torch_small_gradients", "torch_zero_grad")),
    _m("adam_betas_swapped", "adam", "beta1 and beta2 swapped",
       "betas = (beta1, beta2): beta1 (0.9) averages the gradient, beta2 (0.999) its square.",
       charged_on=("numpy_first_steps", "torch_one_group")),
    _m("adam_coupled_decay_in_adamw", "adam", "coupled (L2) weight decay where decoupled is asked (AdamW)",
       "AdamW shrinks the weights directly, p = p * (1 - lr * weight_decay), and keeps the decay out "
       "of m and v; adding weight_decay * p to the gradient is Adam's L2 penalty.", charged_on=("adamw_decoupled",)),
    _m("adam_decoupled_decay_in_adam", "adam", "decoupled weight decay where Adam's coupled L2 is asked",
       "torch.optim.Adam(weight_decay=...) adds weight_decay * p to the gradient before the moments; "
       "only AdamW (or decoupled_weight_decay=True) shrinks p directly.", charged_on=("torch_weight_decay",)),
    _m("adam_decay_without_lr", "adam", "decoupled decay not scaled by the learning rate",
       "torch.optim.AdamW multiplies p by (1 - lr * weight_decay), not (1 - weight_decay).",
       charged_on=("adamw_decoupled",)),
    _m("adam_decay_into_grad", "adam", "weight decay added into p.grad in place",
       "grad.add_(p, alpha=weight_decay) writes into p.grad, which belongs to the caller: use "
       "grad = grad.add(p, alpha=weight_decay), a new tensor.", match=False),
    _m("adam_shared_step_counter", "adam", "one step counter shared by all parameters",
       "Count steps per parameter (state['step']): a counter bumped once per parameter makes t grow "
       "too fast and the bias correction wrong.", charged_on=("torch_one_group",)),
    _m("adam_ignores_group_lr", "adam", "the learning rate of the parameter group is ignored",
       "Read lr (and every hyperparameter) from the group on each step: param groups have their own "
       "values and schedulers change group['lr'] during training.", charged_on=("torch_groups_float64", "torch_lr_change")),
    _m("adam_updates_params_without_grad", "adam", "parameters without a gradient are updated",
       "Skip a parameter whose .grad is None: it took no part in the loss, gets no state and must not move.",
       charged_on=("torch_no_grad_param",)),
    _m("adam_param_rebound", "adam", "the update is assigned to a new tensor, so the parameter never changes",
       "p = p.addcdiv(...) (or p = p - ...) makes a new tensor and binds the loop variable to it; the model's "
       "parameter is untouched. Update in place: p.addcdiv_(...), p.sub_(...), or p.data = ..."),
    _m("adam_modifies_inputs", "adam", "adam_update modifies its input arrays in place",
       "Return new arrays (w = w - ...), do not write into w, m or v: the caller still owns them.",
       match=False),
    _m("adam_update_keeps_state", "adam", "adam_update counts its own steps instead of using t",
       "adam_update must depend only on its arguments: use the t it is given (the caller counts steps), and "
       "keep nothing in globals or function attributes.", match=False),
)
