"""Benchmark of ``python -m autograder batch``: throughput and the overhead of isolation per submission.

    .venv/bin/python bench/bench_batch.py [--submissions 4] [--workers 1 2] [--exercise early_stopping]

For each worker count, a fresh batch over N copies of the reference prints submissions graded per
minute. From the batch's status files it prints, per submission: the wall time of its grading, the
time the checks themselves took (the sum of the per-test seconds the harness measured, from the
JUnit report) and the difference, the overhead: process start-up, imports, sandbox, references, judging.
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


def run_batch(subs: Path, out: Path, workers: int, exercises: list[str], isolation: str) -> float:
    cmd = [sys.executable, "-m", "autograder", "batch", str(subs), "--out", str(out), "--jobs", str(workers),
           "--no-progress", "--isolation", isolation]
    for e in exercises:
        cmd += ["--exercise", e]
    start = time.perf_counter()
    subprocess.run(cmd, cwd=ROOT, check=True, capture_output=True)
    return time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--submissions", type=int, default=4)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--exercise", action="append", default=None, help="grade only these (default: all)")
    parser.add_argument("--isolation", default="auto", choices=("auto", "bwrap", "process"))
    args = parser.parse_args()
    from autograder import sandbox

    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"machine: {os.cpu_count()} cores, load average {load:.1f}; isolation: "
          f"{sandbox.resolve_isolation(args.isolation)}; exercises: {', '.join(args.exercise or ['all'])}")
    scratch = Path(tempfile.mkdtemp(prefix="bench-batch-"))
    try:
        subs = scratch / "subs"
        for i in range(args.submissions):
            shutil.copytree(ROOT / "solutions", subs / f"student{i:03d}" / "exercises",
                            ignore=shutil.ignore_patterns("__pycache__"))
        for w in args.workers:
            out = scratch / f"out{w}"
            wall = run_batch(subs, out, w, args.exercise or [], args.isolation)
            status = [json.loads(p.read_text()) for p in sorted((out / "status").glob("*.json"))]
            assert all(s["status"] == "ok" and s["score"] == s["max_score"] for s in status), status
            per = statistics.mean(s["seconds"] for s in status)
            checks = statistics.mean(s["checks_seconds"] for s in status)
            print(f"{w} worker(s): {len(status) / wall * 60:.1f} submissions/minute ({wall:.1f} s for {len(status)}); "
                  f"per submission: wall {per:.1f} s, checks {checks:.2f} s, overhead {per - checks:.1f} s "
                  f"({(per - checks) / per:.0%})")
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
