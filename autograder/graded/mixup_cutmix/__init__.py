"""Exercise ``mixup_cutmix``: everything the grader knows about it, in this package.

``__init__`` (this file, plain data: importing it needs neither NumPy nor torch): the cases and
their points, the specification map (which docstring statement each case grades), the time limit,
the functions the student writes and the library names the static check refuses. ``probes.py``
runs inside the student's sandbox; ``judges.py`` judges in the grader's process; ``mistakes.py``
names known mistakes; ``patches.py`` (instructor only) turns the reference into each mistake.

Exact cases pass ``lam`` (and CutMix's ``center``) explicitly, so every correct implementation
gives the same numbers; the ``torch`` cases compare with torchvision's ``v2.MixUp`` and
``v2.CutMix`` made to use that ``lam`` and centre. Random cases judge distributions and the use
of the generator, never the order of the draws.
"""

from __future__ import annotations

from autograder.exercise import Exercise, case as _c
from autograder.specification import _explains, _r

from .mistakes import CATALOGUE

_S = [4, 3, 5, 7]  # (N, C, H, W): not square, so that a swapped W and H shows
_Y = [0, 2, 1, 2]
_ROWS = [[0.9, 0.05, 0.05], [0.05, 0.05, 0.9], [0.05, 0.9, 0.05], [1.0, 0.0, 0.0]]
_CALL = "mixup_cutmix_call"


def _mc(id: str, title: str, judge: str, points: float, fn: str, kwargs: dict, shape=None, labels=None,
        num_classes: int = 3, reference: str = "solution", **extra):
    return _c(f"mixup_cutmix.{id}", title, _CALL,
              {"fn": fn, "shape": shape or _S, "labels": labels or _Y, "num_classes": num_classes,
               "kwargs": kwargs, **extra}, judge, points, reference=reference)


def _bad(fn: str, kwargs: dict | None = None, **extra) -> dict:
    return {"fn": fn, "shape": _S, "labels": _Y, "num_classes": 3, "kwargs": kwargs or {}, **extra}


