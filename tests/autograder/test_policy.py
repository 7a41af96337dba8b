"""The static check refuses only what defeats grading and accepts ordinary Python.

What defeats grading: the library version of the exercise, dynamic code, process control, the
table of loaded modules, reading the grader's files, the network. Everything else an exercise
might plausibly contain (model.modules(), hasattr(x, "__len__"), vars(obj), a helper file
imported relatively, a getattr loop on self, a main block that compares with torch.optim.Adam)
must pass, or a correct submission loses points for nothing.
"""

from __future__ import annotations

import textwrap

import pytest
from ag_helpers import ROOT, make_submission, solution_text

from autograder import grader, policy


def _scan(source: str, exercise: str | None = "adam") -> list[policy.Violation]:
    return policy.scan_source(textwrap.dedent(source), "exercises/x.py", exercise)


# --------------------------------------------------------------------- ordinary code passes ---
ORDINARY = {
    "model_modules": """
        import torch
        def count(model: torch.nn.Module) -> int:
            return sum(1 for m in model.modules() if isinstance(m, torch.nn.Linear))
    """,
    "named_modules_and_children": """
        def names(model):
            return [n for n, _ in model.named_modules()] + list(model.children())
    """,
    "hasattr_dunder": """
        def size(x):
            return len(x) if hasattr(x, "__len__") else 1
    """,
    "getattr_dunder_name": """
        def label(f):
            return getattr(f, "__name__", "?") + getattr(f, "__qualname__", "")
    """,
    "vars_of_an_object": """
        class State:
            def __init__(self):
                self.best = None
        def dump(obj, model):
            return dict(vars(obj)), vars(model), vars(State())
    """,
    "setattr_loop_on_self": """
        class EarlyStopping:
            _keys = ("best", "counter", "best_epoch")
            def load_state_dict(self, state):
                for k in ("best", "counter"):
                    setattr(self, k, state[k])
            def state_dict(self):
                return {k: getattr(self, k) for k in self._keys}
            def has(self, name):
                return hasattr(self, name)
    """,
    "getattr_loop_on_self_under_no_grad": """
        import torch
        class Opt:
            @torch.no_grad()
            def step(self):
                for name in ("lr", "eps"):
                    setattr(self, name, float(getattr(self, name)))
    """,
    "torch_optim_optimizer_import": """
        import torch.optim.optimizer
        from torch.optim.optimizer import Optimizer
        class Adam(Optimizer):
            pass
    """,
    "main_block_uses_the_library": """
        import torch
        def f():
            return 1
        if __name__ == "__main__":
            import importlib
            opt = torch.optim.Adam([torch.zeros(1, requires_grad=True)])
            print(eval("1 + 1"), opt)
    """,
}


@pytest.mark.parametrize("name", sorted(ORDINARY))
def test_policy_accepts_ordinary_python(name):
    assert _scan(ORDINARY[name]) == []


@pytest.mark.parametrize("source", [
    "from . import helpers\nx = helpers.f()",
    "from .adam import adam_update",
    "from .helpers import clip as _clip, Dropout",
])
def test_policy_accepts_relative_imports_of_sibling_files(source):
    assert _scan(source, "*") == []


def test_policy_accepts_a_package_whose_files_import_each_other(tmp_path):
    pkg = tmp_path / "exercises"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "helpers.py").write_text("import numpy as np\ndef bias_correct(m, beta, t):\n    return m / (1 - beta ** t)\n")
    (pkg / "adam.py").write_text("from . import helpers\nfrom .helpers import bias_correct\n")
    assert policy.scan_package(pkg, ["adam", "dropout"]) == {"adam": [], "dropout": []}


