"""Exercise ``cross_entropy``: everything the grader knows about it, in this package.

``__init__`` (this file, plain data: importing it needs neither NumPy nor torch): the cases and
their points, the specification map (which docstring statement each case grades), the time
limit, the functions the student writes and the library names the static check refuses.
``probes.py`` runs inside the student's sandbox; ``judges.py`` judges in the grader's process;
``mistakes.py`` names known mistakes; ``patches.py`` (instructor only) turns the reference into
each mistake. The reference agrees with ``F.cross_entropy`` and its autograd gradient on every
case (``tests/autograder/test_cross_entropy.py``).
"""

from __future__ import annotations

from autograder.exercise import Exercise, case as _c
from autograder.specification import _explains, _r

from .mistakes import CATALOGUE

_VALUE_ERRORS = ["reduction='average'", "reduction='batchmean'", "label_smoothing=-0.1", "label_smoothing=1.5",
                 "label_smoothing=1.0", "label_smoothing=0.0", "logits of shape (4,)", "logits of shape (3,), targets (3,)",
                 "logits of shape (3, 4, 2)", "targets of shape (4,)", "targets of shape (3, 1)", "weight of shape (5,)",
                 "weight of shape (4, 1)", "weight of shape (1,)", "weight of shape (4,)"]
_INDEX_ERRORS = ["a target of 4 (C = 4)", "a target of -1", "a target of -100 (the default ignore_index)",
                 "a target of 7 with ignore_index=7", "a target of 3 (the last class)"]
_LARGE = {"large": True, "n": 8, "c": 5}
_F32 = {"dtype": "float32", "scale": 40.0}  # logits up to ~150: exp overflows float32 without the max shift

