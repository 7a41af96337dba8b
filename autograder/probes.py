"""Probes: drive an implementation of an exercise and return what it did, as plain data.

A probe is ``probe(module, **args) -> observation``. The same probe runs on the student's module
inside the sandbox (``harness.py``) and on the reference, ``torch.optim`` or a catalogued mistake
in the grader's own process; the grader then compares observations (``judges.py``). Probes only
observe: they never decide pass or fail.

This module is copied into the sandbox, so it imports only the standard library, NumPy and torch.
Every failure of the student's code surfaces as :class:`StudentError` with a message for the student.
"""

from __future__ import annotations

import math
import os
import tempfile
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


# --------------------------------------------------------------------------------------- adam ---
def _grad_problem(rng: np.random.Generator, n: int, dtype: str):
    """A curved, noisy problem: grad(w) = a * (w - c) + 0.3 * sin(3 w) + noise_t."""
    a = rng.uniform(0.1, 3.0, n).astype(dtype)
    c = rng.normal(0.0, 1.0, n).astype(dtype)
    return a, c


@probe
def adam_numpy(module, seed: int, n: int, steps: int, lr: float | None = None, betas=None, eps: float | None = None,
               dtype: str = "float64", grad_scale: float = 1.0) -> dict:
    """Drive ``adam_update`` for ``steps`` steps; hyperparameters left ``None`` are not passed (defaults)."""
    adam_update = _need(module, "adam_update")
    hyper = {k: v for k, v in (("lr", lr), ("betas", None if betas is None else tuple(betas)), ("eps", eps))
             if v is not None}
    rng = np.random.default_rng(seed)
    a, c = _grad_problem(rng, n, dtype)
    w = rng.normal(0.0, 1.0, n).astype(dtype)
    m = np.zeros(n, dtype)
    v = np.zeros(n, dtype)
    traj, m_traj, v_traj = (np.empty((steps, n), dtype) for _ in range(3))
    mutated_at, first_call = None, None

    def call(w, g, m, v, t):
        out = adam_update(w, g, m, v, t, **hyper)
        if not isinstance(out, tuple) or len(out) != 3:
            raise StudentError(f"adam_update must return a tuple (w, m, v); at t={t} it returned "
                               f"{_kind(out)}" + (f" of length {len(out)}" if isinstance(out, (tuple, list)) else ""))
        for name, arr in zip("wmv", out):
            if not isinstance(arr, np.ndarray):
                raise StudentError(f"adam_update returned {name} of type {_kind(arr)}; expected a NumPy array")
            if arr.shape != (n,):
                raise StudentError(f"adam_update returned {name} with shape {arr.shape}; expected {(n,)}, the shape of w")
        return [np.asarray(x, dtype=dtype) for x in out]

    for t in range(1, steps + 1):
        g = (grad_scale * (a * (w - c) + 0.3 * np.sin(3 * w)
                           + rng.normal(0.0, 0.5, n))).astype(dtype)
        before = (w.copy(), g.copy(), m.copy(), v.copy())
        first_call = first_call or before
        out = call(w, g, m, v, t)
        if mutated_at is None and not all(
            np.array_equal(x, y, equal_nan=True) for x, y in zip(before, (w, g, m, v))
        ):
            mutated_at = t
        w, m, v = out
        traj[t - 1], m_traj[t - 1], v_traj[t - 1] = w, m, v
    # the first call once more, with the same arguments: a function of its arguments gives the same
    # result; one that keeps state between calls (its own step counter, a cached m) does not
    again = call(*(x.copy() for x in first_call), 1)
    repeat_differs = not all(np.array_equal(x, y, equal_nan=True) for x, y in zip(again, (traj[0], m_traj[0], v_traj[0])))
    return {"traj": traj, "m": m, "v": v, "m_traj": m_traj, "v_traj": v_traj, "mutated_at": mutated_at,
            "repeat_differs": repeat_differs}


def _torch_dtype(name: str):
    import torch

    return {"float32": torch.float32, "float64": torch.float64}[name]


