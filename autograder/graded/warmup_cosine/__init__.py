"""Exercise ``warmup_cosine``: everything the grader knows about it, in this package.

``__init__`` (this file, plain data: importing it needs neither NumPy nor torch): the cases and
their points, the specification map (which docstring statement each case grades), the time limit,
the function the student writes and the library names the static check refuses. ``probes.py``
runs inside the student's sandbox; ``judges.py`` judges in the grader's process; ``mistakes.py``
names known mistakes; ``patches.py`` (instructor only) turns the reference into each mistake.

Every case reads the rate of each parameter group after construction and after each
``scheduler.step()`` (``window``: the steps a case judges, both ends included). The ``torch`` cases
compare with PyTorch's own composition, ``SequentialLR([LinearLR, CosineAnnealingLR])`` (or
``CosineAnnealingLR`` alone when there is no warmup), up to ``total_steps``, where the two agree.
"""

from __future__ import annotations

from autograder.exercise import Exercise, case as _c
from autograder.specification import _explains, _r

from .mistakes import CATALOGUE

_RATES = "warmup_cosine_rates"
# one run judged twice: its warmup (steps 0-10), then its cosine (steps 10-40)
_PHASES = {"lrs": [0.1], "kwargs": {"warmup_steps": 10, "total_steps": 40}, "steps": 40}

CASES = (
    _c("warmup_cosine.torch_one_group", "vs torch's SequentialLR(LinearLR, CosineAnnealingLR): one group, "
       "warmup_start_factor=0.1, 25 steps", _RATES,
       {"lrs": [0.1], "kwargs": {"warmup_steps": 5, "total_steps": 25, "warmup_start_factor": 0.1}, "steps": 25},
       "wc_rates", 3, reference="torch"),
    _c("warmup_cosine.torch_groups", "vs torch's SequentialLR(LinearLR, CosineAnnealingLR): 3 groups with their "
       "own lr, min_lr=1e-3", _RATES,
       {"lrs": [0.1, 0.02, 0.5], "kwargs": {"warmup_steps": 4, "total_steps": 30, "min_lr": 1e-3,
                                             "warmup_start_factor": 0.25}, "steps": 30},
       "wc_rates", 3, reference="torch"),
    _c("warmup_cosine.warmup", "linear warmup from 0 to the base lr over warmup_steps (steps 0 to 10)", _RATES,
       {**_PHASES, "window": [0, 10]}, "wc_rates", 2),
    _c("warmup_cosine.cosine", "cosine decay from the base lr at warmup_steps to 0 at total_steps (steps 10 to 40)",
       _RATES, {**_PHASES, "window": [10, 40]}, "wc_rates", 2),
    _c("warmup_cosine.start_factor", "warmup_start_factor=0.5: the warmup starts at half the base lr", _RATES,
       {"lrs": [0.2], "kwargs": {"warmup_steps": 8, "total_steps": 20, "warmup_start_factor": 0.5}, "steps": 20,
        "window": [0, 8]}, "wc_rates", 2),
    _c("warmup_cosine.min_lr", "min_lr=0.01 is an absolute rate, the end of every group's cosine", _RATES,
       {"lrs": [0.1, 0.05], "kwargs": {"warmup_steps": 3, "total_steps": 15, "min_lr": 0.01}, "steps": 15},
       "wc_rates", 2),
    _c("warmup_cosine.after_total", "after total_steps the lr stays at min_lr (steps 10 to 25)", _RATES,
       {"lrs": [0.1], "kwargs": {"warmup_steps": 2, "total_steps": 10, "min_lr": 0.005}, "steps": 25,
        "window": [10, 25]}, "wc_rates", 2),
    _c("warmup_cosine.no_warmup", "warmup_steps=0 is torch's CosineAnnealingLR: the base lr at step 0", _RATES,
       {"lrs": [0.3], "kwargs": {"warmup_steps": 0, "total_steps": 12}, "steps": 12}, "wc_rates", 2,
       reference="torch"),
    _c("warmup_cosine.defaults", "WarmupCosine(optimizer, warmup_steps, total_steps) uses min_lr=0, "
       "warmup_start_factor=0", _RATES,
       {"lrs": [0.05], "kwargs": {"warmup_steps": 4, "total_steps": 9}, "steps": 12}, "wc_rates", 1),
    _c("warmup_cosine.resume", "state_dict/load_state_dict at step 12 (cosine, 2 groups): the resumed run "
       "continues exactly", "warmup_cosine_resume",
       {"lrs": [0.1, 0.04], "kwargs": {"warmup_steps": 5, "total_steps": 30, "min_lr": 0.002}, "steps": 30,
        "split": 12}, "wc_resume", 3),
    _c("warmup_cosine.resume_warmup", "state_dict/load_state_dict in the warmup (step 3): the resumed run "
       "continues exactly", "warmup_cosine_resume",
       {"lrs": [0.2], "kwargs": {"warmup_steps": 8, "total_steps": 16, "warmup_start_factor": 0.1},
        "steps": 16, "split": 3}, "wc_resume", 1),
    _c("warmup_cosine.last_epoch", "last_epoch=k resumes from the groups' initial_lr at step k + 1",
       "warmup_cosine_last_epoch",
       {"lrs": [0.1, 0.3], "kwargs": {"warmup_steps": 4, "total_steps": 20, "min_lr": 0.001}, "last_epoch": 6,
        "steps": 16}, "wc_rates", 1),
    _c("warmup_cosine.validation", "warmup_steps < 0, total_steps <= warmup_steps, min_lr < 0 or "
       "warmup_start_factor outside [0, 1] raise ValueError", "warmup_cosine_invalid",
       {"base": {"warmup_steps": 2, "total_steps": 10}, "cases": [
           {"warmup_steps": -1}, {"warmup_steps": 0}, {"total_steps": 2}, {"total_steps": 1}, {"total_steps": 3},
           {"min_lr": -1e-3}, {"min_lr": 0.0}, {"warmup_start_factor": -0.1}, {"warmup_start_factor": 1.5},
           {"warmup_start_factor": 0.0}, {"warmup_start_factor": 1.0}]}, "same_exceptions", 1),
    _c("warmup_cosine.scheduler", "WarmupCosine is an LRScheduler: get_last_lr() follows the groups' lr",
       "warmup_cosine_scheduler", {"lrs": [0.1, 0.01], "kwargs": {"warmup_steps": 3, "total_steps": 8},
                                   "steps": 10}, "same_values", 1),
)

