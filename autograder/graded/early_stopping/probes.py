"""Probes of the ``early_stopping`` exercise: drive an implementation and return what it did, as plain data.

Runs inside the student's sandboxed process (and in the grader's, on the reference): imports only
the standard library, NumPy, torch and :mod:`autograder.inside.probing`.
"""

from __future__ import annotations

import math
import os
import tempfile

import numpy as np

from autograder.inside.probing import StudentError, _kind, _need, _number, probe

def _es(module, kwargs: dict):
    return _need(module, "EarlyStopping")(**kwargs)

def _as_bool(name: str, value) -> bool:
    if not isinstance(value, (bool, np.bool_)):
        raise StudentError(f"EarlyStopping.step must return a bool (True = stop); it returned "
                           f"{_kind(value) if value is None else repr(value)}")
    return bool(value)

def _snapshot(es) -> dict:
    return {name: _number(getattr(es, name, "missing")) for name in ("counter", "best", "best_epoch")}

@probe
def early_stopping_sequence(module, metrics: list, kwargs: dict) -> dict:
    """Feed ``metrics`` one epoch at a time until ``step`` says stop; record every decision."""
    es = _es(module, kwargs)
    decisions, states = [], []
    for value in metrics:
        stop = _as_bool("step", es.step(value))
        decisions.append(stop)
        states.append(_snapshot(es))
        if stop:
            break
    return {"decisions": decisions, "states": states, "stopped_at": len(decisions) - 1 if decisions and decisions[-1] else None}

def _model_at(epoch: int):
    import torch

    model = torch.nn.Linear(3, 2)
    with torch.no_grad():
        for i, p in enumerate(model.parameters()):
            p.fill_(epoch + 0.25 * i)
    return model

@probe
def early_stopping_checkpoint(module, metrics: list, kwargs: dict) -> dict:
    """At epoch i the model's weights are all i; after training, restore_best must bring back the best epoch."""
    folder = tempfile.mkdtemp(prefix="es-")
    try:  # the probe runs in the grader's process too (reference, mistakes): leave no folder behind
        return _checkpoint_in(folder, module, metrics, kwargs)
    finally:
        import shutil

        shutil.rmtree(folder, ignore_errors=True)

def _checkpoint_in(folder: str, module, metrics: list, kwargs: dict) -> dict:
    import torch

    path = os.path.join(folder, "best.pt")
    es = _es(module, {**kwargs, "save_path": path})
    model = _model_at(0)
    saves = []
    for epoch, value in enumerate(metrics):
        with torch.no_grad():
            for i, p in enumerate(model.parameters()):
                p.fill_(epoch + 0.25 * i)
        before = os.path.getmtime(path) if os.path.exists(path) else None
        stop = _as_bool("step", es.step(value, model))
        after = os.path.getmtime(path) if os.path.exists(path) else None
        saves.append(after is not None and after != before)
        if stop:
            break
    with torch.no_grad():
        for p in model.parameters():
            p.fill_(-1.0)
    restored = es.restore_best(model)
    returned = "model" if restored is model else "None" if restored is None else type(restored).__name__
    weights = [p.detach().clone() for p in model.parameters()]
    # the epoch whose weights came back: weight = epoch + 0.25 * index
    epoch_back = float(weights[0].mean()) if weights[0].numel() else math.nan
    return {"restored_epoch": epoch_back, "weights": weights, "file_exists": os.path.exists(path), "returned": returned}

def _numpy_data() -> list:
    """What ``torch.load(weights_only=True)`` needs to read NumPy numbers and numeric arrays back.

    It refuses them by default, but they are data, not code: a correct state_dict may hold its best
    metric as an ``np.float64`` or a history as an array. Functions and other objects stay refused.
    """
    core = np._core.multiarray if hasattr(np, "_core") else np.core.multiarray
    dtypes = ("float16", "float32", "float64", "int8", "int16", "int32", "int64", "uint8", "bool")
    return [core.scalar, core._reconstruct, np.ndarray, np.dtype] + [type(np.dtype(d)) for d in dtypes]

