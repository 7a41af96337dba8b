"""``mlp_backward``: the reference is what autograd computes, the judges' tolerance fits float32 and their
diagnoses name the cause, and the static check refuses torch (and every autograd) as a whole, in the
exercise's file and in a helper it could call, but in no other exercise's file."""

from __future__ import annotations

import importlib

import numpy as np
import pytest
from ag_helpers import ROOT, make_submission, solution_text

from autograder import graded, grader, judges, policy
from autograder.cases import PUBLIC, load_hidden
from autograder.exercise import Case
from autograder.observing import observe

pytestmark = pytest.mark.mlp_backward

ALL = [c for c in list(PUBLIC) + load_hidden(ROOT / "instructor" / "hidden_cases.json") if c.exercise == "mlp_backward"]
VALUES = [c for c in ALL if c.probe == "mlp"]


def _reference():
    return importlib.import_module("solutions.mlp_backward")


def _torch():
    return graded.load("mlp_backward").torch_reference()


@pytest.mark.parametrize("case", VALUES, ids=lambda c: c.id)
def test_reference_matches_autograd(case):
    """On every value case, public or hidden: the loss is F.cross_entropy's and each gradient autograd's,
    far closer than the judges' tolerance."""
    ours, theirs = observe(_reference(), case), observe(_torch(), case)
    verdict = judges.JUDGES[case.judge](case, ours, theirs, judges.Context())
    assert verdict.passed, verdict.message
    scale = 1e-5 if case.args.get("dtype") == "float32" else 1e-12
    for a, b in [(ours["loss"], theirs["loss"])] + [(ours["grads"][k], theirs["grads"][k]) for k in ours["grads"]]:
        assert np.asarray(a).dtype == np.asarray(b).dtype
        assert np.allclose(np.asarray(a, np.float64), np.asarray(b, np.float64), rtol=scale, atol=scale), (a, b)


def test_reference_matches_finite_differences():
    """Independently of autograd: central differences of the loss in float64 (chapter 2's check)."""
    from course.backprop import gradient_check

    from autograder.graded.mlp_backward.probes import inputs

    data = inputs(seed=0, n=6, d=4, h=5, c=3)
    params = {k: data[k] for k in ("W1", "b1", "W2", "b2")}
    fn = _reference().mlp_forward_backward

    def loss():
        return float(fn(data["x"], data["targets"], **params)[0])

    _, grads = fn(data["x"], data["targets"], **params)
    errors = gradient_check(loss, params, grads, h=1e-5)
    assert max(errors.values()) < 1e-7, errors


def test_relu_at_zero_is_torchs_and_the_zeros_are_exact():
    """The zeros case really has pre-activations of exactly 0, where torch's ReLU passes no gradient."""
    from autograder.graded.mlp_backward.probes import inputs

    data = inputs(seed=7, zeros=True)
    a1 = data["x"] @ data["W1"].T + data["b1"]
    assert np.all(a1[:, 0] == 0) and a1[0, 1] == 0
    _, grads = _reference().mlp_forward_backward(data["x"], data["targets"], data["W1"], data["b1"], data["W2"],
                                                 data["b2"])
    assert np.all(grads["W1"][0] == 0) and grads["b1"][0] == 0


def test_large_logits_are_finite():
    case = next(c for c in ALL if c.id == "mlp_backward.grads_large_logits")
    got = observe(_reference(), case)
    assert np.isfinite(got["loss"]) and got["loss"] > 100
    assert all(np.isfinite(g).all() for g in got["grads"].values())


def _judge(case, got, expected):
    return judges.JUDGES[case.judge](case, got, expected, judges.Context())


def test_float32_rounding_passes_and_a_visible_error_fails():
    case = next(c for c in PUBLIC if c.id == "mlp_backward.grads_float32")
    expected = observe(_torch(), case)
    in64 = Case(case.id, case.exercise, case.title, case.probe, {**case.args, "dtype": "float64"}, case.judge,
                case.points)
    exact = observe(_torch(), in64)  # float64 gradients of the same inputs, rounded to float32
    rounded = {**expected, "loss": np.asarray(exact["loss"], np.float32),
               "grads": {k: g.astype(np.float32) for k, g in exact["grads"].items()}}
    assert _judge(case, rounded, expected).passed
    wrong = {**expected, "grads": dict(expected["grads"], W1=expected["grads"]["W1"].copy())}
    wrong["grads"]["W1"][2, 1] *= 1 + 1e-3
    verdict = _judge(case, wrong, expected)
    assert not verdict.passed and "dL/dW1 first differs at W1[2, 1]" in verdict.message
    assert repr(float(expected["grads"]["W1"][2, 1])) in verdict.message