_ALL_RATES = ("warmup_cosine.torch_one_group", "warmup_cosine.torch_groups", "warmup_cosine.warmup",
              "warmup_cosine.cosine")
_RESUME = ("warmup_cosine.resume", "warmup_cosine.resume_warmup")

SPEC = (
    _explains("Exercise ``warmup_cosine``: linear warmup, then cosine decay", "the title"),
    _r("Write ``W = warmup_steps``", *_ALL_RATES),
    _r("Each parameter group has its own base rate ``base_lr``", "warmup_cosine.torch_groups",
       "warmup_cosine.min_lr"),
    _r("its rate at step ``t`` is::", *_ALL_RATES),
    _r("t < W: lr = base_lr * (f + (1 - f) * t / W)", "warmup_cosine.warmup", "warmup_cosine.start_factor",
       "warmup_cosine.torch_one_group"),
    _r("W <= t <= T: lr = min_lr + (base_lr - min_lr)", "warmup_cosine.cosine", "warmup_cosine.min_lr",
       "warmup_cosine.no_warmup", "warmup_cosine.torch_groups"),
    _r("t > T: lr = min_lr", "warmup_cosine.after_total"),
    _r("The rate starts at ``f * base_lr``", "warmup_cosine.warmup", "warmup_cosine.cosine",
       "warmup_cosine.after_total", "warmup_cosine.start_factor"),
    _r("``min_lr`` is an absolute rate shared by every group", "warmup_cosine.min_lr", "warmup_cosine.torch_groups"),
    _r("Up to ``t = T`` these are the rates of PyTorch's composition", "warmup_cosine.torch_one_group",
       "warmup_cosine.torch_groups", "warmup_cosine.no_warmup"),
    _explains("PyTorch computes them recursively from the previous rate",
              "how the reference computes; any form that gives the rates passes"),
    _r("Past ``T`` PyTorch's cosine goes on", "warmup_cosine.after_total"),
    _explains("Student version: fill in", "how to work"),
    _r("Linear warmup, then cosine decay to ``min_lr``: a :class:`torch.optim.lr_scheduler.LRScheduler`.",
       "warmup_cosine.scheduler"),
    _r("Use it as any PyTorch scheduler: build it after the optimizer", "warmup_cosine.warmup",
       "warmup_cosine.scheduler", *_RESUME),
    _r("optimizer: the optimizer whose groups' ``lr`` the scheduler sets", "warmup_cosine.torch_groups"),
    _r("warmup_steps: the number of warmup steps ``W``", "warmup_cosine.warmup", "warmup_cosine.no_warmup",
       "warmup_cosine.validation"),
    _r("total_steps: the step ``T`` at which the rate reaches ``min_lr``", "warmup_cosine.cosine",
       "warmup_cosine.validation"),
    _r("min_lr: the final rate, absolute, the same for every group", "warmup_cosine.min_lr",
       "warmup_cosine.defaults", "warmup_cosine.validation"),
    _r("warmup_start_factor: the rate at step 0 as a fraction ``f``", "warmup_cosine.start_factor",
       "warmup_cosine.defaults", "warmup_cosine.validation"),
    _r("``0`` starts the cosine at once", "warmup_cosine.no_warmup"),
    _r("last_epoch: as in ``LRScheduler``", "warmup_cosine.last_epoch"),
    _r("resumes one whose last step was ``k``, from the groups' ``initial_lr``", "warmup_cosine.last_epoch"),
    _r("ValueError: for ``warmup_steps < 0``", "warmup_cosine.validation"),
    _r("The rate of each group at step ``last_epoch``", *_ALL_RATES),
    _r("``LRScheduler.step()`` advances ``last_epoch``", "warmup_cosine.scheduler", "warmup_cosine.warmup"),
    _r("Graded is the rate each group holds after construction and after every ``step()``", *_ALL_RATES),
)