def _make_params(spec: dict):
    """Parameters, per-step loss terms and param groups of a seeded random problem."""
    import torch

    g = torch.Generator().manual_seed(spec["seed"])
    dtype, device = _torch_dtype(spec.get("dtype", "float32")), spec.get("device", "cpu")
    groups, terms = [], []
    for gi, group in enumerate(spec["groups"]):
        params = []
        for shape in group["shapes"]:
            p = torch.randn(shape, generator=g).to(dtype)
            a = torch.rand(shape, generator=g).to(dtype) * 2.9 + 0.1
            c = torch.randn(shape, generator=g).to(dtype)
            params.append(p.to(device).requires_grad_())
            terms.append((a.to(device), c.to(device)))
        options = {k: (tuple(v) if k == "betas" else v) for k, v in group.items() if k != "shapes"}
        groups.append({"params": params, **options})
    if spec.get("zero_grad_param"):  # in the loss with weight 0: its gradient is zeros, not None
        groups[0]["params"].append(torch.randn(3, generator=g).to(dtype).to(device).requires_grad_())
        terms.append(None)
    frozen = None
    if spec.get("no_grad_param"):
        frozen = torch.randn(3, generator=g).to(dtype).to(device).requires_grad_()
        if spec["no_grad_param"] == "first":  # a `break` instead of `continue` would skip the rest
            groups[0]["params"].insert(0, frozen)
        else:
            groups[0]["params"].append(frozen)
    noise = torch.Generator().manual_seed(spec["seed"] + 1)
    return groups, terms, frozen, noise


def _loss(params, terms, noise, dtype, device, scale: float = 1.0):
    import torch

    total = 0.0
    for p, term in zip(params, terms):
        if term is None:  # a parameter whose gradient is zero
            total = total + (p * 0.0).sum()
            continue
        a, c = term
        eps = (torch.randn(p.shape, generator=noise) * 0.5).to(dtype).to(device)
        total = total + (a * (p - c) ** 2).sum() + 0.3 * torch.cos(3 * p).sum() / 3 + (eps * p).sum()
    return total * scale


def param_layout(spec: dict) -> list[tuple[str, tuple]]:
    """Each parameter's name and shape, in the order of ``adam_torch``'s flattened trajectory (the
    parameter without gradient, wherever its group holds it, comes last)."""
    names, frozen = [], spec.get("no_grad_param")
    for gi, group in enumerate(spec["groups"]):
        shift = 1 if gi == 0 and frozen == "first" else 0
        for pi, shape in enumerate(group["shapes"]):
            names.append((f"param_groups[{gi}]['params'][{pi + shift}]", tuple(shape)))
        if gi == 0 and spec.get("zero_grad_param"):
            names.append((f"param_groups[0]['params'][{len(group['shapes']) + shift}] (its gradient is zero)", (3,)))
    if frozen:
        index = 0 if frozen == "first" else len(spec["groups"][0]["shapes"]) + bool(spec.get("zero_grad_param"))
        names.append((f"param_groups[0]['params'][{index}] (its .grad is None)", (3,)))
    return names


def _state_row(opt, params) -> tuple[np.ndarray, np.ndarray, np.ndarray, str | None]:
    """``exp_avg`` and ``exp_avg_sq`` of every parameter, flattened (NaN where the optimizer keeps none
    under torch's key names), each parameter's ``step``, and the first state tensor whose dtype or
    device is not its parameter's."""
    import torch

    avg, avg_sq, steps, mismatch = [], [], [], None
    state = getattr(opt, "state", None)
    for i, p in enumerate(params):
        st = state.get(p, {}) if hasattr(state, "get") else {}
        st = st if isinstance(st, dict) else {}
        for key, out in (("exp_avg", avg), ("exp_avg_sq", avg_sq)):
            value = st.get(key)
            if isinstance(value, torch.Tensor) and value.numel() == p.numel():
                out.append(value.detach().reshape(-1).double().cpu().numpy())
                if mismatch is None and (value.dtype != p.dtype or value.device != p.device):
                    mismatch = (f"state['{key}'] of parameter {i} is {str(value.dtype)[6:]} on {value.device.type}, "
                                f"but the parameter is {str(p.dtype)[6:]} on {p.device.type}")
            else:
                out.append(np.full(p.numel(), np.nan))
        try:
            steps.append(float(st["step"]) if "step" in st else math.nan)
        except (TypeError, ValueError, RuntimeError):
            steps.append(math.nan)
    return np.concatenate(avg), np.concatenate(avg_sq), np.array(steps, dtype=np.float64), mismatch


