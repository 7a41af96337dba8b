"""Probes of the ``adam`` exercise: drive an implementation and return what it did, as plain data.

Runs inside the student's sandboxed process (and in the grader's, on the reference): imports only
the standard library, NumPy, torch and :mod:`autograder.inside.probing`.
"""

from __future__ import annotations

import math

import numpy as np

from autograder.inside.probing import StudentError, _kind, _need, _torch_dtype, probe

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
