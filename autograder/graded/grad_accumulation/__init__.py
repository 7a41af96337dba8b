"""Exercise ``grad_accumulation``: everything the grader knows about it, in this package.

``__init__`` (this file, plain data: importing it needs neither NumPy nor torch): the cases and
their points, the specification map (which docstring statement each case grades), the time limit,
the functions the student writes and the library names the static check refuses. ``probes.py``
runs inside the student's sandbox; ``judges.py`` judges in the grader's process; ``mistakes.py``
names known mistakes; ``patches.py`` (instructor only) turns the reference into each mistake.

The ``torch`` cases compare ``train_accumulated`` with the loop it must reproduce, the big-batch
loop (each group's micro-batches concatenated, one backward, ``torch.nn.utils.clip_grad_norm_``,
one step), and ``clip_grad_norm`` with ``torch.nn.utils.clip_grad_norm_`` itself. A run is judged
step by step: the number of optimizer steps, the gradient each step receives (after clipping), the
parameters after it, and, where a case names them (``aspects``), the records returned, which
``p.grad`` are left after the run, the model's mode and its buffers.
"""

from __future__ import annotations

from autograder.exercise import Exercise, case as _c
from autograder.specification import _explains, _r

from .mistakes import CATALOGUE

_SGD = {"optimizer": "SGD", "opt": {"lr": 0.1, "momentum": 0.9}}
_ADAM = {"optimizer": "Adam", "opt": {"lr": 0.01}}


def _run(id: str, title: str, points: float, reference: str = "torch", aspects=(), **spec):
    spec = {"seed": 0, "dtype": "float64", "model": "mlp", "loss": "ce", **_SGD, **spec}
    return _c(f"grad_accumulation.{id}", title, "ga_train", {"spec": spec, "aspects": list(aspects)}, "ga_run",
              points, reference=reference)


def _clip(id: str, title: str, points: float, forms=("list",), judge: str = "ga_clip", **spec):
    spec = {"seed": 0, "dtype": "float64", "shapes": [[4, 3], [3], [2, 2, 2]], "grad_scale": 1.0, **spec}
    return _c(f"grad_accumulation.{id}", title, "ga_clip", {"spec": spec, "forms": list(forms)}, judge, points,
              reference="torch")