def _flat(groups) -> np.ndarray:
    import torch

    with torch.no_grad():
        return torch.cat([p.detach().reshape(-1).double().cpu() for gr in groups for p in gr["params"]]).numpy()


@probe
def adam_torch(module, spec: dict) -> dict:
    """Run ``spec["optimizer"]`` (``Adam`` or ``AdamW``) for ``spec["steps"]`` steps on a random problem.

    Options: ``lr_change`` {step, group, lr} edits a group's lr mid-run (as a scheduler does);
    ``resume_at`` rebuilds parameters and optimizer from ``state_dict()`` at that step;
    ``closure`` passes a closure to ``step`` and records what it returns.
    """
    import torch

    cls = _need(module, spec.get("optimizer", "Adam"))
    dtype, device = _torch_dtype(spec.get("dtype", "float32")), spec.get("device", "cpu")
    groups, terms, frozen, noise = _make_params(spec)
    defaults = spec.get("defaults", {})
    defaults = {k: (tuple(v) if k == "betas" else v) for k, v in defaults.items()}
    opt = cls(groups, **defaults)
    if not isinstance(opt, torch.optim.Optimizer):
        raise StudentError(f"{spec.get('optimizer', 'Adam')} must subclass torch.optim.Optimizer")
    trained = [p for gr in groups for p in gr["params"] if p is not frozen]
    traj, returned, grad_changed_at, grad_change = [], [], None, None
    init = _flat([{"params": trained + ([frozen] if frozen is not None else [])}])
    avg, avg_sq, state_steps, mismatch = [], [], [], None
    for step in range(1, spec["steps"] + 1):
        change = spec.get("lr_change")
        if change and step == change["step"]:
            opt.param_groups[change["group"]]["lr"] = change["lr"]
        if spec.get("resume_at") == step:
            state = opt.state_dict()
            new_groups = [{**{k: v for k, v in gr.items() if k != "params"},
                           "params": [p.detach().clone().requires_grad_() for p in gr["params"]]}
                          for gr in opt.param_groups]
            frozen_idx = None
            if frozen is not None:
                frozen_idx = next(i for i, p in enumerate(opt.param_groups[0]["params"]) if p is frozen)
            groups = [{"params": gr["params"]} for gr in new_groups]
            opt = cls(new_groups, **defaults)
            opt.load_state_dict(state)
            if frozen is not None:
                frozen = groups[0]["params"][frozen_idx]
            trained = [p for gr in groups for p in gr["params"] if p is not frozen]

        def closure():
            opt.zero_grad()
            loss = _loss(trained, terms, noise, dtype, device, spec.get("grad_scale", 1.0))
            loss.backward()
            return loss

        if spec.get("closure"):
            out = opt.step(closure)
            returned.append(float(out.detach()) if isinstance(out, torch.Tensor) else float("nan"))
        else:
            closure()
            grads = [None if p.grad is None else p.grad.detach().clone() for p in trained]
            before = _flat([{"params": trained}])
            opt.step()
            if grad_changed_at is None and any(
                    (p.grad is None) != (g0 is None) or (g0 is not None and not torch.equal(p.grad, g0))
                    for p, g0 in zip(trained, grads)):
                grad_changed_at = step
                if all(g0 is not None and p.grad is not None for p, g0 in zip(trained, grads)):
                    grad_change = {"before": _flat([{"params": grads}]), "param": before,
                                   "after": _flat([{"params": [p.grad for p in trained]}])}
        everything = trained + ([frozen] if frozen is not None else [])
        traj.append(_flat([{"params": everything}]))
        row = _state_row(opt, everything)
        avg.append(row[0])
        avg_sq.append(row[1])
        state_steps.append(row[2])
        mismatch = mismatch or row[3]
    # the optimizer state after every step, where it is kept under torch's names: shown on a failure
    obs = {"traj": np.stack(traj), "init": init, "exp_avg": np.stack(avg), "exp_avg_sq": np.stack(avg_sq),
           "state_step": np.stack(state_steps), "state_mismatch": mismatch}
    if spec.get("grads_untouched"):  # judged only where a case asks: p.grad belongs to the caller
        obs["grad_changed_at"] = grad_changed_at
        obs["grad_change"] = grad_change
    if spec.get("closure"):
        obs["returned"] = np.array(returned)
    if frozen is not None:
        st = opt.state.get(frozen, {})
        obs["frozen_has_state"] = bool(len(st))
        obs["frozen_grad_is_none"] = frozen.grad is None
    return obs