@pytest.mark.parametrize("change, words", [
    (lambda g, n: dict(g, W2=g["W2"] * n, b2=g["b2"] * n), "N, the batch size"),
    (lambda g, n: dict(g, W2=-g["W2"]), "the sign is flipped"),
    (lambda g, n: dict(g, W1=g["W1"].T.copy()), "transposed shape"),
    (lambda g, n: dict(g, b2=np.zeros(n)), "sum(axis=0), not axis=1"),
])
def test_diagnoses_name_the_cause(change, words):
    case = next(c for c in PUBLIC if c.id == "mlp_backward.keywords")
    expected = observe(_torch(), case)
    got = {**expected, "grads": change(dict(expected["grads"]), case.args.get("n", 8))}
    verdict = _judge(case, got, expected)
    assert not verdict.passed and words in verdict.message, verdict.message


def test_relu_at_zero_is_explained():
    case = next(c for c in PUBLIC if c.id == "mlp_backward.grads_relu_zero")
    from autograder import mistakes

    got = observe(mistakes.mutant_module(mistakes.BY_NAME["mlp_relu_grad_at_zero"]), case)
    verdict = _judge(case, got, observe(_torch(), case))
    assert not verdict.passed and "A1 > 0, not A1 >= 0" in verdict.message


def test_the_mask_from_the_relus_output_is_right():
    """H1 > 0 is A1 > 0 (H1 = max(A1, 0)): a mask from the post-activation is correct, also at exactly 0."""
    source = solution_text("mlp_backward").replace("np.where(a1 > 0, dh1, 0)", "np.where(h1 > 0, dh1, 0)")
    assert source != solution_text("mlp_backward")
    from autograder.mistakes import module_from_source

    module = module_from_source("_mlp_mask_from_h1", source, "<mask from h1>")
    for case in VALUES:
        assert _judge(case, observe(module, case), observe(_torch(), case)).passed, case.id


@pytest.mark.parametrize("source", [
    "import torch\n",
    "import torch.nn.functional as F\n",
    "from torch import autograd\n",
    "from torch.func import grad\n",
    "import jax\n",
    "from autograd import grad\n",
    "from .helpers import torch\n",
    "from . import adam\nt = adam.torch.tensor([1.0], requires_grad=True)\n",
])
def test_the_policy_refuses_autograd_libraries(source):
    assert policy.scan_source(source, "exercises/mlp_backward.py", "mlp_backward"), source


def test_the_refusal_is_this_exercises_only():
    """Other exercises keep torch, and a helper file that imports it costs only mlp_backward."""
    for exercise in ("adam", "cross_entropy", "param_groups"):
        assert policy.scan_source("import torch\nfrom torch import autograd\n", f"exercises/{exercise}.py",
                                  exercise) == []
    assert policy.scan_source("import torch\n", "exercises/helpers.py", "*") == []


def test_a_helper_that_imports_torch_costs_mlp_backward_only(tmp_path):
    sub = make_submission(tmp_path, {"helpers.py": "import torch\n\ndef f():\n    return torch.zeros(1)\n"})
    report = grader.grade(sub, grader.Options(exercises=("mlp_backward", "cross_entropy")))
    by = report.by_exercise()
    assert all(not t.passed and "helpers.py" in t.output for t in by["mlp_backward"])
    assert all(t.passed for t in by["cross_entropy"])


def test_autograd_in_the_exercise_file_scores_zero(tmp_path):
    """The library version of the exercise: torch's autograd, correct to the last bit, earns nothing."""
    source = '''import numpy as np
import torch
import torch.nn.functional as F


def mlp_forward_backward(x, targets, W1, b1, W2, b2):
    p = {k: torch.tensor(v, requires_grad=True) for k, v in dict(W1=W1, b1=b1, W2=W2, b2=b2).items()}
    z = F.linear(F.relu(F.linear(torch.tensor(x), p["W1"], p["b1"])), p["W2"], p["b2"])
    loss = F.cross_entropy(z, torch.as_tensor(targets))
    loss.backward()
    return loss.detach().numpy(), {k: v.grad.numpy() for k, v in p.items()}
'''
    sub = make_submission(tmp_path, {"mlp_backward.py": source})
    report = grader.grade(sub, grader.Options(exercises=("mlp_backward",)))
    assert report.score == 0
    assert "without torch" in report.tests[0].output


def test_an_x_of_another_dtype_may_be_blamed_on_x_or_on_a_parameter():
    """The docstring: when x has a dtype no parameter has, naming x or a parameter is right; a
    message that names neither still costs the point (the fair keras style names W1 alone)."""
    from autograder.graded.mlp_backward import probes

    blame = probes.INVALID["x float32, the parameters float64"]["blame"]
    assert probes._names("W1 has dtype float64; every weight must have the inputs' dtype float32", blame)
    assert probes._names("x must have the dtype of the parameters", blame)
    assert not probes._names("the dtypes do not match", blame)
    assert not probes._names("Wx must be float64", blame)
    assert probes.INVALID["b2 of shape (5,)"]["blame"] == "b2"  # C is read from W2: b2 is at fault
