"""Feedback a student can act on: where and by how much a result differs, at full precision, with the
optimizer state; the case's inputs as a snippet that reruns it; named symptoms; hidden cases that show
their category only; and a README points table that lists every case."""

from __future__ import annotations

import subprocess
import sys
import types

import numpy as np
import pytest
from ag_helpers import ROOT

from autograder import grader, judges, mistakes
from autograder.cases import PUBLIC, Case, load_hidden

CASES = {c.id: c for c in PUBLIC}


def _verdict(mistake: str, case_id: str) -> judges.Verdict:
    case = CASES[case_id]
    got = grader.observe(mistakes.mutant_module(mistakes.BY_NAME[mistake]), case)
    return judges.JUDGES[case.judge](case, got, grader.expected_observation(case), judges.Context())


# ------------------------------------------------------------------------- where and how much ---
def test_adam_failure_shows_step_tensor_index_full_precision_and_state():
    v = _verdict("adam_eps_inside_sqrt", "adam.torch_small_gradients")
    assert not v.passed
    assert "after step 1 of 50, at param_groups[0]['params'][0][0, 0]" in v.message, v.message
    for row in ("parameter", "exp_avg", "exp_avg_sq", "step"):
        assert f"\n    {row} " in v.message, v.message
    assert repr(v.details["expected"]) in v.message and repr(v.details["got"]) in v.message
    assert len(repr(v.details["got"]).split(".")[1]) > 10, "floats at full precision, not rounded"


def test_adam_state_at_a_later_step_and_a_later_tensor():
    v = _verdict("adam_ignores_group_lr", "adam.torch_groups_float64")
    assert "param_groups[0]['params'][0]" in v.message or "param_groups[1]" in v.message, v.message
    v = _verdict("adam_decay_without_lr", "adam.adamw_decoupled")
    assert "exp_avg_sq" in v.message and "step         expected 1.0, got 1.0" in v.message, v.message


def test_numpy_adam_failure_shows_m_and_v():
    v = _verdict("adam_no_bias_correction", "adam.numpy_first_steps")
    assert "at w[" in v.message and "\n    m " in v.message and "\n    v " in v.message, v.message


def test_early_stopping_failure_names_epoch_metrics_and_attribute():
    v = _verdict("es_best_epoch_one_based", "early_stopping.best_epoch")
    assert "after epoch 0 (metric 0.9" in v.message and "best_epoch = 1, expected 0" in v.message, v.message


def test_optimizer_without_torch_state_names_says_so():
    case = CASES["adam.torch_one_group"]
    expected = grader.expected_observation(case)
    got = {k: (v.copy() if isinstance(v, np.ndarray) else v) for k, v in expected.items()}
    got["traj"] = got["traj"] + 1.0
    got["exp_avg"] = np.full_like(got["exp_avg"], np.nan)
    v = judges.JUDGES["trajectory"](case, got, expected, judges.Context())
    assert "keeps no exp_avg in self.state[p]" in v.message, v.message


# ---------------------------------------------------------------------------- reproducible ---
@pytest.mark.parametrize("case_id", ["adam.torch_groups_float64", "adam.numpy_small_gradients",
                                     "early_stopping.nan", "dropout.module_scaling"])
def test_snippet_holds_the_inputs_and_reruns_the_case(case_id, monkeypatch):
    case = CASES[case_id]
    snippet = grader._reproduce(case).split(":\n", 1)[1]
    reference = grader.reference_module(case) if case.reference == "solution" else grader.reference_module(case)
    package = types.ModuleType("exercises")
    monkeypatch.setitem(sys.modules, "exercises", package)
    monkeypatch.setitem(sys.modules, f"exercises.{case.exercise}", reference)
    setattr(package, case.exercise, reference)
    namespace = {}
    exec(compile("\n".join(line[4:] for line in snippet.splitlines()), "<snippet>", "exec"), namespace)
    seen = grader.observe(reference, case)
    again = namespace["observed"]
    if case.exercise == "adam":
        np.testing.assert_array_equal(np.asarray(again["traj"]), seen["traj"])
    elif case.exercise == "early_stopping":
        assert again["decisions"] == seen["decisions"]
    else:
        assert np.asarray(again["x"].detach() if hasattr(again["x"], "detach") else again["x"]).shape == seen["x"].shape


