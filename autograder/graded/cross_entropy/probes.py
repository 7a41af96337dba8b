"""Probes of the ``cross_entropy`` exercise: call an implementation on seeded inputs, return what it gave.

Runs inside the student's sandboxed process (and in the grader's, on the reference and on the
catalogued mistakes): imports only the standard library, NumPy and :mod:`autograder.inside.probing`.
The inputs are rebuilt from the case's arguments (a seed and sizes), so the judges can show them.
"""

from __future__ import annotations

import numpy as np

from autograder.inside.probing import StudentError, _kind, _need, probe

REDUCTIONS = ("mean", "sum", "none")


def inputs(seed: int, n: int, c: int, dtype: str = "float64", weighted: bool = False, ignored: int = 0,
           ignore_index: int = -100, scale: float = 3.0, large: bool = False, all_ignored: bool = False) -> dict:
    """The case's logits ``(n, c)``, targets ``(n,)`` and weight ``(c,)`` (or ``None``), from its seed.

    ``ignored`` targets (the first ones of a random permutation) are set to ``ignore_index``;
    ``large`` puts logits of +-1e4 in the first four rows (a target at +1e4, one at -1e4, a row
    near -1e4 and a row near +1e4), where exp overflows or underflows without the max shift.
    """
    rng = np.random.default_rng(seed)
    logits = scale * rng.standard_normal((n, c))
    targets = rng.integers(0, c, size=n)
    if large:
        big = 1e4
        logits[0] = rng.uniform(-5, 5, c)
        logits[0, targets[0]] = big  # the target dominates: a loss of ~0
        logits[0, (targets[0] + 1) % c] = -big
        logits[1] = rng.uniform(-5, 5, c)
        logits[1, targets[1]] = -big  # the target is hopeless: a loss of ~1e4
        logits[1, (targets[1] + 1) % c] = big
        logits[2] = -big + rng.uniform(-3, 3, c)  # every logit near -1e4: exp underflows to 0
        logits[3] = big + rng.uniform(-3, 3, c)  # every logit near +1e4: exp overflows to inf
    order = rng.permutation(n)
    targets[order[:ignored]] = ignore_index
    if all_ignored:
        targets[:] = ignore_index
    weight = rng.uniform(0.2, 3.0, c).astype(dtype) if weighted else None
    return {"logits": logits.astype(dtype), "targets": targets.astype(np.int64), "weight": weight}


def _described(data: dict, ignore_index: int) -> dict:
    """What the judges show next to a result: the inputs, and the mean's normaliser and count."""
    logits, targets, weight = data["logits"], data["targets"], data["weight"]
    counted = targets != ignore_index
    w = np.ones(logits.shape[1]) if weight is None else weight.astype(np.float64)
    return {"logits": logits.copy(), "targets": targets.copy(), "weight": None if weight is None else weight.copy(),
            "n_kept": int(counted.sum()), "weight_sum": float(w[targets[counted]].sum())}


def _call(module, name: str, data: dict, args: dict, defaults: bool):
    fn = _need(module, name)
    if defaults:
        return fn(data["logits"], data["targets"])
    return fn(data["logits"], data["targets"], weight=data["weight"], ignore_index=args["ignore_index"],
              reduction=args["reduction"], label_smoothing=args["label_smoothing"])


def _as_array(name: str, out) -> np.ndarray:
    if not isinstance(out, (np.ndarray, np.generic, float)) or isinstance(out, bool):
        raise StudentError(f"{name} must return a NumPy array (or a NumPy scalar for 'mean' and 'sum'); "
                           f"it returned {_kind(out)}")
    return np.asarray(out)


def _modified(data: dict, before: dict) -> list[str]:
    return [k for k in ("logits", "targets", "weight")
            if before[k] is not None and not np.array_equal(data[k], before[k], equal_nan=True)]


def _run(module, name: str, seed: int, n: int, c: int, dtype: str, reduction: str, label_smoothing: float,
         weighted: bool, ignored: int, ignore_index: int, scale: float, large: bool, all_ignored: bool,
         defaults: bool) -> dict:
    data = inputs(seed, n, c, dtype, weighted, ignored, ignore_index, scale, large, all_ignored)
    before = _described(data, ignore_index)
    args = {"ignore_index": ignore_index, "reduction": reduction, "label_smoothing": label_smoothing}
    out = _as_array(name, _call(module, name, data, args, defaults))
    modified = _modified(data, before)
    shift = data["logits"].astype(np.float64) - before["logits"]
    return {**before, "out": out, "dtype": out.dtype.name, "modified": modified,
            "logits_shifted_per_row": "logits" in modified and bool(np.allclose(shift, shift[:, :1]))}


