"""Mutation testing of the grader: every single-point change of a reference loses points or is a
reviewed equivalent (``instructor/mutation_equivalents.toml``).

CI grades a fixed, deterministic sample of each exercise's mutants plus every listed equivalent;
``MUTATION_FULL=1`` grades them all (the documented full run is ``python -m autograder mutate``).
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pytest
from ag_helpers import ROOT

from autograder import config
from autograder.mutation import equivalents, operators, runner

SAMPLE = {"adam": 90, "dropout": 91, "early_stopping": 200, "warmup_cosine": 100, "cross_entropy": 200}  # dropout, early_stopping, warmup_cosine, cross_entropy: all of them
SAMPLE["param_groups"] = 200  # all of them (104)
SAMPLE["mlp_backward"] = 200  # all of them (152)
SAMPLE["mixup_cutmix"] = 200  # all of them
SAMPLE["grad_accumulation"] = 200  # all of them (114)
FULL = os.environ.get("MUTATION_FULL") == "1"


# ------------------------------------------------------------------------------ operators ------
SOURCE = textwrap.dedent('''
    """Module docstring: never mutated."""
    import torch


    def f(x, t: int, lr: float = 1e-3, *, eps: float = 1e-8):
        """Docstring: never mutated."""
        if t < 1:
            raise ValueError(f"t must be >= 1, got {t}")
        x.lerp_(t, 0.1)
        torch.save(x, "path")
        y = x.add(t, alpha=lr) * 2
        return y if eps > 0 else None
''')


def _by_operator(ms):
    out = {}
    for m in ms:
        out.setdefault(m.operator, []).append(m)
    return out


def test_operators_cover_the_kinds_the_issue_names():
    ms = operators.mutants(SOURCE, "toy")
    kinds = _by_operator(ms)
    # dropped bare calls
    assert any("+    pass" in m.diff and "lerp_" in m.diff for m in kinds["delete"])
    assert any("+    pass" in m.diff and "torch.save" in m.diff for m in kinds["delete"])
    # comparisons, operators, constants, arguments, removed defaults, in-place twins
    assert any("t <= 1" in m.diff for m in kinds["compare"])
    assert any("/ 2" in m.diff for m in kinds["binop"])
    assert any("lr: float=1.001" in m.diff.replace(" = ", "=") for m in kinds["constant"])
    assert any("alpha" not in m.diff.splitlines()[1] for m in kinds["call-kwarg"])
    assert any("lr: float, " in m.diff for m in kinds["default"])  # the first positional default removed
    assert any("eps: float)" in m.diff for m in kinds["default"])  # a keyword-only default removed
    assert any("x.lerp(" in m.diff for m in kinds["inplace"])
    assert "return-none" in kinds and "ifexp" in kinds
    # what is not behaviour is left alone
    added = [line for m in ms for line in m.diff.splitlines() if line.startswith("+")]
    assert not [a for a in added if "Docstring" in a or "must be >= 1" in a or "import" in a]
    for m in ms:
        compile(m.source, m.key, "exec")
        assert m.source != SOURCE


def test_mutant_keys_are_stable_under_unrelated_edits():
    before = {m.key: m.diff for m in operators.mutants(SOURCE, "toy")}
    edited = SOURCE + "\n\ndef g():\n    return 3\n"
    after = {m.key: m.diff for m in operators.mutants(edited, "toy")}
    assert set(before) <= set(after)
    assert all(after[k] == d for k, d in before.items())


def test_sample_is_deterministic_and_a_subset():
    ms = runner.exercise_mutants("early_stopping")
    a, b = runner.sample(ms, 20), runner.sample(ms, 20)
    assert [m.key for m in a] == [m.key for m in b] and len(a) == 20
    assert {m.key for m in a} <= {m.key for m in ms}


# ---------------------------------------------------------------------------- equivalents ------
def test_every_listed_equivalent_has_a_reason_and_still_exists():
    listed = equivalents.load()
    assert listed, "the reviewed equivalents file is missing or empty"
    generated = {m.key: m for e in config.EXERCISES for m in runner.exercise_mutants(e)}
    stale = sorted(set(listed) - set(generated))
    assert not stale, f"listed in {equivalents.PATH.name} but no longer generated (remove them): {stale}"
    for key, entry in listed.items():
        assert len(entry.reason) > 30, f"{key}: give a real reason"
        assert entry.diff.splitlines() == generated[key].diff.splitlines(), f"{key}: the diff in the file is out of date"


def test_a_malformed_equivalents_file_is_an_error(tmp_path):
    bad = tmp_path / "eq.toml"
    bad.write_text('[[equivalent]]\nkey = "adam-x"\n')
    with pytest.raises(equivalents.EquivalentsError, match="reason"):
        equivalents.load(bad)
    bad.write_text("[[equivalent]\n")
    with pytest.raises(equivalents.EquivalentsError, match="TOML"):
        equivalents.load(bad)


# ------------------------------------------------------------------------------- the run ------
@pytest.fixture(scope="module")
def outcomes():
    listed = equivalents.load()
    hidden = runner.default_hidden()
    results = {}
    for exercise in config.EXERCISES:
        every = runner.exercise_mutants(exercise)
        chosen = every if FULL else runner.sample(every, SAMPLE[exercise])
        chosen = chosen + [m for m in every if m.key in listed and m not in chosen]
        cases = runner.cases_for(exercise, hidden)
        graded = runner.run_fast(exercise, chosen, cases, jobs=os.cpu_count() or 1)
        results[exercise] = (chosen, cases, graded, runner.summarize(exercise, chosen, graded, cases, listed, 0.0))
    return results


@pytest.mark.parametrize("exercise", config.EXERCISES)
def test_no_grader_errors_on_mutants(outcomes, exercise):
    summary = outcomes[exercise][3]
    assert not summary.grader_errors, f"judges raised on mutants of {exercise} (grader bugs): {summary.grader_errors}"


@pytest.mark.parametrize("exercise", config.EXERCISES)
def test_every_mutant_is_killed_or_a_reviewed_equivalent(outcomes, exercise):
    summary = outcomes[exercise][3]
    assert not summary.survivors, (
        f"{len(summary.survivors)} mutants of {exercise} keep full marks and are not listed as equivalent; add a "
        "case that kills each, or review it into instructor/mutation_equivalents.toml:\n\n"
        + "\n\n".join(m.describe() for m in summary.survivors))
    assert not summary.killed_equivalents, (
        f"listed as equivalent but they lose points (remove them from the file): {summary.killed_equivalents}")


@pytest.mark.parametrize("exercise", config.EXERCISES)
def test_kill_rates_meet_the_standard(outcomes, exercise):
    summary = outcomes[exercise][3]
    assert summary.rate_all >= 0.95, f"{exercise}: {summary.rate_all:.1%} of mutants lose points on all cases"
    assert summary.rate_public >= 0.90, f"{exercise}: {summary.rate_public:.1%} lose points on the public cases"


def test_the_fast_path_agrees_with_the_full_grader(outcomes):
    """Three mutants (killed by a public case, killed by a probe error, an equivalent) graded both ways."""
    chosen, cases, graded, _ = outcomes["early_stopping"]
    listed = equivalents.load()
    full = sum(c.points for c in cases)
    killed = [m for m in chosen if m.key not in listed and 0 <= graded[m.key].all_points < full]
    picks = killed[:2] + [m for m in chosen if m.key in listed][:1]
    sandboxed = runner.run_sandboxed("early_stopping", picks, runner.default_hidden())
    for m in picks:
        assert sorted(sandboxed[m.key].failed) == sorted(graded[m.key].failed), m.describe()
        assert sandboxed[m.key].all_points == pytest.approx(graded[m.key].all_points), m.describe()


def test_a_mutant_that_hangs_is_killed_by_the_timeout():
    source = runner.solution_source("early_stopping").replace(
        "        if self.is_improvement(metric):", "        while True:\n            pass\n        if self.is_improvement(metric):")
    hang = operators.Mutant("early_stopping", "early_stopping-hang", "manual", 0, "", source)
    cases = runner.cases_for("early_stopping")
    out = runner.run_fast("early_stopping", [hang], cases, timeout=5)["early_stopping-hang"]
    assert out.timed_out and out.all_points < sum(c.points for c in cases)


# -------------------------------------------------------------------------------- command ------
def test_mutate_command_lists_and_reports():
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.run([sys.executable, "-m", "autograder", "mutate", "early_stopping", "--list"], cwd=ROOT,
                          capture_output=True, text=True, env=env, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert "[delete]" in proc.stdout and "(equivalent)" in proc.stdout
    proc = subprocess.run([sys.executable, "-m", "autograder", "mutate", "nonsense"], cwd=ROOT,
                          capture_output=True, text=True, env=env, timeout=120)
    assert proc.returncode == 2 and "unknown exercise" in proc.stderr
