"""Benchmark of grading on CUDA against the CPU (issue: a grade on CUDA at most 1.5x the CPU time).

    .venv/bin/python bench/bench_cuda.py [--repeat 2] [--exercise adam ...]

Grades a copy of the reference with a fresh ``python -m autograder grade`` per run, on ``--device cpu``
and on ``--device cuda`` (best of ``--repeat``), and prints both wall times and their ratio; then,
in this process, where each device's time goes (``Report.timings``) and each exercise's case time.
Without a CUDA GPU it says so and exits 0: the figure needs a machine that has one.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def grade_wall(submission: Path, device: str, exercises: list[str], out: Path) -> float:
    cmd = [sys.executable, "-m", "autograder", "grade", "--submission", str(submission), "--out", str(out),
           "--device", device, "--reference-cache"]
    for e in exercises:
        cmd += ["--exercise", e]
    start = time.perf_counter()
    subprocess.run(cmd, cwd=ROOT, check=True, capture_output=True)
    return time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--exercise", action="append", default=[], help="grade only these (default: all)")
    args = parser.parse_args()
    import torch

    if not torch.cuda.is_available():
        print("no CUDA GPU here: nothing to measure (run this on a machine with one)")
        return 0
    from autograder import grader

    scratch = Path(tempfile.mkdtemp(prefix="bench-cuda-"))
    try:
        sub = scratch / "sub"
        shutil.copytree(ROOT / "solutions", sub / "exercises", ignore=shutil.ignore_patterns("__pycache__"))
        walls = {}
        for device in ("cpu", "cuda"):
            grade_wall(sub, device, args.exercise, scratch / "warmup.json")  # the reference cache, once
            walls[device] = min(grade_wall(sub, device, args.exercise, scratch / f"{device}.json")
                                for _ in range(args.repeat))
        print(f"{torch.cuda.get_device_name(0)}: grade on cpu {walls['cpu']:.1f} s, on cuda {walls['cuda']:.1f} s, "
              f"ratio {walls['cuda'] / walls['cpu']:.2f} (target <= 1.5)")
        for device in ("cpu", "cuda"):
            opts = grader.Options(device=device, reference_cache=True,
                                  **({"exercises": tuple(args.exercise)} if args.exercise else {}))
            report = grader.grade(sub, opts)
            by = {e: sum(t.seconds for t in tests) for e, tests in report.by_exercise().items()}
            print(f"{device}: " + ", ".join(f"{k} {v:.2f} s" for k, v in report.timings.items()))
            print("    case time per exercise: " + ", ".join(f"{e} {s:.2f} s" for e, s in by.items()))
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
