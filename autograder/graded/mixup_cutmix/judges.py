"""Judges of the ``mixup_cutmix`` exercise: compare a student's mixed batch with the reference's.

Runs in the grader's process, never in the sandbox. Each judge registers itself by name
(``autograder.judges.JUDGES``) and judges one thing, so that one mistake costs the cases about it:
the mixed images (``mc_images``), the soft labels (``mc_labels``), both (``mc_both``), the inputs
left alone (``mc_untouched``), the distribution of ``lam`` (``mc_beta``), CutMix's random boxes
(``mc_boxes``) and the use of the generator (``mc_generator``).

Exact cases give ``lam`` (and CutMix's centre) explicitly, so any correct code gives the
reference's numbers up to rounding (``config.tolerance`` of the dtype, at least ``config.VALUE_RTOL``
since ``lam`` may be kept in float32; uint8 exactly). Random cases
compare distributions, never draws, so that the order of the draws stays free: a Kolmogorov-Smirnov
distance above ``KS_C / sqrt(n)`` (one sample, against the Beta CDF) or ``KS_C * sqrt((n + m) / (n m))``
(two samples, against the reference's) fails; at ``KS_C = 3.3`` a correct implementation fails about
once in 10^9, and every catalogued random mistake is off by 0.1 or more.
"""

from __future__ import annotations

import math

import numpy as np

from autograder import config
from autograder.judges import HINTS, MATCHERS, Context, Verdict, _fmt, judge

KS_C = 3.3


def _call_text(case) -> str:
    """The case's call, as the student would write it."""
    a = case.args
    dtype = a.get("dtype", "float32")
    shape = tuple(a.get("shape", ()))
    labels = a.get("labels")
    kwargs = dict(a.get("kwargs", {}))
    if a.get("generator_seed") is not None:
        kwargs["generator"] = f"torch.Generator().manual_seed({a['generator_seed']})"
    shown = "".join(f", {k}={tuple(v) if k == 'center' else v if k == 'generator' else repr(v)}"
                    for k, v in kwargs.items())
    kind = (f"labels={labels} (class indices)" if labels and not isinstance(labels[0], list)
            else f"labels = {a.get('labels_dtype')} rows {labels}")
    return (f"{a.get('fn')}(images, labels, {a.get('num_classes')}{shown}) with {dtype} images of shape "
            f"(N, C, H, W) = {shape} (seed {a.get('seed', 0)}), {kind}")


def _tolerance(dtype: str, device: str) -> tuple[float, float]:
    """uint8 exactly; floats at the dtype's tolerance, but never below ``config.VALUE_RTOL``: a correct
    implementation may keep ``lam`` in float32 (``torch.tensor(lam)``), which on float64 images and
    labels is off by up to 6e-8 relative."""
    if dtype == "uint8":
        return 0.0, 0.0
    rtol, atol = config.tolerance(dtype if dtype in ("float32", "float64") else "float32", device)
    return max(rtol, config.VALUE_RTOL), atol


def _first_difference(g: np.ndarray, e: np.ndarray, rtol: float, atol: float):
    bad = ~np.isclose(g.astype(np.float64), e.astype(np.float64), rtol=rtol, atol=atol, equal_nan=False)
    if not bad.any():
        return None
    return tuple(int(k) for k in np.argwhere(bad)[0])


def _box_of(mixed: np.ndarray, images: np.ndarray) -> str:
    """Where ``mixed`` differs from ``images`` in image 0, as a box, for messages."""
    changed = np.any(mixed[0] != images[0], axis=0)
    if not changed.any():
        return "nothing"
    rows, cols = np.nonzero(changed.any(axis=1))[0], np.nonzero(changed.any(axis=0))[0]
    y1, y2, x1, x2 = rows[0], rows[-1] + 1, cols[0], cols[-1] + 1
    exact = changed.sum() == (y2 - y1) * (x2 - x1)
    return (f"rows {y1}:{y2}, columns {x1}:{x2} (x1={x1}, y1={y1}, x2={x2}, y2={y2})"
            + ("" if exact else ", not all of that box"))