CASES = (
    _mc("mixup_images", "mixup with lam=0.3: mixed_images[i] = 0.3 * images[i] + 0.7 * images[i - 1]",
        "mc_images", 3, "mixup", {"lam": 0.3}),
    _mc("mixup_labels", "mixup with lam=0.3: soft labels 0.3 * one_hot(labels[i]) + 0.7 * one_hot(labels[i - 1])",
        "mc_labels", 2, "mixup", {"lam": 0.3}),
    _mc("mixup_torchvision", "mixup vs torchvision's v2.MixUp with the same lam=0.62: 8 images, 5 classes",
        "mc_both", 2, "mixup", {"lam": 0.62}, shape=[8, 3, 6, 6], labels=[0, 1, 2, 3, 4, 0, 1, 2], num_classes=5,
        reference="torch"),
    _mc("mixup_rows", "mixup of float64 label rows (already soft): mixed alike, float64 kept", "mc_labels", 1,
        "mixup", {"lam": 0.8}, labels=_ROWS, labels_dtype="float64"),
    _mc("mixup_float64", "mixup keeps float64 images", "mc_images", 1, "mixup", {"lam": 0.45}, dtype="float64"),
    _mc("mixup_batch_of_one", "mixup of a batch of one image: paired with itself", "mc_both", 1, "mixup",
        {"lam": 0.7}, shape=[1, 3, 4, 6], labels=[2], num_classes=4),
    _c("mixup_cutmix.mixup_beta", "mixup, alpha=0.5, one generator: lam ~ Beta(0.5, 0.5), the same in pixels and "
       "labels (3000 calls)", "mixup_lams", {"n": 3000, "alpha": 0.5, "generator_seed": 11}, "mc_beta", 2),
    _c("mixup_cutmix.mixup_defaults", "mixup(images, labels, num_classes): alpha=1 (lam uniform), PyTorch's global "
       "generator (torch.manual_seed repeats it)", "mixup_lams", {"n": 3000}, "mc_beta", 1),
    _c("mixup_cutmix.mixup_generator", "mixup draws only from its generator: reproducible, new draws per call, "
       "the global generator untouched", "mixup_cutmix_generator",
       {"fn": "mixup", "shape": _S, "seeds": [21, 22, 23, 24, 25]}, "mc_generator", 2),
    _mc("mixup_untouched", "mixup with lam=1.0 and float32 label rows: the caller's tensors are left alone, the "
        "results are new tensors", "mc_untouched", 1, "mixup", {"lam": 1.0}, labels=_ROWS, labels_dtype="float32"),
    _mc("cutmix_box", "cutmix with lam=0.55, center=(3, 2) on 5 x 7 images: the partner's box pasted "
        "(rows 1:3, columns 1:5)", "mc_images", 3, "cutmix", {"lam": 0.55, "center": [3, 2]}),
    _mc("cutmix_labels", "cutmix with lam=0.55, center=(3, 2): labels mixed with lam_box = 1 - 8/35, not 0.55",
        "mc_labels", 2, "cutmix", {"lam": 0.55, "center": [3, 2]}),
    _mc("cutmix_clipped", "cutmix with lam=0.2, center=(0, 4), a corner: the box clipped, lam_box from the "
        "clipped box", "mc_both", 2, "cutmix", {"lam": 0.2, "center": [0, 4]}),
    _mc("cutmix_non_square", "cutmix on tall 9 x 4 images, lam=0.3, center=(2, 6): half-width from W, "
        "half-height from H", "mc_both", 2, "cutmix", {"lam": 0.3, "center": [2, 6]}, shape=[3, 2, 9, 4],
        labels=[1, 0, 1], num_classes=2),
    _mc("cutmix_uint8", "cutmix keeps uint8 images, pixels copied exactly", "mc_images", 1, "cutmix",
        {"lam": 0.4, "center": [5, 1]}, dtype="uint8"),
    _mc("cutmix_torchvision", "cutmix vs torchvision's v2.CutMix with the same lam=0.37 and centre (8, 1): "
        "8 images of 6 x 10, 5 classes", "mc_both", 2, "cutmix", {"lam": 0.37, "center": [8, 1]},
        shape=[8, 3, 6, 10], labels=[4, 3, 2, 1, 0, 4, 3, 2], num_classes=5, reference="torch"),
    _mc("cutmix_rows", "cutmix of float32 one-hot label rows: mixed alike, float32 kept", "mc_labels", 1, "cutmix",
        {"lam": 0.5, "center": [3, 3]}, labels=[[1.0, 0.0, 0.0], [0.0, 0.0, 1.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]],
        labels_dtype="float32"),
    _c("mixup_cutmix.cutmix_random", "cutmix, alpha=2, one generator, 6 x 10 images: one box per call from the "
       "partner, labels by its area, lam, box size and centre distributed as the reference's (3000 calls)",
       "cutmix_boxes", {"n": 3000, "shape": [3, 2, 6, 10], "alpha": 2.0, "generator_seed": 31}, "mc_boxes", 2),
    _c("mixup_cutmix.cutmix_defaults", "cutmix(images, labels, num_classes): alpha=1, a centre uniform over the "
       "image, PyTorch's global generator (2000 calls)", "cutmix_boxes", {"n": 2000, "shape": [3, 1, 7, 5]},
       "mc_boxes", 1),
    _c("mixup_cutmix.cutmix_generator", "cutmix draws only from its generator: reproducible, new draws per call, "
       "the global generator untouched", "mixup_cutmix_generator",
       {"fn": "cutmix", "shape": [3, 2, 6, 10], "seeds": [41, 42, 43, 44, 45]}, "mc_generator", 2),
    _mc("cutmix_untouched", "cutmix leaves the caller's images and labels alone and returns new tensors",
        "mc_untouched", 1, "cutmix", {"lam": 0.5, "center": [3, 2]}),
    _c("mixup_cutmix.validation", "ValueError for alpha <= 0, lam outside [0, 1], a centre outside the image, "
       "images not 4-D or labels of the wrong shape; TypeError for mixup of uint8 images", "mixup_cutmix_invalid",
       {"calls": [_bad("mixup", {"alpha": 0.0}), _bad("mixup", {"alpha": -1.0}),
                  _bad("mixup", {"alpha": 0.0, "lam": 0.5}), _bad("mixup", {"lam": 1.5}),
                  _bad("mixup", {"lam": -0.1}), _bad("mixup", {"lam": 0.0}), _bad("mixup", {"lam": 1.0}),
                  _bad("mixup", {"alpha": 0.2}), _bad("mixup", shape=[3, 5, 7], labels=[0, 2, 1]),
                  _bad("mixup", labels=[0, 2, 1]), _bad("mixup", labels=[[1, 0, 0, 0]] * 4, labels_dtype="float32"),
                  _bad("mixup", dtype="uint8"),
                  _bad("cutmix", {"alpha": 0.0}), _bad("cutmix", {"alpha": 0.0, "lam": 0.5, "center": [1, 1]}),
                  _bad("cutmix", {"lam": 1.2}), _bad("cutmix", {"lam": -0.5}), _bad("cutmix", {"center": [7, 0]}),
                  _bad("cutmix", {"center": [0, 5]}), _bad("cutmix", {"center": [-1, 2]}), _bad("cutmix", {"center": [2, -1]}),
                  _bad("cutmix", {"center": [6, 4]}), _bad("cutmix", {"center": [5, 0]}),
                  _bad("cutmix", labels=[0, 2, 1, 2, 0]), _bad("cutmix", shape=[3, 5, 7], labels=[0, 2, 1]),
                  _bad("cutmix", dtype="uint8")]},
       "same_exceptions", 2),
)

