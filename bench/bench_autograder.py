"""Benchmark of the autograder; prints the figures quoted in the README and the closing notes.

    .venv/bin/python bench/bench_autograder.py [--submissions 6] [--workers 1 2] [--steps 20]

1. wall time to grade one full submission (the reference), as a fresh ``python -m autograder grade``;
2. submissions graded per minute with N workers (N ``grade`` processes side by side);
3. the reference ``Adam.step`` time over ``torch.optim.Adam(foreach=True)`` on ResNet-18 (11.7M
   parameters), as a ratio (the reference is the per-tensor loop; foreach fuses kernels);
4. ``check EXERCISE`` as a student runs it, in a student release holding the reference's code as the
   student's: the first check (it starts the warm server) and a later one (best of two); and in the
   instructor's copy with its reference cache and its server warm.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def grade_once(submission: Path, out: Path) -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "autograder", "grade", "--submission", str(submission), "--out", str(out)],
                   cwd=ROOT, check=True, capture_output=True)
    return time.perf_counter() - start


def throughput(submissions: list[Path], workers: int, scratch: Path) -> float:
    start = time.perf_counter()
    with ThreadPoolExecutor(max_workers=workers) as pool:
        list(pool.map(lambda i: grade_once(submissions[i], scratch / f"r{workers}-{i}.json"), range(len(submissions))))
    return len(submissions) / (time.perf_counter() - start) * 60


def adam_ratio(steps: int) -> tuple[float, float, int]:
    import torch
    from torchvision.models import resnet18

    from solutions.adam import Adam

    torch.manual_seed(0)
    torch.set_num_threads(os.cpu_count() or 1)

    def time_steps(make_opt) -> tuple[float, int]:
        model = resnet18(weights=None)
        params = [p for p in model.parameters()]
        for p in params:
            p.grad = torch.randn_like(p) * 1e-3
        opt = make_opt(params)
        opt.step()  # state allocation and warm-up
        times = []
        for _ in range(steps):
            t0 = time.perf_counter()
            opt.step()
            times.append(time.perf_counter() - t0)
        return statistics.median(times), sum(p.numel() for p in params)

    ref, n = time_steps(lambda ps: Adam(ps, lr=1e-3))
    fast, _ = time_steps(lambda ps: torch.optim.Adam(ps, lr=1e-3, foreach=True))
    return ref, fast, n


def check_times(exercises: list[str], scratch: Path) -> dict[str, tuple[float, float, float]]:
    """exercise -> seconds of ``check`` in a student release: the first (no warm server yet: it starts
    one), a later one (best of two, the server warm), and one in the instructor's copy (server warm)."""
    release = scratch / "release"
    subprocess.run([sys.executable, "-m", "autograder", "release", "--out", str(release)], cwd=ROOT, check=True,
                   capture_output=True)
    for path in (ROOT / "solutions").glob("*.py"):
        shutil.copy(path, release / "exercises" / path.name)
    instructor = scratch / "instructor-sub"
    shutil.copytree(ROOT / "solutions", instructor / "exercises", ignore=shutil.ignore_patterns("__pycache__"))

    def timed(cmd, cwd, env) -> float:
        t0 = time.perf_counter()
        subprocess.run(cmd, cwd=cwd, env=env, check=True, capture_output=True)
        return time.perf_counter() - t0

    out = {}
    for e in exercises:
        servers = Path(tempfile.mkdtemp(prefix="bc", dir="/tmp"))  # a fresh folder of check servers: none running
        env = {**os.environ, "PYTHONPATH": str(release), "TMPDIR": str(servers), "AUTOGRADER_WARM_IDLE": "20"}
        try:
            cmd = [sys.executable, "-m", "autograder", "check", e]
            first = timed(cmd, release, env)
            later = min(timed(cmd, release, env) for _ in range(2))
            teacher_env = {**env, "PYTHONPATH": ""}
            timed(cmd + ["--dir", str(instructor)], ROOT, teacher_env)  # starts the instructor copy's server
            teacher = min(timed(cmd + ["--dir", str(instructor)], ROOT, teacher_env) for _ in range(2))
        finally:
            shutil.rmtree(servers, ignore_errors=True)  # the servers end 20 s later; their folder is gone
        out[e] = (first, later, teacher)
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--submissions", type=int, default=6)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--check", nargs="*", default=["adam", "dropout", "early_stopping"],
                        help="exercises whose check to time (none: skip)")
    args = parser.parse_args()
    from autograder import sandbox

    print(f"machine: {os.cpu_count()} cores; isolation: {sandbox.resolve_isolation('auto')}")
    scratch = Path(tempfile.mkdtemp(prefix="bench-"))
    try:
        subs = []
        for i in range(args.submissions):
            d = scratch / f"s{i}"
            shutil.copytree(ROOT / "solutions", d / "exercises", ignore=shutil.ignore_patterns("__pycache__"))
            subs.append(d)
        one = grade_once(subs[0], scratch / "one.json")
        print(f"grade one full submission (fresh process, every exercise): {one:.1f} s")
        for w in args.workers:
            print(f"throughput with {w} worker(s): {throughput(subs, w, scratch):.1f} submissions/minute")
        if args.check:
            for e, (first, later, teacher) in check_times(args.check, scratch).items():
                print(f"check {e}: in a student release {first:.2f} s the first time (it starts the warm server), "
                      f"{later:.2f} s later; in the instructor's copy {teacher:.2f} s (server warm)")
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    ref, fast, n = adam_ratio(args.steps)
    print(f"Adam.step on ResNet-18 ({n / 1e6:.1f}M parameters), median of {args.steps}: reference {ref * 1e3:.1f} ms, "
          f"torch.optim.Adam(foreach=True) {fast * 1e3:.1f} ms, ratio {ref / fast:.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