CASES = (
    # the loss, against F.cross_entropy
    _c("cross_entropy.loss_mean", "cross_entropy: the mean over 8 samples, 5 classes (float64)", "ce_loss",
       {"seed": 0}, "ce_loss", 2),
    _c("cross_entropy.loss_sum", "cross_entropy: reduction='sum'", "ce_loss",
       {"seed": 1, "reduction": "sum"}, "ce_loss", 1),
    _c("cross_entropy.loss_none", "cross_entropy: reduction='none' gives each sample's loss", "ce_loss",
       {"seed": 2, "reduction": "none", "n": 9, "c": 4}, "ce_loss", 1),
    _c("cross_entropy.loss_large_logits", "cross_entropy: logits of +-1e4 give finite, exact losses (log-sum-exp)",
       "ce_loss", {"seed": 3, "reduction": "none", **_LARGE}, "ce_loss", 2),
    _c("cross_entropy.loss_weights", "cross_entropy: class weights, the weighted mean (2 targets ignored)", "ce_loss",
       {"seed": 4, "weighted": True, "ignored": 2, "n": 10}, "ce_loss", 2),
    _c("cross_entropy.loss_weights_none", "cross_entropy: class weights, reduction='none'", "ce_loss",
       {"seed": 5, "weighted": True, "reduction": "none"}, "ce_loss", 1),
    _c("cross_entropy.loss_ignore", "cross_entropy: ignored targets contribute nothing and do not count in the mean",
       "ce_loss", {"seed": 6, "ignored": 3, "n": 10}, "ce_loss", 2),
    _c("cross_entropy.loss_ignore_class", "cross_entropy: ignore_index may be a class (weights, smoothing, mean)",
       "ce_loss", {"seed": 7, "ignore_index": 1, "ignored": 3, "n": 10, "weighted": True, "label_smoothing": 0.1},
       "ce_loss", 1),
    _c("cross_entropy.loss_smoothing", "cross_entropy: label_smoothing=0.1 (PyTorch's definition)", "ce_loss",
       {"seed": 8, "label_smoothing": 0.1}, "ce_loss", 2),
    _c("cross_entropy.loss_smoothing_weights", "cross_entropy: label smoothing with class weights, reduction='none'",
       "ce_loss", {"seed": 9, "label_smoothing": 0.2, "weighted": True, "ignored": 2, "reduction": "none"},
       "ce_loss", 1),
    _c("cross_entropy.loss_all_ignored", "cross_entropy: every target ignored, reduction='mean' gives NaN (0 / 0)",
       "ce_loss", {"seed": 10, "all_ignored": True, "weighted": True, "label_smoothing": 0.1}, "ce_loss", 1),
    _c("cross_entropy.loss_float32", "cross_entropy on float32 logits up to ~150 (weights, smoothing, mean)",
       "ce_loss", {"seed": 11, "weighted": True, "label_smoothing": 0.1, "ignored": 1, **_F32}, "ce_loss", 1),
    _c("cross_entropy.loss_dtype", "cross_entropy returns the logits' dtype (float32) for every reduction",
       "ce_dtypes", {"function": "cross_entropy", "seed": 12}, "ce_dtype", 1),
    _c("cross_entropy.loss_defaults", "cross_entropy(logits, targets) uses its defaults (ignore_index=-100, mean)",
       "ce_loss", {"seed": 13, "ignored": 2, "defaults": True}, "ce_loss", 1),
    _c("cross_entropy.loss_inputs_untouched", "cross_entropy leaves logits, targets and weight as they were",
       "ce_loss", {"seed": 14, "weighted": True, "ignored": 2, "label_smoothing": 0.1}, "ce_untouched", 1),
    _c("cross_entropy.validation", "cross_entropy raises ValueError for a bad reduction, label_smoothing or shape",
       "ce_validation", {"function": "cross_entropy", "calls": _VALUE_ERRORS}, "same_exceptions", 1),
    _c("cross_entropy.target_range", "cross_entropy raises IndexError for a target outside [0, C) not ignored",
       "ce_validation", {"function": "cross_entropy", "calls": _INDEX_ERRORS}, "same_exceptions", 1),
    # the gradient, against autograd
    _c("cross_entropy.grad_mean", "cross_entropy_grad: the gradient of the mean (float64)", "ce_grad",
       {"seed": 20}, "ce_grad", 2),
    _c("cross_entropy.grad_sum", "cross_entropy_grad: reduction='sum'", "ce_grad",
       {"seed": 21, "reduction": "sum", "n": 6, "c": 7}, "ce_grad", 1),
    _c("cross_entropy.grad_large_logits", "cross_entropy_grad: logits of +-1e4 give a finite, exact gradient",
       "ce_grad", {"seed": 22, **_LARGE}, "ce_grad", 1),
    _c("cross_entropy.grad_weights_ignore", "cross_entropy_grad: class weights and ignored targets, the weighted mean",
       "ce_grad", {"seed": 23, "weighted": True, "ignored": 3, "n": 10}, "ce_grad", 2),
    _c("cross_entropy.grad_smoothing", "cross_entropy_grad: label smoothing with class weights, reduction='none'",
       "ce_grad", {"seed": 24, "weighted": True, "ignored": 2, "label_smoothing": 0.2, "reduction": "none"},
       "ce_grad", 2),
    _c("cross_entropy.grad_all_ignored", "cross_entropy_grad: every target ignored gives zeros (mean, as autograd)",
       "ce_grad", {"seed": 25, "all_ignored": True, "label_smoothing": 0.1}, "ce_grad", 1),
    _c("cross_entropy.grad_float32", "cross_entropy_grad on float32 logits up to ~150 (weights, smoothing, mean)",
       "ce_grad", {"seed": 26, "weighted": True, "label_smoothing": 0.1, "ignored": 1, **_F32}, "ce_grad", 1),
    _c("cross_entropy.grad_dtype", "cross_entropy_grad returns the logits' dtype (float32) for every reduction",
       "ce_dtypes", {"function": "cross_entropy_grad", "seed": 27}, "ce_dtype", 1),
    _c("cross_entropy.grad_defaults", "cross_entropy_grad(logits, targets) uses the defaults", "ce_grad",
       {"seed": 28, "ignored": 2, "defaults": True}, "ce_grad", 1),
    _c("cross_entropy.grad_inputs_untouched", "cross_entropy_grad leaves logits, targets and weight as they were",
       "ce_grad", {"seed": 29, "weighted": True, "ignored": 2, "label_smoothing": 0.1}, "ce_untouched", 1),
    _c("cross_entropy.grad_validation", "cross_entropy_grad checks its arguments as cross_entropy does",
       "ce_validation", {"function": "cross_entropy_grad", "calls": _VALUE_ERRORS + _INDEX_ERRORS},
       "same_exceptions", 1),
)