def _mixup_pattern(got: np.ndarray, images: np.ndarray, lam: float, rtol: float, atol: float) -> str:
    """What a wrong mixup looks like, where a common cause shows in the numbers."""
    x = images.astype(np.float64)
    candidates = [
        ((1 - lam) * x + lam * np.roll(x, 1, axis=0), "the image has weight 1 - lam and its partner lam: lam "
         "weighs the image itself, lam * images[i] + (1 - lam) * images[i - 1]"),
        (lam * x + (1 - lam) * np.roll(x, -1, axis=0), "image i is mixed with image i + 1; its partner is image "
         "i - 1, images.roll(1, dims=0)"),
        (x, "the images are not mixed at all"),
    ]
    for value, note in candidates:
        if np.allclose(got.astype(np.float64), value, rtol=rtol, atol=atol):
            return f"\n  {note}."
    return ""


def _compare_images(case, got: dict, expected: dict, ctx: Context) -> Verdict | None:
    dtype = expected["mixed_dtype"]
    device = expected["mixed_device"]
    if got.get("mixed_dtype") != dtype:
        return Verdict(False, f"{_call_text(case)}:\n  mixed_images has dtype {got.get('mixed_dtype')}; expected "
                              f"{dtype}, the dtype of images", symptom="wrong_dtype")
    if got.get("mixed_device") != device:
        return Verdict(False, f"{_call_text(case)}:\n  mixed_images is on {got.get('mixed_device')}; expected "
                              f"{device}, the device of images", symptom="wrong_device")
    g, e = np.asarray(got["mixed"]), np.asarray(expected["mixed"])
    rtol, atol = _tolerance(dtype, device)
    where = _first_difference(g, e, rtol, atol)
    if where is None:
        return None
    i, c, y, x = where
    images = np.asarray(expected["images"])
    n = images.shape[0]
    text = (f"{_call_text(case)}:\n  mixed_images[{i}, {c}, {y}, {x}] = {_fmt(g[where])}, expected "
            f"{_fmt(e[where])} (images[{i}, {c}, {y}, {x}] = {_fmt(images[where])}, its partner "
            f"images[{(i - 1) % n}, {c}, {y}, {x}] = {_fmt(images[((i - 1) % n, c, y, x)])})")
    if case.args.get("fn") == "cutmix":
        text += f"\n  the pixels of image 0 that differ from images[0]: {_box_of(g, images)}; expected " \
                f"{_box_of(e, images)}"
    elif "lam" in case.args.get("kwargs", {}):
        text += _mixup_pattern(g, images, case.args["kwargs"]["lam"], rtol, atol)
    return Verdict(False, text, details={"index": list(where)})


def _compare_labels(case, got: dict, expected: dict, ctx: Context) -> Verdict | None:
    dtype, device = expected["soft_dtype"], expected["soft_device"]
    if got.get("soft_dtype") != dtype:
        return Verdict(False, f"{_call_text(case)}:\n  soft_labels has dtype {got.get('soft_dtype')}; expected "
                              f"{dtype} (float32 for integer labels, the dtype of floating-point label rows)",
                       symptom="wrong_dtype")
    if got.get("soft_device") != device:
        return Verdict(False, f"{_call_text(case)}:\n  soft_labels is on {got.get('soft_device')}; expected "
                              f"{device}, the device of labels", symptom="wrong_device")
    g, e = np.asarray(got["soft"], dtype=np.float64), np.asarray(expected["soft"], dtype=np.float64)
    rtol, atol = _tolerance(dtype, device)
    where = _first_difference(g, e, rtol, atol)
    if where is None:
        return None
    i = where[0]
    n = g.shape[0]
    text = (f"{_call_text(case)}:\n  soft_labels[{i}] = {_fmt(g[i])} (sum {_fmt(float(g[i].sum()))}), expected "
            f"{_fmt(e[i])}: the labels of image {i} and of its partner, image {(i - 1) % n}, weighed as the "
            "pixels are")
    labels = np.asarray(expected["labels"])
    own = np.eye(g.shape[1])[labels] if labels.ndim == 1 else labels.astype(np.float64)
    if np.allclose(g, own, rtol=rtol, atol=atol) and not np.allclose(e, own, rtol=rtol, atol=atol):
        text += "\n  these are the labels of the images themselves, unmixed: mix them with the same weight as the pixels."
    return Verdict(False, text, details={"row": i})