class _TorchSchedulers:
    """PyTorch's own schedulers in the shape of this exercise's module: linear warmup then cosine,
    ``SequentialLR([LinearLR, CosineAnnealingLR], milestones=[W])``; ``CosineAnnealingLR`` alone for
    ``W = 0``. ``LinearLR`` needs ``warmup_start_factor > 0``; the torch cases stop at ``total_steps``."""

    __name__ = "torch.optim.lr_scheduler"

    @staticmethod
    def WarmupCosine(optimizer, warmup_steps, total_steps, min_lr=0.0, warmup_start_factor=0.0,  # noqa: N802
                     last_epoch=-1):
        from torch.optim import lr_scheduler

        if warmup_steps == 0:
            return lr_scheduler.CosineAnnealingLR(optimizer, T_max=total_steps, eta_min=min_lr)
        warmup = lr_scheduler.LinearLR(optimizer, start_factor=warmup_start_factor, total_iters=warmup_steps)
        cosine = lr_scheduler.CosineAnnealingLR(optimizer, T_max=total_steps - warmup_steps, eta_min=min_lr)
        return lr_scheduler.SequentialLR(optimizer, [warmup, cosine], milestones=[warmup_steps])


EXERCISE = Exercise(
    name="warmup_cosine",
    title="Linear warmup and cosine decay as a torch.optim.lr_scheduler.LRScheduler",
    chapter="book/05_lr_schedules",
    timeout=60.0,
    warm=("torch._dynamo",),  # an Optimizer's constructor imports it on first use (0.7 s)
    todo=("WarmupCosine.get_lr",),
    # the schedulers that would do it; LRScheduler, the base class the exercise asks for, stays allowed
    delegated=frozenset(("CosineAnnealingLR", "SequentialLR", "LinearLR", "OneCycleLR", "LambdaLR",
                         "MultiplicativeLR", "CosineAnnealingWarmRestarts", "ChainedScheduler",
                         "get_cosine_schedule_with_warmup", "warmup_cosine")),
    cases=CASES,
    spec=SPEC,
    mistakes=CATALOGUE,
    torch_reference=_TorchSchedulers,
)
