"""Judges of the ``early_stopping`` exercise: compare a student's observation with the reference's.

Runs in the grader's process, never in the sandbox. Each judge registers itself by name
(``autograder.judges.JUDGES``); the cases name them.
"""

from __future__ import annotations



from autograder.judges import HINTS, MATCHERS, Context, Verdict, _fmt, _same, judge

@judge
def exact(case, got: dict, expected: dict, ctx: Context) -> Verdict:
    """Early-stopping decisions and counters, epoch by epoch."""
    metrics = case.args.get("metrics", [])
    gd, ed = got.get("decisions", []), expected.get("decisions", [])
    gs, es = got.get("states", []), expected.get("states", [])
    for epoch in range(max(len(gd), len(ed))):
        value = metrics[epoch] if epoch < len(metrics) else None
        if epoch >= len(gd):
            return Verdict(False, f"the run stopped at epoch {len(gd) - 1}; expected it to go on until epoch "
                                  f"{len(ed) - 1} (metrics {metrics[:len(ed)]}, {case.args.get('kwargs')})")
        if epoch >= len(ed):
            return Verdict(False, f"expected step() to return True at epoch {len(ed) - 1}, but it returned False "
                                  f"(metrics {metrics[:len(ed)]}, {case.args.get('kwargs')})")
        if gd[epoch] != ed[epoch]:
            return Verdict(False, f"at epoch {epoch} (metric {value}) step() returned {gd[epoch]}, expected "
                                  f"{ed[epoch]} (metrics so far {metrics[:epoch + 1]}, {case.args.get('kwargs')})",
                           details={"epoch": epoch})
        if epoch < len(es) and epoch < len(gs) and not _same(gs[epoch], es[epoch]):
            diff = {k: (gs[epoch].get(k), es[epoch][k]) for k in es[epoch] if not _same(gs[epoch].get(k), es[epoch][k])}
            text = ", ".join(f"{k} = {g!r} (expected {e!r})" for k, (g, e) in diff.items())
            return Verdict(False, f"after epoch {epoch} (metric {value}; metrics so far {metrics[:epoch + 1]}, "
                                  f"{case.args.get('kwargs')}): {text}", details={"epoch": epoch})
    if "final" in expected and not _same(got.get("final"), expected["final"]):
        return Verdict(False, f"after resuming, the state differs: expected {expected['final']}, got {got.get('final')}")
    return Verdict(True, f"{len(ed)} epochs decided as expected")

@judge
def es_checkpoint(case, got: dict, expected: dict, ctx: Context) -> Verdict:
    if not got.get("file_exists"):
        return Verdict(False, "no checkpoint file was written to save_path (torch.save(model.state_dict(), save_path))")
    if got.get("restored_epoch") != expected["restored_epoch"]:  # an epoch's weights, all equal to it: exact
        return Verdict(False, f"restore_best brought back the weights of epoch {got.get('restored_epoch'):g}; "
                              f"the best epoch was {expected['restored_epoch']:g} "
                              f"(metrics {case.args['metrics']})")
    return Verdict(True, f"the weights of the best epoch ({expected['restored_epoch']:g}) came back")

# Each case of early stopping judges one thing (the stop decision, the counter, which epochs
# improve, best, best_epoch), so that one mistake costs the cases about it and no other.
def _es_epochs(case, got: dict, expected: dict) -> tuple[list, list, Verdict | None]:
    """The per-epoch states of both runs; a verdict when the student's run stopped before the reference's."""
    gs, es = got.get("states", []), expected.get("states", [])
    if len(gs) < len(es):
        return gs, es, Verdict(False, f"step() returned True after epoch {len(gs) - 1}, but with "
                                      f"{case.args.get('kwargs')} the run goes on to epoch {len(es) - 1} "
                                      f"(metrics {case.args.get('metrics')})")
    return gs[:len(es)], es, None

