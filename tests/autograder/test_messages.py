"""What a student reads: one message per cause, syntax errors as syntax errors, their own output once.

A refusal of the static check, a failed import or a process that dies takes every case after it;
the report tells the story once, on the first case it took, and the other cases point there. What
the student's code printed is shown, bounded, once per exercise, on its first failed case.
"""

from __future__ import annotations

import pytest
from ag_helpers import make_submission, solution_text

from autograder import grader

DROPOUT = solution_text("dropout")
FORWARD = "    def forward(self, x: torch.Tensor) -> torch.Tensor:\n"


def _grade(tmp_path, files: dict[str, str], *exercises: str, **options) -> dict:
    report = grader.grade(make_submission(tmp_path, files), grader.Options(exercises=exercises, **options))
    return report.by_exercise()


def _at_import(code: str) -> str:
    return DROPOUT.replace("import numpy as np\n", "import numpy as np\n" + code + "\n", 1)


def _assert_told_once(tests, full_text: str) -> None:
    """The first failed case carries ``full_text``; every other one is a one-line pointer to it."""
    failed = [t for t in tests if not t.passed]
    first, rest = failed[0], failed[1:]
    assert full_text in first.output, first.output
    assert rest, "the cause should have taken more than one case"
    for t in rest:
        assert t.output.startswith(f"not run: see {first.id} ("), t.output
        assert "\n" not in t.output and full_text not in t.output, t.output


# -------------------------------------------------------------------------------- syntax error ---
def test_syntax_error_names_file_line_and_text_and_costs_only_its_exercise(tmp_path):
    broken = solution_text("adam").replace("def adam_update(", "def adam_update(:", 1)
    line = broken.splitlines().index("def adam_update(:") + 1
    by = _grade(tmp_path, {"adam.py": broken}, "adam", "early_stopping")
    assert sum(t.score for t in by["early_stopping"]) == 30, "a syntax error in adam.py cost another exercise"
    adam = by["adam"]
    assert sum(t.score for t in adam) == 0
    first = adam[0].output
    assert f"exercises/adam.py, line {line}: syntax error" in first, first
    assert "def adam_update(:" in first and "^" in first, first
    assert "not allowed" not in first and "may not use" not in first, first
    _assert_told_once(adam, "def adam_update(:")


def test_syntax_error_in_an_unused_helper_file_costs_nothing(tmp_path):
    by = _grade(tmp_path, {"scratch.py": "def unfinished(:\n"}, "early_stopping")
    assert sum(t.score for t in by["early_stopping"]) == 30, [t.output for t in by["early_stopping"]]


def test_syntax_error_in_an_imported_helper_is_reported_where_it_is(tmp_path):
    future = "from __future__ import annotations\n"
    source = solution_text("early_stopping").replace(future, future + "from . import helpers\n", 1)
    by = _grade(tmp_path, {"helpers.py": "x = 1\ndef unfinished(:\n", "early_stopping.py": source},
                "early_stopping")
    tests = by["early_stopping"]
    assert sum(t.score for t in tests) == 0
    assert "helpers.py" in tests[0].output and "line 2" in tests[0].output and "SyntaxError" in tests[0].output
    _assert_told_once(tests, "def unfinished(:")


# ------------------------------------------------------------------------- one message per cause ---
def test_policy_refusal_is_told_once_then_pointed_to(tmp_path):
    tests = _grade(tmp_path, {"dropout.py": _at_import("import ctypes")}, "dropout")["dropout"]
    assert len(tests) > 5 and sum(t.score for t in tests) == 0
    _assert_told_once(tests, "Implement the exercise with ordinary NumPy / PyTorch code")
    assert "import ctypes" in tests[0].output


def test_import_error_is_told_once_then_pointed_to(tmp_path):
    tests = _grade(tmp_path, {"dropout.py": _at_import("raise RuntimeError('boom at import')")}, "dropout")["dropout"]
    assert sum(t.score for t in tests) == 0
    _assert_told_once(tests, "RuntimeError: boom at import")
    assert tests[0].output.startswith("importing exercises/dropout.py failed with RuntimeError")


@pytest.mark.parametrize("code, words", [
    ("        import os\n        os._exit(0)", "ended the process"),
    ("        while True:\n            pass", "did not finish within the 15 s time limit"),
])
def test_process_failure_is_told_once_then_pointed_to(tmp_path, code, words):
    source = DROPOUT.replace(FORWARD, FORWARD + code + "\n", 1)
    # without the static check, which would refuse os._exit before it ran
    tests = _grade(tmp_path, {"dropout.py": source}, "dropout", timeout=15, static_policy=False)["dropout"]
    assert any(t.passed for t in tests), "the NumPy cases run before forward() and should pass"
    failed = [t for t in tests if not t.passed]
    assert words in failed[0].output, failed[0].output
    _assert_told_once(tests, words)


# ------------------------------------------------------------------------------ printed output ---
def test_printed_output_is_shown_once_bounded_on_the_first_failure(tmp_path):
    noisy = "for _i in range(100):\n    print(f'my debug line {_i}')"
    wrong = _at_import(noisy).replace("return (x * keep / (1.0 - p)).astype(x.dtype, copy=False)",
                                      "return (x * keep).astype(x.dtype, copy=False)")
    tests = _grade(tmp_path, {"dropout.py": wrong}, "dropout")["dropout"]
    failed = [t for t in tests if not t.passed]
    assert failed, "the no-rescale mistake should fail"
    assert "what your code printed (the last 40 of 100 lines):" in failed[0].output, failed[0].output
    assert "my debug line 99" in failed[0].output and "my debug line 59" not in failed[0].output
    assert not any("what your code printed" in t.output for t in tests[1:] if t is not failed[0])


def test_printed_output_is_capped_in_characters(tmp_path):
    flood = _at_import("print('x' * 20000)\nraise ValueError('after the flood')")
    tests = _grade(tmp_path, {"dropout.py": flood}, "dropout")["dropout"]
    printed = tests[0].output.split("what your code printed", 1)[1]
    assert 4000 < len(printed) < 4096 + 200, len(printed)


def test_passing_code_that_prints_shows_nothing(tmp_path):
    tests = _grade(tmp_path, {"dropout.py": _at_import("print('hello')")}, "dropout")["dropout"]
    assert all(t.passed for t in tests) and not any("printed" in t.output for t in tests)
