"""``mixup_cutmix``: the reference is torchvision's ``v2.MixUp`` / ``v2.CutMix`` given the same ``lam`` and
centre, draws only from its generator, and its random draws have the stated distributions; the judges
pass float32 rounding and other draw orders, fail a wrong pixel or label with its index and values,
and the static check refuses torchvision's and the course's mixup and cutmix."""

from __future__ import annotations

import importlib
import math

import numpy as np
import pytest
import torch
from ag_helpers import ROOT
from torchvision.transforms import v2

from autograder import graded, judges, policy
from autograder.cases import PUBLIC, load_hidden
from autograder.observing import observe

pytestmark = pytest.mark.mixup_cutmix

ALL = [c for c in list(PUBLIC) + load_hidden(ROOT / "instructor" / "hidden_cases.json") if c.exercise == "mixup_cutmix"]


def _reference():
    return importlib.import_module("solutions.mixup_cutmix")


def _case(id: str):
    return next(c for c in ALL if c.id == f"mixup_cutmix.{id}")


def _judge(case, got, expected):
    return judges.JUDGES[case.judge](case, got, expected, judges.Context())


@pytest.mark.parametrize("shape", [(8, 3, 6, 6), (5, 2, 9, 4), (3, 1, 4, 11), (1, 3, 5, 5)])
def test_reference_is_torchvision_under_the_same_seed(shape):
    """torchvision draws lam (Beta) then cx then cy from the global generator; given those numbers
    the reference gives its images and soft labels, on square, tall, wide and one-image batches."""
    ref = _reference()
    n, _, h, w = shape
    x = torch.rand(shape, generator=torch.Generator().manual_seed(1))
    y = torch.arange(n) % 4
    for seed in range(25):
        torch.manual_seed(seed)
        xt, yt = v2.MixUp(alpha=0.7, num_classes=4)(x, y)
        torch.manual_seed(seed)
        lam = float(torch.distributions.Beta(torch.tensor([0.7]), torch.tensor([0.7])).sample(()))
        xo, yo = ref.mixup(x, y, 4, alpha=0.7, lam=lam)
        torch.testing.assert_close(xo, xt, rtol=1e-6, atol=1e-7)
        torch.testing.assert_close(yo, yt, rtol=1e-6, atol=1e-7)
        torch.manual_seed(seed)
        xt, yt = v2.CutMix(alpha=1.3, num_classes=4)(x, y)
        torch.manual_seed(seed)
        lam = float(torch.distributions.Beta(torch.tensor([1.3]), torch.tensor([1.3])).sample(()))
        cx, cy = int(torch.randint(w, (1,))), int(torch.randint(h, (1,)))
        xo, yo = ref.cutmix(x, y, 4, alpha=1.3, lam=lam, center=(cx, cy))
        assert torch.equal(xo, xt)
        torch.testing.assert_close(yo, yt, rtol=1e-6, atol=1e-7)


def _box(lam: float, cx: int, cy: int, h: int, w: int):
    """The docstring's box, written out once more."""
    r = 0.5 * math.sqrt(1 - lam)
    return max(cx - int(r * w), 0), max(cy - int(r * h), 0), min(cx + int(r * w), w), min(cy + int(r * h), h)


def test_cutmix_pastes_the_docstring_box_and_weighs_its_area():
    ref = _reference()
    rng = np.random.default_rng(0)
    x = torch.rand(3, 2, 7, 12, generator=torch.Generator().manual_seed(2))
    y = torch.tensor([0, 1, 2])
    for _ in range(200):
        lam, cx, cy = float(rng.uniform()), int(rng.integers(12)), int(rng.integers(7))
        x1, y1, x2, y2 = _box(lam, cx, cy, 7, 12)
        want = x.clone()
        want[:, :, y1:y2, x1:x2] = x[[2, 0, 1]][:, :, y1:y2, x1:x2]
        got, soft = ref.cutmix(x, y, 3, lam=lam, center=(cx, cy))
        assert torch.equal(got, want)
        lam_box = 1 - (x2 - x1) * (y2 - y1) / (7 * 12)
        assert soft[0].tolist() == pytest.approx([lam_box, 0.0, 1 - lam_box])


