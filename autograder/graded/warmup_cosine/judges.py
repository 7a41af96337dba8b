"""Judges of the ``warmup_cosine`` exercise: compare the rates a student's scheduler set with the reference's.

Runs in the grader's process, never in the sandbox. Each judge registers itself by name
(``autograder.judges.JUDGES``); the cases name them.

Rates are compared at a relative ``config.VALUE_RTOL`` and an absolute ``config.VALUE_RTOL`` times
the largest base rate: a correct schedule computed in float32 (``torch.cos`` of a float32 tensor,
NumPy float32) is off by a few 1e-7 of the base rate, most near the end of the cosine where
``1 + cos`` cancels; PyTorch's recursive form drifts by 1e-15. Every catalogued mistake is off by
1e-3 of the base rate or more.
"""

from __future__ import annotations

import numpy as np

from autograder import config
from autograder.judges import HINTS, Context, Verdict, _fmt, judge


def _setup(case) -> str:
    """The case's inputs, as the code that builds its scheduler."""
    args = case.args
    kwargs = dict(args.get("kwargs", {}))
    if "last_epoch" in args:
        kwargs["last_epoch"] = args["last_epoch"]
    shown = ", ".join(f"{k}={v!r}" for k, v in kwargs.items())
    return (f"param groups with lr {args.get('lrs')}, WarmupCosine(optimizer, {shown})")


def _phase(case, t: int) -> str:
    kwargs = case.args.get("kwargs", {})
    warmup, total = kwargs.get("warmup_steps", 0), kwargs.get("total_steps", 0)
    if t < warmup:
        return f"warmup: t < warmup_steps = {warmup}"
    if t <= total:
        return f"cosine: warmup_steps = {warmup} <= t <= total_steps = {total}"
    return f"after total_steps = {total}"


def _close(got, expected, scale: float) -> np.ndarray:
    return np.isclose(got, expected, rtol=config.VALUE_RTOL, atol=config.VALUE_RTOL * scale, equal_nan=False)


def _diagnosis(case, got: np.ndarray, expected: np.ndarray, lo: int, hi: int, scale: float) -> str:
    """What the rates show, where a common cause is recognisable from them alone."""
    g, e = got[lo:hi + 1], expected[lo:hi + 1]
    notes = []
    if len(got) > 1 and np.all(_close(got, got[:1], scale)) and not np.all(_close(expected, expected[:1], scale)):
        notes.append("the rates never change: get_lr() must compute the rate of step self.last_epoch, "
                     "which LRScheduler.step() advances by one before calling it")
    elif len(g) > 2 and np.all(_close(g[1:], e[:-1], scale)):
        notes.append("your rates are one step late (the rate of step t is the expected rate of step t - 1): "
                     "last_epoch is 0 right after construction, and that is step 0")
    elif len(g) > 2 and np.all(_close(g[:-1], e[1:], scale)):
        notes.append("your rates are one step early (the rate of step t is the expected rate of step t + 1): "
                     "last_epoch is 0 right after construction, and that is step 0, not 1")
    if got.shape[1] > 1 and not notes:
        base = np.asarray(case.args.get("lrs", []), dtype=float)
        if base.size == got.shape[1] and base[0] != 0 and np.all(_close(g / base, g[:, :1] / base[0], 1.0)) \
                and not np.all(_close(e / base, e[:, :1] / base[0], 1.0)):
            notes.append("every group follows the same multiple of its base rate, but min_lr is an absolute "
                         "rate: the groups' cosines all end at min_lr itself")
    return f"\n  {notes[0]}." if notes else ""


