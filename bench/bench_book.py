"""Benchmark of the book; prints the figures the book issue asks for.

    .venv/bin/python bench/bench_book.py [--skip-build]

1. each notebook executed top to bottom in a fresh kernel (nbclient), seconds;
2. a cold build of the whole book (``_build`` removed, execution cache empty), seconds;
3. a second build with nothing changed (every notebook comes from the execution cache), seconds.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]
BUILD = [str(ROOT / ".venv" / "bin" / "jupyter-book"), "build", ".", "-W", "-n", "--keep-going"]


def time_notebook(path: Path) -> float:
    nb = nbformat.read(path, as_version=4)
    start = time.perf_counter()
    NotebookClient(nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}}).execute()
    return time.perf_counter() - start


def time_build() -> float:
    start = time.perf_counter()
    proc = subprocess.run(BUILD, cwd=ROOT, capture_output=True, text=True)
    if proc.returncode != 0:
        print(proc.stdout[-3000:], proc.stderr[-3000:], file=sys.stderr)
        raise SystemExit("the book build failed")
    return time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--skip-build", action="store_true", help="time the notebooks only")
    args = parser.parse_args()
    total = 0.0
    for path in sorted((ROOT / "book").glob("*.ipynb")):
        seconds = time_notebook(path)
        total += seconds
        print(f"{path.name:32s} {seconds:6.1f} s", flush=True)
    print(f"{'all notebooks':32s} {total:6.1f} s")
    if not args.skip_build:
        shutil.rmtree(ROOT / "_build", ignore_errors=True)
        print(f"cold build (no cache)            {time_build():6.1f} s", flush=True)
        print(f"warm build (nothing changed)     {time_build():6.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
