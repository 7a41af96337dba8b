"""Probes of the ``grad_accumulation`` exercise: run a training pass or a clipping, return what happened as data.

Runs inside the student's sandboxed process (and in the grader's, on the reference, on the
big-batch loop with ``torch.nn.utils.clip_grad_norm_`` and on the catalogued mistakes): imports only
the standard library, NumPy, torch and :mod:`autograder.inside.probing`. Every model and data set
is built from a seed, so that the student's run and the reference's see the same numbers.

``ga_train`` watches the optimizer with step hooks: the gradient each ``optimizer.step()`` receives
(after clipping) and the parameters after it, so a judge can say which step first differs.
"""

from __future__ import annotations

import numpy as np

from autograder.inside.probing import StudentError, _kind, _need, _number, _torch_dtype, probe

RECORD_KEYS = ("loss", "grad_norm", "samples", "micro_batches")
IN, OUT = 6, 4  # features in, outputs (classes for "ce")


def _norm_type(value) -> float:
    return float(value)  # "inf" in the cases' JSON is float("inf")


def build_model(kind: str, seed: int, dtype: str):
    """``mlp``: Linear-Tanh-Linear; ``frozen``: the same with its first layer frozen and a parameter
    ``spare`` that the forward pass never uses; ``bn``: with a BatchNorm1d (train and eval mode differ)."""
    import torch
    from torch import nn

    torch.manual_seed(seed)
    if kind == "bn":
        model = nn.Sequential(nn.Linear(IN, 16), nn.BatchNorm1d(16), nn.Tanh(), nn.Linear(16, OUT))
    else:
        model = nn.Sequential(nn.Linear(IN, 16), nn.Tanh(), nn.Linear(16, OUT))
    if kind == "frozen":
        model[0].requires_grad_(False)
        model.spare = nn.Parameter(torch.randn(3))  # registered, never used: its grad stays None
    return model.to(_torch_dtype(dtype))


def layout(kind: str) -> list:
    """Each parameter's name and shape, in the order of ``model.parameters()`` (the flattened rows)."""
    model = build_model(kind, 0, "float64")
    return [(name, list(p.shape)) for name, p in model.named_parameters()]


def _data(spec: dict) -> list:
    """The micro-batches: ``(x, y)`` of the sizes ``spec["sizes"]``, drawn from one seeded generator."""
    import torch

    g = torch.Generator().manual_seed(spec["seed"] + 1000)
    dtype = _torch_dtype(spec.get("dtype", "float64"))
    out = []
    for n in spec["sizes"]:
        x = torch.randn(n, IN, generator=g).to(dtype)
        if spec.get("loss", "ce") == "ce":
            y = torch.randint(0, OUT, (n,), generator=g)
        else:
            y = (torch.randn(n, OUT, generator=g) * spec.get("target_scale", 1.0)).to(dtype)
        out.append((x, y))
    return out


def _loss_fn(spec: dict):
    from torch import nn

    return nn.CrossEntropyLoss() if spec.get("loss", "ce") == "ce" else nn.MSELoss()


def _optimizer(spec: dict, model):
    import torch

    cls = {"SGD": torch.optim.SGD, "Adam": torch.optim.Adam, "AdamW": torch.optim.AdamW}[spec.get("optimizer", "SGD")]
    return cls(model.parameters(), **spec.get("opt", {"lr": 0.1}))


def _flat_params(model) -> np.ndarray:
    return np.concatenate([p.detach().reshape(-1).double().cpu().numpy() for p in model.parameters()])


def _flat_grads(model) -> np.ndarray:
    """Every parameter's gradient, flattened; NaN where ``p.grad`` is ``None``."""
    return np.concatenate([p.grad.detach().reshape(-1).double().cpu().numpy() if p.grad is not None
                           else np.full(p.numel(), np.nan) for p in model.parameters()])


def _flat_buffers(model) -> np.ndarray:
    bufs = [b.detach().reshape(-1).double().cpu().numpy() for b in model.buffers() if b.is_floating_point()]
    return np.concatenate(bufs) if bufs else np.zeros(0)


def _record(i: int, r) -> dict:
    """One returned record as plain numbers; a StudentError names what is missing."""
    if not isinstance(r, dict):
        raise StudentError(f"record {i} is {_kind(r)}; each record must be a dict with the keys {list(RECORD_KEYS)}")
    missing = [k for k in RECORD_KEYS if k not in r]
    if missing:
        raise StudentError(f"record {i} has no {missing}; each record must be a dict with the keys "
                           f"{list(RECORD_KEYS)} (it has {sorted(map(str, r))})")
    import torch

    out = {"attached": sorted(k for k in RECORD_KEYS if isinstance(r[k], torch.Tensor) and r[k].requires_grad)}
    for k in RECORD_KEYS:
        v = _number(r[k])
        if v is not None and not isinstance(v, (int, float)):
            raise StudentError(f"record {i}: {k!r} is {_kind(r[k])}; expected a number"
                               + (" or None" if k == "grad_norm" else ""))
        out[k] = v
    return out


