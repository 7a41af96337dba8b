"""Exercise ``grad_accumulation``: gradient accumulation with global-norm gradient clipping.

When the batch that training should use does not fit in memory, the loop splits it into
*micro-batches*, runs forward and backward on each in turn and lets ``backward()`` add their
gradients in ``p.grad``; one ``optimizer.step()`` then uses the sum. Done right, the step is the
step of the big batch: the micro-batches of one optimizer step form its *effective batch*.

Write ``loss_i`` for the mean loss of micro-batch ``i`` (``loss_fn(model(x_i), y_i)``, a loss with
PyTorch's default ``reduction="mean"``), ``n_i`` for its number of samples (``x_i.shape[0]``) and
``N = n_1 + ... + n_k`` for the samples of the effective batch. Its loss is the mean over all
its samples::

    L = (n_1 * loss_1 + ... + n_k * loss_k) / N

so each micro-batch's loss is backpropagated with the weight ``n_i / N``, and ``p.grad`` ends up
holding ``dL/dp``. This is the gradient of ``loss_fn`` on the concatenated micro-batches, and
the step that of the big-batch loop, for any model whose samples do not interact (no batch
norm). When all micro-batches have the same size, ``n_i / N = 1 / k``: the familiar "divide the
loss by ``accumulation_steps``". A smaller last micro-batch, or a last group of fewer than
``accumulation_steps`` micro-batches, needs the sample weights.

Clipping by the global norm (``torch.nn.utils.clip_grad_norm_``) treats the gradients of all
parameters as one vector ``g`` and rescales it when it is too long::

    total_norm = ||(||g_1||, ..., ||g_m||)||     the norm_type-norm of the per-tensor norms
    clip_coef  = min(max_norm / (total_norm + 1e-6), 1)
    p.grad     = p.grad * clip_coef              for every parameter with a gradient

In a loop with accumulation it clips the accumulated gradient, once per optimizer step, between
the last ``backward()`` and ``step()``.

Student version: fill in every function that raises ``NotImplementedError``, then run
``python -m autograder check grad_accumulation``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

import torch
from torch import nn

__all__ = ["clip_grad_norm", "train_accumulated"]


def clip_grad_norm(
    parameters: Iterable[torch.Tensor] | torch.Tensor,
    max_norm: float,
    norm_type: float = 2.0,
) -> torch.Tensor:
    """Clip the gradients of ``parameters`` by their global norm, as ``torch.nn.utils.clip_grad_norm_``.

    The norm is taken over the gradients of all parameters together, as if they were concatenated
    into one vector: the ``norm_type``-norm of the vector of the per-tensor ``norm_type``-norms
    (``float("inf")``: the largest absolute value of any gradient). Parameters whose ``.grad`` is
    ``None`` (unused or frozen) are skipped and keep ``grad = None``; with no gradient at all the
    total norm is 0 and nothing changes. Every gradient is multiplied by
    ``min(max_norm / (total_norm + 1e-6), 1)``: scaled down when the norm exceeds ``max_norm``,
    never scaled up. The parameters themselves are not changed.

    Args:
        parameters: the parameters whose gradients are clipped: an iterable of tensors
            (``model.parameters()``, a generator, is read once) or a single tensor.
        max_norm: the largest norm the gradients may have after clipping.
        norm_type: the ``p`` of the p-norm (default ``2.0``); ``float("inf")`` for the max norm.

    Returns:
        The total norm of the gradients before clipping, a 0-d tensor, as ``clip_grad_norm_``
        returns it.
    """
    raise NotImplementedError("exercise grad_accumulation: implement clip_grad_norm")


def train_accumulated(
    model: nn.Module,
    optimizer: torch.optim.Optimizer,
    loss_fn: Callable[[torch.Tensor, torch.Tensor], torch.Tensor],
    batches: Iterable[tuple[torch.Tensor, torch.Tensor]],
    accumulation_steps: int,
    max_norm: float | None = None,
    norm_type: float = 2.0,
) -> list[dict]:
    """One pass over ``batches`` with gradient accumulation: one optimizer step per group of micro-batches.

    The micro-batches are taken in order, in groups of ``accumulation_steps``; when their number
    is not a multiple of it, the last group holds the rest and still gets its step. For each group:

    1. every micro-batch goes through one forward pass and one ``backward()`` of its loss times
       ``n_i / N`` (module docstring), so that ``p.grad`` holds the gradient of the effective
       batch's mean loss; knowing ``N`` first takes reading the group's micro-batches before its
       first forward pass (backpropagating ``n_i * loss_i`` and dividing the gradients by ``N``
       before clipping gives the same gradient);
    2. with ``max_norm`` set, that accumulated gradient is clipped by its global norm with
       :func:`clip_grad_norm` over ``model.parameters()`` (all parameters together, ``norm_type``),
       once, after the group's last ``backward()`` and before the step;
    3. ``optimizer.step()`` is called once, then ``optimizer.zero_grad()`` (PyTorch's default
       ``set_to_none=True``: every ``p.grad`` becomes ``None``).

    So the number of optimizer steps is ``ceil(len(batches) / accumulation_steps)``, no more. With
    ``accumulation_steps=1`` this is the plain loop (one step per batch). The model is put in
    training mode (``model.train()``) first and left in it, and the gradients are zeroed once before
    the first micro-batch, so that gradients the caller left in ``p.grad`` do not leak into the
    first step.

    Args:
        model: the network; the micro-batches are on its device.
        optimizer: a ``torch.optim`` optimizer over the model's trainable parameters.
        loss_fn: ``loss_fn(output, y)``, the mean loss of a micro-batch (``nn.CrossEntropyLoss()``,
            ``nn.MSELoss()``).
        batches: an iterable of ``(x, y)`` micro-batches (a ``DataLoader``, a list, a generator),
            read once; ``x.shape[0]`` is the number of samples of the micro-batch.
        accumulation_steps: micro-batches per optimizer step (``>= 1``).
        max_norm: clip the accumulated gradient to this global norm (``> 0``); ``None`` (the
            default) does not clip.
        norm_type: the norm of the clipping (default ``2.0``; ``float("inf")`` for the max norm).

    Returns:
        One dict per optimizer step, in order: ``"loss"``, the effective batch's mean loss ``L``
        (a float, from the forward passes before the step; not a tensor attached to the autograd
        graph, which would keep the graphs of the group's micro-batches alive); ``"grad_norm"``, the total norm of
        the accumulated gradient before clipping (a float, what :func:`clip_grad_norm` returns;
        ``None`` when ``max_norm`` is ``None``); ``"samples"``, ``N``; ``"micro_batches"``, the
        number of micro-batches in the group.

    Raises:
        ValueError: for ``accumulation_steps < 1`` or a ``max_norm`` that is not ``None`` and
            ``<= 0``.
    """
    raise NotImplementedError("exercise grad_accumulation: implement train_accumulated")
