"""Every catalogued mistake, as a mutant submission (generated for the run), loses points in proportion
and gets its own diagnosis (and no other); the symptoms a judge names show on the mutants that have them."""

from __future__ import annotations

import functools

import pytest
from ag_helpers import ROOT

from autograder import grader, judges, mistakes
from autograder.results import Report



@functools.lru_cache(maxsize=None)
def _mutants_dir():
    """The mutant submissions, generated once per run into a temporary folder (never committed)."""
    import atexit
    import shutil
    import sys
    import tempfile
    from pathlib import Path

    sys.path.insert(0, str(ROOT / "tools"))
    import make_mutants

    out = Path(tempfile.mkdtemp(prefix="mutants-"))
    atexit.register(shutil.rmtree, out, True)
    make_mutants.write(out)
    return out

# The most a catalogued mistake may cost of its exercise; SMALL ones (a detail of one behaviour) less.
MAX_SHARE, SMALL_SHARE = 0.20, 0.10
SMALL = {"adam_eps_inside_sqrt", "adam_decay_without_lr", "adam_decay_into_grad", "adam_modifies_inputs",
         "adam_updates_params_without_grad", "adam_shared_step_counter", "adam_decoupled_decay_in_adam",
         "adam_coupled_decay_in_adamw", "dropout_p_one_nan", "dropout_fixed_mask", "dropout_modifies_input",
         "dropout_changes_dtype", "dropout_ignores_rng", "es_best_epoch_one_based", "es_patience_off_by_one",
         "es_not_strict", "es_ignores_min_delta", "es_ignores_mode", "es_restore_returns_none"}
# Mistakes that break everything the exercise does, with the reason they may cost more.
WHOLE = {"adam_param_rebound": "no parameter ever moves: every test of Adam.step fails"}
# The symptom a judge names, from the data alone, on the mutant that has it.
SYMPTOM = {"adam_param_rebound": "params_unchanged", "es_restore_returns_none": "returned_none",
           "adam_decay_into_grad": "input_mutated", "adam_modifies_inputs": "input_mutated",
           "dropout_modifies_input": "input_mutated", "adam_no_eps": "nan_or_inf", "dropout_p_one_nan": "nan_or_inf",
           "dropout_changes_dtype": "wrong_dtype", "adam_update_keeps_state": "state_across_calls",
           "dropout_fixed_mask": "state_across_calls"}


@functools.lru_cache(maxsize=None)
def _report(name: str) -> Report:
    mistake = mistakes.BY_NAME[name]
    return grader.grade(_mutants_dir() / name, grader.Options(exercises=(mistake.exercise,)))


def test_every_mistake_makes_a_mutant_submission():
    out = _mutants_dir()
    for m in mistakes.CATALOGUE:
        path = out / m.name / "exercises" / f"{m.exercise}.py"
        assert path.is_file() and m.title in path.read_text(), m.name


def test_every_symptom_is_shown_by_some_mutant_or_unit_test():
    assert set(SYMPTOM.values()) | {"wrong_device"} == set(judges.SYMPTOMS)
    assert set(SYMPTOM) | set(WHOLE) | SMALL <= set(mistakes.BY_NAME)


@pytest.mark.parametrize("mistake", mistakes.CATALOGUE, ids=lambda m: m.name)
def test_mutant_loses_points_and_gets_its_diagnosis(mistake):
    report = _report(mistake.name)
    assert report.score < report.max_score, f"{mistake.name} scored full marks"
    named = [t for t in report.tests if t.mistake == mistake.name and not t.passed]
    assert named, f"{mistake.name} lost points but was never named: " + "; ".join(
        f"{t.id}: {t.output}" for t in report.tests if not t.passed)
    for t in named:
        assert t.score == 0 and f"likely mistake [{mistake.name}]: {mistake.title}" in t.output, t.output
    # its hint in full once, the other cases point there
    assert sum(mistake.hint in t.output for t in report.tests) == 1, [t.output for t in named]
    # a mistake is never blamed on a test it did not fail, and no other mistake is named
    assert all(t.mistake in (None, mistake.name) for t in report.tests)
    # every case it costs is a case of its behaviour, where it says which
    if mistake.charged_on:
        lost = {t.id for t in report.tests if not t.passed}
        assert lost <= set(mistake.charged_on), f"{mistake.name} costs {sorted(lost - set(mistake.charged_on))} too"
    if mistake.name in SYMPTOM:
        symptom = SYMPTOM[mistake.name]
        shown = [t for t in report.tests if t.symptom == symptom]
        assert shown, f"{mistake.name} should show the symptom {symptom}"
        assert sum(judges.SYMPTOMS[symptom] in t.output for t in report.tests) == 1


@pytest.mark.parametrize("mistake", mistakes.CATALOGUE, ids=lambda m: m.name)
def test_one_mistake_costs_its_share(mistake):
    report = _report(mistake.name)
    share = 1 - report.score / report.max_score
    if mistake.name in WHOLE:
        return
    limit = SMALL_SHARE if mistake.name in SMALL else MAX_SHARE
    lost = [f"{t.id} ({t.max_score:g})" for t in report.tests if not t.passed]
    assert share <= limit + 1e-9, (f"{mistake.name} costs {share:.0%} of {mistake.exercise} (at most {limit:.0%}): "
                                   f"{', '.join(lost)}")


def test_credited_cases_say_which_mistake_and_where_it_is_charged():
    report = _report("adam_eps_inside_sqrt")
    credited = [t for t in report.tests if t.passed and t.mistake == "adam_eps_inside_sqrt"]
    assert len(credited) >= 5, "the float64 trajectories show eps inside the sqrt, but are not about eps"
    for t in credited:
        assert t.score == t.max_score
        assert "apart from [adam_eps_inside_sqrt]" in t.output and "adam.torch_small_gradients" in t.output
