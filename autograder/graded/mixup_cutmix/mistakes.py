"""The catalogue of known mistakes of the ``mixup_cutmix`` exercise: names, titles, hints, where charged.

The patches that turn the reference into each mistake are in ``patches.py`` (instructor only).
"""

from __future__ import annotations

from autograder.exercise import mistake as _m

CATALOGUE = (
    _m("mc_labels_not_mixed", "mixup_cutmix", "the labels are not mixed (each image keeps its own one-hot label)",
       "A mixed image shows two classes: its soft label is lam * t[i] + (1 - lam) * t[i - 1], with the same lam as "
       "the pixels (for CutMix, the lam of the clipped box).", charged_on=("mixup_labels", "cutmix_labels")),
    _m("mc_lam_swapped", "mixup_cutmix", "mixup gives the image the weight 1 - lam and its partner lam",
       "lam weighs the image itself: lam * images + (1 - lam) * images.roll(1, 0), as the labels "
       "lam * t + (1 - lam) * t.roll(1, 0).", charged_on=("mixup_images",)),
    _m("mc_pairs_with_next", "mixup_cutmix", "each image is paired with the next one (roll by -1)",
       "The partner of image i is image i - 1 (image N - 1 for image 0): images.roll(1, dims=0), as torchvision; "
       "roll(-1) pairs it with image i + 1.", charged_on=("mixup_images", "cutmix_box")),
    _m("mc_random_permutation", "mixup_cutmix", "the batch is paired with torch.randperm from the global generator",
       "torchvision pairs the batch with itself rolled by one (images.roll(1, 0)); no permutation is drawn. "
       "torch.randperm(N) without generator= also draws from the global generator, so a seeded generator no "
       "longer repeats the result.", charged_on=("mixup_images", "mixup_generator")),
    _m("mc_ignores_generator", "mixup_cutmix", "lam is drawn from the global generator, not from generator",
       "torch.distributions.Beta(alpha, alpha).sample() takes no generator: draw two Gamma(alpha, 1) numbers with "
       "torch.distributions.Gamma(alpha, 1.0).rsample((2,), generator=generator) and take g1 / (g1 + g2).",
       charged_on=("mixup_generator", "cutmix_generator")),
    _m("mc_cutmix_lam_not_recomputed", "mixup_cutmix", "CutMix mixes the labels with the drawn lam, not the box's",
       "The labels must weigh the pixels actually pasted: lam_box = 1 - (x2 - x1) * (y2 - y1) / (H * W) after "
       "the box is clipped (and its sides rounded down), not the lam that set its size.",
       charged_on=("cutmix_labels", "cutmix_clipped")),
    _m("mc_box_wh_swapped", "mixup_cutmix", "CutMix's half-width comes from H and its half-height from W",
       "The box spans columns x1:x2 (along W, the last dimension) and rows y1:y2 (along H): half-width "
       "int(r * W), half-height int(r * H). A square image hides the swap.",
       charged_on=("cutmix_box", "cutmix_non_square")),
    _m("mc_box_covers_lam", "mixup_cutmix", "CutMix's box covers lam of the image instead of 1 - lam",
       "lam is the share of the image that stays its own, so the pasted box covers 1 - lam: r = 0.5 * sqrt(1 - lam).",
       charged_on=("cutmix_box", "cutmix_clipped")),
    _m("mc_box_not_clipped", "mixup_cutmix", "CutMix's box is not clipped at the border of the image",
       "Clip the box before using it: x1 = max(cx - half_w, 0), x2 = min(cx + half_w, W) (rows alike). A negative "
       "start in a slice counts from the end, and lam_box must use the clipped sides.",
       charged_on=("cutmix_clipped",)),
    _m("mc_cutmix_in_place", "mixup_cutmix", "CutMix pastes into the caller's images",
       "images[..., y1:y2, x1:x2] = ... writes into the caller's batch (the seed lesson's cutmix_data does): "
       "paste into mixed = images.clone() and return that.", charged_on=("cutmix_untouched",)),
    _m("mc_center_wh_swapped", "mixup_cutmix", "CutMix draws the centre's column from H and its row from W",
       "cx is a column: torch.randint(W, ...); cy is a row: torch.randint(H, ...).", charged_on=("cutmix_random",)),
)