def _records(value) -> dict:
    """The returned list of records, or the reason it is not one (judged by the cases about it only)."""
    if not isinstance(value, (list, tuple)):
        return {"records": None, "records_error": f"train_accumulated must return a list of dicts (one per "
                                                  f"optimizer step); it returned {_kind(value)}"}
    try:
        return {"records": [_record(i, r) for i, r in enumerate(value)], "records_error": None}
    except StudentError as exc:
        return {"records": None, "records_error": str(exc)}


@probe
def ga_train(module, spec: dict, aspects: list | None = None) -> dict:
    """Build the model, its optimizer and the micro-batches of ``spec``, call ``train_accumulated``
    once, and report every optimizer step (the gradient it received, the parameters after it), the
    records returned, which ``p.grad`` are not ``None`` afterwards, the mode the model is left in and
    its buffers. ``aspects`` is for the judge."""
    import torch

    fn = _need(module, "train_accumulated")
    model = build_model(spec.get("model", "mlp"), spec["seed"], spec.get("dtype", "float64"))
    optimizer = _optimizer(spec, model)
    batches = _data(spec)
    init = _flat_params(model)
    if spec.get("eval_first"):
        model.eval()
    if spec.get("stale_grads"):  # what a previous loop may leave behind
        g = torch.Generator().manual_seed(spec["seed"] + 7)
        for p in model.parameters():
            if p.requires_grad:
                p.grad = torch.randn(p.shape, generator=g).to(p.dtype) * 10
    grads, traj = [], []

    def before_step(opt, args, kwargs):
        """The gradient the step receives: at the call, or, for ``step(closure)`` (Lightning's way),
        once the closure, which the optimizer calls inside the step, has run its backward.
        (``args`` is ``(optimizer, *the step's arguments)``.)"""
        grads.append(_flat_grads(model))
        closure = kwargs["closure"] if "closure" in kwargs else (args[1] if len(args) > 1 else None)
        if closure is None:
            return None

        def recorded():
            loss = closure()
            grads[-1] = _flat_grads(model)
            return loss

        return args[:1], {**kwargs, "closure": recorded}

    optimizer.register_step_pre_hook(before_step)
    optimizer.register_step_post_hook(lambda opt, args, kwargs: traj.append(_flat_params(model)))
    kwargs = {}
    if "max_norm" in spec:
        kwargs["max_norm"] = spec["max_norm"]
    if "norm_type" in spec:
        kwargs["norm_type"] = _norm_type(spec["norm_type"])
    feed = (b for b in batches) if spec.get("as_generator") else batches
    returned = fn(model, optimizer, _loss_fn(spec), feed, spec["accumulation_steps"], **kwargs)
    width = init.size
    return {"init": init,
            "grads": np.asarray(grads, dtype=np.float64).reshape(len(grads), width),
            "traj": np.asarray(traj, dtype=np.float64).reshape(len(traj), width),
            "steps": len(grads),
            "grads_after": [[name, "zeros" if not p.grad.any() else "values"]
                            for name, p in model.named_parameters() if p.grad is not None],
            "training": bool(model.training),
            "buffers": _flat_buffers(model),
            **_records(returned)}


def _clip_params(spec: dict) -> list:
    """Seeded tensors with gradients; ``none``: indices whose ``.grad`` stays ``None``, ``frozen``:
    indices that do not require grad (and have none)."""
    import torch

    g = torch.Generator().manual_seed(spec["seed"])
    dtype = _torch_dtype(spec.get("dtype", "float64"))
    params = []
    for i, shape in enumerate(spec["shapes"]):
        p = torch.randn(shape, generator=g).to(dtype).requires_grad_(i not in spec.get("frozen", []))
        grad = (torch.randn(shape, generator=g) * spec.get("grad_scale", 1.0)).to(dtype)
        if i not in spec.get("none", []) and i not in spec.get("frozen", []):
            p.grad = grad
        params.append(p)
    return params