# ------------------------------------------------------------------- what defeats grading ---
REFUSED = {
    "sys_modules": ("import sys\nm = sys.modules['torch']", "sys.modules"),
    "sys_modules_alias": ("import sys as s\nm = s.modules", "sys.modules"),
    "sys_modules_rebound": ("import sys\nq = sys\nm = q.modules", "sys.modules"),
    "sys_modules_via_os": ("import os\nm = os.sys.modules", "sys.modules"),
    "from_sys_import_modules": ("from sys import modules", "import modules"),
    "getattr_sys_modules": ("import sys\nm = getattr(sys, 'modules')", "'modules'"),
    "getattr_globals_dunder": ("def f(g):\n    return getattr(g, '__globals__')", "'__globals__'"),
    "hasattr_code_dunder": ("def f(g):\n    return hasattr(g, '__code__')", "'__code__'"),
    "getattr_builtins_dunder": ("def f(m):\n    return getattr(m, '__builtins__')", "'__builtins__'"),
    "getattr_subclasses_dunder": ("x = getattr(object, '__subclasses__')", "'__subclasses__'"),
    "getattr_dict_of_a_module": ("import numpy as np\nd = getattr(np, '__dict__')", "'__dict__'"),
    "computed_getattr_on_module": ("import torch\nn = 'Ad' + 'am'\nA = getattr(torch.optim, n)", "computed"),
    "computed_getattr_on_numpy": ("import numpy as np\ndef f(n):\n    return getattr(np, n)", "computed"),
    "computed_getattr_on_renamed_module": ("import torch\nopt = torch.optim\nA = getattr(opt, 'Ad' + 'am')", "computed"),
    "computed_getattr_self_outside_a_method": (
        "import torch\ndef f(self, n):\n    return getattr(self, n)\nA = f(torch.optim, 'Adam')", "computed"),
    "computed_getattr_self_rebound": (
        "import torch\nclass A:\n    def f(self, n):\n        self = torch.optim\n        return getattr(self, n)",
        "computed"),
    "computed_getattr_self_in_staticmethod": (
        "class A:\n    @staticmethod\n    def f(self, n):\n        return getattr(self, n)", "computed"),
    "computed_getattr_self_with_default": (
        "import torch\nclass A:\n    def f(self=torch.optim, n='Adam'):\n        return getattr(self, n)", "computed"),
    "vars_of_a_module": ("import torch\nA = vars(torch.optim)['Adam']", "vars(torch.optim)"),
    "vars_without_argument": ("vars()['__name__'] = '__main__'", "vars()"),
    "relative_import_above_the_package": ("from .. import solutions", "nothing above the exercises folder"),
    "relative_import_two_levels": ("from ..autograder import judges", "nothing above"),
    "import_torch_optim_adam": ("import torch.optim.adam", "import torch.optim.adam"),
    "import_torch_optim_adamw": ("import torch.optim.adamw as w", "import torch.optim.adamw"),
    "import_torch_optim_functional": ("import torch.optim._functional", "_functional"),
    "from_torch_optim_adam": ("from torch.optim.adam import adam as kernel", "from torch.optim.adam import"),
    "from_torch_optim_import_adam": ("from torch.optim import Adam", "import Adam"),
    "from_torch_optim_import_adamw": ("from torch.optim import AdamW", "import AdamW"),
    "attribute_adam": ("import torch\nopt = torch.optim.Adam", ".Adam"),
    "renamed_module_adam": ("import torch\nopt = torch.optim\nA = opt.Adam", ".Adam"),
    "eval": ("x = eval('1')", "eval(...)"),
    "os_system": ("import os\nos.system('ls')", ".system"),
    "reads_the_grader": ("import autograder.judges", "import autograder.judges"),
    "network": ("import socket", "import socket"),
}


@pytest.mark.parametrize("name", sorted(REFUSED))
def test_policy_refuses_what_defeats_grading(name):
    source, needle = REFUSED[name]
    found = _scan(source)
    assert found and any(needle in str(v) for v in found), found


def test_main_block_with_else_is_still_checked():
    source = "import torch\nif __name__ == '__main__':\n    pass\nelse:\n    A = torch.optim.Adam\n"
    assert any(".Adam" in str(v) for v in _scan(source))


def test_main_block_inside_a_function_is_still_checked():
    source = "import torch\ndef f():\n    if __name__ == '__main__':\n        return torch.optim.Adam\n"
    assert any(".Adam" in str(v) for v in _scan(source))


def test_strip_main_guard_blanks_the_block_and_keeps_line_numbers():
    source = b"x = 1\nif __name__ == '__main__':\n    y = 2\n    print(y)\nz = 3\r\n"
    stripped = policy.strip_main_guard(source)
    assert stripped == b"x = 1\n\n\n\nz = 3\r\n"
    assert policy.strip_main_guard(b"def f(:\n") == b"def f(:\n"  # left to the syntax check


# ------------------------------------------------------------------------- whole submissions ---
MAIN_BLOCK = '''

if __name__ == "__main__":
    # my own check against the library
    import torch
    p = torch.nn.Parameter(torch.ones(3))
    ref = torch.optim.Adam([p], lr=0.1)
    print("compared with", type(ref).__name__)
'''


def test_reference_with_a_main_block_scores_full_marks(tmp_path):
    sub = make_submission(tmp_path, {"adam.py": solution_text("adam") + MAIN_BLOCK})
    report = grader.grade(sub, grader.Options(exercises=("adam",)))
    failed = [(t.id, t.output) for t in report.tests if not t.passed]
    assert not failed and report.score == 40, failed


def test_renaming_the_module_does_not_run_the_main_block(tmp_path):
    """__name__ = "__main__" would run the unchecked block at import; the grader's copy has none."""
    stub = (ROOT / "exercises" / "adam.py").read_text()
    cheat = stub + '\n__name__ = "__main__"\nif __name__ == "__main__":\n    Adam = torch.optim.Adam\n'
    report = grader.grade(make_submission(tmp_path, {"adam.py": cheat}), grader.Options(exercises=("adam",)))
    assert report.score == 0
    assert all(t.output.startswith("not implemented yet") for t in report.tests), [t.output for t in report.tests]


def test_reference_split_into_a_helper_file_scores_full_marks(tmp_path):
    """A student may move code into a sibling file and import it relatively."""
    source = solution_text("early_stopping")
    helper = "def is_better(a: float, b: float) -> bool:\n    return a < b\n"
    future = "from __future__ import annotations\n"
    assert future in source
    source = source.replace(future, future + "\nfrom .helpers import is_better\n", 1)
    sub = make_submission(tmp_path, {"helpers.py": helper, "early_stopping.py": source})
    report = grader.grade(sub, grader.Options(exercises=("early_stopping",)))
    assert report.score == 30, [(t.id, t.output) for t in report.tests if not t.passed]
