"""``warmup_cosine``: the reference is PyTorch's composition where the two agree, its closed form is the
ground truth where they do not, the judges' tolerance fits float32 and their diagnoses name the cause,
and the static check refuses PyTorch's schedulers but not the base class the exercise asks for."""

from __future__ import annotations

import importlib
import math

import numpy as np
import pytest
from ag_helpers import ROOT

from autograder import graded, judges, policy
from autograder.cases import PUBLIC, load_hidden
from autograder.exercise import Case
from autograder.observing import observe

pytestmark = pytest.mark.warmup_cosine

ALL = [c for c in list(PUBLIC) + load_hidden(ROOT / "instructor" / "hidden_cases.json") if c.exercise == "warmup_cosine"]
RATES = [c for c in ALL if c.probe == "warmup_cosine_rates"]


def _reference():
    return importlib.import_module("solutions.warmup_cosine")


def _closed_form(t: int, base_lr: float, warmup_steps: int, total_steps: int, min_lr: float = 0.0,
                 warmup_start_factor: float = 0.0) -> float:
    """The module docstring's formula, written out once more."""
    if t < warmup_steps:
        return base_lr * (warmup_start_factor + (1 - warmup_start_factor) * t / warmup_steps)
    if t > total_steps:
        return min_lr
    return min_lr + (base_lr - min_lr) * (1 + math.cos(math.pi * (t - warmup_steps) / (total_steps - warmup_steps))) / 2


@pytest.mark.parametrize("case", RATES, ids=lambda c: c.id)
def test_reference_is_the_closed_form(case):
    got = observe(_reference(), case)["lrs"]
    want = np.array([[_closed_form(t, lr, **case.args["kwargs"]) for lr in case.args["lrs"]]
                     for t in range(case.args["steps"] + 1)])
    np.testing.assert_allclose(got, want, rtol=1e-14, atol=1e-16)


@pytest.mark.parametrize("case", [c for c in RATES if c.args["kwargs"].get("warmup_start_factor", 0) > 0
                                  or c.args["kwargs"]["warmup_steps"] == 0], ids=lambda c: c.id)
def test_reference_matches_torch_up_to_total_steps(case):
    """SequentialLR(LinearLR, CosineAnnealingLR) (CosineAnnealingLR alone without warmup) where
    PyTorch's composition is defined: start_factor > 0, steps up to total_steps."""
    total = case.args["kwargs"]["total_steps"]
    case = Case(case.id, case.exercise, case.title, case.probe, {**case.args, "steps": min(case.args["steps"], total)},
                case.judge, case.points, reference="torch")
    ours = observe(_reference(), case)["lrs"]
    theirs = observe(graded.load("warmup_cosine").torch_reference(), case)["lrs"]
    np.testing.assert_allclose(ours, theirs, rtol=1e-12, atol=1e-15)


def test_torch_cosine_rises_past_total_steps_where_ours_stays():
    """Why the torch cases stop at total_steps: PyTorch's cosine goes on, the exercise's stays at min_lr."""
    args = {"lrs": [0.1], "kwargs": {"warmup_steps": 2, "total_steps": 10, "min_lr": 0.001,
                                      "warmup_start_factor": 0.5}, "steps": 20}
    case = Case("warmup_cosine.x", "warmup_cosine", "t", "warmup_cosine_rates", args, "wc_rates", 1, reference="torch")
    ours = observe(_reference(), case)["lrs"][:, 0]
    theirs = observe(graded.load("warmup_cosine").torch_reference(), case)["lrs"][:, 0]
    assert np.all(ours[10:] == 0.001)
    assert theirs[20] > 0.05


def _judge(case, got, expected):
    return judges.JUDGES[case.judge](case, {"lrs": got}, {"lrs": expected}, judges.Context())


def test_float32_rates_pass_and_a_visible_error_fails():
    case = next(c for c in PUBLIC if c.id == "warmup_cosine.torch_groups")
    expected = observe(_reference(), case)["lrs"]
    assert _judge(case, expected.astype(np.float32).astype(np.float64), expected).passed
    assert _judge(case, expected + 3e-7 * max(case.args["lrs"]), expected).passed
    wrong = expected.copy()
    wrong[17, 1] *= 1 + 1e-4
    verdict = _judge(case, wrong, expected)
    assert not verdict.passed and "after 17 call(s)" in verdict.message and "param_groups[1]" in verdict.message
    assert repr(float(expected[17, 1])) in verdict.message and repr(float(wrong[17, 1])) in verdict.message


def test_a_schedule_one_step_late_is_named():
    case = next(c for c in PUBLIC if c.id == "warmup_cosine.warmup")
    expected = observe(_reference(), case)["lrs"]
    late = np.vstack([expected[:1], expected[:-1]])
    verdict = _judge(case, late, expected)
    assert not verdict.passed and "one step late" in verdict.message


def test_the_policy_refuses_torch_schedulers_but_not_the_base_class():
    allowed = ("from torch.optim.lr_scheduler import LRScheduler\nimport torch\n"
               "class A(torch.optim.lr_scheduler.LRScheduler):\n    pass\n"
               "from torch.optim import lr_scheduler\nB = lr_scheduler.LRScheduler\n")
    assert policy.scan_source(allowed, "exercises/warmup_cosine.py", "warmup_cosine") == []
    for line in ("from torch.optim.lr_scheduler import CosineAnnealingLR",
                 "import torch\ns = torch.optim.lr_scheduler.SequentialLR",
                 "from torch.optim import lr_scheduler as L\ns = L.LambdaLR",
                 "from course.schedules import warmup_cosine"):
        assert policy.scan_source(line + "\n", "exercises/warmup_cosine.py", "warmup_cosine"), line
    # adam refuses lr_scheduler in its own file; that rule is adam's only
    assert "lr_scheduler" in graded.load("adam").delegated
    assert "lr_scheduler" not in graded.load("warmup_cosine").delegated