def test_the_exact_cases_do_not_sit_on_a_rounding_edge():
    """A student who keeps lam in float32 gets the same box as the reference on every exact case."""
    for case in ALL:
        kwargs = case.args.get("kwargs", {})
        if case.args.get("fn") != "cutmix" or "lam" not in kwargs or "center" not in kwargs:
            continue
        _, _, h, w = case.args["shape"]
        lam32 = float(np.float32(kwargs["lam"]))
        assert _box(kwargs["lam"], *kwargs["center"], h, w) == _box(lam32, *kwargs["center"], h, w), case.id
        assert _box(kwargs["lam"], *kwargs["center"], h, w) != _box(kwargs["lam"], *kwargs["center"], w, h) \
            or h == w, case.id


def test_the_generator_alone_decides_and_the_global_generator_is_left_alone():
    ref = _reference()
    x, y = torch.rand(4, 3, 6, 9), torch.tensor([0, 1, 2, 0])
    for fn in (ref.mixup, ref.cutmix):
        torch.manual_seed(0)
        state = torch.get_rng_state()
        a = fn(x, y, 3, generator=torch.Generator().manual_seed(5))
        assert torch.equal(torch.get_rng_state(), state)
        torch.manual_seed(1)
        b = fn(x, y, 3, generator=torch.Generator().manual_seed(5))
        assert all(torch.equal(u, v) for u, v in zip(a, b))


def test_reference_lam_is_beta_distributed():
    ref = _reference()
    g = torch.Generator().manual_seed(0)
    x, y = torch.zeros(2, 1, 1, 1), torch.tensor([0, 1])
    for alpha in (0.5, 2.0):
        lams = np.array([float(ref.mixup(x, y, 2, alpha=alpha, generator=g)[1][0, 0]) for _ in range(4000)])
        mean, var = 0.5, 1 / (4 * (2 * alpha + 1))
        assert abs(lams.mean() - mean) < 4 * math.sqrt(var / 4000)
        assert abs(lams.var() - var) < 0.1 * var


def _other_draws(module_source: str):
    """The reference with lam drawn otherwise: NumPy's Beta, seeded from the generator."""
    src = module_source.replace(
        "    g = torch.distributions.Gamma(float(alpha), 1.0).rsample((2,), generator=generator)\n"
        "    return float(g[0] / (g[0] + g[1]))\n",
        "    import numpy as np\n"
        "    seed = int(torch.randint(2**62, (1,), generator=generator))\n"
        "    return float(np.random.default_rng(seed).beta(alpha, alpha))\n")
    src = src.replace(
        "        cx = int(torch.randint(W, (1,), generator=generator))\n"
        "        cy = int(torch.randint(H, (1,), generator=generator))\n",
        "        cy = int(torch.randint(H, (1,), generator=generator))\n"
        "        cx = int(torch.randint(W, (1,), generator=generator))\n")
    assert src != module_source
    from autograder.mistakes import module_from_source

    return module_from_source("_other_draws", src, "<other draws>")


@pytest.mark.parametrize("case", [c for c in ALL if c.probe in ("mixup_lams", "cutmix_boxes",
                                                                   "mixup_cutmix_generator")], ids=lambda c: c.id)
def test_another_draw_scheme_passes_the_random_cases(case):
    """The order and the method of the draws are free: NumPy's Beta and cy before cx pass."""
    other = _other_draws((ROOT / "solutions" / "mixup_cutmix.py").read_text())
    verdict = _judge(case, observe(other, case), observe(_reference(), case))
    assert verdict.passed, verdict.message


