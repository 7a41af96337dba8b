"""The GPU paths: run wherever CUDA is present, skipped elsewhere (CI on CPU machines)."""

from __future__ import annotations

import pytest
import torch
from ag_helpers import make_submission

from autograder import config, grader
from autograder.cases import PUBLIC

pytestmark = [pytest.mark.cuda, pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA GPU here")]


def test_reference_scores_full_marks_on_cuda(tmp_path):
    report = grader.grade(make_submission(tmp_path), grader.Options(device="cuda"))
    failed = [(t.id, t.output) for t in report.tests if not t.passed]
    assert not failed, failed
    assert report.device == "cuda" and report.score == sum(c.points for c in PUBLIC)


def test_torch_cases_really_run_on_cuda():
    case = grader.on_device(next(c for c in PUBLIC if c.id == "adam.torch_one_group"), "cuda")
    assert case.args["spec"]["device"] == "cuda"
    obs = grader.observe(grader.reference_module(case), case)
    cpu_case = next(c for c in PUBLIC if c.id == "adam.torch_one_group")
    cpu = grader.observe(grader.reference_module(cpu_case), cpu_case)
    rtol, atol = config.tolerance("float32", "cuda")
    import numpy as np

    assert np.allclose(obs["traj"], cpu["traj"], rtol=rtol * 10, atol=atol * 10)


def test_auto_picks_cuda():
    assert grader.resolve_device("auto") == "cuda"
