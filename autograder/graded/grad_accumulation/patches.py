"""Patches of the ``grad_accumulation`` mistakes: fragments of ``solutions/grad_accumulation.py``, for instructors only.

Each ``find`` occurs exactly once in the reference. Left out of the student release.
"""

_CLIP_CALL = "            grad_norm = float(clip_grad_norm(model.parameters(), max_norm, norm_type))\n"

PATCHES: dict[str, tuple[tuple[str, str], ...]] = {
    "ga_loss_not_divided": (
        ("(loss * (x.shape[0] / samples)).backward()", "loss.backward()"),
    ),
    "ga_divided_by_steps": (
        ("(loss * (x.shape[0] / samples)).backward()", "(loss / accumulation_steps).backward()"),
    ),
    "ga_clip_each_micro_batch": (
        ("            loss_sum += loss.item() * x.shape[0]\n        grad_norm = None\n        if max_norm is not None:\n"
         + _CLIP_CALL,
         "            loss_sum += loss.item() * x.shape[0]\n            grad_norm = None\n"
         "            if max_norm is not None:\n    " + _CLIP_CALL),
    ),
    "ga_clip_after_step": (
        ("        grad_norm = None\n        if max_norm is not None:\n" + _CLIP_CALL + "        optimizer.step()\n",
         "        optimizer.step()\n        grad_norm = None\n        if max_norm is not None:\n" + _CLIP_CALL),
    ),
    "ga_zero_grad_each_micro_batch": (
        ("        for x, y in group:\n            loss = loss_fn(model(x), y)\n",
         "        for x, y in group:\n            optimizer.zero_grad()\n            loss = loss_fn(model(x), y)\n"),
    ),
    "ga_drops_last_group": (
        ("    if group:  # the last, incomplete group\n        records.append(step(group))\n", ""),
    ),
    "ga_extra_final_step": (
        ("    if group:  # the last, incomplete group\n        records.append(step(group))\n",
         "    if group:  # the last, incomplete group\n        records.append(step(group))\n    optimizer.step()\n"),
    ),
    "ga_per_parameter_clipping": (
        ("    for g in grads:\n        g.mul_(clip_coef)\n",
         "    for g, norm in zip(grads, norms):\n        g.mul_(torch.clamp(max_norm / (norm + 1e-6), max=1.0))\n"),
    ),
    "ga_clip_no_eps": (
        ("clip_coef = torch.clamp(max_norm / (total_norm + 1e-6), max=1.0)",
         "clip_coef = torch.clamp(max_norm / total_norm, max=1.0)"),
    ),
    "ga_clip_scales_up": (
        ("clip_coef = torch.clamp(max_norm / (total_norm + 1e-6), max=1.0)",
         "clip_coef = max_norm / (total_norm + 1e-6)"),
    ),
    "ga_inf_norm_by_powers": (
        ("total_norm = torch.linalg.vector_norm(norms, norm_type)",
         "total_norm = (norms ** norm_type).sum() ** (1.0 / norm_type)"),
    ),
    "ga_no_train_mode": (
        ("    model.train()\n", ""),
    ),
    "ga_grads_left_after_run": (
        ("        optimizer.step()\n        optimizer.zero_grad()\n", "        optimizer.step()\n"),
        ("        samples = sum(", "        optimizer.zero_grad()\n        samples = sum("),
    ),
    "ga_zero_grad_keeps_zeros": (
        ("        optimizer.step()\n        optimizer.zero_grad()\n",
         "        optimizer.step()\n        optimizer.zero_grad(set_to_none=False)\n"),
    ),
    "ga_stale_grads": (
        ("    model.train()\n    optimizer.zero_grad()\n", "    model.train()\n"),
    ),
    "ga_record_last_loss": (
        ('return {"loss": loss_sum / samples,', 'return {"loss": loss.item(),'),
    ),
    "ga_record_mean_of_means": (
        ("            loss_sum += loss.item() * x.shape[0]\n", "            loss_sum += loss.item()\n"),
        ('return {"loss": loss_sum / samples,', 'return {"loss": loss_sum / len(group),'),
    ),
}