def test_a_wrong_alpha_fails_the_beta_test():
    case = _case("mixup_beta")
    expected = observe(_reference(), case)
    uniform = dict(expected, lams=np.random.default_rng(0).uniform(size=len(expected["lams"])))
    verdict = _judge(case, uniform, expected)
    assert not verdict.passed and "Beta(0.5, 0.5)" in verdict.message and "Kolmogorov-Smirnov" in verdict.message


def test_float32_rounding_passes_and_a_wrong_pixel_fails_with_its_index():
    case = _case("mixup_images")
    expected = observe(_reference(), case)
    images = torch.tensor(expected["images"])
    lam = np.float32(0.3)
    other = (torch.tensor(float(lam)) * images + torch.tensor(float(1 - lam)) * images.roll(1, 0)).numpy()
    assert _judge(case, dict(expected, mixed=other), expected).passed
    wrong = expected["mixed"].copy()
    wrong[2, 1, 3, 4] += 1e-3
    verdict = _judge(case, dict(expected, mixed=wrong), expected)
    assert not verdict.passed and "mixed_images[2, 1, 3, 4]" in verdict.message
    assert repr(float(wrong[2, 1, 3, 4])) in verdict.message and repr(float(expected["mixed"][2, 1, 3, 4])) in \
        verdict.message


def test_a_swapped_lam_and_a_wrong_box_are_described():
    case = _case("mixup_images")
    expected = observe(_reference(), case)
    x = expected["images"].astype(np.float64)
    swapped = (0.7 * x + 0.3 * np.roll(x, 1, axis=0)).astype(np.float32)
    verdict = _judge(case, dict(expected, mixed=swapped), expected)
    assert not verdict.passed and "weight 1 - lam" in verdict.message
    case = _case("cutmix_box")
    expected = observe(_reference(), case)
    verdict = _judge(case, dict(expected, mixed=expected["images"]), expected)
    assert not verdict.passed and "expected rows 1:3, columns 1:5" in verdict.message


def test_unmixed_labels_are_named():
    case = _case("mixup_labels")
    expected = observe(_reference(), case)
    own = np.eye(3, dtype=np.float32)[expected["labels"]]
    verdict = _judge(case, dict(expected, soft=own), expected)
    assert not verdict.passed and "unmixed" in verdict.message


def test_the_policy_refuses_torchvision_and_the_course_but_not_the_distributions():
    allowed = ("import torch\nimport torch.nn.functional as F\n"
               "g = torch.distributions.Gamma(1.0, 1.0).rsample((2,), generator=None)\n"
               "y = F.one_hot(torch.tensor([0]), 2)\n")
    assert policy.scan_source(allowed, "exercises/mixup_cutmix.py", "mixup_cutmix") == []
    for line in ("from torchvision.transforms.v2 import MixUp",
                 "from torchvision.transforms import v2\nt = v2.CutMix(num_classes=3)",
                 "from course import augment",
                 "import course.augment",
                 "from course.augment import cutmix_box"):
        assert policy.scan_source(line + "\n", "exercises/mixup_cutmix.py", "mixup_cutmix"), line


def test_the_torch_reference_uses_the_given_lam_and_centre():
    tv = graded.load("mixup_cutmix").torch_reference()
    x, y = torch.rand(2, 1, 4, 6), torch.tensor([0, 1])
    mixed, soft = tv.cutmix(x, y, 2, lam=0.5, center=(0, 0))
    # r = 0.5 * sqrt(0.5): half-sides int(2.12) = 2 and int(1.41) = 1: columns 0:2, rows 0:1
    assert torch.equal(mixed[0, :, :1, :2], x[1, :, :1, :2]) and torch.equal(mixed[0, :, 1:], x[0, :, 1:])
    assert soft[0, 0].item() == pytest.approx(1 - 2 / 24)
    mixed, soft = tv.mixup(x, y, 2, lam=0.25)
    torch.testing.assert_close(mixed[0], 0.25 * x[0] + 0.75 * x[1])
