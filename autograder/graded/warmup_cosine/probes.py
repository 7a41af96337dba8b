"""Probes of the ``warmup_cosine`` exercise: drive a scheduler and return the rates it set, as plain data.

Runs inside the student's sandboxed process (and in the grader's, on the reference, on torch's
schedulers and on the catalogued mistakes): imports only the standard library, NumPy, torch and
:mod:`autograder.inside.probing`. Every probe builds a plain SGD optimizer with one parameter
group per rate of ``lrs`` (each group's ``lr`` is its base rate), calls ``optimizer.step()`` then
``scheduler.step()`` as a training loop does, and records each group's ``lr`` after construction
and after every step: row ``t`` of ``lrs`` is the rate of step ``t``.
"""

from __future__ import annotations

import io

import numpy as np

from autograder.inside.probing import StudentError, _need, probe


def _optimizer(lrs: list):
    import torch

    params = [torch.zeros(2, requires_grad=True) for _ in lrs]
    return torch.optim.SGD([{"params": [p], "lr": lr} for p, lr in zip(params, lrs)])


def _rates(optimizer) -> list:
    out = []
    for k, group in enumerate(optimizer.param_groups):
        try:
            out.append(float(group["lr"]))
        except (TypeError, ValueError):
            raise StudentError(f"after scheduler.step(), param_groups[{k}]['lr'] is {group['lr']!r}: get_lr() must "
                               "return one number per param group") from None
    return out


def _run(scheduler, optimizer, steps: int, first: bool = True) -> list:
    """The rates after construction (``first``) and after each of ``steps`` calls of ``scheduler.step()``."""
    rows = [_rates(optimizer)] if first else []
    for _ in range(steps):
        optimizer.step()  # no gradients: nothing moves, but the scheduler sees the usual order of calls
        scheduler.step()
        rows.append(_rates(optimizer))
    return rows


def _scheduler(module, optimizer, kwargs: dict):
    return _need(module, "WarmupCosine")(optimizer, **kwargs)


@probe
def warmup_cosine_rates(module, lrs: list, kwargs: dict, steps: int, window=None) -> dict:
    """Build the scheduler, step it ``steps`` times; ``window`` is for the judge."""
    optimizer = _optimizer(lrs)
    scheduler = _scheduler(module, optimizer, kwargs)
    return {"lrs": np.asarray(_run(scheduler, optimizer, steps), dtype=np.float64)}


@probe
def warmup_cosine_last_epoch(module, lrs: list, kwargs: dict, last_epoch: int, steps: int) -> dict:
    """A scheduler built with ``last_epoch=k`` on groups that hold their ``initial_lr`` (as after
    ``optimizer.load_state_dict``): row ``i`` of ``lrs`` is the rate of step ``k + 1 + i``."""
    optimizer = _optimizer(lrs)
    for group, lr in zip(optimizer.param_groups, lrs):
        group["initial_lr"] = lr
    scheduler = _scheduler(module, optimizer, {**kwargs, "last_epoch": last_epoch})
    return {"lrs": np.asarray(_run(scheduler, optimizer, steps), dtype=np.float64)}


def _round_trip(state: dict) -> dict:
    """``torch.save`` then ``torch.load(weights_only=True)``, as a checkpoint on disk would go."""
    import torch

    buf = io.BytesIO()
    torch.save(state, buf)
    buf.seek(0)
    try:
        return torch.load(buf, weights_only=True)
    except Exception as exc:  # noqa: BLE001
        raise StudentError("the scheduler's state_dict() must hold plain values (numbers, strings, lists, dicts, "
                           f"tensors) so that torch.load(weights_only=True) can read it back: {exc}") from None


@probe
def warmup_cosine_resume(module, lrs: list, kwargs: dict, steps: int, split: int) -> dict:
    """Run ``steps`` steps uninterrupted (``own``); then again, interrupted after step ``split``: the
    optimizer's and the scheduler's ``state_dict()`` go through torch.save/load into a new optimizer
    and a new scheduler (built as the first), which finish the run (``resumed``)."""
    optimizer = _optimizer(lrs)
    own = _run(_scheduler(module, optimizer, kwargs), optimizer, steps)
    optimizer = _optimizer(lrs)
    scheduler = _scheduler(module, optimizer, kwargs)
    first = _run(scheduler, optimizer, split)
    state = scheduler.state_dict()
    if not isinstance(state, dict):
        raise StudentError(f"state_dict() must return a dict; it returned {type(state).__name__}")
    saved = _round_trip({"optimizer": optimizer.state_dict(), "scheduler": state})
    optimizer = _optimizer(lrs)
    scheduler = _scheduler(module, optimizer, kwargs)
    optimizer.load_state_dict(saved["optimizer"])
    scheduler.load_state_dict(saved["scheduler"])
    rest = _run(scheduler, optimizer, steps - split, first=False)
    return {"own": np.asarray(own, dtype=np.float64), "resumed": np.asarray(first + rest, dtype=np.float64)}


@probe
def warmup_cosine_invalid(module, base: dict, cases: list) -> dict:
    """Construct with ``base`` updated by each set of arguments; record what it raises (``None`` when nothing)."""
    _scheduler(module, _optimizer([0.1]), base)  # the checks come with the stub: they count once get_lr() works
    out = {}
    for kwargs in cases:
        try:
            _scheduler(module, _optimizer([0.1]), {**base, **kwargs})
            out[repr(sorted(kwargs.items()))] = None
        except NotImplementedError:
            raise
        except Exception as exc:  # noqa: BLE001 - reported by type
            out[repr(sorted(kwargs.items()))] = type(exc).__name__
    return out


@probe
def warmup_cosine_scheduler(module, lrs: list, kwargs: dict, steps: int) -> dict:
    """Whether the scheduler is an ``LRScheduler`` and ``get_last_lr()`` returns the rates it set."""
    from torch.optim.lr_scheduler import LRScheduler

    optimizer = _optimizer(lrs)
    scheduler = _scheduler(module, optimizer, kwargs)
    follows = True
    for _ in range(steps + 1):
        last = scheduler.get_last_lr()
        try:
            follows = follows and [float(x) for x in last] == _rates(optimizer)
        except (TypeError, ValueError):
            follows = False
        optimizer.step()
        scheduler.step()
    return {"a subclass of torch.optim.lr_scheduler.LRScheduler": isinstance(scheduler, LRScheduler),
            "get_last_lr() returns the lr of each group after every step": follows}