CASES = (
    _run("big_batch_sgd", "vs the big-batch loop: SGD with momentum, 12 micro-batches of 4, accumulation_steps=3",
         3, sizes=[4] * 12, accumulation_steps=3),
    _run("big_batch_adam", "vs the big-batch loop: Adam, MSE loss, 16 micro-batches of 4, accumulation_steps=4",
         2, seed=1, loss="mse", sizes=[4] * 16, accumulation_steps=4, **_ADAM),
    _run("big_batch_clipped", "vs the big-batch loop with clip_grad_norm_(max_norm=0.3): clipping the "
         "accumulated gradient", 3, seed=2, sizes=[4] * 12, accumulation_steps=3, max_norm=0.3),
    _run("unequal_last_group", "vs the big-batch loop: micro-batches [5]*7 + [3], accumulation_steps=3 (the last "
         "group has 2 micro-batches, 8 samples)", 3, seed=3, sizes=[5] * 7 + [3], accumulation_steps=3),
    _run("unequal_sizes", "vs the big-batch loop: micro-batches of sizes 6, 2, 4, 3, 5, 4, 1, 7 in pairs, Adam, "
         "max_norm=1.0", 2, seed=4, loss="mse", sizes=[6, 2, 4, 3, 5, 4, 1, 7], accumulation_steps=2,
         max_norm=1.0, **_ADAM),
    _run("plain_loop", "accumulation_steps=1 is the plain loop: one step per micro-batch (max_norm=0.5)", 2,
         seed=5, sizes=[8] * 6, accumulation_steps=1, max_norm=0.5),
    _run("no_clipping", "max_norm left at its default None: no clipping of large gradients, grad_norm None", 1,
         aspects=("records",), seed=6, loss="mse", target_scale=20.0, sizes=[4] * 8, accumulation_steps=4),
    _run("inf_norm", "vs the big-batch loop with clip_grad_norm_(max_norm=0.1, norm_type=inf)", 2, seed=7,
         sizes=[5] * 7 + [3], accumulation_steps=3, max_norm=0.1, norm_type="inf"),
    _run("frozen_unused", "a frozen layer and a parameter the forward pass never uses (grad None), AdamW, "
         "max_norm=0.5", 2, aspects=("grads_after",), seed=8, model="frozen", sizes=[4] * 6, accumulation_steps=2,
         max_norm=0.5, optimizer="AdamW", opt={"lr": 0.01, "weight_decay": 0.1}),
    _run("train_mode", "a model with BatchNorm passed in eval mode: trained in train mode, left in it "
         "(one forward pass per micro-batch: running statistics)", 2, reference="solution",
         aspects=("training", "buffers"), seed=9, model="bn", eval_first=True, sizes=[4] * 6, accumulation_steps=2,
         opt={"lr": 0.1}),
    _run("records", "the returned records: loss of the effective batch, grad_norm before clipping, samples, "
         "micro_batches (unequal last group)", 2, aspects=("records",), seed=10, sizes=[3, 5, 4, 6, 2, 7, 5],
         accumulation_steps=3, max_norm=0.4),
    _run("step_count", "24 micro-batches, accumulation_steps=4: exactly 6 optimizer steps, no extra one", 1,
         seed=11, sizes=[2] * 24, accumulation_steps=4, opt={"lr": 0.1}),
    _run("grads_cleared", "after the run every p.grad is None (zero_grad with set_to_none after each step)", 1,
         aspects=("grads_after",), seed=12, sizes=[4] * 6, accumulation_steps=3, max_norm=0.5),
    _run("stale_grads", "gradients left in p.grad by the caller do not leak into the first step", 1, seed=13,
         stale_grads=True, sizes=[4] * 6, accumulation_steps=2),
    _run("generator", "batches given as a generator (no len()), 10 micro-batches, accumulation_steps=4", 1,
         seed=14, as_generator=True, sizes=[3] * 10, accumulation_steps=4, max_norm=0.5),
    _run("float32", "float32 model and data, micro-batch sizes 4 and 3, vs the big-batch loop", 1, seed=15,
         dtype="float32", sizes=[4, 3] * 4, accumulation_steps=2),
    _c("grad_accumulation.validation", "accumulation_steps < 1 and max_norm <= 0 raise ValueError; "
       "accumulation_steps=1, max_norm=None or a small max_norm do not", "ga_invalid",
       {"calls": [{"accumulation_steps": 0}, {"accumulation_steps": -2}, {"accumulation_steps": 1},
                  {"accumulation_steps": 2, "max_norm": 0.0}, {"accumulation_steps": 2, "max_norm": -1.0},
                  {"accumulation_steps": 2, "max_norm": None}, {"accumulation_steps": 2, "max_norm": 1e-3}]},
       "same_exceptions", 1),
    _clip("clip_vs_torch", "clip_grad_norm vs clip_grad_norm_: three tensors, norm above max_norm=1.0", 2,
          max_norm=1.0, grad_scale=2.0),
    _clip("clip_below_max", "a norm below max_norm: the gradients are not scaled up (the coefficient is clamped "
          "to 1)", 1, seed=1, max_norm=50.0),
    _clip("clip_inf", "norm_type=inf: the largest absolute gradient, vs clip_grad_norm_", 1, seed=2, max_norm=0.5,
          norm_type="inf"),
    _clip("clip_norm_one", "norm_type=1.0 vs clip_grad_norm_", 1, seed=3, max_norm=2.0, norm_type=1.0),
    _clip("clip_skips_none", "parameters without gradient (grad None, and one with requires_grad=False first) are "
          "skipped and keep grad None", 1, seed=4, shapes=[[3], [4, 3], [5], [2, 2]], frozen=[0], none=[2],
          max_norm=0.7),
    _clip("clip_no_grads", "no gradient at all: the total norm is 0 and nothing changes", 1, seed=5,
          shapes=[[3], [2, 2]], none=[0, 1], max_norm=1.0),
    _clip("clip_eps", "tiny gradients (norm about 2e-6, max_norm=1e-6): the 1e-6 in max_norm / (total_norm + 1e-6)",
          1, seed=6, grad_scale=5e-7, max_norm=1e-6),
    _clip("clip_inputs", "parameters given as a generator (model.parameters()) and as a single tensor", 1, seed=7,
          forms=("generator", "tensor"), max_norm=0.8),
    _c("grad_accumulation.clip_in_loop", "clip_grad_norm in a training loop: 25 SGD steps with max_norm=0.2 vs the "
       "same loop with clip_grad_norm_", "ga_clip_loop",
       {"spec": {"seed": 16, "dtype": "float64", "steps": 25, "max_norm": 0.2, "lr": 0.1, "target_scale": 3.0}},
       "ga_clip_loop", 2, reference="torch"),
)