_MIXUP_EXACT = ("mixup_cutmix.mixup_images", "mixup_cutmix.mixup_torchvision")
_CUTMIX_EXACT = ("mixup_cutmix.cutmix_box", "mixup_cutmix.cutmix_clipped", "mixup_cutmix.cutmix_torchvision")
_LABELS = ("mixup_cutmix.mixup_labels", "mixup_cutmix.cutmix_labels", "mixup_cutmix.mixup_rows",
           "mixup_cutmix.cutmix_rows")
_RANDOM = ("mixup_cutmix.mixup_beta", "mixup_cutmix.mixup_defaults", "mixup_cutmix.cutmix_random",
           "mixup_cutmix.cutmix_defaults")
_GENERATOR = ("mixup_cutmix.mixup_generator", "mixup_cutmix.cutmix_generator")
_UNTOUCHED = ("mixup_cutmix.mixup_untouched", "mixup_cutmix.cutmix_untouched")

SPEC = (
    _explains("Exercise ``mixup_cutmix``: mixup and CutMix on a batch", "the title"),
    _r("Mixup (Zhang et al., 2018) blends each image", "mixup_cutmix.mixup_images", "mixup_cutmix.cutmix_box"),
    _r("CutMix (Yun et al., 2019) pastes a box of the partner", "mixup_cutmix.cutmix_box"),
    _r("Both mix the labels in the proportion", *_LABELS),
    _r("The conventions are those of ``torchvision.transforms.v2.MixUp``", "mixup_cutmix.mixup_torchvision",
       "mixup_cutmix.cutmix_torchvision"),
    _r("``images`` is a batch ``(N, C, H, W)``, channels first.", "mixup_cutmix.cutmix_non_square",
       "mixup_cutmix.cutmix_box"),
    _r("The partner of image ``i`` is image ``i - 1``", *_MIXUP_EXACT, *_CUTMIX_EXACT),
    _r("A batch of one image is paired with itself.", "mixup_cutmix.mixup_batch_of_one"),
    _r("``lam`` weighs the image itself and ``1 - lam`` its partner", "mixup_cutmix.mixup_images",
       "mixup_cutmix.mixup_labels"),
    _r("The labels of image ``i`` become", *_LABELS),
    _r("Nothing is modified in place", *_UNTOUCHED),
    _r("Randomness: ``lam ~ Beta(alpha, alpha)`` and CutMix's box centre are drawn from ``generator``",
       *_RANDOM, *_GENERATOR),
    _r("Given a generator, the global generator is not used at all", *_GENERATOR),
    _explains("The order of the draws is yours to choose.", "the random cases judge distributions, never draws"),
    _explains("The reference draws ``lam`` first", "how the reference draws; any order passes"),
    _explains("Raise ``ValueError`` for the invalid arguments", "a helper of the reference, graded through mixup "
              "and cutmix"),
    _explains("One draw of ``Beta(alpha, alpha)`` from ``generator``", "a helper, graded through mixup and cutmix"),
    _explains("``lam * t + (1 - lam) * t.roll(1, 0)``, ``t`` the labels", "a helper, graded through mixup and cutmix"),
    _r("Mixup: each image blended with its partner", *_MIXUP_EXACT),
    _r("images: a floating-point batch ``(N, C, H, W)``", "mixup_cutmix.mixup_float64", "mixup_cutmix.validation"),
    _r("labels: class indices ``(N,)`` (an integer tensor) or probability rows", "mixup_cutmix.mixup_rows",
       "mixup_cutmix.cutmix_rows", "mixup_cutmix.mixup_labels"),
    _r("num_classes: the number of classes.", "mixup_cutmix.mixup_torchvision", "mixup_cutmix.mixup_labels"),
    _r("alpha: the parameter of ``Beta(alpha, alpha)``, ``> 0`` (default 1.0, which makes",
       "mixup_cutmix.mixup_beta", "mixup_cutmix.mixup_defaults"),
    _r("lam: the weight of each image itself", "mixup_cutmix.mixup_images", "mixup_cutmix.mixup_beta"),
    _r("generator: where the random numbers come from", *_GENERATOR),
    _r("``(mixed_images, soft_labels)``: ``mixed_images[i] = lam * images[i]", *_MIXUP_EXACT,
       "mixup_cutmix.mixup_float64", "mixup_cutmix.mixup_labels", "mixup_cutmix.mixup_rows"),
    _r("``soft_labels`` of shape ``(N, num_classes)``, mixed with the same ``lam``", "mixup_cutmix.mixup_labels",
       "mixup_cutmix.mixup_rows", "mixup_cutmix.mixup_untouched"),
    _r("``soft_labels`` of shape ``(N, num_classes)``, mixed with ``lam_box``", "mixup_cutmix.cutmix_labels",
       "mixup_cutmix.cutmix_rows"),
    _r("TypeError: when ``images`` is not floating point", "mixup_cutmix.validation"),
    _r("ValueError: when ``alpha <= 0`` (whether or not ``lam`` is given)", "mixup_cutmix.validation"),
    _r("CutMix: a box of each image's partner pasted into a copy", *_CUTMIX_EXACT, "mixup_cutmix.cutmix_untouched"),
    _r("The box is ``v2.CutMix``'s.", "mixup_cutmix.cutmix_torchvision"),
    _r("With ``r = 0.5 * sqrt(1 - lam)``, its half-width", "mixup_cutmix.cutmix_box",
       "mixup_cutmix.cutmix_non_square"),
    _r("x1 = max(cx - int(r * W), 0) x2 = min(cx + int(r * W), W)", "mixup_cutmix.cutmix_clipped",
       "mixup_cutmix.cutmix_box"),
    _r("y1 = max(cy - int(r * H), 0) y2 = min(cy + int(r * H), H)", "mixup_cutmix.cutmix_clipped",
       "mixup_cutmix.cutmix_non_square"),
    _r("Every image gets the same box", "mixup_cutmix.cutmix_box", "mixup_cutmix.cutmix_random"),
    _r("The labels are mixed with the weight recomputed from the clipped box", "mixup_cutmix.cutmix_labels",
       "mixup_cutmix.cutmix_clipped", "mixup_cutmix.cutmix_random"),
    _r("images: a batch ``(N, C, H, W)`` of any dtype", "mixup_cutmix.cutmix_uint8"),
    _r("alpha: the parameter of ``Beta(alpha, alpha)``, ``> 0`` (default 1.0).", "mixup_cutmix.cutmix_random",
       "mixup_cutmix.cutmix_defaults"),
    _r("lam: the weight that sets the size of the box", "mixup_cutmix.cutmix_box", "mixup_cutmix.cutmix_random"),
    _r("center: ``(cx, cy)``, the centre of the box", "mixup_cutmix.cutmix_box", "mixup_cutmix.cutmix_non_square",
       "mixup_cutmix.cutmix_random", "mixup_cutmix.cutmix_defaults"),
    _r("``(mixed_images, soft_labels)``: the images with the box pasted", *_CUTMIX_EXACT,
       "mixup_cutmix.cutmix_uint8", "mixup_cutmix.cutmix_labels", "mixup_cutmix.cutmix_rows"),
    _r("ValueError: when ``alpha <= 0`` (whether or not ``lam`` is given), ``lam`` is outside ``[0, 1]``, "
       "``images`` is not 4-D, ``labels`` is neither ``(N,)`` nor ``(N, num_classes)``, or ``center``",
       "mixup_cutmix.validation"),
    _explains("Student version: fill in", "how to work"),
)


