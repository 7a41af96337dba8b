"""The docstring is the specification, both ways (``autograder/specification.py``).

Stated -> graded: every statement of the stub's docstrings is matched by a rule, and a rule that
grades names cases that exist. Graded -> stated: every case (public and hidden) grades at least one
stated behaviour. A rule's phrase must still be in the docstring (no stale rules).
"""

from __future__ import annotations

import pytest
from ag_helpers import ROOT

from autograder import config, specification
from autograder.cases import PUBLIC, load_hidden

HIDDEN = load_hidden(ROOT / "instructor" / "hidden_cases.json")
CASES = {c.id: c for c in list(PUBLIC) + HIDDEN}


def _rules(exercise):
    return specification.rules(exercise)


@pytest.mark.parametrize("exercise", config.EXERCISES)
def test_every_stated_behaviour_is_graded_or_explains(exercise):
    source = specification.stub_path(exercise).read_text()
    uncovered = []
    for where, sentence in specification.statements(source):
        text = specification.normalise(sentence)
        if not any(specification.normalise(r.phrase) in text for r in _rules(exercise)):
            uncovered.append(f"{where}: {text}")
    assert not uncovered, (f"exercises/{exercise}.py states what no case grades (add a case and a rule in "
                           "autograder/specification.py, or a rule that says why it only explains):\n  "
                           + "\n  ".join(uncovered))


@pytest.mark.parametrize("exercise", config.EXERCISES)
def test_rules_point_at_real_statements_and_cases(exercise):
    source = specification.normalise(" ".join(s for _, s in specification.statements(
        specification.stub_path(exercise).read_text())))
    for rule in _rules(exercise):
        assert specification.normalise(rule.phrase) in source, f"stale rule: {rule.phrase!r} is not in the docstrings"
        if isinstance(rule.cases, str):
            assert rule.cases.startswith(specification.EXPLAINS + ": ") and len(rule.cases) > 15, rule
        else:
            assert rule.cases, rule
            for case_id in rule.cases:
                assert case_id in CASES and CASES[case_id].exercise == exercise, f"{rule.phrase!r}: no case {case_id}"


@pytest.mark.parametrize("exercise", config.EXERCISES)
def test_every_case_grades_a_stated_behaviour(exercise):
    graded = {cid for r in _rules(exercise) if not isinstance(r.cases, str) for cid in r.cases}
    hidden_ok = {c.id for c in HIDDEN}  # hidden cases vary the inputs of a public case's behaviour
    orphans = [c.id for c in CASES.values() if c.exercise == exercise and c.id not in graded | hidden_ok]
    assert not orphans, f"cases that grade nothing the docstring states: {orphans}"


def test_hidden_cases_grade_behaviours_a_public_case_grades():
    """A hidden case judges as a public case does: it varies the inputs, it adds no requirement."""
    public = {c.judge for c in PUBLIC}
    for c in HIDDEN:
        assert c.judge in public, f"{c.id} grades something no public case (and no statement) names"


def test_the_checker_fails_on_an_unstated_behaviour():
    """The checker can fail: a new docstring sentence with no rule is reported."""
    source = '"""Exercise ``x``: t.\n\nReturns the square root of everything."""\n'
    text = [specification.normalise(s) for _, s in specification.statements(source)]
    assert "Returns the square root of everything." in text
    assert not any(specification.normalise(r.phrase) in text[-1] for r in _rules("adam"))
