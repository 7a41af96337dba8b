"""The docstring is the specification: which statement of each stub's docstrings each case grades.

Every statement of an exercise's docstrings (the stub the student receives) is either graded by
the named cases or explains without specifying (a citation, a reason, a how-to); every case grades
at least one statement. ``tests/autograder/test_specification.py`` checks both directions: a new
sentence in a docstring that no case grades fails, and so does a case that grades nothing stated.

A statement is a sentence of a docstring, an entry of its ``Args:``/``Returns:``/``Raises:``/
``Attributes:`` sections, or one line of a literal (``::``) block. Each rule below names a phrase
that identifies its statements (whitespace-normalised, case-sensitive) and what grades them.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from pathlib import Path

HEADINGS = ("Args:", "Returns:", "Raises:", "Attributes:")
EXPLAINS = "explains"  # a statement that motivates, cites or shows how, and specifies nothing to grade


@dataclass(frozen=True)
class Rule:
    phrase: str
    cases: tuple[str, ...] | str  # the case ids that grade it, or EXPLAINS with a reason after ": "


def _r(phrase: str, *cases: str) -> Rule:
    return Rule(phrase, tuple(cases))


def _explains(phrase: str, why: str) -> Rule:
    return Rule(phrase, f"{EXPLAINS}: {why}")


_ADAM_TRAJ = ("adam.numpy_first_steps", "adam.numpy_100_steps")
_TORCH_TRAJ = ("adam.torch_one_group", "adam.torch_groups_float64")

SPEC: dict[str, tuple[Rule, ...]] = {
    "adam": (
        _explains("Exercise ``adam``: the Adam update", "the title"),
        _r("Part (a), ``adam_update``, is the update of the lesson text", *_ADAM_TRAJ),
        _r("Part (b), ``Adam`` and ``AdamW``, match", *_TORCH_TRAJ, "adam.adamw_decoupled"),
        _explains("The algorithm, for a parameter", "introduces the block below"),
        _r("g_t = g_t + weight_decay * theta", "adam.torch_weight_decay"),
        _r("theta = theta - lr * weight_decay * theta", "adam.adamw_decoupled", "adam.adamw_groups_float32"),
        _r("m_t = beta1 * m_{t-1} + (1 - beta1) * g_t", *_ADAM_TRAJ, *_TORCH_TRAJ),
        _r("v_t = beta2 * v_{t-1} + (1 - beta2) * g_t ** 2", *_ADAM_TRAJ, *_TORCH_TRAJ),
        _r("m_hat = m_t / (1 - beta1 ** t)", "adam.numpy_first_steps", "adam.torch_one_group"),
        _r("v_hat = v_t / (1 - beta2 ** t)", "adam.numpy_first_steps", "adam.torch_one_group"),
        _r("theta = theta - lr * m_hat / (sqrt(v_hat) + eps)", "adam.numpy_small_gradients",
           "adam.torch_small_gradients", "adam.torch_zero_grad"),
        _explains("Student version: fill in", "how to work"),
        _r("One bias-corrected Adam step on NumPy arrays; returns the new ``(w, m, v)``", *_ADAM_TRAJ),
        _r("w: the parameters.", *_ADAM_TRAJ),
        _r("grad: the gradient of the loss at ``w``", *_ADAM_TRAJ),
        _r("m, v: the first and second moment estimates", *_ADAM_TRAJ),
        _r("t: the number of this step, counting from 1", "adam.numpy_first_steps"),
        _r("lr, betas, eps: as in ``torch.optim.Adam``", "adam.numpy_small_gradients", "adam.numpy_defaults"),
        _r("The inputs are not modified; new arrays are returned.", "adam.numpy_inputs_untouched",
           "adam.numpy_independent_calls"),
        _r("Raises ``ValueError`` when ``t < 1``.", "adam.numpy_validation"),
        _r("Adam (Kingma & Ba, 2015) with PyTorch's semantics and defaults.", "adam.torch_defaults"),
        _r("params: an iterable of tensors or of dicts defining parameter groups.", "adam.torch_groups_float64"),
        _r("lr: learning rate (default ``1e-3``).", "adam.torch_defaults", "adam.torch_lr_change"),
        _r("betas: coefficients of the running averages", "adam.torch_defaults", "adam.torch_groups_float64"),
        _r("eps: added to the denominator for numerical stability", "adam.torch_defaults", "adam.torch_small_gradients"),
        _r("weight_decay: ``torch.optim.Adam``'s coupled L2 penalty", "adam.torch_weight_decay", "adam.torch_defaults"),
        _r("With ``decoupled_weight_decay=True`` the parameters are instead shrunk", "adam.adamw_decoupled"),
        _r("decoupled_weight_decay: see ``weight_decay`` (default ``False``).", "adam.torch_defaults",
           "adam.adamw_decoupled"),
        _explains("Keep the state of each parameter in ``self.state[p]``",
                  "advice: the names let the feedback show the state; a resume is graded by adam.torch_resume"),
        _r("Parameters whose ``.grad`` is ``None`` are skipped", "adam.torch_no_grad_param"),
        _r("``step`` leaves every ``p.grad`` as it found it", "adam.grads_untouched", "adam.torch_lr_change"),
        _r("ValueError: for ``lr < 0``", "adam.validation"),
        _r("Adam with decoupled weight decay (Loshchilov & Hutter, 2019)", "adam.adamw_decoupled"),
        _r("The same as ``Adam(..., decoupled_weight_decay=True)`` with ``weight_decay`` defaulting to ``1e-2``",
           "adam.adamw_defaults", "adam.adamw_arguments", "adam.adamw_decoupled"),
        _r("Perform one optimization step;", *_TORCH_TRAJ, "adam.torch_resume"),
        _r("``closure`` re-evaluates the model and returns the loss.", "adam.torch_closure"),
    ),
    "dropout": (
        _explains("Exercise ``dropout``: inverted dropout", "the title"),
        _r("During training every unit is kept with probability ``1 - p``", "dropout.numpy_fraction",
           "dropout.numpy_scaling", "dropout.numpy_eval", "dropout.module_eval"),
        _explains("This is what ``torch.nn.Dropout`` does.", "a citation"),
        _explains("(The older convention, scaling by ``1 - p`` at test time", "history, for contrast"),
        _r("Edge cases, as in PyTorch: ``p = 0`` returns the input, ``p = 1`` returns zeros",
           "dropout.numpy_p0", "dropout.numpy_p1", "dropout.module_p1"),
        _explains("Student version: fill in", "how to work"),
        _r("Inverted dropout on a NumPy array.", "dropout.numpy_scaling"),
        _r("x: a floating-point array of any shape.", "dropout.numpy_train_p08", "dropout.numpy_dtype"),
        _r("p: probability of zeroing each element, ``0 <= p <= 1`` (default 0.5).", "dropout.numpy_fraction",
           "dropout.numpy_small_p", "dropout.numpy_defaults"),
        _r("training: when ``False`` the input is returned unchanged", "dropout.numpy_eval", "dropout.numpy_defaults"),
        _r("rng: the random generator to draw the mask from", "dropout.numpy_rng", "dropout.numpy_defaults"),
        _r("``x * mask / (1 - p)`` with ``mask ~ Bernoulli(1 - p)``", "dropout.numpy_scaling",
           "dropout.numpy_fraction", "dropout.numpy_dtype", "dropout.numpy_p1"),
        _r("``x`` itself is never modified.", "dropout.numpy_input_untouched"),
        _r("ValueError: when ``p`` is outside ``[0, 1]``.", "dropout.invalid_p"),
        _r("Inverted dropout as a module, with ``torch.nn.Dropout``'s behaviour", "dropout.module_scaling",
           "dropout.module_float64"),
        _r("In training mode (``module.train()``) each element is zeroed with probability ``p``",
           "dropout.module_fraction", "dropout.module_scaling", "dropout.module_eval", "dropout.module_fresh_mask"),
        _r("The mask is drawn from PyTorch's random generator", "dropout.module_seeded"),
        _r("Gradients flow only through the kept elements", "dropout.module_gradient"),
        _r("p: probability of zeroing each element (default 0.5).", "dropout.module_defaults"),
    ),
    "early_stopping": (
        _explains("Exercise ``early_stopping``: stop when", "the title"),
        _explains("The rule (the same as PyTorch Lightning's ``EarlyStopping``)", "introduces the block below"),
        _r("improved = best is None or metric < best - min_delta", "early_stopping.min_delta",
           "early_stopping.plateau"),
        _r("if improved:  best = metric; counter = 0; save the model's state_dict", "early_stopping.counter_reset",
           "early_stopping.best_value", "early_stopping.checkpoint"),
        _r("else:         counter += 1", "early_stopping.patience"),
        _r("stop = counter >= patience", "early_stopping.patience"),
        _r("``mode=\"max\"`` mirrors it", "early_stopping.mode_max"),
        _r("A NaN metric is never an improvement.", "early_stopping.nan"),
        _r("a metric equal to the best is *not* an improvement", "early_stopping.plateau", "early_stopping.mode_max"),
        _explains("Student version: fill in", "how to work"),
        _r("Early stopping with patience, ``min_delta``, a mode, and a checkpoint", "early_stopping.patience",
           "early_stopping.checkpoint"),
        _r("patience: how many epochs in a row without improvement end training", "early_stopping.patience",
           "early_stopping.defaults", "early_stopping.validation"),
        _r("min_delta: the smallest change that counts as an improvement, an absolute amount",
           "early_stopping.min_delta", "early_stopping.defaults", "early_stopping.validation"),
        _r("mode: ``\"min\"`` for losses (the default), ``\"max\"`` for accuracies.", "early_stopping.mode_max",
           "early_stopping.defaults"),
        _r("save_path: where ``step`` saves ``model.state_dict()``", "early_stopping.checkpoint",
           "early_stopping.optional_model"),
        _r("``None`` (the default) saves nothing.", "early_stopping.optional_model"),
        _r("best: the best metric so far", "early_stopping.best_value", "early_stopping.new_object"),
        _r("best_epoch: the 0-based index of the ``step`` call", "early_stopping.best_epoch"),
        _r("counter: epochs since the last improvement.", "early_stopping.counter_reset"),
        _r("should_stop: the last ``step``'s answer, ``counter >= patience``", "early_stopping.resume_into_defaults",
           "early_stopping.new_object"),
        _r("epoch: how many times ``step`` has been called.", "early_stopping.resume_into_defaults"),
        _r("A new object has ``best = best_epoch = None``", "early_stopping.new_object"),
        _r("ValueError: for ``patience < 1``", "early_stopping.validation"),
        _r("Whether ``metric`` beats ``best`` by more than ``min_delta`` in this mode (a ``bool``).",
           "early_stopping.new_object", "early_stopping.min_delta"),
        _r("Always ``True`` while ``best`` is ``None`` (except for NaN); never ``True`` for NaN.",
           "early_stopping.new_object", "early_stopping.nan"),
        _r("Record one epoch's metric; return ``True`` to stop", "early_stopping.patience"),
        _r("When the metric improves and both ``model`` and ``save_path`` are given", "early_stopping.checkpoint",
           "early_stopping.optional_model"),
        _r("Load the best checkpoint from ``save_path`` into ``model`` and return ``model``.",
           "early_stopping.checkpoint", "early_stopping.restore_returns_model"),
        _r("RuntimeError: when ``save_path`` is ``None``.", "early_stopping.restore_errors"),
        _r("FileNotFoundError: when nothing was saved yet", "early_stopping.restore_errors"),
        _r("Everything needed to resume: settings and counters", "early_stopping.resume",
           "early_stopping.resume_into_defaults"),
        _r("Restore what :meth:`state_dict` returned, settings included", "early_stopping.resume_into_defaults",
           "early_stopping.resume"),
        _r("``should_stop`` is restored too.", "early_stopping.resume_into_defaults"),
    ),
}


def statements(source: str) -> list[tuple[str, str]]:
    """``(where, statement)`` for every statement of every docstring in ``source``."""
    tree = ast.parse(source)
    out = []
    nodes = [tree] + [n for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))]
    for node in nodes:
        doc = ast.get_docstring(node)
        if not doc:
            continue
        where = getattr(node, "name", "module docstring")
        for chunk in _chunks(doc):
            for sentence in re.split(r"(?<=[.;])\s+(?=[A-Z`(\"])", chunk):
                out.append((where, sentence))
    return out


def _chunks(doc: str) -> list[str]:
    chunks, current, literal = [], [], False

    def flush() -> None:
        if current:
            chunks.append(" ".join(current))
            current.clear()

    for line in doc.splitlines():
        text = line.strip()
        if not text or text in HEADINGS:
            flush()
            continue
        if literal and line.startswith("    "):
            chunks.append(text)  # one line of a literal block: one statement
            continue
        literal = False
        if re.match(r"^\s{4}[\w, ]+:\s", line):  # an entry of an Args/Raises/Attributes section
            flush()
        current.append(text)
        if text.endswith("::"):
            flush()
            literal = True
    flush()
    return chunks


def normalise(text: str) -> str:
    return " ".join(text.split())


def stub_path(exercise: str) -> Path:
    return Path(__file__).resolve().parents[1] / "exercises" / f"{exercise}.py"
