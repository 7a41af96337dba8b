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


# --------------------------------------------------------------------------------------- adam ---
def _grad_problem(rng: np.random.Generator, n: int, dtype: str):
    """A curved, noisy problem: grad(w) = a * (w - c) + 0.3 * sin(3 w) + noise_t."""
    a = rng.uniform(0.1, 3.0, n).astype(dtype)
    c = rng.normal(0.0, 1.0, n).astype(dtype)
    return a, c


@probe
def adam_numpy(module, seed: int, n: int, steps: int, lr: float, betas, eps: float,
               dtype: str = "float64", grad_scale: float = 1.0) -> dict:
    adam_update = _need(module, "adam_update")
    rng = np.random.default_rng(seed)
    a, c = _grad_problem(rng, n, dtype)
    w = rng.normal(0.0, 1.0, n).astype(dtype)
    m = np.zeros(n, dtype)
    v = np.zeros(n, dtype)
    traj = np.empty((steps, n), dtype)
    mutated_at = None
    for t in range(1, steps + 1):
        g = (grad_scale * (a * (w - c) + 0.3 * np.sin(3 * w)
                           + rng.normal(0.0, 0.5, n))).astype(dtype)
        before = (w.copy(), g.copy(), m.copy(), v.copy())
        out = adam_update(w, g, m, v, t, lr=lr, betas=tuple(betas), eps=eps)
        if mutated_at is None and not all(
            np.array_equal(x, y, equal_nan=True) for x, y in zip(before, (w, g, m, v))
        ):
            mutated_at = t
        if not isinstance(out, tuple) or len(out) != 3:
            raise StudentError(f"adam_update must return a tuple (w, m, v); at t={t} it returned "
                               f"{type(out).__name__}" + (f" of length {len(out)}" if isinstance(out, (tuple, list)) else ""))
        for name, arr in zip("wmv", out):
            if not isinstance(arr, np.ndarray):
                raise StudentError(f"adam_update returned {name} of type {type(arr).__name__}; expected a NumPy array")
            if arr.shape != (n,):
                raise StudentError(f"adam_update returned {name} with shape {arr.shape}; expected {(n,)}, the shape of w")
        w, m, v = (np.asarray(x, dtype=dtype) for x in out)
        traj[t - 1] = w
    return {"traj": traj, "m": m, "v": v, "mutated_at": mutated_at}


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
    frozen = None
    if spec.get("no_grad_param"):
        frozen = torch.randn(3, generator=g).to(dtype).to(device).requires_grad_()
        groups[0]["params"].append(frozen)
    noise = torch.Generator().manual_seed(spec["seed"] + 1)
    return groups, terms, frozen, noise


def _loss(params, terms, noise, dtype, device):
    import torch

    total = 0.0
    for p, (a, c) in zip(params, terms):
        eps = (torch.randn(p.shape, generator=noise) * 0.5).to(dtype).to(device)
        total = total + (a * (p - c) ** 2).sum() + 0.3 * torch.cos(3 * p).sum() / 3 + (eps * p).sum()
    return total


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
    traj, returned = [], []
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
            loss = _loss(trained, terms, noise, dtype, device)
            loss.backward()
            return loss

        if spec.get("closure"):
            out = opt.step(closure)
            returned.append(float(out.detach()) if isinstance(out, torch.Tensor) else float("nan"))
        else:
            closure()
            opt.step()
        traj.append(_flat([{"params": trained + ([frozen] if frozen is not None else [])}]))
    obs = {"traj": np.stack(traj)}
    if spec.get("closure"):
        obs["returned"] = np.array(returned)
    if frozen is not None:
        st = opt.state.get(frozen, {})
        obs["frozen_has_state"] = bool(len(st))
        obs["frozen_grad_is_none"] = frozen.grad is None
    return obs


@probe
def adam_validation(module, cases: list) -> dict:
    """Construct the optimizer with invalid arguments; record what it raises (``None`` when nothing)."""
    import torch

    cls = _need(module, "Adam")
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


# ------------------------------------------------------------------------------------ dropout ---
def _positive(rng: np.random.Generator, shape, dtype: str) -> np.ndarray:
    return rng.uniform(0.5, 1.5, size=shape).astype(dtype)


def _check_array(name: str, out, x: np.ndarray) -> np.ndarray:
    if not isinstance(out, np.ndarray):
        raise StudentError(f"{name} must return a NumPy array; it returned {type(out).__name__}")
    if out.shape != x.shape:
        raise StudentError(f"{name} returned shape {out.shape}; expected {x.shape}, the shape of x")
    return out


@probe
def dropout_numpy(module, p: float, shape, seed: int, training: bool = True, dtype: str = "float32") -> dict:
    dropout = _need(module, "dropout")
    x = _positive(np.random.default_rng(seed), shape, dtype)
    x_before = x.copy()
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
                   device: str = "cpu", calls: int = 2) -> dict:
    """Forward ``calls`` times, backward once through the first call; return outputs and gradients."""
    import torch

    cls = _need(module, "Dropout")
    layer = cls(p)
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
            raise StudentError(f"Dropout.forward must return a tensor; it returned {type(out).__name__}")
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
        raise StudentError(f"EarlyStopping.step must return a bool (True = stop); it returned {value!r}")
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
    if restored is not None and restored is not model:
        raise StudentError("restore_best(model) should load the weights into model and return that model")
    weights = [p.detach().clone() for p in model.parameters()]
    # the epoch whose weights came back: weight = epoch + 0.25 * index
    epoch_back = float(weights[0].mean()) if weights[0].numel() else math.nan
    return {"restored_epoch": epoch_back, "weights": weights, "file_exists": os.path.exists(path)}


def _numpy_data() -> list:
    """What ``torch.load(weights_only=True)`` needs to read NumPy numbers and numeric arrays back.

    It refuses them by default, but they are data, not code: a correct state_dict may hold its best
    metric as an ``np.float64`` or a history as an array. Functions and other objects stay refused.
    """
    core = np._core.multiarray if hasattr(np, "_core") else np.core.multiarray
    dtypes = ("float16", "float32", "float64", "int8", "int16", "int32", "int64", "uint8", "bool")
    return [core.scalar, core._reconstruct, np.ndarray, np.dtype] + [type(np.dtype(d)) for d in dtypes]


@probe
def early_stopping_resume(module, metrics: list, kwargs: dict, split: int) -> dict:
    """Run ``split`` epochs, checkpoint ``state_dict()`` through torch.save/load, resume in a new object."""
    import io

    import torch

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
    fresh = _es(module, kwargs)
    fresh.load_state_dict(state)
    for value in metrics[split:]:
        stop = _as_bool("step", fresh.step(value))
        decisions.append(stop)
        if stop:
            break
    return {"decisions": decisions, "final": _snapshot(fresh)}


@probe
def early_stopping_invalid(module, cases: list) -> dict:
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