_P = "cross_entropy."
_LOSS_VALUES = tuple(_P + c for c in ("loss_mean", "loss_sum", "loss_none", "loss_large_logits", "loss_weights",
                                      "loss_weights_none", "loss_ignore", "loss_ignore_class", "loss_smoothing",
                                      "loss_smoothing_weights", "loss_float32"))
_GRAD_VALUES = tuple(_P + c for c in ("grad_mean", "grad_sum", "grad_large_logits", "grad_weights_ignore",
                                      "grad_smoothing", "grad_float32"))
_SMOOTHING = tuple(_P + c for c in ("loss_smoothing", "loss_smoothing_weights", "loss_ignore_class", "grad_smoothing"))
_WEIGHTS = tuple(_P + c for c in ("loss_weights", "loss_weights_none", "loss_smoothing_weights", "grad_weights_ignore",
                                  "grad_smoothing"))
_IGNORE = tuple(_P + c for c in ("loss_ignore", "loss_ignore_class", "loss_weights", "grad_weights_ignore",
                                 "grad_smoothing", "loss_smoothing_weights"))
_LARGE_CASES = (_P + "loss_large_logits", _P + "grad_large_logits", _P + "loss_float32", _P + "grad_float32")
_VALIDATION = (_P + "validation", _P + "target_range", _P + "grad_validation")

SPEC = (
    _explains("Exercise ``cross_entropy``: the cross-entropy loss from logits", "the title"),
    _r("``cross_entropy`` computes what ``torch.nn.functional.cross_entropy`` computes", *_LOSS_VALUES, *_GRAD_VALUES),
    _r("For logits ``z`` of shape ``(N, C)``, targets ``y`` of shape ``(N,)``, class weights ``w``",
       _P + "loss_mean", _P + "loss_weights", _P + "loss_weights_none"),
    _r("lse_i = m_i + log(sum_c exp(z[i, c] - m_i))", _P + "loss_mean", _P + "loss_none", _P + "loss_large_logits"),
    _r("loss_i = (1 - eps) * w[y_i] * (lse_i - z[i, y_i])", _P + "loss_none", *_SMOOTHING, *_WEIGHTS),
    _r("Subtracting the row's maximum ``m_i`` (the log-sum-exp trick)", *_LARGE_CASES),
    _explains("``lse_i - z[i, c]`` is ``-log softmax(z_i)[c]``.", "an identity that explains the formula"),
    _r("The smoothing term is PyTorch's", *_SMOOTHING),
    _r("A sample whose target is ``ignore_index`` contributes nothing", *_IGNORE, _P + "loss_all_ignored",
       _P + "grad_all_ignored"),
    _r("``reduction`` then gives::", _P + "loss_mean", _P + "loss_sum", _P + "loss_none"),
    _r('"none": the N losses loss_i', _P + "loss_none", _P + "loss_weights_none", _P + "loss_smoothing_weights"),
    _r('"sum": sum_i loss_i', _P + "loss_sum", _P + "grad_sum"),
    _r('"mean": sum_i loss_i / sum_{i not ignored} w[y_i]', _P + "loss_mean", _P + "loss_weights", _P + "loss_ignore"),
    _r("The mean is PyTorch's weighted mean", _P + "loss_weights", _P + "loss_ignore", _P + "loss_ignore_class",
       _P + "grad_weights_ignore"),
    _r("When every target is ignored, the mean is ``0 / 0 = NaN``", _P + "loss_all_ignored", _P + "grad_all_ignored"),
    _r("The gradient of the loss of sample ``i`` with respect to its logits", *_GRAD_VALUES),
    _r("d loss_i / d z[i, k] = (1 - eps) * w[y_i]", *_GRAD_VALUES),
    _explains("Student version: fill in", "how to work"),
    _r("Raise the errors that the docstrings of both functions promise", *_VALIDATION),
    _r("The cross-entropy of ``logits`` against class-index ``targets``", *_LOSS_VALUES),
    _r("logits: a float32 or float64 array of shape ``(N, C)``", _P + "loss_mean", _P + "loss_float32"),
    _r("targets: an integer array of shape ``(N,)``; each is a class", _P + "loss_mean", _P + "target_range"),
    _r("weight: the weight of each class", *_WEIGHTS),
    _r("ignore_index: the target value of the samples to ignore (default -100); it may be a class.",
       _P + "loss_ignore", _P + "loss_ignore_class", _P + "loss_defaults"),
    _r('reduction: ``"mean"`` (default), ``"sum"`` or ``"none"``.', _P + "loss_mean", _P + "loss_sum",
       _P + "loss_none", _P + "loss_defaults"),
    _r("label_smoothing: ``eps``, in ``[0, 1]`` (default 0.0).", _P + "loss_smoothing", _P + "loss_defaults",
       _P + "validation"),
    _r("The loss, in the dtype of ``logits``", _P + "loss_dtype", _P + "loss_mean", _P + "loss_none"),
    _r("The arguments are not modified.", _P + "loss_inputs_untouched", _P + "grad_inputs_untouched"),
    _r("ValueError: for a ``reduction`` other than the three", _P + "validation"),
    _r("IndexError: for a target outside ``[0, C)``", _P + "target_range"),
    _r("The gradient ``d loss / d logits`` of :func:`cross_entropy`", *_GRAD_VALUES),
    _r("It is what ``torch.autograd`` gives for ``F.cross_entropy``", *_GRAD_VALUES),
    _r("logits: as for :func:`cross_entropy`.", _P + "grad_mean", _P + "grad_float32"),
    _r("targets: as for :func:`cross_entropy`.", _P + "grad_mean", _P + "grad_validation"),
    _r("weight: as for :func:`cross_entropy` (default ``None``).", _P + "grad_weights_ignore", _P + "grad_defaults"),
    _r("ignore_index: as for :func:`cross_entropy` (default -100).", _P + "grad_weights_ignore", _P + "grad_defaults"),
    _r('reduction: as for :func:`cross_entropy` (default ``"mean"``).', _P + "grad_sum", _P + "grad_smoothing",
       _P + "grad_defaults"),
    _r("label_smoothing: as for :func:`cross_entropy` (default 0.0).", _P + "grad_smoothing", _P + "grad_defaults"),
    _r("An array of the shape and dtype of ``logits``: zero rows for the ignored samples", _P + "grad_dtype",
       _P + "grad_weights_ignore", _P + "grad_all_ignored"),
    _r("ValueError: as :func:`cross_entropy`.", _P + "grad_validation"),
    _r("IndexError: as :func:`cross_entropy`.", _P + "grad_validation"),
)

