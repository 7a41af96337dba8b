"""Exercise ``mlp_backward``: everything the grader knows about it, in this package.

``__init__`` (this file, plain data: importing it needs neither NumPy nor torch): the cases and
their points, the specification map (which docstring statement each case grades), the time
limit, the function the student writes and the library names the static check refuses.
``probes.py`` runs inside the student's sandbox; ``judges.py`` judges in the grader's process;
``mistakes.py`` names known mistakes; ``patches.py`` (instructor only) turns the reference into
each mistake. The value cases compare with ``torch.autograd`` on the same network; the reference
agrees with it on every case (``tests/autograder/test_mlp_backward.py``). The exercise is the
backward pass by hand, so the static check refuses ``torch`` (and every other autograd library)
in the student's file as a whole.
"""

from __future__ import annotations

from autograder.exercise import Exercise, case as _c
from autograder.specification import _explains, _r

from .mistakes import CATALOGUE

_T = "torch"
_ZEROS = {"zeros": True}
_LARGE = {"scale": 1e4}  # logits of about +-1e4: exp overflows without the max shift
_VALUE_ERRORS = ["x of shape (4,)", "x of shape (3, 4, 1)", "x and the parameters of dtype int64",
                 "targets of shape (2,)", "targets of shape (3, 1)", "W1 of shape (5, 3) (D = 4)",
                 "W1 of shape (4, 5) (transposed)", "W1 of shape (5,)", "b1 of shape (4,)", "b1 of shape (5, 1)", "W2 of shape (2, 4) (H = 5)",
                 "W2 of shape (5, 2) (transposed)", "W2 of shape (5,)", "b2 of shape (5,)", "b2 of shape (1, 2)",
                 "W1 float32, the rest float64", "b1 float32, the rest float64", "W2 float32, the rest float64",
                 "b2 float32, the rest float64", "x float32, the parameters float64",
                 "everything float32 (valid)", "N = 1 (valid)", "H = 1 (valid)"]
_INDEX_ERRORS = ["a target of 2 (C = 2)", "a target of -1", "a target of 1 (the last class, valid)"]

