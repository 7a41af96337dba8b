"""Probes of the ``mixup_cutmix`` exercise: call ``mixup`` / ``cutmix`` on a known batch and report
what came back, as plain data.

Runs inside the student's sandboxed process (and in the grader's, on the reference, on torchvision's
``v2.MixUp`` / ``v2.CutMix`` and on the catalogued mistakes): imports only the standard library,
NumPy, torch and :mod:`autograder.inside.probing`. Every probe builds its batch from a seed, sets
PyTorch's global seed before it calls the student's code (so that code which draws from the global
generator gives the same numbers on every run), and passes generators made on the CPU.
"""

from __future__ import annotations

import numpy as np

from autograder.inside.probing import StudentError, _kind, _need, probe

GLOBAL_SEED = 12345
DTYPES = ("float32", "float64", "uint8")


def _images(shape, dtype: str, seed: int, device: str = "cpu"):
    """A batch of the given shape: uniform in [0, 1) for floats, 0..255 for uint8."""
    import torch

    g = torch.Generator().manual_seed(seed)
    if dtype == "uint8":
        x = torch.randint(0, 256, tuple(shape), generator=g, dtype=torch.uint8)
    else:
        x = torch.rand(tuple(shape), generator=g, dtype=getattr(torch, dtype))
    return x.to(device)


def _labels(labels, labels_dtype: str | None, device: str = "cpu"):
    """Class indices (a flat list, int64) or rows (nested lists, of ``labels_dtype``)."""
    import torch

    dtype = getattr(torch, labels_dtype) if labels_dtype else torch.int64
    return torch.tensor(labels, dtype=dtype, device=device)


def _function(module, fn: str):
    if fn not in ("mixup", "cutmix"):
        raise ValueError(f"unknown function {fn!r}")
    return _need(module, fn)


def _call(module, fn: str, images, labels, num_classes: int, kwargs: dict):
    """The student's ``(mixed_images, soft_labels)``, checked for its form."""
    import torch

    kwargs = dict(kwargs)
    if "center" in kwargs:
        kwargs["center"] = tuple(kwargs["center"])
    out = _function(module, fn)(images, labels, num_classes, **kwargs)
    if not isinstance(out, (tuple, list)) or len(out) != 2:
        raise StudentError(f"{fn} must return a pair (mixed_images, soft_labels); it returned {_kind(out)}"
                           + (f" of length {len(out)}" if isinstance(out, (tuple, list)) else ""))
    mixed, soft = out
    for name, value in (("mixed_images", mixed), ("soft_labels", soft)):
        if not isinstance(value, torch.Tensor):
            raise StudentError(f"{fn} must return two tensors (mixed_images, soft_labels); its {name} is "
                               f"{_kind(value)}")
    if tuple(mixed.shape) != tuple(images.shape):
        raise StudentError(f"{fn} returned mixed_images of shape {tuple(mixed.shape)}; expected "
                           f"{tuple(images.shape)}, the shape of images")
    if tuple(soft.shape) != (images.shape[0], num_classes):
        raise StudentError(f"{fn} returned soft_labels of shape {tuple(soft.shape)}; expected "
                           f"{(images.shape[0], num_classes)}, (N, num_classes)")
    return mixed, soft


def _generator(seed):
    import torch

    return None if seed is None else torch.Generator().manual_seed(seed)


@probe
def mixup_cutmix_call(module, fn: str, shape, labels, num_classes: int, kwargs: dict, dtype: str = "float32",
                      labels_dtype: str | None = None, seed: int = 0, generator_seed: int | None = None,
                      device: str = "cpu") -> dict:
    """One call ``fn(images, labels, num_classes, **kwargs)`` on a seeded batch: the inputs, the outputs,
    their dtypes and devices, and whether the inputs survived the call and a write into the outputs."""
    import torch

    images = _images(shape, dtype, seed, device)
    y = _labels(labels, labels_dtype, device)
    images_before, labels_before = images.clone(), y.clone()
    torch.manual_seed(GLOBAL_SEED)
    if generator_seed is not None:
        kwargs = {**kwargs, "generator": _generator(generator_seed)}
    mixed, soft = _call(module, fn, images, y, num_classes, kwargs)
    observed_mixed, observed_soft = mixed.detach().clone(), soft.detach().clone()
    called = {"images": not torch.equal(images, images_before), "labels": not torch.equal(y, labels_before)}
    with torch.no_grad():  # writing into the results must leave the caller's tensors alone
        mixed.fill_(7)
        soft.fill_(7)
    written = {"images": not torch.equal(images, images_before), "labels": not torch.equal(y, labels_before)}
    return {"images": images_before, "labels": labels_before, "mixed": observed_mixed, "soft": observed_soft,
            "mixed_dtype": str(mixed.dtype).replace("torch.", ""), "mixed_device": mixed.device.type,
            "soft_dtype": str(soft.dtype).replace("torch.", ""), "soft_device": soft.device.type,
            "changed_by_call": called, "changed_by_writing_results": written}