@judge
def mc_images(case, got: dict, expected: dict, ctx: Context) -> Verdict:
    """The mixed images: dtype, device and every pixel."""
    return _compare_images(case, got, expected, ctx) or Verdict(True, "the mixed images as expected")


@judge
def mc_labels(case, got: dict, expected: dict, ctx: Context) -> Verdict:
    """The soft labels: dtype, device and every entry."""
    return _compare_labels(case, got, expected, ctx) or Verdict(True, "the soft labels as expected")


@judge
def mc_both(case, got: dict, expected: dict, ctx: Context) -> Verdict:
    """The mixed images, then the soft labels."""
    return (_compare_images(case, got, expected, ctx) or _compare_labels(case, got, expected, ctx)
            or Verdict(True, "the mixed images and the soft labels as expected"))


@judge
def mc_untouched(case, got: dict, expected: dict, ctx: Context) -> Verdict:
    """The caller's images and labels after the call, and after a write into the results."""
    problems = []
    for when, key in (("the call changed", "changed_by_call"),
                      ("writing into the returned tensors changed", "changed_by_writing_results")):
        changed = [k for k, v in got.get(key, {}).items() if v]
        if changed:
            problems.append(f"{when} the caller's {' and '.join(changed)}")
    if problems:
        return Verdict(False, f"{_call_text(case)}:\n  " + "; ".join(problems) + ". Mix into new tensors "
                              "(images.clone() before pasting, lam * images + ... for mixup) and return them, "
                              "never images or labels themselves or a view of them.", symptom="input_mutated")
    return Verdict(True, "the caller's images and labels are left as they were, and the results are new tensors")


def _beta_cdf(x: np.ndarray, alpha: float) -> np.ndarray:
    """The CDF of Beta(alpha, alpha) where it has a closed form (alpha 0.5, 1, 2, 3)."""
    if alpha == 0.5:
        return 2 / math.pi * np.arcsin(np.sqrt(x))
    if alpha == 1.0:
        return x
    if alpha == 2.0:
        return 3 * x**2 - 2 * x**3
    if alpha == 3.0:
        return 10 * x**3 - 15 * x**4 + 6 * x**5
    raise ValueError(f"no closed form for the CDF of Beta({alpha}, {alpha}) here")


def _ks_one(sample: np.ndarray, alpha: float) -> float:
    x = np.sort(np.clip(sample, 0.0, 1.0))
    n = len(x)
    cdf = _beta_cdf(x, alpha)
    return float(max(np.max(np.arange(1, n + 1) / n - cdf), np.max(cdf - np.arange(n) / n)))


def _ks_two(a: np.ndarray, b: np.ndarray) -> float:
    a, b = np.sort(a), np.sort(b)
    grid = np.concatenate([a, b])
    return float(np.max(np.abs(np.searchsorted(a, grid, side="right") / len(a)
                               - np.searchsorted(b, grid, side="right") / len(b))))


def _random_text(case, fn: str) -> str:
    a = case.args
    if a.get("alpha") is None:
        call = f"{fn}(images, labels, num_classes) (the default alpha and generator) after torch.manual_seed"
    else:
        call = (f"{fn}(images, labels, num_classes, alpha={a['alpha']!r}, generator=g) with one "
                f"g = torch.Generator().manual_seed({a['generator_seed']})")
    return f"{a['n']} calls of {call}"