@probe
def adam_validation(module, cases: list, optimizer: str = "Adam") -> dict:
    """Construct the optimizer with each set of arguments; record what it raises (``None`` when nothing)."""
    import torch

    cls = _need(module, optimizer)
    # the checks come with the stub: they earn points only once step() is written too
    p = torch.zeros(2, requires_grad=True)
    p.grad = torch.ones(2)
    cls([p]).step()
    raised = {}
    for kwargs in cases:
        p = torch.zeros(2, requires_grad=True)
        kw = {k: (tuple(v) if k == "betas" else v) for k, v in kwargs.items()}
        try:
            cls([p], **kw)
            raised[repr(sorted(kwargs.items()))] = None
        except NotImplementedError:
            raise
        except Exception as exc:  # noqa: BLE001 - we report the type
            raised[repr(sorted(kwargs.items()))] = type(exc).__name__
    return raised


@probe
def adam_update_validation(module, steps: list) -> dict:
    """Call ``adam_update`` with each step number ``t``; record what it raises (``None`` when nothing)."""
    adam_update = _need(module, "adam_update")
    raised = {}
    for t in steps:
        w = np.ones(3)
        try:
            adam_update(w, np.ones(3), np.zeros(3), np.zeros(3), t)
            raised[f"t={t}"] = None
        except NotImplementedError:
            raise
        except Exception as exc:  # noqa: BLE001 - we report the type
            raised[f"t={t}"] = type(exc).__name__
    return raised


# ------------------------------------------------------------------------------------ dropout ---
def _positive(rng: np.random.Generator, shape, dtype: str) -> np.ndarray:
    return rng.uniform(0.5, 1.5, size=shape).astype(dtype)


def _check_array(name: str, out, x: np.ndarray) -> np.ndarray:
    if not isinstance(out, np.ndarray):
        raise StudentError(f"{name} must return a NumPy array; it returned {_kind(out)}")
    if out.shape != x.shape:
        raise StudentError(f"{name} returned shape {out.shape}; expected {x.shape}, the shape of x")
    return out


@probe
def dropout_numpy(module, p: float, shape, seed: int, training: bool = True, dtype: str = "float32",
                  defaults: bool = False) -> dict:
    """Call ``dropout`` once; with ``defaults`` as ``dropout(x)`` (``p`` is then the documented default)."""
    dropout = _need(module, "dropout")
    x = _positive(np.random.default_rng(seed), shape, dtype)
    x_before = x.copy()
    if defaults:
        out = _check_array("dropout", dropout(x), x)
    else:
        out = _check_array("dropout", dropout(x, p=p, training=training, rng=np.random.default_rng(seed + 1)), x)
    return {"x": x_before, "out": out, "dtype": out.dtype.name, "x_modified": not np.array_equal(x, x_before)}


@probe
def dropout_numpy_rng(module, p: float, shape, seed: int) -> dict:
    """Same generator state -> same mask (whatever the global NumPy seed); another seed -> another mask."""
    dropout = _need(module, "dropout")
    x = _positive(np.random.default_rng(seed), shape, "float64")
    np.random.seed(1)
    a = _check_array("dropout", dropout(x.copy(), p=p, training=True, rng=np.random.default_rng(seed)), x)
    np.random.seed(2)
    b = _check_array("dropout", dropout(x.copy(), p=p, training=True, rng=np.random.default_rng(seed)), x)
    c = _check_array("dropout", dropout(x.copy(), p=p, training=True, rng=np.random.default_rng(seed + 7)), x)
    gen = np.random.default_rng(seed)
    d = _check_array("dropout", dropout(x.copy(), p=p, training=True, rng=gen), x)
    e = _check_array("dropout", dropout(x.copy(), p=p, training=True, rng=gen), x)
    return {"same_seed_same": bool(np.array_equal(a, b)), "other_seed_differs": not np.array_equal(a, c),
            "successive_calls_differ": not np.array_equal(d, e)}


