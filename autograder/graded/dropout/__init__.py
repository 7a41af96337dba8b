"""Exercise ``dropout``: everything the grader knows about it, in this package.

``__init__`` (this file, plain data: importing it needs neither NumPy nor torch): the cases and their points, the specification map (which docstring
statement each case grades), the time limit, the functions the student writes and the library
names the static check refuses. ``probes.py`` runs inside the student's sandbox; ``judges.py``
judges in the grader's process; ``mistakes.py`` names known mistakes; ``patches.py`` (instructor
only) turns the reference into each mistake.
"""

from __future__ import annotations

from typing import Any  # noqa: F401

from autograder.exercise import Exercise, case as _c
from autograder.specification import _explains, _r

from .mistakes import CATALOGUE


CASES = (
    _c("dropout.numpy_fraction", "dropout (NumPy) in training, p=0.3: each unit is dropped with probability p",
       "dropout_numpy", {"p": 0.3, "shape": [200, 500], "seed": 0}, "dropout_fraction", 2),
    _c("dropout.numpy_scaling", "dropout (NumPy) in training, p=0.3: the kept units are divided by 1 - p",
       "dropout_numpy", {"p": 0.3, "shape": [200, 500], "seed": 0}, "dropout_scaling", 2),
    _c("dropout.numpy_dtype", "dropout (NumPy) returns the dtype of x (float32)", "dropout_numpy",
       {"p": 0.3, "shape": [20, 50], "seed": 15}, "dropout_dtype", 1),
    _c("dropout.numpy_small_p", "dropout (NumPy) with a small p=0.03 still drops and rescales", "dropout_numpy",
       {"p": 0.03, "shape": [300, 300], "seed": 12}, "dropout_drops_and_scales", 1),
    _c("dropout.numpy_defaults", "dropout(x) uses its defaults: p=0.5, training=True, a fresh generator",
       "dropout_numpy", {"p": 0.5, "shape": [100, 100], "seed": 13, "defaults": True}, "dropout_fraction", 1),
    _c("dropout.numpy_train_p08", "dropout (NumPy) at p=0.8 on float64: each unit is dropped with probability p",
       "dropout_numpy", {"p": 0.8, "shape": [100, 400], "seed": 1, "dtype": "float64"}, "dropout_fraction", 2),
    _c("dropout.numpy_eval", "dropout (NumPy) with training=False returns x", "dropout_numpy",
       {"p": 0.5, "shape": [50, 40], "seed": 2, "training": False}, "dropout_identity", 3),
    _c("dropout.numpy_p0", "dropout (NumPy) with p=0 returns x", "dropout_numpy",
       {"p": 0.0, "shape": [50, 40], "seed": 3}, "dropout_identity", 1),
    _c("dropout.numpy_p1", "dropout (NumPy) with p=1 returns zeros (no NaN)", "dropout_numpy",
       {"p": 1.0, "shape": [50, 40], "seed": 4}, "dropout_zeros", 1),
    _c("dropout.numpy_rng", "dropout (NumPy) draws its mask from the rng it is given", "dropout_numpy_rng",
       {"p": 0.5, "shape": [40, 50], "seed": 5}, "dropout_rng", 2),
    _c("dropout.numpy_input_untouched", "dropout (NumPy) does not modify x", "dropout_numpy",
       {"p": 0.5, "shape": [30, 30], "seed": 6}, "dropout_no_mutation", 1),
    _c("dropout.module_fraction", "Dropout module in train mode: each unit is dropped with probability p",
       "dropout_module", {"p": 0.4, "shape": [100, 1000], "seed": 7}, "dropout_fraction", 1),
    _c("dropout.module_scaling", "Dropout module in train mode: the kept units are divided by 1 - p",
       "dropout_module", {"p": 0.4, "shape": [100, 1000], "seed": 7}, "dropout_scaling", 2),
    _c("dropout.module_gradient", "Dropout module: gradients follow the values (zero where dropped, scaled where kept)",
       "dropout_module", {"p": 0.4, "shape": [100, 1000], "seed": 7}, "dropout_gradient", 1),
    _c("dropout.module_fresh_mask", "Dropout module draws a new mask on every call", "dropout_module",
       {"p": 0.4, "shape": [100, 1000], "seed": 7}, "dropout_fresh_mask", 1),
    _c("dropout.module_defaults", "Dropout() uses the default p=0.5", "dropout_module",
       {"p": 0.5, "shape": [100, 100], "seed": 14, "defaults": True}, "dropout_fraction", 1),
    _c("dropout.module_eval", "Dropout module in eval mode is the identity (values and gradients)",
       "dropout_module", {"p": 0.4, "shape": [20, 30], "seed": 8, "train": False}, "dropout_module_eval", 3),
    _c("dropout.module_p1", "Dropout(p=1) outputs zeros, no NaN", "dropout_module",
       {"p": 1.0, "shape": [20, 30], "seed": 9}, "dropout_module_zeros", 1),
    _c("dropout.module_float64", "Dropout keeps float64 and trains through it", "dropout_module",
       {"p": 0.5, "shape": [200, 200], "seed": 10, "dtype": "float64"}, "dropout_dtype", 1),
    _c("dropout.module_seeded", "Dropout draws from PyTorch's generator (torch.manual_seed repeats the mask)",
       "dropout_module_seeded", {"p": 0.5, "shape": [30, 30], "seed": 11}, "flags_true", 1),
    _c("dropout.invalid_p", "p outside [0, 1] raises ValueError", "dropout_invalid_p",
       {"values": [-0.1, 1.5]}, "all_raise_value_error", 1),
)


SPEC = (
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
    
)


def _on_device(probe: str, args: dict, device: str) -> dict:
    if probe == "dropout_module":  # the only probe with tensors to place; NumPy has no device
        args["device"] = device
    return args


EXERCISE = Exercise(
    name="dropout",
    title="Inverted dropout, in NumPy and as an nn.Module",
    chapter="book/04_regularization",
    timeout=60.0,
    todo=('dropout', 'Dropout.forward'),
    delegated=frozenset(('dropout', 'Dropout', 'dropout_', 'feature_dropout', 'alpha_dropout', 'Dropout1d', 'Dropout2d', 'Dropout3d', 'AlphaDropout', 'native_dropout', 'fused_dropout')),
    cases=CASES,
    spec=SPEC,
    mistakes=CATALOGUE,
    on_device=_on_device,
)