_VS_BIG = ("grad_accumulation.big_batch_sgd", "grad_accumulation.big_batch_adam", "grad_accumulation.unequal_last_group",
           "grad_accumulation.unequal_sizes")
_CLIPPED = ("grad_accumulation.big_batch_clipped", "grad_accumulation.unequal_sizes", "grad_accumulation.inf_norm",
            "grad_accumulation.plain_loop")
_CLIP = ("grad_accumulation.clip_vs_torch", "grad_accumulation.clip_inf", "grad_accumulation.clip_norm_one",
         "grad_accumulation.clip_in_loop")

SPEC = (
    _explains("Exercise ``grad_accumulation``: gradient accumulation", "the title"),
    _explains("When the batch that training should use does not fit in memory", "motivation"),
    _r("Done right, the step is the step of the big batch", *_VS_BIG, "grad_accumulation.float32"),
    _r("Write ``loss_i`` for the mean loss of micro-batch ``i``", *_VS_BIG),
    _r("Its loss is the mean over all its samples::", "grad_accumulation.records", *_VS_BIG),
    _r("L = (n_1 * loss_1 + ... + n_k * loss_k) / N", "grad_accumulation.records", "grad_accumulation.unequal_sizes"),
    _r("so each micro-batch's loss is backpropagated with the weight ``n_i / N``", *_VS_BIG),
    _r("This is the gradient of ``loss_fn`` on the concatenated micro-batches", *_VS_BIG),
    _r("When all micro-batches have the same size, ``n_i / N = 1 / k``", "grad_accumulation.big_batch_sgd",
       "grad_accumulation.big_batch_adam"),
    _r("A smaller last micro-batch, or a last group of fewer than", "grad_accumulation.unequal_last_group",
       "grad_accumulation.unequal_sizes", "grad_accumulation.records"),
    _r("Clipping by the global norm (``torch.nn.utils.clip_grad_norm_``)", *_CLIP),
    _r("total_norm = ||(||g_1||, ..., ||g_m||)||", *_CLIP),
    _r("clip_coef = min(max_norm / (total_norm + 1e-6), 1)", "grad_accumulation.clip_eps",
       "grad_accumulation.clip_below_max", "grad_accumulation.clip_vs_torch"),
    _r("p.grad = p.grad * clip_coef", "grad_accumulation.clip_vs_torch", "grad_accumulation.clip_skips_none"),
    _r("In a loop with accumulation it clips the accumulated gradient", *_CLIPPED),
    _explains("Student version: fill in", "how to work"),
    # clip_grad_norm
    _r("Clip the gradients of ``parameters`` by their global norm", *_CLIP),
    _r("The norm is taken over the gradients of all parameters together", *_CLIP),
    _r("Parameters whose ``.grad`` is ``None`` (unused or frozen) are skipped", "grad_accumulation.clip_skips_none",
       "grad_accumulation.clip_no_grads", "grad_accumulation.frozen_unused"),
    _r("Every gradient is multiplied by", "grad_accumulation.clip_vs_torch", "grad_accumulation.clip_below_max",
       "grad_accumulation.clip_eps"),
    _r("The parameters themselves are not changed.", "grad_accumulation.clip_vs_torch"),
    _r("parameters: the parameters whose gradients are clipped", "grad_accumulation.clip_inputs",
       "grad_accumulation.clip_in_loop"),
    _r("max_norm: the largest norm the gradients may have", "grad_accumulation.clip_vs_torch"),
    _r("norm_type: the ``p`` of the p-norm", "grad_accumulation.clip_inf", "grad_accumulation.clip_norm_one",
       "grad_accumulation.clip_vs_torch"),
    _r("The total norm of the gradients before clipping, a 0-d tensor", "grad_accumulation.clip_vs_torch",
       "grad_accumulation.clip_in_loop", "grad_accumulation.clip_no_grads"),
    # train_accumulated
    _r("One pass over ``batches`` with gradient accumulation", *_VS_BIG),
    _r("The micro-batches are taken in order, in groups of ``accumulation_steps``",
       "grad_accumulation.unequal_last_group", "grad_accumulation.step_count", "grad_accumulation.generator"),
    _r("1. every micro-batch goes through one forward pass", "grad_accumulation.train_mode", *_VS_BIG),
    _r("2. with ``max_norm`` set, that accumulated gradient is clipped", *_CLIPPED, "grad_accumulation.frozen_unused"),
    _explains("For each group:", "introduces the numbered steps"),
    _r("``optimizer.step()`` is called once, then ``optimizer.zero_grad()``", "grad_accumulation.grads_cleared",
       "grad_accumulation.step_count", "grad_accumulation.frozen_unused"),
    _r("So the number of optimizer steps is", "grad_accumulation.step_count", "grad_accumulation.unequal_last_group"),
    _r("With ``accumulation_steps=1`` this is the plain loop", "grad_accumulation.plain_loop"),
    _r("The model is put in training mode", "grad_accumulation.train_mode", "grad_accumulation.stale_grads"),
    _r("model: the network; the micro-batches are on its device.", "grad_accumulation.big_batch_sgd"),
    _r("optimizer: a ``torch.optim`` optimizer", "grad_accumulation.big_batch_sgd", "grad_accumulation.big_batch_adam",
       "grad_accumulation.frozen_unused"),
    _r("loss_fn: ``loss_fn(output, y)``, the mean loss of a micro-batch", "grad_accumulation.big_batch_sgd",
       "grad_accumulation.big_batch_adam"),
    _r("batches: an iterable of ``(x, y)`` micro-batches", "grad_accumulation.generator",
       "grad_accumulation.unequal_sizes"),
    _r("accumulation_steps: micro-batches per optimizer step", "grad_accumulation.validation", *_VS_BIG),
    _r("max_norm: clip the accumulated gradient to this global norm", "grad_accumulation.no_clipping",
       "grad_accumulation.validation", *_CLIPPED),
    _r("norm_type: the norm of the clipping", "grad_accumulation.inf_norm", "grad_accumulation.big_batch_clipped"),
    _r("One dict per optimizer step, in order", "grad_accumulation.records", "grad_accumulation.no_clipping"),
    _r('``float("inf")`` for the max norm', "grad_accumulation.clip_inf", "grad_accumulation.inf_norm"),
    _r("``x.shape[0]`` is the number of samples of the micro-batch.", "grad_accumulation.unequal_sizes",
       "grad_accumulation.unequal_last_group", "grad_accumulation.float32"),
    _r("``None`` (the default) does not clip.", "grad_accumulation.no_clipping"),
    _r('``"grad_norm"``, the total norm of the accumulated gradient before clipping', "grad_accumulation.records",
       "grad_accumulation.no_clipping"),
    _r("``None`` when ``max_norm`` is ``None``);", "grad_accumulation.no_clipping"),
    _r('``"samples"``, ``N``;', "grad_accumulation.records"),
    _r('``"micro_batches"``, the number of micro-batches in the group.', "grad_accumulation.records"),
    _r("ValueError: for ``accumulation_steps < 1``", "grad_accumulation.validation"),
)


