"""Patches of the ``mixup_cutmix`` mistakes: fragments of ``solutions/mixup_cutmix.py``, for instructors only.

Each ``find`` occurs exactly once in the reference. Left out of the student release.
"""

PATCHES: dict[str, tuple[tuple[str, str], ...]] = {
    "mc_labels_not_mixed": (
        ("    return lam * rows + (1.0 - lam) * rows.roll(1, 0)", "    return rows"),
    ),
    "mc_lam_swapped": (
        ("mixed = lam * images + (1.0 - lam) * images.roll(1, 0)",
         "mixed = (1.0 - lam) * images + lam * images.roll(1, 0)"),
    ),
    "mc_pairs_with_next": (
        ("mixed = lam * images + (1.0 - lam) * images.roll(1, 0)",
         "mixed = lam * images + (1.0 - lam) * images.roll(-1, 0)"),
        ("images.roll(1, 0)[:, :, y1:y2, x1:x2]", "images.roll(-1, 0)[:, :, y1:y2, x1:x2]"),
        ("(1.0 - lam) * rows.roll(1, 0)", "(1.0 - lam) * rows.roll(-1, 0)"),
    ),
    "mc_random_permutation": (
        ("    mixed = lam * images + (1.0 - lam) * images.roll(1, 0)\n"
         "    return mixed, _soft_labels(labels, num_classes, lam)\n",
         "    index = torch.randperm(images.shape[0])\n"
         "    mixed = lam * images + (1.0 - lam) * images[index]\n"
         "    rows = F.one_hot(labels, num_classes).float() if labels.ndim == 1 else labels\n"
         "    return mixed, lam * rows + (1.0 - lam) * rows[index]\n"),
    ),
    "mc_ignores_generator": (
        ("    g = torch.distributions.Gamma(float(alpha), 1.0).rsample((2,), generator=generator)\n"
         "    return float(g[0] / (g[0] + g[1]))\n",
         "    return float(torch.distributions.Beta(float(alpha), float(alpha)).sample())\n"),
    ),
    "mc_cutmix_lam_not_recomputed": (
        ("return mixed, _soft_labels(labels, num_classes, lam_box)", "return mixed, _soft_labels(labels, num_classes, lam)"),
    ),
    "mc_box_wh_swapped": (
        ("half_w, half_h = int(r * W), int(r * H)", "half_w, half_h = int(r * H), int(r * W)"),
    ),
    "mc_box_covers_lam": (
        ("r = math.sqrt(1.0 - lam) / 2", "r = math.sqrt(lam) / 2"),
    ),
    "mc_box_not_clipped": (
        ("x1, x2 = max(cx - half_w, 0), min(cx + half_w, W)", "x1, x2 = cx - half_w, cx + half_w"),
        ("y1, y2 = max(cy - half_h, 0), min(cy + half_h, H)", "y1, y2 = cy - half_h, cy + half_h"),
    ),
    "mc_cutmix_in_place": (
        ("mixed = images.clone()", "mixed = images"),
    ),
    "mc_center_wh_swapped": (
        ("cx = int(torch.randint(W, (1,), generator=generator))", "cx = int(torch.randint(H, (1,), generator=generator))"),
        ("cy = int(torch.randint(H, (1,), generator=generator))", "cy = int(torch.randint(W, (1,), generator=generator))"),
    ),
}
