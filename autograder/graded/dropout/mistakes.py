"""The catalogue of known mistakes of the ``dropout`` exercise: names, titles, hints, where charged.

The patches that turn the reference into each mistake are in ``patches.py`` (instructor only).
"""

from __future__ import annotations

from autograder.exercise import mistake as _m

CATALOGUE = (
    _m("dropout_no_rescale", "dropout", "kept units are not rescaled by 1/(1-p)",
       "Inverted dropout divides the kept units by (1 - p) during training, so the expected output "
       "equals the input and eval mode needs no change.", match=False),
    _m("dropout_scaled_by_keep_prob", "dropout", "kept units multiplied by (1-p) instead of divided",
       "That is the old, non-inverted convention applied at the wrong time: during training divide by (1 - p).", match=False),
    _m("dropout_p_is_keep_prob", "dropout", "p used as the probability of keeping a unit",
       "In PyTorch p is the probability of ZEROING a unit: keep each one with probability 1 - p.", match=False),
    _m("dropout_active_in_eval", "dropout", "dropout still active in eval mode",
       "When training is False (module.eval()), return the input unchanged.", match=False),
    _m("dropout_p_one_nan", "dropout", "p = 1 divides by zero",
       "With p = 1 every unit is dropped: return zeros instead of dividing by 1 - p = 0.", match=False),
    _m("dropout_ignores_rng", "dropout", "the rng argument is ignored",
       "Draw the mask from the generator you are given (rng.random(...)), so that the same generator "
       "state gives the same mask and runs are reproducible.", match=False),
    _m("dropout_fixed_mask", "dropout", "the same mask is reused on every call",
       "Draw a fresh mask on every forward call; a mask fixed once is not dropout.", match=False),
    _m("dropout_modifies_input", "dropout", "dropout modifies its input array in place",
       "Return a new array; the caller's x must stay as it was.", match=False),
    _m("dropout_changes_dtype", "dropout", "the output is float64 for a float32 input",
       "A mask made with .astype(float) is float64 and makes the product float64: cast the mask (or the "
       "result) to x.dtype.", match=False),
)