class _BigBatch:
    """What the ``torch`` cases compare with, in the shape of this exercise's module: the big-batch
    loop (``probes.big_batch_loop``) and ``torch.nn.utils.clip_grad_norm_``."""

    __name__ = "torch.nn.utils"

    @staticmethod
    def train_accumulated(*args, **kwargs):
        from .probes import big_batch_loop

        return big_batch_loop(*args, **kwargs)

    @staticmethod
    def clip_grad_norm(parameters, max_norm, norm_type=2.0):
        import torch

        return torch.nn.utils.clip_grad_norm_(parameters, max_norm, norm_type)


EXERCISE = Exercise(
    name="grad_accumulation",
    title="Gradient accumulation with global-norm gradient clipping, matched to the big-batch loop and "
          "clip_grad_norm_",
    chapter="book/08_training_loop",
    timeout=90.0,
    warm=("torch._dynamo",),  # an Optimizer's constructor imports it on first use (0.7 s)
    todo=("clip_grad_norm", "train_accumulated"),
    # PyTorch's clipping and its parts (clip_grad_norm without the underscore is its deprecated alias)
    delegated=frozenset(("clip_grad_norm_", "clip_grads_with_norm_", "get_total_norm", "_get_total_norm",
                         "_clip_grads_with_norm_", "clip_grad", "clip_grad_norm")),
    cases=CASES,
    spec=SPEC,
    mistakes=CATALOGUE,
    torch_reference=_BigBatch,
)