# -------------------------------------------------------------------------------- symptoms ---
def test_wrong_device_is_named():
    case = Case("dropout.x", "dropout", "t", "dropout_module", {"p": 0.5, "shape": [2, 2], "seed": 0,
                                                                  "device": "cuda"}, "dropout_dtype", 1)
    v = judges.JUDGES["dropout_dtype"](case, {"dtype": "float32", "device": "cpu", "requires_grad": True}, {}, judges.Context())
    assert not v.passed and v.symptom == "wrong_device"


def test_nan_in_a_trajectory_is_named_with_where_it_first_appears():
    case = CASES["adam.torch_zero_grad"]
    v = _verdict("adam_no_eps", "adam.torch_zero_grad")
    assert not v.passed and v.symptom == "nan_or_inf" and "the first non-finite value: nan after step 1" in v.message
    assert "(its gradient is zero)" in v.message, v.message
    assert case.id in mistakes.BY_NAME["adam_no_eps"].charged_on


def test_every_symptom_has_an_explanation_with_a_fix():
    for name, text in judges.SYMPTOMS.items():
        assert len(text) > 60 and ":" in text, name


# ----------------------------------------------------------------------------- hidden cases ---
def test_hidden_cases_show_their_category_never_their_inputs(tmp_path):
    hidden = ROOT / "instructor" / "hidden_cases.json"

    def graded(name: str, folder):
        (folder / "exercises").mkdir(parents=True)
        (folder / "exercises" / "adam.py").write_text(
            mistakes.patched_source(mistakes.BY_NAME[name], (ROOT / "solutions" / "adam.py").read_text()))
        return grader.grade(folder, grader.Options(exercises=("adam",), hidden=(str(hidden),)))

    # most catalogued mistakes are charged on public cases and credited on the hidden ones; rebinding
    # p.data to a new tensor fails hidden cases of its own
    report = graded("adam_param_rebound", tmp_path / "rebound")
    secret = [c for c in load_hidden(hidden) if c.exercise == "adam"]
    shown = {t.id: t for t in report.tests}
    failed = [shown[c.id] for c in secret if not shown[c.id].passed]
    assert failed, "the mutant should fail a hidden case of adam"
    for c in secret:
        out = shown[c.id].output
        if shown[c.id].passed and not out:
            continue
        assert grader.HIDDEN_POLICY in out, out
        for word in ("seed", "spec", "betas=", "0.05", "reproduce", "expected"):
            assert word not in out, (c.id, word, out)
    # keeping state across calls looks like another mistake on a late case (a late t makes the bias
    # correction vanish), but that mistake's own cases pass: it is neither named nor credited there
    report = graded("adam_update_keeps_state", tmp_path / "state")
    assert not any(t.mistake == "adam_no_bias_correction" for t in report.tests)
    assert any(not t.passed for t in report.tests if t.visibility == "visible")
    readme = (ROOT / "README.md").read_text()
    assert "**Hidden tests**" in readme and "never their inputs or values" in readme


# ------------------------------------------------------------------------------ points table ---
def test_readme_points_table_lists_every_case():
    proc = subprocess.run([sys.executable, "tools/points_table.py", "--check"], cwd=ROOT, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    readme = (ROOT / "README.md").read_text()
    for c in PUBLIC:
        assert f"| `{c.id}` |" in readme


def test_exercise_totals_are_kept():
    totals = {}
    for c in PUBLIC:
        totals[c.exercise] = totals.get(c.exercise, 0) + c.points
    assert totals == {"adam": 40, "cross_entropy": 36, "dropout": 30, "early_stopping": 30, "param_groups": 29, "warmup_cosine": 26, "mlp_backward": 26, "mixup_cutmix": 37, "grad_accumulation": 41}
