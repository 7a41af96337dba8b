"""Benchmark of ``python -m autograder batch``: throughput and the overhead of isolation per submission.

    .venv/bin/python bench/bench_batch.py [--submissions 4] [--workers 1 2] [--exercise early_stopping] [--hidden]

For each worker count, a fresh batch over N copies of the reference prints submissions graded per
minute. From the batch's status files it prints, per submission: the wall time of its grading, the
time the checks themselves took (the sum of the per-test seconds the harness measured, from the
JUnit report) and the difference; then the breakdown: the batch's one-time costs (interpreter start
and imports, the reference's observations, the warm interpreter's start) and, per submission, the
static check, reference, sandbox (setting up and ending each exercise's process), student code,
judging and report.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def run_batch(subs: Path, out: Path, workers: int, exercises: list[str], isolation: str, no_warm: bool,
              hidden: bool = False) -> float:
    cmd = [sys.executable, "-m", "autograder", "batch", str(subs), "--out", str(out), "--jobs", str(workers),
           "--no-progress", "--isolation", isolation] + (["--no-warm"] if no_warm else [])
    if hidden:  # as an instructor grades: the hidden cases too, in a process of their own per exercise
        cmd += ["--hidden", str(ROOT / "instructor" / "hidden_cases.json")]
    for e in exercises:
        cmd += ["--exercise", e]
    start = time.perf_counter()
    subprocess.run(cmd, cwd=ROOT, check=True, capture_output=True)
    return time.perf_counter() - start


PARTS = ("static check", "reference", "warm interpreter start", "sandbox", "student code", "judging", "report")


def breakdown(status: list[dict], once: dict, n: int) -> None:
    """Where a submission's time goes (means over the submissions), and the batch's one-time costs."""
    timed = [s["timings"] for s in status if s.get("timings")]
    if once:
        share = sum(once.values()) / max(n, 1)
        print("    once per batch: " + ", ".join(f"{k} {v:.2f} s" for k, v in once.items())
              + f" ({share:.2f} s per submission here)")
    if not timed:
        print("    (no breakdown: each student was graded by a separate grade process)")
        return
    mean = {k: statistics.mean(t.get(k, 0.0) for t in timed) for k in PARTS}
    wall = statistics.mean(s["seconds"] for s in status if s.get("timings"))
    inside = statistics.mean(t.get("processes (wall)", 0.0) for t in timed)
    other = wall - inside - sum(mean[k] for k in PARTS if k not in ("sandbox", "student code"))
    print("    per submission: " + ", ".join(f"{k} {v:.3f} s" for k, v in mean.items())
          + f", extraction and bookkeeping {max(other, 0.0):.3f} s (sandbox and student code are summed over "
          "the exercises' processes, which run side by side)")
    everything_else = wall - mean["student code"] + (sum(once.values()) / max(n, 1) if once else 0.0)
    print(f"    everything but running the student's code, per submission, the batch's start-up shared out: "
          f"{everything_else:.2f} s")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--submissions", type=int, default=4)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--exercise", action="append", default=None, help="grade only these (default: all)")
    parser.add_argument("--isolation", default="auto", choices=("auto", "bwrap", "process"))
    parser.add_argument("--no-warm", action="store_true", help="a fresh interpreter per exercise (the cold path)")
    parser.add_argument("--hidden", action="store_true",
                        help="grade the hidden cases too (instructor/hidden_cases.json), as an instructor does")
    args = parser.parse_args()
    from autograder import sandbox

    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"machine: {os.cpu_count()} cores, load average {load:.1f}; isolation: "
          f"{sandbox.resolve_isolation(args.isolation)}; exercises: {', '.join(args.exercise or ['all'])}"
          + ("; with the hidden cases" if args.hidden else ""))
    scratch = Path(tempfile.mkdtemp(prefix="bench-batch-"))
    try:
        subs = scratch / "subs"
        for i in range(args.submissions):
            shutil.copytree(ROOT / "solutions", subs / f"student{i:03d}" / "exercises",
                            ignore=shutil.ignore_patterns("__pycache__"))
        for w in args.workers:
            out = scratch / f"out{w}"
            wall = run_batch(subs, out, w, args.exercise or [], args.isolation, args.no_warm, args.hidden)
            status = [json.loads(p.read_text()) for p in sorted((out / "status").glob("*.json"))]
            assert all(s["status"] == "ok" and s["score"] == s["max_score"] for s in status), status
            per = statistics.mean(s["seconds"] for s in status)
            checks = statistics.mean(s["checks_seconds"] for s in status)
            once = json.loads((out / "timings.json").read_text()) if (out / "timings.json").exists() else {}
            mode = "in one process, forks of a warm interpreter" if once.get("in_process") else "a grade process per student"
            print(f"{w} worker(s), {mode}: {len(status) / wall * 60:.1f} submissions/minute ({wall:.1f} s for "
                  f"{len(status)}); per submission: wall {per:.2f} s, the checks {checks:.2f} s, everything else "
                  f"{per - checks:.2f} s")
            breakdown(status, once.get("once", {}), len(status))
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