CASES = (
    # the loss, against F.cross_entropy of the same network
    _c("mlp_backward.loss", "the loss equals F.cross_entropy of the network (N=8, D=5, H=6, C=4, float64)", "mlp",
       {"seed": 0, "check": "loss"}, "mlp_values", 2, reference=_T),
    _c("mlp_backward.loss_float32", "the loss on float32 inputs", "mlp",
       {"seed": 1, "dtype": "float32", "check": "loss"}, "mlp_values", 1, reference=_T),
    _c("mlp_backward.loss_large_logits", "logits of about +-1e4 give a finite, exact loss (the max shift)", "mlp",
       {"seed": 2, **_LARGE, "check": "loss"}, "mlp_values", 2, reference=_T),
    # each gradient against autograd's, one case each (the same network)
    _c("mlp_backward.grad_W2", "dL/dW2 equals autograd's (float64)", "mlp", {"seed": 3, "check": "W2"},
       "mlp_values", 2, reference=_T),
    _c("mlp_backward.grad_b2", "dL/db2 equals autograd's (float64)", "mlp", {"seed": 3, "check": "b2"},
       "mlp_values", 2, reference=_T),
    _c("mlp_backward.grad_W1", "dL/dW1 equals autograd's (float64)", "mlp", {"seed": 3, "check": "W1"},
       "mlp_values", 2, reference=_T),
    _c("mlp_backward.grad_b1", "dL/db1 equals autograd's (float64)", "mlp", {"seed": 3, "check": "b1"},
       "mlp_values", 2, reference=_T),
    # the whole result in other settings
    _c("mlp_backward.grads_float32", "the loss and the four gradients on float32 inputs", "mlp",
       {"seed": 4, "dtype": "float32"}, "mlp_values", 2, reference=_T),
    _c("mlp_backward.grads_batch_of_one", "a batch of one sample (N=1)", "mlp",
       {"seed": 5, "n": 1}, "mlp_values", 1, reference=_T),
    _c("mlp_backward.grads_one_hidden_unit", "one hidden unit (H=1)", "mlp",
       {"seed": 6, "h": 1, "c": 3}, "mlp_values", 1, reference=_T),
    _c("mlp_backward.grads_relu_zero", "pre-activations exactly 0: ReLU's derivative there is 0, as in PyTorch",
       "mlp", {"seed": 7, **_ZEROS}, "mlp_values", 2, reference=_T),
    _c("mlp_backward.grads_large_logits", "logits of about +-1e4 give finite, exact gradients", "mlp",
       {"seed": 8, **_LARGE}, "mlp_values", 1, reference=_T),
    _c("mlp_backward.grads_larger", "a larger network (N=32, D=10, H=16, C=7)", "mlp",
       {"seed": 9, "n": 32, "d": 10, "h": 16, "c": 7}, "mlp_values", 1, reference=_T),
    _c("mlp_backward.keywords", "called with keyword arguments (x=, targets=, W1=, b1=, W2=, b2=)", "mlp",
       {"seed": 10, "keywords": True}, "mlp_values", 1, reference=_T),
    _c("mlp_backward.dtypes", "the loss and every gradient keep the inputs' dtype (float32 and float64)",
       "mlp_dtypes", {"seed": 11}, "mlp_dtype", 1),
    _c("mlp_backward.inputs_untouched", "x, targets and the parameters are left as they were", "mlp",
       {"seed": 12, **_ZEROS}, "mlp_untouched", 1),
    _c("mlp_backward.validation", "ValueError naming the argument at fault: a shape that does not fit, a dtype "
       "not that of x", "mlp_validation", {"calls": _VALUE_ERRORS}, "same_exceptions", 1),
    _c("mlp_backward.target_range", "IndexError for a target outside [0, C), with a message that says so",
       "mlp_validation", {"calls": _INDEX_ERRORS}, "same_exceptions", 1),
)

_P = "mlp_backward."
_LOSS = tuple(_P + c for c in ("loss", "loss_float32", "loss_large_logits"))
_GRADS = tuple(_P + c for c in ("grad_W2", "grad_b2", "grad_W1", "grad_b1"))
_WHOLE = tuple(_P + c for c in ("grads_float32", "grads_batch_of_one", "grads_one_hidden_unit", "grads_relu_zero",
                                "grads_large_logits", "grads_larger", "keywords"))
_LARGE_CASES = (_P + "loss_large_logits", _P + "grads_large_logits")
_VALIDATION = (_P + "validation", _P + "target_range")