def _es_compare(case, got, expected, what: str, value, same=None) -> Verdict:
    gs, es, early = _es_epochs(case, got, expected)
    if early:
        return early
    same = same or _same
    metrics = case.args.get("metrics", [])
    for epoch, (g, e) in enumerate(zip(gs, es)):
        if not same(value(gs, epoch), value(es, epoch)):
            return Verdict(False, f"after epoch {epoch} (metric {metrics[epoch]!r}; metrics so far "
                                  f"{metrics[:epoch + 1]}, {case.args.get('kwargs')}): {what} = "
                                  f"{_fmt(value(gs, epoch))}, expected {_fmt(value(es, epoch))}",
                           details={"epoch": epoch})
    return Verdict(True, f"{what} as expected after each of {len(es)} epochs")

def _improved(states: list, epoch: int) -> bool:
    """Whether an epoch counted as an improvement, by any of the signs a correct run shows: the counter
    went back to 0, best_epoch moved, or best changed. One wrong attribute cannot hide or fake it."""
    s = states[epoch]
    prev = states[epoch - 1] if epoch else {"best": None, "best_epoch": None}
    return (_same(s.get("counter"), 0) or not _same(s.get("best_epoch"), prev.get("best_epoch"))
            or not _same(s.get("best"), prev.get("best")))

@judge
def es_stops(case, got: dict, expected: dict, ctx: Context) -> Verdict:
    """Only the stop decision of each epoch (``step``'s return value)."""
    metrics, kwargs = case.args.get("metrics", []), case.args.get("kwargs")
    gd, ed = got.get("decisions", []), expected.get("decisions", [])
    for epoch in range(max(len(gd), len(ed))):
        if epoch >= len(gd) or epoch >= len(ed) or gd[epoch] != ed[epoch]:
            want = ed[epoch] if epoch < len(ed) else "(the run had stopped)"
            have = gd[epoch] if epoch < len(gd) else "(your run had stopped)"
            return Verdict(False, f"at epoch {epoch} (metric {metrics[epoch]!r}; metrics so far {metrics[:epoch + 1]}, "
                                  f"{kwargs}) step() returned {have}, expected {want}", details={"epoch": epoch})
    return Verdict(True, f"stopped after epoch {len(ed) - 1}, as expected")

@judge
def es_counter(case, got: dict, expected: dict, ctx: Context) -> Verdict:
    return _es_compare(case, got, expected, "counter", lambda s, i: s[i].get("counter"))

@judge
def es_improvements(case, got: dict, expected: dict, ctx: Context) -> Verdict:
    """Which epochs count as an improvement (seen in the counter, best and best_epoch together)."""
    v = _es_compare(case, got, expected, "improved", lambda s, i: _improved(s, i), same=lambda a, b: a == b)
    if not v.passed:
        v.message = v.message.replace("improved = True, expected False", "this epoch counted as an improvement; "
                                      "it should not have").replace("improved = False, expected True",
                                                                    "this epoch did not count as an improvement; it should have")
    return v

@judge
def es_best(case, got: dict, expected: dict, ctx: Context) -> Verdict:
    return _es_compare(case, got, expected, "best", lambda s, i: s[i].get("best"))

@judge
def es_best_epoch(case, got: dict, expected: dict, ctx: Context) -> Verdict:
    v = _es_compare(case, got, expected, "best_epoch", lambda s, i: s[i].get("best_epoch"))
    if not v.passed:
        v.message += " (best_epoch counts step() calls from 0)"
    return v