@judge
def mc_beta(case, got: dict, expected: dict, ctx: Context) -> Verdict:
    """``lam`` of ``n`` mixup calls: the same in the pixels and the labels, distributed as Beta(alpha, alpha)."""
    alpha = case.args.get("alpha") or 1.0
    text = _random_text(case, "mixup") + " on two 1 x 1 images, 0.0 and 1.0, of classes 0 and 1"
    if got.get("inconsistent"):
        ex = got.get("example") or {}
        return Verdict(False, f"{text}:\n  in {got['inconsistent']} calls the pixels were not mixed with the lam of the "
                              f"labels (e.g. soft_labels[0, 0] = {_fmt(ex.get('lam_of_labels'))} but mixed_images = "
                              f"{ex.get('pixels')}, expected [1 - lam, lam]): draw lam once per call and use it for "
                              "both")
    if "repeats" in expected and not got.get("repeats"):
        return Verdict(False, f"{text}:\n  calling it again after the same torch.manual_seed gave another lam: with "
                              "generator=None, draw from PyTorch's global generator (and only from it)")
    lams = np.asarray(got["lams"], dtype=np.float64)
    if lams.size == 0 or not np.isfinite(lams).all() or lams.min() < 0 or lams.max() > 1:
        return Verdict(False, f"{text}:\n  lam (soft_labels[0, 0]) left [0, 1]: min {_fmt(float(np.nanmin(lams)))}, "
                              f"max {_fmt(float(np.nanmax(lams)))}")
    d = _ks_one(lams, alpha)
    limit = KS_C / math.sqrt(len(lams))
    summary = (f"mean {lams.mean():.4f}, sd {lams.std():.4f}, quartiles "
               f"{', '.join(f'{q:.4f}' for q in np.quantile(lams, [0.25, 0.5, 0.75]))}")
    sd = 1 / (2 * math.sqrt(2 * alpha + 1))
    if d > limit:
        return Verdict(False, f"{text}:\n  the lams are not distributed as Beta({alpha}, {alpha}): {summary}; Beta("
                              f"{alpha}, {alpha}) has mean 0.5, sd {sd:.4f} (Kolmogorov-Smirnov distance {d:.4f}, "
                              f"more than {limit:.4f})")
    return Verdict(True, f"lam follows Beta({alpha}, {alpha}) ({summary}; KS distance {d:.4f} <= {limit:.4f})")


def _measures(obs: dict) -> tuple[list, list]:
    """The names and samples of what the box-distribution test compares: lam, the box's size and middle."""
    b = np.asarray(obs["boxes"], dtype=np.float64).reshape(-1, 4)
    wide, tall = b[:, 2] > b[:, 0], b[:, 3] > b[:, 1]
    named = {
        "lam (from the soft labels)": np.asarray(obs["lams"], dtype=np.float64),
        "the box's width x2 - x1": b[:, 2] - b[:, 0],
        "the box's height y2 - y1": b[:, 3] - b[:, 1],
        "the column of its middle (x1 + x2) / 2, non-empty boxes": (b[:, 0] + b[:, 2])[wide] / 2,
        "the row of its middle (y1 + y2) / 2, non-empty boxes": (b[:, 1] + b[:, 3])[tall] / 2,
    }
    return list(named), list(named.values())


def _same_distributions(a: list, b: list) -> bool:
    for x, y in zip(a, b):
        if len(x) == 0 or len(y) == 0:
            if len(x) != len(y):
                return False
            continue
        if not np.isfinite(x).all() or not np.isfinite(y).all():
            if not np.array_equal(x, y, equal_nan=True):
                return False
            continue
        if _ks_two(x, y) > KS_C * math.sqrt((len(x) + len(y)) / (len(x) * len(y))):
            return False
    return True


def _same_random_fault(got: dict, mutant: dict) -> bool:
    """A student's random observation shows a mutant's fault: the same kinds of inconsistency, the same
    repeatability, and the same distributions (not the same draws: the order of the draws is free)."""
    if bool(got.get("inconsistent")) != bool(mutant.get("inconsistent")):
        return False
    if set(got.get("faults") or {}) != set(mutant.get("faults") or {}) or got.get("repeats") != mutant.get("repeats"):
        return False
    if "boxes" in mutant:
        return _same_distributions(_measures(got)[1], _measures(mutant)[1])
    return _same_distributions([np.asarray(got["lams"], dtype=np.float64)],
                               [np.asarray(mutant["lams"], dtype=np.float64)])


MATCHERS.update({"mc_beta": _same_random_fault, "mc_boxes": _same_random_fault,
                 "mc_untouched": lambda got, mutant: got.get("changed_by_call") == mutant.get("changed_by_call")
                 and got.get("changed_by_writing_results") == mutant.get("changed_by_writing_results"),
                 "mc_generator": lambda got, mutant: got == mutant})


