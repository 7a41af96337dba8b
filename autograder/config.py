"""Named defaults of the grader, in one place; the command line overrides them."""

from __future__ import annotations

EXERCISES = ("adam", "dropout", "early_stopping")

# wall-clock seconds for one exercise's process (importing torch alone takes ~2 s)
TIMEOUT = {"adam": 90.0, "dropout": 60.0, "early_stopping": 60.0}
MEMORY_MB = 3072
OUTPUT_KB = 64
THREADS = 1

# Tolerances for comparing trajectories, chosen once per (dtype, device): rtol, atol.
# float32 on the CPU: a correct Adam written with another order of operations stays within ~1e-6
# relative of torch.optim.Adam over 100 steps; the catalogued mistakes differ by > 1e-3.
TOLERANCES = {
    ("float64", "cpu"): (1e-9, 1e-11),
    ("float32", "cpu"): (2e-5, 2e-6),
    ("float64", "cuda"): (1e-8, 1e-10),
    ("float32", "cuda"): (1e-4, 1e-5),
}

# Statistical checks of dropout: a kept fraction outside this many binomial standard errors of
# 1 - p fails. At 6 sigma a correct implementation fails one case in ~5e8.
SIGMAS = 6.0


def tolerance(dtype: str, device: str) -> tuple[float, float]:
    return TOLERANCES[(dtype, "cuda" if device.startswith("cuda") else "cpu")]