@probe
def ga_clip(module, spec: dict, forms: list | None = None) -> dict:
    """Call ``clip_grad_norm`` on fresh tensors for each way of passing them (``forms``: ``list``,
    ``generator``, ``tensor`` (the first tensor alone)); report the norm it returned, whether that
    is a tensor, every gradient after the call (NaN for ``None``) and whether a parameter changed."""
    import torch

    fn = _need(module, "clip_grad_norm")
    out = {}
    for form in forms or ["list"]:
        params = _clip_params(spec)
        before = [p.detach().clone() for p in params]
        arg = {"list": params, "generator": (p for p in params), "tensor": params[0]}[form]
        kwargs = {"norm_type": _norm_type(spec["norm_type"])} if "norm_type" in spec else {}
        norm = fn(arg, spec["max_norm"], **kwargs)
        try:
            value = float(norm)
        except (TypeError, ValueError, RuntimeError):
            raise StudentError(f"clip_grad_norm must return the total norm (a 0-d tensor); it returned "
                               f"{_kind(norm)}") from None
        used = params[:1] if form == "tensor" else params
        out[form] = {
            "norm": value,
            "is_tensor": isinstance(norm, torch.Tensor),
            "grads": np.concatenate([p.grad.detach().reshape(-1).double().numpy() if p.grad is not None
                                     else np.full(p.numel(), np.nan) for p in used]),
            "params_changed": any(not torch.equal(p.detach(), b) for p, b in zip(params, before)),
        }
    return out


@probe
def ga_clip_loop(module, spec: dict) -> dict:
    """A plain training loop (zero_grad, forward, backward, ``clip_grad_norm(model.parameters(), ...)``,
    SGD step) for ``spec["steps"]`` full-batch steps of a regression: the parameters after every step
    and the norm returned at every step."""
    import torch

    fn = _need(module, "clip_grad_norm")
    model = build_model("mlp", spec["seed"], spec.get("dtype", "float64"))
    optimizer = torch.optim.SGD(model.parameters(), lr=spec.get("lr", 0.05))
    (x, y), = _data({**spec, "sizes": [spec.get("samples", 32)], "loss": "mse"})
    loss_fn = torch.nn.MSELoss()
    kwargs = {"norm_type": _norm_type(spec["norm_type"])} if "norm_type" in spec else {}
    traj, norms = [], []
    for _ in range(spec["steps"]):
        optimizer.zero_grad()
        loss_fn(model(x), y).backward()
        norm = fn(model.parameters(), spec["max_norm"], **kwargs)
        try:
            norms.append(float(norm))
        except (TypeError, ValueError, RuntimeError):
            raise StudentError(f"clip_grad_norm must return the total norm (a 0-d tensor); it returned "
                               f"{_kind(norm)}") from None
        optimizer.step()
        traj.append(_flat_params(model))
    return {"traj": np.asarray(traj), "norms": np.asarray(norms, dtype=np.float64)}


@probe
def ga_invalid(module, calls: list) -> dict:
    """``train_accumulated`` on a small run with each set of arguments: the exception raised (by type
    name), ``None`` when it raises nothing."""
    fn = _need(module, "train_accumulated")
    spec = {"seed": 0, "sizes": [2, 2], "loss": "ce"}
    out = {}
    for kwargs in calls:
        model = build_model("mlp", 0, "float64")
        try:
            fn(model, _optimizer(spec, model), _loss_fn(spec), _data(spec), **kwargs)
            out[", ".join(f"{k}={v!r}" for k, v in kwargs.items())] = None
        except NotImplementedError:
            raise
        except Exception as exc:  # noqa: BLE001 - reported by type
            out[", ".join(f"{k}={v!r}" for k, v in kwargs.items())] = type(exc).__name__
    return out


def big_batch_loop(model, optimizer, loss_fn, batches, accumulation_steps, max_norm=None, norm_type=2.0):
    """The loop accumulation must reproduce: each group's micro-batches concatenated into one batch,
    one forward and backward pass, ``torch.nn.utils.clip_grad_norm_``, one step (the grader's torch
    reference; it never runs on a student's behalf)."""
    import torch

    model.train()
    optimizer.zero_grad()
    groups, records = [], []
    for batch in batches:
        if not groups or len(groups[-1]) == accumulation_steps:
            groups.append([])
        groups[-1].append(batch)
    for group in groups:
        x = torch.cat([b[0] for b in group])
        y = torch.cat([b[1] for b in group])
        output = model(x)  # one forward pass over the whole group
        big_loss = loss_fn(output, y)
        big_loss.backward()
        norm = None
        if max_norm is not None:
            norm = float(torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm, norm_type))
        optimizer.step()
        optimizer.zero_grad()
        records.append({"loss": big_loss.item(), "grad_norm": norm, "samples": x.shape[0],
                        "micro_batches": len(group)})
    return records