@probe
def dropout_module(module, p: float, shape, seed: int, train: bool = True, dtype: str = "float32",
                   device: str = "cpu", calls: int = 2, defaults: bool = False) -> dict:
    """Forward ``calls`` times, backward once through the first call; return outputs and gradients.

    With ``defaults`` the layer is built as ``Dropout()`` (``p`` is then the documented default)."""
    import torch

    cls = _need(module, "Dropout")
    layer = cls() if defaults else cls(p)
    if not isinstance(layer, torch.nn.Module):
        raise StudentError("Dropout must subclass torch.nn.Module")
    layer.train(train)
    torch.manual_seed(seed)
    dt = _torch_dtype(dtype)
    x = (torch.rand(shape, dtype=dt) + 0.5).to(device).requires_grad_()
    w = (torch.rand(shape, dtype=dt) + 0.5).to(device)
    outs = []
    for _ in range(calls):
        out = layer(x)
        if not isinstance(out, torch.Tensor):
            raise StudentError(f"Dropout.forward must return a tensor; it returned {_kind(out)}")
        if out.shape != x.shape:
            raise StudentError(f"Dropout.forward returned shape {tuple(out.shape)}; expected {tuple(x.shape)}")
        outs.append(out)
    grad = None
    if outs[0].requires_grad:
        (outs[0] * w).sum().backward()
        grad = x.grad
    return {"x": x, "w": w, "outs": [o for o in outs], "grad": grad, "dtype": str(outs[0].dtype).replace("torch.", ""),
            "device": outs[0].device.type, "requires_grad": outs[0].requires_grad}


@probe
def dropout_module_seeded(module, p: float, shape, seed: int) -> dict:
    """``torch.manual_seed`` makes the module's mask repeat (it draws from PyTorch's generator)."""
    import torch

    layer = _need(module, "Dropout")(p)
    layer.train()
    x = torch.ones(shape)
    torch.manual_seed(seed)
    a = layer(x)
    torch.manual_seed(seed)
    b = layer(x)
    return {"repeat": bool(torch.equal(a, b))}


@probe
def dropout_invalid_p(module, values: list) -> dict:
    """What ``dropout(x, p)`` and ``Dropout(p)`` raise for probabilities outside [0, 1]."""
    out = {}
    x = np.ones(4)
    for p in values:
        for name, call in (("dropout", lambda: _need(module, "dropout")(x, p=p, training=True, rng=np.random.default_rng(0))),
                           ("Dropout", lambda: _need(module, "Dropout")(p))):
            try:
                call()
                out[f"{name}({p})"] = None
            except NotImplementedError:
                raise
            except Exception as exc:  # noqa: BLE001
                out[f"{name}({p})"] = type(exc).__name__
    return out


# ----------------------------------------------------------------------------- early stopping ---
def _es(module, kwargs: dict):
    return _need(module, "EarlyStopping")(**kwargs)


def _as_bool(name: str, value) -> bool:
    if not isinstance(value, (bool, np.bool_)):
        raise StudentError(f"EarlyStopping.step must return a bool (True = stop); it returned "
                           f"{_kind(value) if value is None else repr(value)}")
    return bool(value)


def _number(value):
    """A NumPy scalar or a 0-d tensor or array as the Python number it holds; anything else unchanged.

    A correct EarlyStopping may keep ``best`` as an ``np.float32`` (Keras-style) or a float32 tensor
    (Lightning) and its counters as NumPy integers; the judge compares numbers, not containers.
    """
    import torch

    if isinstance(value, (torch.Tensor, np.ndarray, np.generic)) and value.ndim == 0:
        return value.item()
    return value


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