@judge
def mc_boxes(case, got: dict, expected: dict, ctx: Context) -> Verdict:
    """CutMix's random boxes: one box from the partner per call, labels weighed by its area, and the
    distributions of lam, of the box's size and of its position the reference's."""
    N, C, H, W = case.args["shape"]
    text = _random_text(case, "cutmix") + f" on {N} images of shape (C, H, W) = {(C, H, W)}"
    faults = got.get("faults") or {}
    if faults:
        lines = [f"{what}: {count} of {case.args['n']} calls" for what, count in faults.items()]
        return Verdict(False, f"{text}:\n  " + "\n  ".join(lines))
    if "repeats" in expected and not got.get("repeats"):
        return Verdict(False, f"{text}:\n  calling it again after the same torch.manual_seed gave another result: "
                              "with generator=None, draw from PyTorch's global generator (and only from it)")
    measures = {what: (a, b) for what, a, b in zip(*_measures(got), _measures(expected)[1])}
    for what, (a, b) in measures.items():
        if len(a) == 0 or len(b) == 0:
            if len(a) != len(b):
                return Verdict(False, f"{text}:\n  {what}: {len(a)} values, expected {len(b)}")
            continue
        d = _ks_two(a, b)
        limit = KS_C * math.sqrt((len(a) + len(b)) / (len(a) * len(b)))
        if d > limit:
            return Verdict(False, f"{text}:\n  the distribution of {what} differs from the reference's: mean "
                                  f"{a.mean():.4f}, expected {b.mean():.4f} (Kolmogorov-Smirnov distance {d:.4f}, "
                                  f"more than {limit:.4f}). lam ~ Beta(alpha, alpha), the centre uniform: cx in "
                                  f"0..W-1 = 0..{W - 1}, cy in 0..H-1 = 0..{H - 1}, the half-sides int(r * W) and "
                                  "int(r * H), the box clipped at the border")
    return Verdict(True, f"one box per call, pasted from the partner, labels weighed by its area; lam, the box's size "
                         f"and position distributed as the reference's ({len(got['lams'])} calls)")


@judge
def mc_generator(case, got: dict, expected: dict, ctx: Context) -> Verdict:
    """Every property of the generator's use the reference has, the student's code has."""
    bad = [k for k, v in expected.items() if v is True and got.get(k) is not True]
    if bad:
        fn = case.args["fn"]
        return Verdict(False, f"{fn}(images, labels, 3, generator=g) on {tuple(case.args['shape'])} float32 images:\n  "
                              + "\n  ".join(f"not so: {k}" for k in bad)
                              + "\n  draw every random number (lam, and CutMix's centre) from generator: "
                                "torch.randint(..., generator=generator), torch.distributions.Gamma(alpha, "
                                "1.0).rsample((2,), generator=generator); no torch.randperm, "
                                "torch.distributions.Beta(...).sample() or np.random")
    return Verdict(True, "every random number comes from the generator")


# what to try when a case of this exercise fails and no catalogued mistake matches
HINTS.update({
    "mc_images": "compute the expected result of the case by hand on one pixel: lam * images[i] + (1 - lam) * "
                 "images[i - 1] for mixup; for cutmix, print (x1, y1, x2, y2) and compare with the formulas of "
                 "the docstring.",
    "mc_labels": "print soft_labels for the case: each row is lam * t[i] + (1 - lam) * t[i - 1], with t the "
                 "one-hot rows (F.one_hot(labels, num_classes).float()) or the given rows.",
    "mc_both": "check the images first (lam * images + (1 - lam) * images.roll(1, 0)), then the labels, mixed "
               "with the same lam (for cutmix the lam of the clipped box).",
    "mc_beta": "draw lam once per call: g1, g2 = torch.distributions.Gamma(alpha, 1.0).rsample((2,), "
               "generator=generator); lam = g1 / (g1 + g2).",
    "mc_boxes": "print the box and lam of a few calls: cx = torch.randint(W, (1,), generator=generator), "
                "cy likewise with H; the box and lam_box as in the docstring.",
})
