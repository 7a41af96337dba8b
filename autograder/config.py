"""Named defaults of the grader, in one place; the command line overrides them."""

from __future__ import annotations

from collections.abc import Mapping

from . import graded

# the exercises: the packages under autograder/graded/ (read from the folder, nothing imported)
EXERCISES: tuple[str, ...] = graded.names()


class _Timeouts(Mapping):
    """Wall-clock seconds for one exercise's process, as each exercise's package sets it."""

    def __getitem__(self, exercise: str) -> float:
        return graded.load(exercise).timeout

    def __iter__(self):
        return iter(EXERCISES)

    def __len__(self) -> int:
        return len(EXERCISES)


TIMEOUT: Mapping[str, float] = _Timeouts()
MEMORY_MB = 3072
OUTPUT_KB = 64
THREADS = 1

# Tolerances for comparing trajectories, chosen once per (dtype, device): rtol, atol.
# float32 on the CPU: a correct Adam written with another order of operations stays within ~1e-6
# relative of torch.optim.Adam over 100 steps, but one that computes the bias corrections in the
# parameter's dtype, as Keras and PyTorch's own capturable kernel do, drifts by ~5e-5 (in float32,
# 1 - beta2**t is off by up to 3e-5 relative at t = 1); on the float32 cases the catalogued
# mistakes differ by > 1e-2 (eps inside the sqrt excepted, which only the float64 cases show).
TOLERANCES = {
    ("float64", "cpu"): (1e-9, 1e-11),
    ("float32", "cpu"): (1e-4, 1e-5),
    ("float64", "cuda"): (1e-8, 1e-10),
    ("float32", "cuda"): (1e-4, 1e-5),
}

# Values a correct implementation may keep or compute in float32 whatever the dtype of the case:
# early stopping's best metric (Lightning keeps a float32 tensor, Keras-style code an np.float32)
# and the scale of a dropout mask (a mask made with .float() or in np.float32). float32 rounds to
# 6e-8 relative, so a few roundings stay below VALUE_RTOL; gradients take one rounding more through
# autograd. Every catalogued mistake is off by 1e-3 or more. Decisions (stop or not, counters,
# epochs, the restored epoch) are compared exactly.
VALUE_RTOL, VALUE_ATOL = 1e-6, 1e-12
GRAD_RTOL, GRAD_ATOL = 1e-5, 1e-7

# Statistical checks of dropout: a kept fraction outside this many binomial standard errors of
# 1 - p fails. At 6 sigma a correct implementation fails one case in ~5e8.
SIGMAS = 6.0


def tolerance(dtype: str, device: str) -> tuple[float, float]:
    return TOLERANCES[(dtype, "cuda" if device.startswith("cuda") else "cpu")]
