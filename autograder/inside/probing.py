"""What every exercise's probes share; runs inside the student's sandboxed process.

A probe is ``probe(module, **args) -> observation``: it drives an implementation (the student's,
the reference, ``torch``'s or a catalogued mistake's) and returns what it did as plain data. The
same probe runs inside the sandbox (``harness.py``) and in the grader's own process; the grader
compares observations (``judges``). Probes only observe: they never decide pass or fail.

This module and every ``autograder/graded/<exercise>/probes.py`` are copied into the sandbox, so
they import only the standard library, NumPy, torch and each other. Every failure of the student's
code that is not an exception of its own surfaces as :class:`StudentError`, with a message for the student.
"""

from __future__ import annotations

from typing import Any

import numpy as np

PROBES: dict[str, Any] = {}

class StudentError(Exception):
    """The student's code returned something of the wrong kind; the message says what was expected."""

def probe(fn):
    PROBES[fn.__name__] = fn
    return fn

def _need(module, name: str):
    obj = getattr(module, name, None)
    if obj is None:
        raise StudentError(f"{module.__name__} has no {name!r}: keep the names of the stub")
    return obj

def _kind(value) -> str:
    """What came back, for a message: "None (a missing return statement?)" or the type's name."""
    return "None (a missing return statement?)" if value is None else type(value).__name__

def _torch_dtype(name: str):
    import torch

    return {"float32": torch.float32, "float64": torch.float64}[name]

def _number(value):
    """A NumPy scalar or a 0-d tensor or array as the Python number it holds; anything else unchanged.

    A correct EarlyStopping may keep ``best`` as an ``np.float32`` (Keras-style) or a float32 tensor
    (Lightning) and its counters as NumPy integers; the judge compares numbers, not containers.
    """
    import torch

    if isinstance(value, (torch.Tensor, np.ndarray, np.generic)) and value.ndim == 0:
        return value.item()
    return value
