"""Probes of the ``dropout`` exercise: drive an implementation and return what it did, as plain data.

Runs inside the student's sandboxed process (and in the grader's, on the reference): imports only
the standard library, NumPy, torch and :mod:`autograder.inside.probing`.
"""

from __future__ import annotations


import numpy as np

from autograder.inside.probing import StudentError, _kind, _need, _torch_dtype, probe

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