@probe
def ce_loss(module, seed: int, n: int = 8, c: int = 5, dtype: str = "float64", reduction: str = "mean",
            label_smoothing: float = 0.0, weighted: bool = False, ignored: int = 0, ignore_index: int = -100,
            scale: float = 3.0, large: bool = False, all_ignored: bool = False, defaults: bool = False) -> dict:
    """``cross_entropy`` once on the case's inputs (with ``defaults``: ``cross_entropy(logits, targets)``)."""
    return _run(module, "cross_entropy", seed, n, c, dtype, reduction, label_smoothing, weighted, ignored,
                ignore_index, scale, large, all_ignored, defaults)


@probe
def ce_grad(module, seed: int, n: int = 8, c: int = 5, dtype: str = "float64", reduction: str = "mean",
            label_smoothing: float = 0.0, weighted: bool = False, ignored: int = 0, ignore_index: int = -100,
            scale: float = 3.0, large: bool = False, all_ignored: bool = False, defaults: bool = False) -> dict:
    """``cross_entropy_grad`` once on the case's inputs (with ``defaults``: only logits and targets)."""
    return _run(module, "cross_entropy_grad", seed, n, c, dtype, reduction, label_smoothing, weighted, ignored,
                ignore_index, scale, large, all_ignored, defaults)


@probe
def ce_dtypes(module, function: str, seed: int, n: int = 6, c: int = 4, dtype: str = "float32") -> dict:
    """The dtype of what ``function`` returns for each reduction, with and without class weights
    (smoothed, one target ignored)."""
    out = {}
    for weighted in (False, True):
        data = inputs(seed, n, c, dtype, weighted=weighted, ignored=1)
        for reduction in REDUCTIONS:
            args = {"ignore_index": -100, "reduction": reduction, "label_smoothing": 0.1}
            got = _as_array(function, _call(module, function, data, args, False))
            out[f"{reduction}{', weighted' if weighted else ''}"] = got.dtype.name
    return out


# The invalid calls a validation case can make, on logits (3, 4) and targets (3,): the arguments changed.
INVALID = {
    "reduction='average'": {"reduction": "average"},
    "reduction='batchmean'": {"reduction": "batchmean"},
    "label_smoothing=-0.1": {"label_smoothing": -0.1},
    "label_smoothing=1.5": {"label_smoothing": 1.5},
    "label_smoothing=1.0": {"label_smoothing": 1.0},
    "label_smoothing=0.0": {"label_smoothing": 0.0},
    "logits of shape (4,)": {"logits": (4,), "targets": (1,)},
    "logits of shape (3,), targets (3,)": {"logits": (3,)},
    "logits of shape (3, 4, 2)": {"logits": (3, 4, 2)},
    "targets of shape (4,)": {"targets": (4,)},
    "targets of shape (3, 1)": {"targets": (3, 1)},
    "weight of shape (5,)": {"weight": (5,)},
    "weight of shape (4, 1)": {"weight": (4, 1)},
    "weight of shape (1,)": {"weight": (1,)},
    "weight of shape (4,)": {"weight": (4,)},
    "a target of 4 (C = 4)": {"bad_target": 4},
    "a target of -1": {"bad_target": -1},
    "a target of -100 (the default ignore_index)": {"bad_target": -100},
    "a target of 7 with ignore_index=7": {"bad_target": 7, "ignore_index": 7},
    "a target of 3 (the last class)": {"bad_target": 3},
}


def _invalid_call(fn, change: dict):
    rng = np.random.default_rng(0)
    logits = rng.standard_normal(change.get("logits", (3, 4)))
    targets = np.zeros(change.get("targets", (3,)), dtype=np.int64)
    if "bad_target" in change:
        targets[1] = change["bad_target"]
    weight = np.ones(change["weight"]) if "weight" in change else None
    return fn(logits, targets, weight=weight, ignore_index=change.get("ignore_index", -100),
              reduction=change.get("reduction", "mean"), label_smoothing=change.get("label_smoothing", 0.0))


@probe
def ce_validation(module, function: str, calls: list) -> dict:
    """What ``function`` raises (the exception's type name; ``None`` when nothing) for each named call.

    A valid call comes first: the checks are in a helper the stub keeps, so they earn points only
    once the function itself is written.
    """
    fn = _need(module, function)
    _invalid_call(fn, {})
    raised = {}
    for name in calls:
        try:
            _invalid_call(fn, INVALID[name])
            raised[name] = None
        except NotImplementedError:
            raise
        except Exception as exc:  # noqa: BLE001 - we report the type
            raised[name] = type(exc).__name__
    return raised
