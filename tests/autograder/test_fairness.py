"""Correct code scores full marks: independent implementations, written as students and libraries write
them, graded through the real grader on the public and the hidden cases.

Each folder of ``fair/`` is a submission in one style (``fair/<style>/exercises/*.py``, see
``fair/README.md``); a style may implement only some exercises, and only those are graded. A
failure here means the grader is unfair to correct code, not that the style is wrong: fix the
grader (a judge, a probe, a tolerance in ``autograder/config.py``), with a case that shows why.
"""

from __future__ import annotations

import functools
import importlib.util
from pathlib import Path

import numpy as np
import pytest
from ag_helpers import ROOT

from autograder import config, grader, judges
from autograder.cases import PUBLIC, Case, load_hidden, select
from autograder.results import Report

FAIR = Path(__file__).resolve().parent / "fair"
HIDDEN = ROOT / "instructor" / "hidden_cases.json"


def _exercises(style: str) -> tuple[str, ...]:
    return tuple(e for e in config.EXERCISES if (FAIR / style / "exercises" / f"{e}.py").is_file())


STYLES = sorted(p.name for p in FAIR.iterdir() if (p / "exercises").is_dir())
PAIRS = [pytest.param(style, exercise, id=f"{style}-{exercise}",
                      marks=[getattr(pytest.mark, exercise), pytest.mark.slow])
         for style in STYLES for exercise in _exercises(style)]


@functools.lru_cache(maxsize=None)
def _report(style: str) -> Report:
    """All of a style's exercises in one grade() call (one sandboxed process per exercise)."""
    opts = grader.Options(exercises=_exercises(style), hidden=(str(HIDDEN),))
    return grader.grade(FAIR / style, opts)


def test_every_style_implements_some_exercise():
    assert STYLES, f"no styles under {FAIR}"
    for style in STYLES:
        assert _exercises(style), f"fair/{style}/exercises/ holds none of {config.EXERCISES}"


@pytest.mark.parametrize("style, exercise", PAIRS)
def test_correct_style_scores_full_marks(style, exercise):
    tests = _report(style).by_exercise().get(exercise, [])
    expected = [c.id for c in select(list(PUBLIC) + load_hidden(HIDDEN), [exercise])]
    assert sorted(t.id for t in tests) == sorted(expected), "not every public and hidden case was graded"
    failed = [t for t in tests if not t.passed]
    report = "\n\n".join(f"{t.id} ({t.score:g}/{t.max_score:g}):\n{t.output}" for t in failed)
    assert not failed, f"fair/{style}/exercises/{exercise}.py is correct but lost points:\n\n{report}"
    assert sum(t.score for t in tests) == sum(t.max_score for t in tests) > 0


# ------------------------------------------------------------ what no case of the table reaches ---
def _load(style: str, exercise: str):
    path = FAIR / style / "exercises" / f"{exercise}.py"
    spec = importlib.util.spec_from_file_location(f"fair_{style}_{exercise}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.dropout
@pytest.mark.parametrize("style", ["float32", "cs231n"])
@pytest.mark.parametrize("probe, judge", [("dropout_numpy", "dropout_train"),
                                          ("dropout_module", "dropout_module_train")])
def test_float32_mask_on_float64_input_passes(style, probe, judge):
    """A float64 input through a float32 mask ((rand < keep) / keep with torch's default dtype, or an
    np.float32 mask): 1 / (1 - p) is rounded to float32, which p = 0.3 makes visible (p = 0.5 does not)."""
    case = Case("dropout.float64_p03", "dropout", "float64, p=0.3", probe,
                {"p": 0.3, "shape": [200, 300], "seed": 12, "dtype": "float64"}, judge, 1)
    got = grader.observe(_load(style, "dropout"), case)
    verdict = judges.JUDGES[judge](case, got, grader.expected_observation(case), judges.Context())
    assert verdict.passed, verdict.message


def _states(best: float, counter: int = 1, best_epoch: int = 2) -> dict:
    return {"decisions": [False], "states": [{"counter": counter, "best": best, "best_epoch": best_epoch}]}


@pytest.mark.early_stopping
def test_float32_best_is_equal_but_decisions_are_exact():
    case = Case("early_stopping.x", "early_stopping", "t", "early_stopping_sequence",
                {"metrics": [0.9], "kwargs": {"patience": 3}}, "exact", 1)
    expected = _states(0.9)
    assert judges.JUDGES["exact"](case, _states(float(np.float32(0.9))), expected, judges.Context()).passed
    assert not judges.JUDGES["exact"](case, _states(0.9 + 1e-4), expected, judges.Context()).passed
    assert not judges.JUDGES["exact"](case, _states(0.9, counter=2), expected, judges.Context()).passed
    assert not judges.JUDGES["exact"](case, _states(0.9, best_epoch=1), expected, judges.Context()).passed
    checkpoint = Case("early_stopping.y", "early_stopping", "t", "early_stopping_checkpoint",
                      {"metrics": [0.9], "kwargs": {"patience": 3}}, "es_checkpoint", 1)
    wrong_epoch = {"restored_epoch": 2.0 + 1e-7, "file_exists": True}
    assert not judges.JUDGES["es_checkpoint"](checkpoint, wrong_epoch, {"restored_epoch": 2.0}, judges.Context()).passed


@pytest.mark.early_stopping
def test_snapshot_reads_numpy_scalars_and_tensors_as_numbers():
    import torch

    from autograder.graded.early_stopping import probes

    class Kept:
        counter, best, best_epoch = np.int64(2), torch.tensor(0.9), np.asarray(4)

    snap = probes._snapshot(Kept())
    assert snap == {"counter": 2, "best": pytest.approx(0.9, rel=config.VALUE_RTOL), "best_epoch": 4}
    assert [type(snap[k]) for k in ("counter", "best", "best_epoch")] == [int, float, int]
