"""Unit tests of the grader's layers: the codec, the static check, the sandbox, the judges."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from autograder import judges, policy, sandbox
from autograder.inside import codec
from autograder.cases import PUBLIC, load_hidden


# ------------------------------------------------------------------------------------- codec ---
def test_codec_round_trips_arrays_and_special_floats():
    value = {"a": np.arange(6, dtype=np.float32).reshape(2, 3), "b": [1, 2.5, None, True, "s"],
             "c": float("nan"), "d": float("-inf"), "e": np.int64(3)}
    back = codec.loads(codec.dumps(value))
    assert back["a"].dtype == np.float32 and back["a"].shape == (2, 3)
    np.testing.assert_array_equal(back["a"], value["a"])
    assert back["b"] == [1, 2.5, None, True, "s"] and np.isnan(back["c"]) and back["d"] == float("-inf")
    assert back["e"] == 3


@pytest.mark.parametrize("text", [
    '{"__ndarray__": "AAAA", "dtype": "object", "shape": [1]}',
    '{"__ndarray__": "AAAA", "dtype": "float32", "shape": [2]}',
    '{"__ndarray__": "", "dtype": "float32", "shape": [100000000, 100]}',
    '{"__ndarray__": "AAAA", "dtype": "float32", "shape": [1], "extra": 1}',
    '{"__float__": "1e400"}',
    'NaN',
    '[' * 100 + ']' * 100,
])
def test_codec_rejects_anything_else(text):
    with pytest.raises((codec.CodecError, ValueError, RecursionError)):
        codec.loads(text)


def test_codec_refuses_objects():
    with pytest.raises(codec.CodecError):
        codec.dumps({"f": object()})


# ------------------------------------------------------------------------------------ policy ---
def test_policy_accepts_the_reference_and_the_stubs():
    root = Path(__file__).resolve().parents[2]
    for package in ("solutions", "exercises"):
        found = policy.scan_package(root / package, ["adam", "dropout", "early_stopping"])
        assert found == {"adam": [], "dropout": [], "early_stopping": []}, found


@pytest.mark.parametrize("source, exercise, needle", [
    ("import torch\nopt = torch.optim.Adam", "adam", ".Adam"),
    ("from torch.optim import AdamW", "adam", "AdamW"),
    ("import torch.nn.functional as F\ny = F.dropout", "dropout", ".dropout"),
    ("import numpy as np\nnp.sqrt = abs", "adam", "monkeypatching"),
    ("import numpy as np\nnp.random.bit_generator[0] = 1", "adam", "monkeypatching"),
    ("import sys\nsys._getframe(1)", None, "._getframe"),
    ("__import__('os')", None, "__import__"),
    ("import ctypes", None, "import ctypes"),
    ("def f(:\n", None, "syntax error"),
])
def test_policy_flags(source, exercise, needle):
    found = policy.scan_source(source, "x.py", exercise)
    assert found and any(needle in str(v) for v in found), found


@pytest.mark.parametrize("source", [
    "class D:\n    def f(self):\n        return getattr(self, 'mask', None), hasattr(self, '_keep')",
    "class D:\n    def __repr__(self):\n        return self.__class__.__name__ + str(vars(self))",
    "class D:\n    def load(self, state):\n        self.__dict__.update(state)\n        setattr(self, 'counter', 0)",
    "import numpy as np\none_hot = np.zeros((2, 3))\none_hot[np.arange(2), [0, 2]] = 1",
    # the class and attributes of any object, read: type(model) and vars(state) by other names
    "def f(model):\n    raise ValueError(f'no parameters in {model.__class__.__name__}')",
    "def f(x, y):\n    return x.__class__ is y.__class__ and getattr(x, '__class__') is type(y)",
    "def f(state):\n    return dict(state.__dict__)",
    # what the tightened rules (a red-team review) must still let through
    "import torch.nn as nn\nfrom torch.nn.modules.batchnorm import _BatchNorm\nB = nn.modules.batchnorm._NormBase",
    "class M:\n    def __setattr__(self, name, value):\n        super().__setattr__(name, value)",
    "def dropout(input, p=0.5):\n    return input * p",
    "def f(model):\n    return [m for m in model.modules()], hasattr(model, 'weight')",
])
def test_policy_accepts_ordinary_code(source):
    assert policy.scan_source(source, "x.py", "early_stopping") == []


@pytest.mark.parametrize("source, needle", [
    ("import torch\nname = 'Ad' + 'am'\nopt = getattr(torch.optim, name)", "computed attribute name"),
    ("import torch\nopt = getattr(torch.optim, 'Adam')", "getattr(..., 'Adam')"),
    ("import sys\nf = getattr(sys, '_getframe')", "'_getframe'"),
    ("x = (1).__class__.__bases__", ".__bases__ is not allowed"),
    ("def f(t, Liar):\n    t.__class__ = Liar", "change the class of self only"),
    ("def f(t, Liar):\n    setattr(t, '__class__', Liar)", "setattr(..., '__class__')"),
    ("def f(t):\n    t.__dict__ = {}", "replace the attributes of self only"),
    ("import torch\nAdam = torch.optim.__dict__['Ad' + 'am']", "a module's contents"),
    # bypasses a red-team review found
    ("import torch\ng = getattr\nAdam = g(torch.optim, 'Ad' + 'am')", "getattr is allowed only called directly"),
    ("import functools\nset_it = functools.partial(setattr)", "setattr is allowed only called directly"),
    ("e = eval", "eval is allowed only called directly"),
    ("import numpy as np\nnp.__setattr__('allclose', abs)", ".__setattr__ is allowed only on self or super()"),
    ("import torch\nA = object.__getattribute__(torch.optim, 'Adam')", ".__getattribute__ is allowed only"),
    ("import sys\nm = [sys][0].modules", ".modules is allowed only as a call"),
    ("def f(x):\n    return getattr(x, 'modules')", "getattr(..., 'modules')"),
    ("import os\nos.posix_spawn('/bin/sh', ['sh'], {})", ".posix_spawn is not allowed"),
    ("import os\nos.execvpe('sh', ['sh'], {})", ".execvpe is not allowed"),
    ("import operator\nback = operator.attrgetter('f_back')", ".attrgetter is not allowed"),
    ("from operator import attrgetter", "from operator import attrgetter"),
    ("b = print.__self__", ".__self__ is not allowed"),
    ("import numpy as np\nd = vars(np)", "vars(np)"),
])
def test_policy_refuses_dynamic_attribute_access(source, needle):
    found = policy.scan_source(source, "x.py", "adam")
    assert found and any(needle in str(v) for v in found), found


def test_a_coding_declaration_other_than_utf8_is_refused(tmp_path):
    """Python decodes a file by its coding line: with utf-7, what reads as a comment in UTF-8
    (``#+AAo-import importlib``) is code. The check reads UTF-8, so it refuses any other declaration."""
    assert policy.decode_source(b"# coding: utf-7\nx = 1\n")[1] == "utf-7"
    assert policy.decode_source(b"# -*- coding: utf-8 -*-\nx = 1\n")[1] is None
    assert policy.decode_source(b"x = 1\n")[1] is None
    (tmp_path / "exercises").mkdir()
    (tmp_path / "exercises" / "dropout.py").write_bytes(b"# coding: utf-7\n#+AAo-import importlib\n")
    found = policy.scan_package(tmp_path / "exercises", ["dropout"])["dropout"]
    assert any("coding declaration other than UTF-8 (utf-7)" in str(v) for v in found), found


def test_policy_helper_file_counts_for_every_exercise(tmp_path):
    (tmp_path / "exercises").mkdir()
    (tmp_path / "exercises" / "helpers.py").write_text("import torch\nX = torch.optim.Adam\n")
    found = policy.scan_package(tmp_path / "exercises", ["adam", "dropout"])
    assert found["adam"] and found["dropout"]


# ----------------------------------------------------------------------------------- sandbox ---
@pytest.fixture(params=["process"] + (["bwrap"] if sandbox.bwrap_available() else []))
def mode(request):
    return request.param


def _run(tmp_path, code: str, mode: str, **limits):
    work, out = tmp_path / "ro", tmp_path / "rw"
    work.mkdir(exist_ok=True)
    out.mkdir(exist_ok=True)
    return sandbox.run([sys.executable, "-I", "-S", "-c", code], work, out,
                       sandbox.Limits(isolation=mode, **limits))


def test_sandbox_kills_at_the_time_limit(tmp_path, mode):
    start = time.perf_counter()
    r = _run(tmp_path, "while True: pass", mode, timeout=2)
    assert r.timed_out and r.killed_by == "timeout"
    assert time.perf_counter() - start < 10


def test_sandbox_truncates_output(tmp_path, mode):
    r = _run(tmp_path, "import sys\nfor _ in range(3000): sys.stdout.write('x' * 10000)", mode, output_kb=16)
    assert r.output_bytes == 30_000_000
    assert len(r.output) < 17 * 1024 and "more bytes of output not shown" in r.output


def test_sandbox_environment_is_scrubbed(tmp_path, mode, monkeypatch):
    monkeypatch.setenv("GITHUB_TOKEN", "secret-token")
    r = _run(tmp_path, "import os; print(sorted(os.environ))", mode)
    assert "GITHUB_TOKEN" not in r.output and "secret-token" not in r.output


def test_sandbox_limits_memory(tmp_path, mode):
    r = _run(tmp_path, "x = bytearray(8 * 2**30)", mode, memory_mb=512)
    assert r.returncode != 0 and "MemoryError" in r.output


def test_bwrap_hides_files_and_network(tmp_path):
    if not sandbox.bwrap_available():
        pytest.skip("bubblewrap is not available here")
    secret = tmp_path / "hidden" / "secret.txt"
    secret.parent.mkdir()
    secret.write_text("reference")
    work, out = tmp_path / "ro", tmp_path / "rw"
    work.mkdir()
    out.mkdir()
    code = (f"import os, socket\nprint('visible' if os.path.exists({str(secret)!r}) else 'hidden')\n"
            "s = socket.socket()\ntry:\n    s.connect(('1.1.1.1', 80)); print('online')\nexcept OSError: print('offline')\n"
            "try:\n    open('/etc/x-test', 'w'); print('writable')\nexcept OSError: print('read-only')\n")
    r = sandbox.run([sys.executable, "-I", "-S", "-c", code], work, out, sandbox.Limits(isolation="bwrap"),
                    hide=[secret.parent])
    assert r.output.split() == ["hidden", "offline", "read-only"], r.output


# ------------------------------------------------------------------------------------ judges ---
def test_trajectory_judge_reports_the_first_divergent_step():
    case = next(c for c in PUBLIC if c.id == "adam.numpy_100_steps")
    e = {"traj": np.zeros((5, 3)), "m": np.zeros(3), "v": np.zeros(3)}
    g = {"traj": np.zeros((5, 3)), "m": np.zeros(3), "v": np.zeros(3)}
    g["traj"][3, 2] = 1.0
    v = judges.JUDGES["trajectory"](case, g, e, judges.Context())
    assert not v.passed and v.details["step"] == 4 and "after step 4 of 5, at w[2]" in v.message


def test_dropout_judge_names_keep_probability_confusion():
    case = next(c for c in PUBLIC if c.id == "dropout.numpy_fraction")
    rng = np.random.default_rng(0)
    x = rng.uniform(0.5, 1.5, (200, 500)).astype(np.float32)
    keep = rng.random(x.shape) < 0.3  # keeps 30% instead of 70%
    got = {"x": x, "out": (x * keep / 0.7).astype(np.float32), "dtype": "float32", "x_modified": False}
    for judge in (judges.JUDGES["dropout_train"], judges.JUDGES["dropout_fraction"]):
        v = judge(case, got, {"x": x}, judges.Context())
        assert not v.passed and v.mistake == "dropout_p_is_keep_prob"
    assert judges.JUDGES["dropout_scaling"](case, got, {"x": x}, judges.Context()).passed, "the scaling is right"


def test_hidden_case_file_rejects_unknown_fields(tmp_path):
    p = tmp_path / "h.json"
    p.write_text(json.dumps({"cases": [{"id": "x", "exercise": "adam", "title": "t", "probe": "adam_numpy",
                                        "args": {}, "judge": "trajectory", "points": 1, "weight": 3}]}))
    with pytest.raises(ValueError, match="unknown fields"):
        load_hidden(p)
