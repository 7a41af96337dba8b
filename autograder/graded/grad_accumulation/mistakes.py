"""The catalogue of known mistakes of the ``grad_accumulation`` exercise: names, titles, hints, where charged.

The patches that turn the reference into each mistake are in ``patches.py`` (instructor only).
"""

from __future__ import annotations

from autograder.exercise import mistake as _m

CATALOGUE = (
    _m("ga_loss_not_divided", "grad_accumulation", "the micro-batch losses are not divided: the gradient is k times too large",
       "backward() adds up the gradients of the micro-batches, so backpropagating each micro-batch's mean loss "
       "gives k times the gradient of the effective batch. Backpropagate loss * n_i / N (loss / "
       "accumulation_steps when every micro-batch has the same size).",
       charged_on=("big_batch_sgd", "unequal_last_group")),
    _m("ga_divided_by_steps", "grad_accumulation", "each loss is divided by accumulation_steps whatever the micro-batch sizes",
       "loss / accumulation_steps is right only when every micro-batch of the group has the same size and the group "
       "is complete. A smaller micro-batch, or a last group of fewer micro-batches, needs the weight n_i / N "
       "(samples of the micro-batch over samples of the group) to give the gradient of the big batch's mean loss.",
       charged_on=("unequal_last_group", "unequal_sizes")),
    _m("ga_clip_each_micro_batch", "grad_accumulation", "each micro-batch's gradient is clipped, not the accumulated one",
       "Clip once per optimizer step, after the group's last backward(): clipping inside the micro-batch loop clips "
       "partial sums, so the step is not the one the big batch with clip_grad_norm_ would take.",
       charged_on=("big_batch_clipped", "unequal_sizes")),
    _m("ga_clip_after_step", "grad_accumulation", "the gradients are clipped after optimizer.step()",
       "The optimizer reads p.grad in step(): clip between the last backward() and optimizer.step(), or the "
       "clipping changes nothing the optimizer sees.", charged_on=("big_batch_clipped", "plain_loop")),
    _m("ga_zero_grad_each_micro_batch", "grad_accumulation", "zero_grad() before every micro-batch: nothing accumulates",
       "optimizer.zero_grad() before each micro-batch throws away the gradients of the earlier ones, so each step "
       "uses the last micro-batch only. Zero once after each optimizer.step() (and once before the first "
       "micro-batch).", charged_on=("big_batch_sgd", "big_batch_adam")),
    _m("ga_drops_last_group", "grad_accumulation", "the last, incomplete group gets no optimizer step",
       "When the number of micro-batches is not a multiple of accumulation_steps, the micro-batches left over "
       "after the loop form a last, smaller group: step on them too (their gradients would otherwise be lost, "
       "or leak into the next epoch).", charged_on=("unequal_last_group", "generator")),
    _m("ga_extra_final_step", "grad_accumulation", "one optimizer.step() too many at the end",
       "Step after the loop only when micro-batches are left over: an extra step on no gradients still advances "
       "a scheduler and, with momentum or weight decay, moves the parameters.", charged_on=("step_count",)),
    _m("ga_per_parameter_clipping", "grad_accumulation", "each parameter's gradient is clipped on its own norm",
       "Clipping by the global norm scales every gradient by the same coefficient, computed from the norm of all "
       "gradients together (the norm of the per-tensor norms); clipping each tensor to max_norm changes the "
       "direction of the update.", charged_on=("clip_vs_torch", "clip_in_loop")),
    _m("ga_clip_no_eps", "grad_accumulation", "the clip coefficient is max_norm / total_norm, without the 1e-6",
       "clip_grad_norm_ divides by total_norm + 1e-6 (which also keeps a zero norm from dividing by zero); it "
       "shows where the norm is small.", charged_on=("clip_eps",)),
    _m("ga_clip_scales_up", "grad_accumulation", "the gradients are scaled up when their norm is below max_norm",
       "The coefficient is clamped to 1: min(max_norm / (total_norm + 1e-6), 1). Clipping only ever shrinks "
       "the gradient.", charged_on=("clip_below_max", "clip_in_loop")),
    _m("ga_inf_norm_by_powers", "grad_accumulation", "norm_type=inf computed as (sum of norms ** p) ** (1 / p)",
       "The power formula breaks down for p = inf (x ** inf is 0 or inf, and ** (1 / inf) makes it 1): the "
       "inf-norm is the largest absolute value. torch.linalg.vector_norm(t, norm_type) handles every p.",
       charged_on=("clip_inf", "inf_norm")),
    _m("ga_no_train_mode", "grad_accumulation", "the model is not put in training mode",
       "Call model.train() first: a model handed over in eval mode would train with dropout off and batch norm "
       "on its running statistics.", charged_on=("train_mode",)),
    _m("ga_grads_left_after_run", "grad_accumulation", "zero_grad() at the start of each group: the last group's gradients stay",
       "Zero the gradients after each optimizer.step(): zeroing at the start of the next group leaves the last "
       "group's gradients in p.grad after the function returns, where the caller's next backward() adds to them.",
       charged_on=("grads_cleared",)),
    _m("ga_zero_grad_keeps_zeros", "grad_accumulation", "zero_grad(set_to_none=False): zero tensors instead of None",
       "optimizer.zero_grad() sets p.grad to None by default; zero tensors instead make optimizers such as Adam "
       "treat 'no gradient' as a zero gradient (and keep updating with their momentum).",
       charged_on=("grads_cleared",)),
    _m("ga_stale_grads", "grad_accumulation", "gradients left in p.grad before the call leak into the first step",
       "Zero the gradients once before the first micro-batch: whatever the caller's last backward() left in "
       "p.grad would otherwise be added to the first group's gradient.", charged_on=("stale_grads",)),
    _m("ga_record_last_loss", "grad_accumulation", "the record's loss is the last micro-batch's, not the effective batch's",
       "The loss of a step is the mean over the whole effective batch: sum(n_i * loss_i) / N over the group's "
       "micro-batches.", charged_on=("records",)),
    _m("ga_record_mean_of_means", "grad_accumulation", "the record's loss is the plain mean of the micro-batch means",
       "With micro-batches of different sizes the mean of their means is not the mean over the samples: weight "
       "each micro-batch's loss by its size, sum(n_i * loss_i) / N.", charged_on=("records",)),
)
