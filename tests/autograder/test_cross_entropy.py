"""The reference of ``cross_entropy`` is what PyTorch computes: on every public and hidden case, its
loss equals ``F.cross_entropy``'s and its gradient autograd's (the cases compare students with the
reference, whose observations are shipped to students; this is why they may)."""

from __future__ import annotations

import importlib

import numpy as np
import pytest
from ag_helpers import ROOT

from autograder import graded, judges
from autograder.cases import PUBLIC, load_hidden
from autograder.observing import observe

pytestmark = pytest.mark.cross_entropy

CASES = [c for c in list(PUBLIC) + load_hidden(ROOT / "instructor" / "hidden_cases.json")
         if c.exercise == "cross_entropy" and c.probe in ("ce_loss", "ce_grad", "ce_dtypes")]


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_reference_matches_torch(case):
    reference = importlib.import_module("solutions.cross_entropy")
    torch_module = graded.load("cross_entropy").torch_reference()
    ours, theirs = observe(reference, case), observe(torch_module, case)
    verdict = judges.JUDGES[case.judge](case, ours, theirs, judges.Context())
    assert verdict.passed, verdict.message
    if case.probe != "ce_dtypes":  # and far closer than the judges' tolerance
        a, b = np.asarray(ours["out"], dtype=np.float64), np.asarray(theirs["out"], dtype=np.float64)
        scale = 1e-5 if case.args.get("dtype") == "float32" else 1e-13
        assert np.allclose(a, b, rtol=scale, atol=scale, equal_nan=True), (a, b)


def test_large_logits_are_finite_and_exact():
    """Logits of +-1e4: the target at +1e4 costs exactly 0, the one at -1e4 exactly 2e4 (float64)."""
    from solutions.cross_entropy import cross_entropy, cross_entropy_grad

    z = np.array([[1e4, -1e4, 0.0], [1e4, -1e4, 0.0]])
    loss = cross_entropy(z, np.array([0, 1]), reduction="none")
    assert loss.tolist() == [0.0, 2e4]
    assert np.isfinite(cross_entropy_grad(z, np.array([0, 1]))).all()
