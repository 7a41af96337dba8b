"""Values that cross the process boundary, as plain JSON: never pickle, never code.

The student's process writes its observations with :func:`dumps`; the grader reads them with
:func:`loads`, which accepts only JSON scalars, lists, string-keyed dicts and arrays of a
whitelisted numeric dtype (base64 of the raw little-endian bytes). Anything else is rejected
with :class:`CodecError`, so a hostile child cannot make the grader run code or allocate
without bound.

This module is copied into the sandbox, so it imports nothing but the standard library and NumPy.
"""

from __future__ import annotations

import base64
import json
import math
from typing import Any

import numpy as np

DTYPES = ("float16", "float32", "float64", "int8", "int16", "int32", "int64", "uint8", "bool")
MAX_ELEMENTS = 5_000_000
MAX_DEPTH = 32


class CodecError(ValueError):
    """The data is not in the exchange format."""


def encode(value: Any) -> Any:
    """Turn NumPy arrays, torch tensors, tuples and NumPy scalars into JSON-able data."""
    if hasattr(value, "detach") and hasattr(value, "cpu"):  # a torch tensor, without importing torch
        value = value.detach().cpu()
        if str(value.dtype) == "torch.bfloat16":
            value = value.float()
        value = value.numpy()
    if isinstance(value, np.ndarray):
        if value.dtype.name not in DTYPES:
            raise CodecError(f"arrays of dtype {value.dtype} cannot be exchanged")
        data = np.ascontiguousarray(value).astype(value.dtype.newbyteorder("<"), copy=False).tobytes()
        return {"__ndarray__": base64.b64encode(data).decode("ascii"), "dtype": value.dtype.name,
                "shape": list(value.shape)}
    if isinstance(value, np.generic):
        return encode(value.item())
    if isinstance(value, float) and not math.isfinite(value):
        return {"__float__": repr(value)}
    if isinstance(value, (bool, int, float, str)) or value is None:
        return value
    if isinstance(value, (list, tuple)):
        return [encode(v) for v in value]
    if isinstance(value, dict):
        return {str(k): encode(v) for k, v in value.items()}
    raise CodecError(f"values of type {type(value).__name__} cannot be exchanged")


def decode(data: Any, _depth: int = 0) -> Any:
    """Inverse of :func:`encode`, validating every node."""
    if _depth > MAX_DEPTH:
        raise CodecError("data nested too deeply")
    if isinstance(data, dict):
        if "__ndarray__" in data:
            if set(data) != {"__ndarray__", "dtype", "shape"}:
                raise CodecError("malformed array")
            dtype, shape = data["dtype"], data["shape"]
            if dtype not in DTYPES or not isinstance(shape, list) or not all(
                isinstance(s, int) and not isinstance(s, bool) and 0 <= s for s in shape
            ):
                raise CodecError("malformed array header")
            n = int(np.prod(shape, dtype=np.int64)) if shape else 1
            if n > MAX_ELEMENTS:
                raise CodecError(f"array of {n} elements is larger than the limit {MAX_ELEMENTS}")
            if not isinstance(data["__ndarray__"], str):
                raise CodecError("malformed array payload")
            raw = base64.b64decode(data["__ndarray__"].encode("ascii"), validate=True)
            dt = np.dtype(dtype).newbyteorder("<")
            if len(raw) != n * dt.itemsize:
                raise CodecError("array payload does not match its shape")
            return np.frombuffer(raw, dtype=dt).astype(np.dtype(dtype)).reshape(shape)
        if "__float__" in data:
            if set(data) != {"__float__"} or data["__float__"] not in ("nan", "inf", "-inf"):
                raise CodecError("malformed float")
            return float(data["__float__"])
        return {str(k): decode(v, _depth + 1) for k, v in data.items()}
    if isinstance(data, list):
        return [decode(v, _depth + 1) for v in data]
    if isinstance(data, (bool, int, float, str)) or data is None:
        return data
    raise CodecError(f"unexpected JSON value {type(data).__name__}")


def dumps(value: Any) -> str:
    return json.dumps(encode(value), allow_nan=False, separators=(",", ":"))


def parse(text: str) -> Any:
    """The JSON of ``text``, still encoded (NaN and Infinity constants refused): :func:`decode` it when needed."""
    def no_constants(name: str) -> Any:
        raise CodecError(f"JSON constant {name} is not allowed")

    return json.loads(text, parse_constant=no_constants)


def loads(text: str) -> Any:
    return decode(parse(text))
