"""Judges: small pure functions that compare a student's observation with the reference's.

``judge(case, got, expected, ctx) -> Verdict``. ``got`` and ``expected`` are observations from
``probes`` (decoded data, never live objects). A verdict that can recognise a catalogued mistake
from the data alone sets ``mistake`` (the dropout statistics, inputs modified in place); the other
mistakes are recognised by the grader by matching a mutant's observation.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np

from . import config


@dataclass
class Verdict:
    passed: bool
    message: str = ""
    mistake: str | None = None
    details: dict = field(default_factory=dict)
    symptom: str | None = None  # a name of SYMPTOMS: what the data shows, whatever the cause


# What a judge can see in the data alone, named, with what to do about it. A catalogued mistake
# (``mistakes.py``) says why; a symptom says what happened, for any code that shows it.
SYMPTOMS = {
    "params_unchanged": "the parameters did not change: update them in place (p.add_(...), p.addcdiv_(...), "
                        "or p.data = ...) under torch.no_grad(); `p = p - ...` only rebinds a local name.",
    "returned_none": "the function returned None: a missing `return` statement? Return what the docstring says "
                     "(restore_best: the model it loaded into).",
    "input_mutated": "your code changed an array or tensor that belongs to the caller (an in-place operation "
                     "such as x *= ..., w -= ..., grad.add_(...)): compute into new arrays/tensors instead.",
    "nan_or_inf": "NaN or inf appeared where the reference stays finite: look for a division by zero "
                  "(0 / 0 where a gradient is zero, 1 - beta ** t with t = 0, 1 - p with p = 1) or a square "
                  "root of a negative number.",
    "wrong_dtype": "a result does not have the dtype it should (the dtype of the input or parameter): create "
                   "new tensors/arrays with dtype=x.dtype (torch.zeros_like(p), np.zeros_like(w)), and cast "
                   "masks with .astype(x.dtype) / .to(x.dtype).",
    "wrong_device": "a result is not on the device of its input: create tensors with device=p.device "
                    "(torch.zeros_like(p) does this).",
    "state_across_calls": "calls that should be independent are not: the same call gave another result the "
                          "second time. Keep no state in globals, class attributes or default arguments; use "
                          "only the arguments (and, in a class, attributes set in __init__).",
}


@dataclass
class Context:
    device: str = "cpu"


class _Registry(dict):
    """A registry the exercises' ``judges`` modules fill on import; a lookup imports them if needed."""

    def __missing__(self, key):
        from . import graded

        graded.all_machinery()
        if not dict.__contains__(self, key):
            raise KeyError(key)
        return dict.__getitem__(self, key)

    def get(self, key, default=None):
        try:
            return self[key]
        except KeyError:
            return default

    def __contains__(self, key) -> bool:
        return self.get(key) is not None


JUDGES: dict[str, Callable[..., Verdict]] = _Registry()


# What to try when a case fails and no catalogued mistake matches.
HINTS: dict[str, str] = _Registry()  # judge name -> what to try (each exercise adds its own)


def judge(fn):
    JUDGES[fn.__name__] = fn
    return fn


def _fmt(x: Any) -> str:
    """A value at full precision: ``repr`` of a float (the shortest text that reads back the same)."""
    if isinstance(x, (float, np.floating)):
        return repr(float(x))
    if isinstance(x, np.ndarray):
        return np.array2string(x, precision=17, floatmode="unique", threshold=8, edgeitems=3, separator=", ")
    return repr(x)


def _row(label: str, expected: Any, got: Any) -> str:
    return f"\n    {label:<12} expected {_fmt(expected)}, got {_fmt(got)}"


def _same(a: Any, b: Any) -> bool:
    """``a`` (the student's) equals ``b`` (the reference's): a count or an epoch exactly, a float within
    ``config.VALUE_RTOL``, since a correct implementation may keep it in float32 (the probes have made
    plain numbers of NumPy scalars and 0-d tensors)."""
    if isinstance(a, (int, float)) and isinstance(b, (int, float)) and not isinstance(a, bool) and not isinstance(b, bool):
        if isinstance(b, int):  # a decision: exact
            return a == b
        a, b = float(a), float(b)
        return (math.isnan(a) and math.isnan(b)) or math.isclose(a, b, rel_tol=config.VALUE_RTOL,
                                                                 abs_tol=config.VALUE_ATOL)
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return np.array_equal(np.asarray(a), np.asarray(b), equal_nan=True)
    return a == b


# How to tell that a student's observation is a catalogued mistake's, for judges that compare the
# student with itself (judging ``got`` against the mutant's observation says nothing there).
MATCHERS: dict[str, Callable[[dict, dict], bool]] = _Registry()  # filled by the exercises' judges


@judge
def same_exceptions(case, got: dict, expected: dict, ctx: Context) -> Verdict:
    """Each call raises the exception the reference raises (by type name), or nothing where it raises nothing."""
    wrong = []
    for call, want in expected.items():
        have = got.get(call, "<not called>")
        if have != want:
            wrong.append(f"{call}: expected {want or 'no exception'}, got {have or 'no exception'}")
    if wrong:
        return Verdict(False, "the arguments are checked as the docstring says: invalid values raise, valid ones "
                              "(boundaries included) do not:\n  " + "\n  ".join(wrong))
    return Verdict(True, f"all {len(expected)} calls raise (or do not) as specified")


@judge
def same_values(case, got: dict, expected: dict, ctx: Context) -> Verdict:
    """Plain observations (attributes, outcomes) equal the reference's: numbers by ``_same``, the rest exactly."""
    wrong = []

    def walk(path: str, g: Any, e: Any) -> None:
        if isinstance(e, dict) and isinstance(g, dict):
            for k in e:
                walk(f"{path}{k}" if not path else f"{path}.{k}", g.get(k, "<missing>"), e[k])
        elif not _same(g, e):
            wrong.append(f"{path}: expected {_fmt(e)}, got {_fmt(g)}")

    walk("", got, expected)
    if wrong:
        return Verdict(False, "\n  ".join(["these differ from the specification:"] + wrong))
    return Verdict(True, "as specified")