@probe
def early_stopping_resume(module, metrics: list, kwargs: dict, split: int, fresh_kwargs: dict | None = None) -> dict:
    """Run ``split`` epochs, checkpoint ``state_dict()`` through torch.save/load, resume in a new object."""
    import io

    import torch

    own = _es(module, kwargs)  # the same run, never interrupted (and fed every metric, stop or not)
    own_states, own_decisions = [], []
    for value in metrics:
        own_decisions.append(_as_bool("step", own.step(value)))
        own_states.append(_snapshot(own))
    es = _es(module, kwargs)
    decisions = []
    for value in metrics[:split]:
        decisions.append(_as_bool("step", es.step(value)))
    state = es.state_dict()
    if not isinstance(state, dict):
        raise StudentError(f"state_dict() must return a dict; it returned {type(state).__name__}")
    buf = io.BytesIO()
    torch.save(state, buf)
    buf.seek(0)
    try:
        with torch.serialization.safe_globals(_numpy_data()):
            state = torch.load(buf, weights_only=True)
    except Exception as exc:  # noqa: BLE001
        raise StudentError("state_dict() must hold plain values (numbers, strings, None, lists, dicts, tensors, "
                           f"NumPy numbers and arrays) so that torch.load(weights_only=True) can read it back: {exc}") from None
    # built with fresh_kwargs (default: kwargs): a load_state_dict that forgets the settings shows
    fresh = _es(module, kwargs if fresh_kwargs is None else fresh_kwargs)
    fresh.load_state_dict(state)
    loaded = {**_snapshot(fresh), "epoch": _number(getattr(fresh, "epoch", "missing")),
              "should_stop": _number(getattr(fresh, "should_stop", "missing"))}
    for value in metrics[split:]:
        stop = _as_bool("step", fresh.step(value))
        decisions.append(stop)
        if stop:
            break
    return {"decisions": decisions, "final": _snapshot(fresh), "loaded": loaded, "own_decisions": own_decisions,
            "own_states": own_states}

@probe
def early_stopping_invalid(module, cases: list) -> dict:
    """Construct with each set of arguments; record what it raises (``None`` when nothing)."""
    _es(module, {}).step(1.0)  # the checks come with the stub: they earn points only once step() is written
    out = {}
    for kwargs in cases:
        try:
            _es(module, kwargs)
            out[repr(sorted(kwargs.items()))] = None
        except NotImplementedError:
            raise
        except Exception as exc:  # noqa: BLE001
            out[repr(sorted(kwargs.items()))] = type(exc).__name__
    return out

@probe
def early_stopping_fresh(module, kwargs: dict) -> dict:
    """What a new object holds before its first step, and ``is_improvement`` on it (values and types)."""
    es = _es(module, kwargs)
    attrs = {name: _number(getattr(es, name, "missing")) for name in ("best", "best_epoch", "counter", "epoch", "should_stop")}
    answers = {}
    for metric in (1.0, float("nan")):
        got = es.is_improvement(metric)
        answers[repr(metric)] = bool(got) if isinstance(got, (bool, np.bool_)) else f"not a bool: {got!r}"
    return {"attributes": attrs, "is_improvement": answers}

@probe
def early_stopping_optional_model(module, metrics: list) -> dict:
    """``step`` saves only with both a model and a save_path: each alone saves nothing and raises nothing."""
    folder = tempfile.mkdtemp(prefix="es-")
    try:
        out = {}
        for label, kwargs, with_model in (("model, save_path=None", {}, True),
                                          ("no model, save_path set", {"save_path": os.path.join(folder, "b.pt")}, False)):
            es = _es(module, {"patience": 2, **kwargs})
            try:
                for value in metrics:
                    if with_model:
                        es.step(value, _model_at(0))
                    else:
                        es.step(value)
                out[label] = "ran"
            except NotImplementedError:
                raise
            except Exception as exc:  # noqa: BLE001 - reported by type
                out[label] = f"raised {type(exc).__name__}"
        out["files written"] = sorted(os.listdir(folder))
        return out
    finally:
        import shutil

        shutil.rmtree(folder, ignore_errors=True)

@probe
def early_stopping_restore_errors(module) -> dict:
    """``restore_best`` without a save_path, and before anything was saved: what it raises."""
    folder = tempfile.mkdtemp(prefix="es-")
    try:
        out = {}
        for label, kwargs in (("save_path=None", {}), ("nothing saved yet", {"save_path": os.path.join(folder, "x.pt")})):
            es = _es(module, kwargs)
            try:
                es.restore_best(_model_at(0))
                out[label] = None
            except NotImplementedError:
                raise
            except Exception as exc:  # noqa: BLE001
                out[label] = type(exc).__name__
        return out
    finally:
        import shutil

        shutil.rmtree(folder, ignore_errors=True)