def _mixup_batch():
    """Two 1 x 1 x 1 images, 0 and 1, of classes 0 and 1: ``mixed`` is ``(1 - lam, lam)``."""
    import torch

    return torch.tensor([0.0, 1.0], dtype=torch.float64).reshape(2, 1, 1, 1), torch.tensor([0, 1])


@probe
def mixup_lams(module, n: int, alpha: float | None = None, generator_seed: int | None = None) -> dict:
    """``n`` calls of ``mixup`` on :func:`_mixup_batch`: the ``lam`` of each call, read from the soft
    labels (``soft[0, 0]``), and how many calls blended the images with another weight. With
    ``alpha`` ``None`` the calls are ``mixup(images, labels, 2)`` after ``torch.manual_seed``, and the
    first call is repeated after seeding again (``repeats``)."""
    import torch

    images, labels = _mixup_batch()
    kwargs = {} if alpha is None else {"alpha": alpha}
    torch.manual_seed(GLOBAL_SEED)
    if generator_seed is not None:
        kwargs["generator"] = _generator(generator_seed)
    lams, inconsistent, example = [], 0, None
    for _ in range(n):
        mixed, soft = _call(module, "mixup", images, labels, 2, kwargs)
        lam = float(soft[0, 0])
        pixels = mixed.detach().double().flatten().cpu()
        if not (abs(float(pixels[1]) - lam) <= 1e-5 and abs(float(pixels[0]) - (1 - lam)) <= 1e-5):
            inconsistent += 1
            example = example or {"lam_of_labels": lam, "pixels": [float(pixels[0]), float(pixels[1])]}
        lams.append(lam)
    out = {"lams": np.asarray(lams, dtype=np.float64), "inconsistent": inconsistent, "example": example}
    if alpha is None:
        torch.manual_seed(GLOBAL_SEED)
        _, again = _call(module, "mixup", images, labels, 2, {})
        out["repeats"] = float(again[0, 0]) == lams[0]
    return out


def _boxes_of(mixed, images):
    """The box pasted into every image, if it is one box pasted from the partner ``images.roll(1, 0)``:
    ``(x1, y1, x2, y2)`` (``(0, 0, 0, 0)`` when nothing was pasted), or a string saying what is wrong."""
    import torch

    partner = images.roll(1, 0)
    changed = (mixed != images).any(dim=1)  # (N, H, W)
    if not torch.equal(changed, changed[:1].expand_as(changed)):
        return "the images were not all changed in the same place"
    mask = changed[0]
    if not mask.any():
        return (0, 0, 0, 0)
    rows = torch.nonzero(mask.any(dim=1)).flatten()
    cols = torch.nonzero(mask.any(dim=0)).flatten()
    y1, y2, x1, x2 = int(rows[0]), int(rows[-1]) + 1, int(cols[0]), int(cols[-1]) + 1
    if not bool(mask[y1:y2, x1:x2].all()) or int(mask.sum()) != (y2 - y1) * (x2 - x1):
        return "the changed pixels do not form one rectangle"
    if not torch.equal(mixed[:, :, y1:y2, x1:x2], partner[:, :, y1:y2, x1:x2]):
        return "the pasted pixels are not those of the partner, images.roll(1, 0)"
    return (x1, y1, x2, y2)


