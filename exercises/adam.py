"""Exercise ``adam``: the Adam update in NumPy and as a ``torch.optim.Optimizer``.

Part (a), ``adam_update``, is the update of the lesson text, one step on NumPy arrays.
Part (b), ``Adam`` and ``AdamW``, match ``torch.optim.Adam`` and ``torch.optim.AdamW``
(``foreach=False``, ``amsgrad=False``, ``maximize=False``) step for step.

The algorithm, for a parameter ``theta`` with gradient ``g_t`` at step ``t = 1, 2, ...``::

    if weight_decay != 0 and not decoupled:   g_t = g_t + weight_decay * theta      (L2, "Adam")
    if weight_decay != 0 and decoupled:       theta = theta - lr * weight_decay * theta   ("AdamW")
    m_t = beta1 * m_{t-1} + (1 - beta1) * g_t
    v_t = beta2 * v_{t-1} + (1 - beta2) * g_t ** 2
    m_hat = m_t / (1 - beta1 ** t)
    v_hat = v_t / (1 - beta2 ** t)
    theta = theta - lr * m_hat / (sqrt(v_hat) + eps)

Student version: fill in every function that raises ``NotImplementedError``, then run
``python -m autograder check adam``.
"""

from __future__ import annotations

from typing import Callable, Iterable

import numpy as np
import torch

__all__ = ["adam_update", "Adam", "AdamW"]


def adam_update(
    w: np.ndarray,
    grad: np.ndarray,
    m: np.ndarray,
    v: np.ndarray,
    t: int,
    lr: float = 1e-3,
    betas: tuple[float, float] = (0.9, 0.999),
    eps: float = 1e-8,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One bias-corrected Adam step on NumPy arrays; returns the new ``(w, m, v)``.

    Args:
        w: the parameters.
        grad: the gradient of the loss at ``w`` (same shape).
        m, v: the first and second moment estimates from the previous step (zeros at first).
        t: the number of this step, counting from 1 (the bias correction divides by ``1 - beta ** t``).
        lr, betas, eps: as in ``torch.optim.Adam``.

    The inputs are not modified; new arrays are returned. Raises ``ValueError`` when ``t < 1``.
    """
    raise NotImplementedError("exercise adam: implement adam_update")


class Adam(torch.optim.Optimizer):
    """Adam (Kingma & Ba, 2015) with PyTorch's semantics and defaults.

    Args:
        params: an iterable of tensors or of dicts defining parameter groups.
        lr: learning rate (default ``1e-3``).
        betas: coefficients of the running averages of the gradient and its square
            (default ``(0.9, 0.999)``).
        eps: added to the denominator for numerical stability (default ``1e-8``).
        weight_decay: ``torch.optim.Adam``'s coupled L2 penalty: ``weight_decay * theta`` is added to
            the gradient before the moments (default ``0``). With ``decoupled_weight_decay=True`` the
            parameters are instead shrunk by ``lr * weight_decay`` before the update, as AdamW does.
        decoupled_weight_decay: see ``weight_decay`` (default ``False``).

    Keep the state of each parameter in ``self.state[p]``: under ``torch.optim.Adam``'s key names,
    ``step`` (a float tensor), ``exp_avg`` (m) and ``exp_avg_sq`` (v), the grader's feedback can
    show it next to torch's. Parameters whose ``.grad`` is ``None`` are skipped
    and get no state. ``step`` leaves every ``p.grad`` as it found it (the gradient belongs to the
    caller), and every hyperparameter is read from the parameter's group on each step.

    Raises:
        ValueError: for ``lr < 0``, ``eps < 0``, a beta outside ``[0, 1)`` or ``weight_decay < 0``,
            as ``torch.optim.Adam`` does (zero is allowed for each).
    """

    def __init__(
        self,
        params: Iterable,
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        decoupled_weight_decay: bool = False,
    ) -> None:
        if not 0.0 <= lr:
            raise ValueError(f"Invalid learning rate: {lr}")
        if not 0.0 <= eps:
            raise ValueError(f"Invalid epsilon value: {eps}")
        if not 0.0 <= betas[0] < 1.0 or not 0.0 <= betas[1] < 1.0:
            raise ValueError(f"Invalid beta parameters: {betas}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        defaults = dict(
            lr=lr, betas=betas, eps=eps, weight_decay=weight_decay,
            decoupled_weight_decay=decoupled_weight_decay,
        )
        super().__init__(params, defaults)

    @torch.no_grad()
    def step(self, closure: Callable[[], torch.Tensor] | None = None) -> torch.Tensor | None:
        """Perform one optimization step; ``closure`` re-evaluates the model and returns the loss."""
        raise NotImplementedError("exercise adam: implement Adam.step")


class AdamW(Adam):
    """Adam with decoupled weight decay (Loshchilov & Hutter, 2019), as ``torch.optim.AdamW``.

    The same as ``Adam(..., decoupled_weight_decay=True)`` with ``weight_decay`` defaulting to
    ``1e-2``: each step first shrinks the parameters, ``theta = theta * (1 - lr * weight_decay)``,
    and the decay never enters the moment estimates.
    """

    def __init__(
        self,
        params: Iterable,
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 1e-2,
    ) -> None:
        super().__init__(params, lr=lr, betas=betas, eps=eps, weight_decay=weight_decay,
                         decoupled_weight_decay=True)