class _FixedLam:
    """Stands in for ``v2.MixUp``'s Beta distribution: ``sample`` gives the case's ``lam``."""

    def __init__(self, lam: float) -> None:
        self.lam = lam

    def sample(self, shape=()):
        import torch

        return torch.tensor([self.lam])


class _TorchWithCentre:
    """torch, as ``v2.CutMix.make_params`` sees it, whose ``randint`` gives the case's ``cx`` then ``cy``."""

    def __init__(self, centre) -> None:
        import torch

        self._torch, self._queue = torch, [int(centre[0]), int(centre[1])]

    def randint(self, high, size, **kwargs):
        return self._torch.tensor([self._queue.pop(0)])

    def __getattr__(self, name):
        return getattr(self._torch, name)


class _Torchvision:
    """torchvision's ``v2.MixUp`` / ``v2.CutMix`` in the shape of this exercise's module, made to use the
    given ``lam`` and centre (they draw them from the global generator otherwise)."""

    __name__ = "torchvision.transforms.v2"

    @staticmethod
    def mixup(images, labels, num_classes, alpha=1.0, *, lam=None, generator=None):
        from torchvision.transforms import v2

        transform = v2.MixUp(alpha=alpha, num_classes=num_classes)
        transform._dist = _FixedLam(lam)
        return transform(images, labels)

    @staticmethod
    def cutmix(images, labels, num_classes, alpha=1.0, *, lam=None, center=None, generator=None):
        from unittest import mock

        from torchvision.transforms import v2
        from torchvision.transforms.v2 import _augment

        transform = v2.CutMix(alpha=alpha, num_classes=num_classes)
        transform._dist = _FixedLam(lam)
        with mock.patch.object(_augment, "torch", _TorchWithCentre(center)):
            return transform(images, labels)


EXERCISE = Exercise(
    name="mixup_cutmix",
    title="Mixup and CutMix on a batch, with their labels mixed, reproducible under a torch.Generator",
    chapter="book/06_augmentation",
    timeout=90.0,
    todo=("_check", "_sample_lam", "_soft_labels", "mixup", "cutmix"),
    # torchvision's transforms, and the course's own mixup/cutmix (course/augment.py) that chapter 6 uses
    delegated=frozenset(("MixUp", "CutMix", "augment", "_augment", "cutmix_box", "sample_lam", "MixedBatch")),
    cases=CASES,
    spec=SPEC,
    mistakes=CATALOGUE,
    torch_reference=lambda: _Torchvision,
    on_device=lambda probe, args, device: {**args, "device": device} if probe == _CALL else args,
)