@probe
def cutmix_boxes(module, n: int, shape, alpha: float | None = None, generator_seed: int | None = None) -> dict:
    """``n`` calls of ``cutmix`` on a batch whose images differ at every pixel: each call's box
    (``(x1, y1, x2, y2)``, read from the pixels) and its ``lam`` (read from the soft labels), and the
    calls where the pixels are not one box from the partner or the labels do not weigh the box's area.
    With ``alpha`` ``None`` the calls are ``cutmix(images, labels, 3)`` after ``torch.manual_seed``."""
    import torch

    N, C, H, W = shape
    images = (torch.arange(N, dtype=torch.float64).reshape(N, 1, 1, 1)
              + torch.arange(C * H * W, dtype=torch.float64).reshape(1, C, H, W) / (2 * C * H * W))
    labels = torch.arange(N) % 3
    kwargs = {} if alpha is None else {"alpha": alpha}
    torch.manual_seed(GLOBAL_SEED)
    if generator_seed is not None:
        kwargs["generator"] = _generator(generator_seed)
    boxes, lams, faults = [], [], {}
    for _ in range(n):
        mixed, soft = _call(module, "cutmix", images, labels, 3, kwargs)
        box = _boxes_of(mixed.detach().cpu(), images)
        lam = float(soft[0, labels[0]])
        if isinstance(box, str):
            faults.setdefault(box, 0)
            faults[box] += 1
            box = (-1, -1, -1, -1)
        else:
            area = (box[2] - box[0]) * (box[3] - box[1])
            if abs(lam - (1 - area / (H * W))) > 1e-5:
                key = "the soft labels do not weigh the box: lam != 1 - box area / (H * W)"
                faults.setdefault(key, 0)
                faults[key] += 1
        boxes.append(box)
        lams.append(lam)
    out = {"boxes": np.asarray(boxes, dtype=np.int64).reshape(-1, 4), "lams": np.asarray(lams, dtype=np.float64),
           "faults": faults}
    if alpha is None:
        torch.manual_seed(GLOBAL_SEED)
        again, _ = _call(module, "cutmix", images, labels, 3, {})
        torch.manual_seed(GLOBAL_SEED)
        first, _ = _call(module, "cutmix", images, labels, 3, {})
        out["repeats"] = bool(torch.equal(again, first))
    return out


@probe
def mixup_cutmix_generator(module, fn: str, shape, seeds: list) -> dict:
    """What ``fn`` does with ``generator``: the same generator seed under two global seeds, other
    generator seeds, two calls with one generator, and whether PyTorch's global generator moved."""
    import torch

    N = shape[0]
    images, labels = _images(shape, "float32", 3), torch.arange(N) % 3

    def run(seed: int, global_seed: int):
        torch.manual_seed(global_seed)
        mixed, soft = _call(module, fn, images, labels, 3, {"generator": _generator(seed)})
        return torch.cat([mixed.detach().flatten().cpu().double(), soft.detach().flatten().cpu().double()])

    first, second = run(seeds[0], 1), run(seeds[0], 2)
    others = [run(s, 1) for s in seeds[1:]]
    gen = _generator(seeds[0])
    torch.manual_seed(1)
    state = torch.get_rng_state()
    a = _call(module, fn, images, labels, 3, {"generator": gen})
    b = _call(module, fn, images, labels, 3, {"generator": gen})
    untouched = torch.equal(torch.get_rng_state(), state)
    successive = torch.cat([a[0].flatten().double(), a[1].flatten().double()]).cpu()
    return {"same seed, same result (whatever the global seed)": bool(torch.equal(first, second)),
            "another seed, another result": any(not torch.equal(first, o) for o in others),
            "two calls with one generator draw anew": not torch.equal(
                successive, torch.cat([b[0].flatten().double(), b[1].flatten().double()]).cpu()),
            "the global generator is not used": bool(untouched)}


@probe
def mixup_cutmix_invalid(module, calls: list) -> dict:
    """Each call ``{"fn", "shape", "labels", "num_classes", "kwargs", "dtype", "labels_dtype"}``: the
    exception it raises (by type name), ``None`` when it raises nothing."""
    out = {}
    for call in calls:
        images = _images(call["shape"], call.get("dtype", "float32"), 0)
        y = _labels(call["labels"], call.get("labels_dtype"))
        kwargs = dict(call.get("kwargs", {}))
        shown = "".join(f", {k}={tuple(v) if k == 'center' else v!r}" for k, v in kwargs.items())
        label = (f"{call['fn']}({call.get('dtype', 'float32')} images of shape {tuple(call['shape'])}, labels of "
                 f"shape {tuple(y.shape)}, {call['num_classes']}{shown})")
        try:
            _call(module, call["fn"], images, y, call["num_classes"], kwargs)
            out[label] = None
        except NotImplementedError:
            raise
        except StudentError:
            out[label] = None  # it returned (something): it raised nothing
        except Exception as exc:  # noqa: BLE001 - reported by type
            out[label] = type(exc).__name__
    return out