@judge
def es_resume(case, got: dict, expected: dict, ctx: Context) -> Verdict:
    """A run resumed from ``state_dict`` decides as the same code does uninterrupted, and keeps its state.

    It compares the student's code with itself, so a mistake of the stop rule costs the cases about
    the stop rule, not this one; its ``best`` must still follow the reference's, so that a class that
    does nothing cannot pass."""
    metrics, kwargs, split = case.args["metrics"], case.args.get("kwargs"), case.args.get("split")
    gd, own = got.get("decisions", []), got.get("own_decisions", [])
    if gd != own[:len(gd)]:
        n = len(gd)
        return Verdict(False, f"resumed from state_dict() after epoch {split - 1}, your EarlyStopping decided "
                              f"{gd[split:]} for epochs {split} to {n - 1}, but {own[split:n]} without the "
                              f"interruption (metrics {metrics}, {kwargs}): save and load every attribute the "
                              "decisions depend on")
    own_states = got.get("own_states", [])
    own_final = own_states[len(gd) - 1] if 0 < len(gd) <= len(own_states) else None
    if not _same(got.get("final"), own_final):
        return Verdict(False, f"after resuming, the state after epoch {len(gd) - 1} is {got.get('final')}; without "
                              f"the interruption it is {own_final} (metrics {metrics}, {kwargs})")
    ge = [s.get("best") for s in got.get("own_states", [])]
    ee = [s.get("best") for s in expected.get("own_states", [])]
    n = min(len(ge), len(ee))
    if n == 0 or not _same(ge[:n], ee[:n]):
        return Verdict(False, f"the run without interruption keeps best = {ge[:n]}; expected {ee[:n]} "
                              f"(metrics {metrics}, {kwargs}): resuming is judged once best is right")
    return Verdict(True, "the resumed run decides exactly as the uninterrupted one")

@judge
def es_restore_returns(case, got: dict, expected: dict, ctx: Context) -> Verdict:
    returned = got.get("returned")
    if returned == "model":
        return Verdict(True, "restore_best(model) returns model")
    if returned == "None":
        return Verdict(False, "restore_best(model) returned None; it should return the model it loaded into "
                              "(return model)", mistake="es_restore_returns_none", symptom="returned_none")
    return Verdict(False, f"restore_best(model) returned a {returned}; it should load the weights into the model "
                          "it was given and return that same object")

@judge
def resume_loaded(case, got: dict, expected: dict, ctx: Context) -> Verdict:
    """Right after ``load_state_dict`` into a differently built object: the state, then the decisions."""
    built = case.args.get("fresh_kwargs")
    where = (f"after {case.args['split']} epochs of {case.args['metrics']} with {case.args['kwargs']}, state_dict() "
             f"was loaded into EarlyStopping(**{built})")
    g, e = got.get("loaded", {}), expected["loaded"]
    wrong = [f"{k} = {_fmt(g.get(k, '<missing>'))} (expected {_fmt(v)})" for k, v in e.items() if not _same(g.get(k), v)]
    if wrong:
        return Verdict(False, f"{where}; right after loading: {', '.join(wrong)}. load_state_dict must restore every "
                              "setting and counter, should_stop included.")
    if got.get("decisions") != expected["decisions"]:
        metrics, split = case.args["metrics"], case.args["split"]
        gd, ed = got.get("decisions") or [], expected["decisions"]
        first = next((i for i in range(max(len(gd), len(ed))) if i >= len(gd) or i >= len(ed) or gd[i] != ed[i]), 0)
        return Verdict(False, f"{where}; at epoch {first} (metric {metrics[first] if first < len(metrics) else '-'}) the "
                              f"resumed run decided {gd[first] if first < len(gd) else 'nothing (it had stopped)'}, "
                              f"expected {ed[first] if first < len(ed) else 'nothing (it had stopped)'} (all decisions: "
                              f"{gd}, expected {ed}; the first {split} came before the interruption). Either the loaded "
                              "object does not use the loaded patience, min_delta and mode (not those it was built "
                              "with), or should_stop is not recomputed on each step (stop = counter >= patience, so "
                              "an improvement after a stop says False again).")
    return Verdict(True, "resumed exactly, settings included")


# what to try when a case of this exercise fails and no catalogued mistake matches
HINTS.update({
    "exact": "replay the metrics above by hand: after each epoch write down best, counter and whether to stop.",
    "es_checkpoint": "save model.state_dict() only when the metric improves; restore_best loads that file.",
})


# judges that compare the student with itself: how to tell a catalogued mistake's observation
MATCHERS.update({
    "es_resume": lambda got, mutant: all(_same(got.get(k), mutant.get(k)) for k in ("decisions", "final", "own_decisions")),
})