def _compare(case, got, expected, rows_from: int = 0, what: str = "") -> Verdict:
    """The rates of ``got`` against ``expected`` on the case's window of steps."""
    g = np.asarray(got, dtype=float) if got is not None else None
    e = np.asarray(expected, dtype=float)
    setup = _setup(case)
    if g is None or g.ndim != 2 or g.shape != e.shape:
        shape = "nothing" if g is None else f"shape {g.shape}"
        return Verdict(False, f"{setup}: expected {e.shape[0]} rows of {e.shape[1]} rates (one per param group, "
                              f"after construction and after each step), got {shape}")
    lo, hi = case.args.get("window") or (rows_from, rows_from + len(e) - 1)
    lo, hi = lo - rows_from, hi - rows_from
    scale = float(np.max(np.abs(np.concatenate([e.ravel(), np.asarray(case.args.get("lrs", [1.0]), float)]))))
    close = _close(g, e, scale)
    if not np.isfinite(g[lo:hi + 1]).all():
        bad = np.argwhere(~np.isfinite(g[lo:hi + 1]))[0]
        t = int(bad[0]) + lo + rows_from
        return Verdict(False, f"{setup}{what}: at step {t} param_groups[{int(bad[1])}]['lr'] is "
                              f"{_fmt(float(g[bad[0] + lo, bad[1]]))}", symptom="nan_or_inf")
    wrong = np.argwhere(~close[lo:hi + 1])
    if wrong.size == 0:
        return Verdict(True, f"the rates of steps {lo + rows_from} to {hi + rows_from} as expected{what}")
    row, k = int(wrong[0][0]) + lo, int(wrong[0][1])
    t = row + rows_from
    around = range(max(lo, row - 2), min(hi, row + 2) + 1)
    table = "".join(f"\n    step {i + rows_from:>3}: expected {_fmt(float(e[i, k]))}, got {_fmt(float(g[i, k]))}"
                    for i in around)
    return Verdict(False, f"{setup}{what}: after {t} call(s) of scheduler.step() ({_phase(case, t)}), "
                          f"param_groups[{k}]['lr'] = {_fmt(float(g[row, k]))}, expected {_fmt(float(e[row, k]))}; "
                          f"param_groups[{k}] around that step:{table}"
                          + _diagnosis(case, g, e, lo, hi, scale), details={"step": t, "group": k})


@judge
def wc_rates(case, got: dict, expected: dict, ctx: Context) -> Verdict:
    """The rate of every group at every step of the case's window."""
    start = case.args.get("last_epoch", -1) + 1  # row 0 is the rate of this step
    what = f" (built with last_epoch={case.args['last_epoch']}: the first rate is that of step {start})" \
        if "last_epoch" in case.args else ""
    return _compare(case, got.get("lrs"), expected["lrs"], rows_from=start, what=what)


@judge
def wc_resume(case, got: dict, expected: dict, ctx: Context) -> Verdict:
    """A run resumed from ``state_dict`` sets the rates of the same code uninterrupted, which must be right.

    The resumed run is compared with the student's own uninterrupted one, then that one with the
    reference, so that a scheduler that does nothing cannot pass."""
    split = case.args["split"]
    own, resumed = got.get("own"), got.get("resumed")
    if own is not None and resumed is not None and np.shape(own) == np.shape(resumed):
        scale = float(np.max(np.abs(own))) if np.size(own) else 1.0
        close = _close(np.asarray(resumed, float), np.asarray(own, float), scale)
        if not close.all():
            row, k = (int(i) for i in np.argwhere(~close)[0])
            return Verdict(False, f"{_setup(case)}: resumed from the optimizer's and the scheduler's state_dict() "
                                  f"after step {split} (into a new optimizer and a new WarmupCosine built the same "
                                  f"way), your scheduler set param_groups[{k}]['lr'] = {_fmt(float(resumed[row][k]))} "
                                  f"at step {row}, but {_fmt(float(own[row][k]))} without the interruption. "
                                  "LRScheduler's state_dict() saves every attribute of self except the optimizer: "
                                  "keep what get_lr() needs in plain attributes, and compute from last_epoch "
                                  "and base_lrs.", details={"step": row, "group": k})
    verdict = _compare(case, own, expected["own"], what=" (the run without interruption)")
    if verdict.passed:
        verdict.message = f"resumed after step {split}, the run continues exactly"
    else:
        verdict.message += "\n  Resuming is judged once the uninterrupted run is right."
    return verdict


# what to try when a case of this exercise fails and no catalogued mistake matches
HINTS.update({
    "wc_rates": "print [group['lr'] for group in optimizer.param_groups] after each scheduler.step() for the "
                "case's settings and compare them with the formula of the module docstring, step by step.",
    "wc_resume": "save scheduler.state_dict() in the middle of a run, load it into a new WarmupCosine and check "
                 "that the rates continue as in the uninterrupted run.",
})
