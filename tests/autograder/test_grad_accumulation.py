"""``grad_accumulation``: the reference reproduces the big-batch loop and ``clip_grad_norm_`` far inside the
judges' tolerance (and the plain loop of ``course.training`` with ``accumulation_steps=1``), batch norm is
where accumulation and the big batch part (why that case compares with the reference), the judges
locate a difference and name its cause, malformed results get a message a student can act on, and
the static check refuses PyTorch's clipping but not the student's own ``clip_grad_norm``."""

from __future__ import annotations

import importlib
import math

import numpy as np
import pytest
import torch
from ag_helpers import ROOT

from autograder import graded, judges, policy
from autograder.cases import PUBLIC, load_hidden
from autograder.exercise import Case
from autograder.inside.probing import StudentError
from autograder.observing import observe

pytestmark = pytest.mark.grad_accumulation

ALL = [c for c in list(PUBLIC) + load_hidden(ROOT / "instructor" / "hidden_cases.json")
       if c.exercise == "grad_accumulation"]
TRAIN = [c for c in ALL if c.probe == "ga_train"]
CLIP = [c for c in ALL if c.probe in ("ga_clip", "ga_clip_loop")]


def _reference():
    return importlib.import_module("solutions.grad_accumulation")


def _big_batch():
    return graded.load("grad_accumulation").torch_reference()


def _probes():
    graded.machinery("grad_accumulation")
    return importlib.import_module("autograder.graded.grad_accumulation.probes")


def _as_torch(case: Case) -> Case:
    return Case(case.id, case.exercise, case.title, case.probe, case.args, case.judge, case.points, reference="torch")


@pytest.mark.parametrize("case", [c for c in TRAIN if c.args["spec"].get("model") != "bn"], ids=lambda c: c.id)
def test_reference_is_the_big_batch_loop(case):
    """Every run without batch norm: the same steps, gradients, parameters and records as one big batch per
    group with clip_grad_norm_, to rounding (1e-12 in float64, 1e-5 in float32)."""
    ours, theirs = observe(_reference(), case), observe(_big_batch(), _as_torch(case))
    tol = 1e-5 if case.args["spec"].get("dtype") == "float32" else 1e-12
    assert ours["steps"] == theirs["steps"] == len(ours["records"])
    for key in ("grads", "traj"):
        np.testing.assert_allclose(ours[key], theirs[key], rtol=tol, atol=tol)
    for a, b in zip(ours["records"], theirs["records"]):
        assert (a["samples"], a["micro_batches"]) == (b["samples"], b["micro_batches"])
        assert math.isclose(a["loss"], b["loss"], rel_tol=tol)
        assert (a["grad_norm"] is None) == (b["grad_norm"] is None)
        assert a["grad_norm"] is None or math.isclose(a["grad_norm"], b["grad_norm"], rel_tol=tol)
    assert ours["grads_after"] == theirs["grads_after"] == []


def test_batch_norm_breaks_the_equivalence():
    """Why the BatchNorm case compares with the reference: each micro-batch is normalised with its own
    statistics, so accumulation is not the big batch there (the docstring says so)."""
    case = next(c for c in TRAIN if c.args["spec"].get("model") == "bn")
    ours, theirs = observe(_reference(), case), observe(_big_batch(), _as_torch(case))
    assert not np.allclose(ours["traj"], theirs["traj"], rtol=1e-6, atol=1e-8)
    assert ours["training"] and theirs["training"]


def test_one_micro_batch_per_step_is_course_training_loop():
    """accumulation_steps=1 without clipping is course.training.train_one_epoch, step for step."""
    from course import training

    probes = _probes()
    spec = {"seed": 3, "dtype": "float64", "sizes": [8, 8, 8, 5], "loss": "ce"}
    batches = probes._data(spec)
    runs = []
    for run in ("accumulated", "course"):
        model = probes.build_model("mlp", 3, "float64")
        optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
        if run == "accumulated":
            records = _reference().train_accumulated(model, optimizer, torch.nn.CrossEntropyLoss(), batches, 1)
            loss = sum(r["loss"] * r["samples"] for r in records) / sum(r["samples"] for r in records)
        else:
            loss = training.train_one_epoch(model, batches, torch.nn.CrossEntropyLoss(), optimizer)["loss"]
        runs.append((probes._flat_params(model), loss))
    assert np.array_equal(runs[0][0], runs[1][0])
    assert math.isclose(runs[0][1], runs[1][1], rel_tol=1e-12)


@pytest.mark.parametrize("norm_type", [2.0, 1.0, 3.0, 0.5, math.inf])
@pytest.mark.parametrize("dtype", [torch.float64, torch.float32])
def test_clip_grad_norm_is_clip_grad_norm_(norm_type, dtype):
    """Random shapes, scales and missing gradients: the same total norm and clipped gradients."""
    clip = _reference().clip_grad_norm
    g = torch.Generator().manual_seed(int(norm_type * 10) if math.isfinite(norm_type) else 99)
    for trial in range(20):
        shapes = [tuple(int(d) for d in torch.randint(1, 5, (int(torch.randint(1, 4, (1,), generator=g)),),
                                                      generator=g)) for _ in range(4)]
        scale = float(10 ** torch.empty(1).uniform_(-7, 2, generator=g))
        grads = [None if trial % 3 == 0 and i == 1 else (torch.randn(s, generator=g) * scale).to(dtype)
                 for i, s in enumerate(shapes)]
        max_norm = float(torch.empty(1).uniform_(0.1, 2.0, generator=g)) * scale
        twins = []
        for _ in range(2):
            params = [torch.zeros(s, dtype=dtype, requires_grad=True) for s in shapes]
            for p, grad in zip(params, grads):
                p.grad = None if grad is None else grad.clone()
            twins.append(params)
        ours = clip(twins[0], max_norm, norm_type)
        theirs = torch.nn.utils.clip_grad_norm_(twins[1], max_norm, norm_type)
        tol = 1e-5 if dtype == torch.float32 else 1e-13
        assert isinstance(ours, torch.Tensor) and math.isclose(float(ours), float(theirs), rel_tol=tol)
        for a, b in zip(twins[0], twins[1]):
            assert (a.grad is None) == (b.grad is None)
            if a.grad is not None:
                torch.testing.assert_close(a.grad, b.grad, rtol=tol, atol=0.0)