SPEC = (
    _explains("Exercise ``mlp_backward``: the forward and backward pass", "the title"),
    _r("The network is ``nn.Linear -> ReLU -> nn.Linear`` followed by ``F.cross_entropy``", *_LOSS, *_GRADS),
    _r("For inputs ``X`` of shape ``(N, D)``, integer targets ``y``", _P + "grads_larger", _P + "grads_one_hidden_unit",
       _P + "grads_batch_of_one"),
    _r("A1 = X @ W1.T + b1", *_LOSS, _P + "grad_W1"),
    _r("H1 = relu(A1) = max(A1, 0)", *_LOSS, _P + "grad_W2"),
    _r("Z = H1 @ W2.T + b2", *_LOSS),
    _r("L = (1 / N) * sum_i (lse_i - Z[i, y_i])", *_LOSS),
    _r("``L`` is ``F.cross_entropy(Z, y)``, the mean over the batch", *_LOSS),
    _r("subtracting the row maximum ``m_i`` keeps", *_LARGE_CASES),
    _explains("With ``P = softmax(Z)`` row by row", "introduces the formulas below"),
    _r("dZ = (P - Y) / N", *_GRADS, _P + "grads_batch_of_one"),
    _r("dW2 = dZ.T @ H1", _P + "grad_W2"),
    _r("db2 = sum_i dZ[i, :]", _P + "grad_b2"),
    _r("dH1 = dZ @ W2", _P + "grad_W1", _P + "grad_b1"),
    _r("dA1 = dH1 * (A1 > 0)", _P + "grad_W1", _P + "grad_b1", _P + "grads_relu_zero"),
    _r("dW1 = dA1.T @ X", _P + "grad_W1"),
    _r("db1 = sum_i dA1[i, :]", _P + "grad_b1"),
    _r("These are the gradients ``torch.autograd`` gives", *_GRADS, *_WHOLE),
    _r("ReLU's derivative is 1 where", _P + "grads_relu_zero"),
    _r("at exactly 0 it is 0, as in PyTorch", _P + "grads_relu_zero"),
    _explains("Student version: fill in", "how to work"),
    _r("Raise the errors that the docstring of :func:`mlp_forward_backward` promises", *_VALIDATION),
    _r("The loss ``L`` of the network on ``(x, targets)``", *_LOSS, *_GRADS),
    _r("x: the inputs, a float32 or float64 array", _P + "loss", _P + "loss_float32", _P + "grads_float32"),
    _r("targets: an integer array of shape ``(N,)``", _P + "loss", _P + "target_range"),
    _r("W1: the first layer's weight", _P + "grad_W1", _P + "validation"),
    _r("b1: the first layer's bias", _P + "grad_b1", _P + "validation"),
    _r("W2: the second layer's weight", _P + "grad_W2", _P + "validation"),
    _r("b2: the second layer's bias", _P + "grad_b2", _P + "validation"),
    _r("``(loss, grads)``: ``loss`` is ``F.cross_entropy(Z, targets)``", *_LOSS, _P + "dtypes"),
    _r("``grads`` is a dict with the keys", *_GRADS, _P + "dtypes"),
    _r("The arguments are not modified.", _P + "inputs_untouched"),
    _r("ValueError: for ``x`` that is not 2-D", _P + "validation"),
    _r("The sizes are read from ``x`` (``N``, ``D``), ``W1`` (``H``) and ``W2`` (``C``)", _P + "validation"),
    _r("When ``x`` has a dtype that no parameter has, naming ``x`` or a parameter is right", _P + "validation"),
    _r("IndexError: for a target outside ``[0, C)``", _P + "target_range"),
)


class _TorchAutograd:
    """The same network in PyTorch, differentiated by ``loss.backward()``, in the shape of this
    exercise's module (NumPy in and out): the cases with ``reference="torch"`` compare with it."""

    __name__ = "torch.autograd"

    @staticmethod
    def mlp_forward_backward(x, targets, W1, b1, W2, b2):
        import torch
        import torch.nn.functional as F

        params = {k: torch.tensor(v, requires_grad=True) for k, v in (("W1", W1), ("b1", b1), ("W2", W2), ("b2", b2))}
        hidden = F.relu(F.linear(torch.tensor(x), params["W1"], params["b1"]))
        loss = F.cross_entropy(F.linear(hidden, params["W2"], params["b2"]), torch.as_tensor(targets))
        loss.backward()
        return loss.detach().numpy(), {k: p.grad.numpy() for k, p in params.items()}


EXERCISE = Exercise(
    name="mlp_backward",
    title="The backward pass of a two-layer ReLU network by hand, in NumPy",
    chapter="book/02_backpropagation",
    timeout=60.0,
    todo=("mlp_forward_backward",),
    # the whole point is the backward pass by hand: no autograd library at all, in the file or its helpers
    delegated=frozenset(("torch", "jax", "tensorflow", "autograd")),
    cases=CASES,
    spec=SPEC,
    mistakes=CATALOGUE,
    torch_reference=_TorchAutograd,
)
