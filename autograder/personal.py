"""Per-student hidden cases: inputs drawn from the instructor's ranges, seeded from the student's identity.

A hidden case (``instructor/hidden_cases.json``) may say which of its arguments vary, and how::

    {"id": "dropout.hidden_personal", "exercise": "dropout", "probe": "...", "judge": "...", "points": 2,
     "args": {"shape": [40, 50], "p": 0.3, "seed": 0, "dtype": "float32"},
     "vary": {"p": {"uniform": [0.1, 0.8], "round": 3},
              "seed": {"int": [0, 1000000]},
              "dtype": {"choice": ["float32", "float64"]},
              "kwargs.lr": {"uniform": [1e-3, 1e-1], "log": true}}}

``int`` draws an integer in [lo, hi] (both included); ``uniform`` a float in [lo, hi] (``log``: uniform
in its logarithm; ``round``: that many decimals); ``choice`` one of the values. A dotted key
reaches into a nested argument (``kwargs.lr``). ``args`` holds the values used when no student is
known (``check``, or ``grade`` without an identity), so a file of fixed cases keeps working.

The draws come from a generator seeded with a digest of the student's identity and the case's id:
two students get different inputs, and grading the same student again gives the same inputs and
the same grade. The identity is ``grade --student-id``, else the first user of Gradescope's
``submission_metadata.json`` (its ``sid``, ``email`` or ``id``), and in ``batch`` the submission's
name. The seed and the drawn values go into the results' ``extra_data``, which Gradescope shows
to instructors only.
"""

from __future__ import annotations

import copy
import hashlib
import math
import random
from dataclasses import replace
from typing import Any

from .exercise import Case

KINDS = ("int", "uniform", "choice")


def check_vary(case_id: str, vary: Any, args: dict) -> None:
    """ValueError naming the case and the key for a malformed ``vary``."""
    if not isinstance(vary, dict) or not vary:
        raise ValueError(f"case {case_id!r}: 'vary' must map argument names to ranges, e.g. "
                         "{\"seed\": {\"int\": [0, 1000000]}}")
    for key, spec in vary.items():
        where = f"case {case_id!r}: vary[{key!r}]"
        _lookup(args, key, where)
        if not isinstance(spec, dict) or len(set(spec) & set(KINDS)) != 1:
            raise ValueError(f"{where} must have exactly one of {', '.join(KINDS)}, got {spec!r}")
        extra = set(spec) - set(KINDS) - {"round", "log"}
        if extra:
            raise ValueError(f"{where}: unknown key(s) {', '.join(sorted(extra))} (known: {', '.join(KINDS)}, round, log)")
        kind = next(k for k in KINDS if k in spec)
        value = spec[kind]
        if kind == "choice":
            if not isinstance(value, list) or not value:
                raise ValueError(f"{where}: choice must be a non-empty list of values")
            continue
        if (not isinstance(value, list) or len(value) != 2
                or not all(isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v) for v in value)
                or value[0] > value[1]):
            raise ValueError(f"{where}: {kind} must be [lo, hi] with lo <= hi, got {value!r}")
        if kind == "int" and not all(isinstance(v, int) for v in value):
            raise ValueError(f"{where}: int bounds must be integers, got {value!r}")
        if spec.get("log") and value[0] <= 0:
            raise ValueError(f"{where}: a log range needs lo > 0, got {value!r}")


def _lookup(args: dict, key: str, where: str) -> tuple[dict, str]:
    parts = key.split(".")
    node = args
    for part in parts[:-1]:
        if not isinstance(node, dict) or not isinstance(node.get(part), dict):
            raise ValueError(f"{where}: the case's args have no {key!r} to vary (give it a default value in args)")
        node = node[part]
    if not isinstance(node, dict) or parts[-1] not in node:
        raise ValueError(f"{where}: the case's args have no {key!r} to vary (give it a default value in args)")
    return node, parts[-1]


def seed_for(student: str, case_id: str) -> int:
    """The seed of one student's draws for one case: a digest of both (stable across machines)."""
    digest = hashlib.sha256(f"{student}\0{case_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big")


def _draw(rng: random.Random, spec: dict) -> Any:
    if "choice" in spec:
        return copy.deepcopy(spec["choice"][rng.randrange(len(spec["choice"]))])
    lo, hi = spec["int"] if "int" in spec else spec["uniform"]
    if "int" in spec:
        return rng.randint(lo, hi)
    value = math.exp(rng.uniform(math.log(lo), math.log(hi))) if spec.get("log") else rng.uniform(lo, hi)
    if "round" in spec:
        value = round(value, int(spec["round"]))
    return min(max(value, lo), hi)


def personalize(cases: list[Case], student: str | None) -> tuple[list[Case], dict[str, dict]]:
    """The cases with their varying arguments drawn for ``student``, and what was drawn, by case id.
    Without a student, every case keeps its ``args``."""
    if not student:
        return list(cases), {}
    out, drawn = [], {}
    for case in cases:
        if not case.vary:
            out.append(case)
            continue
        seed = seed_for(student, case.id)
        rng = random.Random(seed)
        args = copy.deepcopy(case.args)
        values = {}
        for key in sorted(case.vary):
            node, leaf = _lookup(args, key, f"case {case.id!r}: vary[{key!r}]")
            node[leaf] = values[key] = _draw(rng, case.vary[key])
        out.append(replace(case, args=args))
        drawn[case.id] = {"seed": seed, "args": values}
    return out, drawn


def identity(student_id: str | None, users: tuple[dict, ...] = ()) -> str | None:
    """The student's identity: an explicit id, else the first Gradescope user's sid, email or id."""
    if student_id:
        return str(student_id).strip() or None
    for user in users[:1]:
        for key in ("sid", "email", "id"):
            if user.get(key) not in (None, ""):
                return f"{key}:{user[key]}"
    return None