@pytest.mark.parametrize("case", CLIP, ids=lambda c: c.id)
def test_clip_cases_match_torch_closely(case):
    ours, theirs = observe(_reference(), case), observe(_big_batch(), case)
    assert judges.JUDGES[case.judge](case, ours, theirs, judges.Context()).passed


def _train_case(id: str) -> Case:
    return next(c for c in TRAIN if c.id == f"grad_accumulation.{id}")


def test_the_judge_tolerates_rounding_and_names_the_first_difference():
    case = _train_case("big_batch_sgd")
    expected = observe(_reference(), case)
    near = {**expected, "traj": expected["traj"] * (1 + 1e-12)}
    assert judges.JUDGES["ga_run"](case, near, expected, judges.Context()).passed
    wrong = {**expected, "traj": expected["traj"].copy()}
    wrong["traj"][2, 5] += 1e-6
    verdict = judges.JUDGES["ga_run"](case, wrong, expected, judges.Context())
    assert not verdict.passed
    assert "step 3 of 4" in verdict.message and "0.weight[0, 5]" in verdict.message, verdict.message
    assert repr(float(expected["traj"][2, 5])) in verdict.message


def test_a_gradient_k_times_too_large_is_explained():
    case = _train_case("big_batch_sgd")
    expected = observe(_reference(), case)
    summed = {**expected, "grads": expected["grads"] * 3}
    verdict = judges.JUDGES["ga_run"](case, summed, expected, judges.Context())
    assert not verdict.passed and "3 times the expected one" in verdict.message
    assert "n_i / N" in verdict.message


def test_a_wrong_number_of_steps_is_explained():
    case = _train_case("unequal_last_group")
    expected = observe(_reference(), case)
    for steps, words in ((expected["steps"] - 1, "still gets its optimizer step"),
                         (expected["steps"] + 1, "one step too many"),
                         (len(case.args["spec"]["sizes"]), "one step per micro-batch")):
        verdict = judges.JUDGES["ga_run"](case, {**expected, "steps": steps}, expected, judges.Context())
        assert not verdict.passed and words in verdict.message, verdict.message


class _Broken:
    """A submission whose functions return the wrong kind of thing."""

    __name__ = "exercises.grad_accumulation"

    @staticmethod
    def train_accumulated(model, optimizer, loss_fn, batches, accumulation_steps, max_norm=None, norm_type=2.0):
        for x, y in batches:
            loss_fn(model(x), y).backward()
            optimizer.step()
            optimizer.zero_grad()

    @staticmethod
    def clip_grad_norm(parameters, max_norm, norm_type=2.0):
        return None


def test_malformed_results_get_a_message():
    case = _train_case("records")
    got = observe(_Broken(), case)
    assert got["records"] is None and "None (a missing return statement?)" in got["records_error"]
    verdict = judges.JUDGES["ga_run"](case, got, observe(_reference(), case), judges.Context())
    assert not verdict.passed  # the steps already differ; the records would be judged next
    clip_case = next(c for c in CLIP if c.probe == "ga_clip")
    with pytest.raises(StudentError, match="must return the total norm"):
        observe(_Broken(), clip_case)


def test_a_record_without_its_keys_is_named():
    probes = _probes()
    out = probes._records([{"loss": 1.0, "samples": 4}])
    assert out["records"] is None and "grad_norm" in out["records_error"] and "micro_batches" in out["records_error"]
    assert "list of dicts" in probes._records(None)["records_error"]


def test_the_policy_refuses_torch_clipping_but_not_the_students_own():
    own = ("import torch\n\ndef clip_grad_norm(parameters, max_norm, norm_type=2.0):\n"
           "    return torch.linalg.vector_norm(torch.stack(torch._foreach_norm([p.grad for p in parameters])))\n\n"
           "def train_accumulated(model, *args):\n    return clip_grad_norm(model.parameters(), 1.0)\n")
    assert policy.scan_source(own, "exercises/grad_accumulation.py", "grad_accumulation") == []
    for line in ("import torch\nn = torch.nn.utils.clip_grad_norm_(ps, 1.0)",
                 "import torch\nn = torch.nn.utils.clip_grad_norm(ps, 1.0)",
                 "from torch.nn.utils import clip_grad_norm_",
                 "from torch.nn.utils import get_total_norm",
                 "import torch.nn.utils.clip_grad",
                 "from torch.nn.utils.clip_grad import _clip_grads_with_norm_",
                 "from torch import nn\nnn.utils.clip_grads_with_norm_(ps, 1.0, t)"):
        assert policy.scan_source(line + "\n", "exercises/grad_accumulation.py", "grad_accumulation"), line