class _TorchFunctional:
    """``F.cross_entropy`` and its autograd gradient in the shape of this exercise's module (NumPy in and
    out), for ``tests/autograder/test_cross_entropy.py``, which checks the reference against it."""

    __name__ = "torch.nn.functional"

    @staticmethod
    def _loss(logits, targets, weight=None, ignore_index=-100, reduction="mean", label_smoothing=0.0):
        import torch
        import torch.nn.functional as F

        z = torch.tensor(logits, requires_grad=True)
        loss = F.cross_entropy(z, torch.as_tensor(targets), weight=None if weight is None else torch.tensor(weight),
                               ignore_index=ignore_index, reduction=reduction, label_smoothing=label_smoothing)
        return z, loss

    def cross_entropy(self, *args, **kwargs):
        return self._loss(*args, **kwargs)[1].detach().numpy()

    def cross_entropy_grad(self, *args, **kwargs):
        z, loss = self._loss(*args, **kwargs)
        loss.sum().backward()  # for "none": the gradient of the sum of the losses, row i that of loss_i
        return z.grad.numpy()


EXERCISE = Exercise(
    name="cross_entropy",
    title="Cross-entropy from logits and its gradient, in NumPy",
    chapter="book/01_losses",
    timeout=60.0,
    todo=("cross_entropy", "cross_entropy_grad"),
    delegated=frozenset(("cross_entropy", "cross_entropy_loss", "CrossEntropyLoss", "log_softmax", "_log_softmax",
                         "LogSoftmax", "nll_loss", "nll_loss_nd", "nll_loss2d", "NLLLoss", "logsumexp", "softmax",
                         "_softmax", "Softmax")),
    cases=CASES,
    spec=SPEC,
    mistakes=CATALOGUE,
    torch_reference=_TorchFunctional,
)
