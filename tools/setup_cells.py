"""Insert or refresh the set-up cell that opens every chapter notebook.

A chapter opened on Colab or Binder has no ``course`` package; its first cell pip-installs it
from the repository. The repository's address lives in one place, ``repository.url`` (and
``branch``) in ``_config.yml``, which also drives the book's launch buttons; this tool renders it
into the cell, and ``tests/book/test_setup_cells.py`` checks that every notebook's first cell is
exactly what this tool would write. Where ``course`` is importable (this repository's ``.venv``,
the book's build, nbval) the cell does nothing and prints nothing. The cell is tagged
``remove-input`` so the book does not show it; the notebook (download, Colab, Binder) keeps it.

    .venv/bin/python tools/setup_cells.py             # refresh book/*.ipynb in place
    .venv/bin/python tools/setup_cells.py --check     # exit 1 naming the notebooks out of date
    .venv/bin/python tools/setup_cells.py NB.ipynb    # only these notebooks
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
CONFIG = ROOT / "_config.yml"
CELL_ID = "course-setup"
TAGS = ["remove-input"]

TEMPLATE = '''\
# Set-up for Colab and Binder: install the course package when it is missing. Does nothing where
# the course is already installed (the book's own build, a local clone set up by scripts/setup.sh).
import importlib.util
import subprocess
import sys

if importlib.util.find_spec("course") is None:
    subprocess.check_call([sys.executable, "-m", "pip", "install", "--quiet",
                           "git+{url}@{branch}"])
    importlib.invalidate_caches()'''


def repository(config: Path = CONFIG) -> tuple[str, str]:
    """``(url, branch)`` of the repository, from ``_config.yml``."""
    repo = (yaml.safe_load(config.read_text(encoding="utf8")) or {}).get("repository") or {}
    url, branch = str(repo.get("url") or "").rstrip("/"), str(repo.get("branch") or "main")
    if not url.startswith("https://"):
        raise SystemExit(f"{config}: repository.url must be an https:// address, got {url!r}")
    return url, branch


def setup_cell(config: Path = CONFIG) -> dict:
    """The first cell every chapter notebook must have, as notebook JSON (nbformat 4.5)."""
    url, branch = repository(config)
    source = TEMPLATE.format(url=url, branch=branch)
    lines = source.splitlines(keepends=True)
    return {
        "cell_type": "code",
        "execution_count": None,
        "id": CELL_ID,
        "metadata": {"tags": list(TAGS)},
        "outputs": [],
        "source": lines,
    }


def refreshed(nb: dict, cell: dict) -> dict:
    """``nb`` with ``cell`` as its first cell and no other cell carrying its id."""
    others = [c for c in nb.get("cells", []) if c.get("id") != CELL_ID]
    return {**nb, "cells": [cell, *others], "nbformat": 4,
            "nbformat_minor": max(5, int(nb.get("nbformat_minor", 5)))}


def dumps(nb: dict) -> str:
    """Notebook JSON as Jupyter writes it (one-space indent, sorted keys, trailing newline)."""
    return json.dumps(nb, indent=1, sort_keys=True, ensure_ascii=False) + "\n"


def is_current(path: Path, cell: dict) -> bool:
    """Whether ``path`` already opens with ``cell`` (and holds no second copy of it)."""
    nb = json.loads(path.read_text(encoding="utf8"))
    cells = nb.get("cells", [])
    if not cells:
        return False
    first = {k: cells[0].get(k) for k in cell}
    first["source"] = "".join(first["source"] or []) if isinstance(first["source"], list) else first["source"]
    want = {**cell, "source": "".join(cell["source"])}
    return first == want and sum(c.get("id") == CELL_ID for c in cells) == 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("notebooks", nargs="*", type=Path, help="default: book/*.ipynb")
    parser.add_argument("--check", action="store_true", help="change nothing; exit 1 if any is stale")
    parser.add_argument("--config", type=Path, default=CONFIG, help="default: _config.yml")
    args = parser.parse_args(argv)
    cell = setup_cell(args.config)
    paths = args.notebooks or sorted((ROOT / "book").glob("*.ipynb"))
    stale = [p for p in paths if not is_current(p, cell)]
    if args.check:
        for p in stale:
            print(f"{p}: first cell is not the set-up cell; run tools/setup_cells.py")
        return 1 if stale else 0
    for p in stale:
        nb = json.loads(p.read_text(encoding="utf8"))
        p.write_text(dumps(refreshed(nb, cell)), encoding="utf8")
        print(f"{p}: set-up cell written")
    return 0


if __name__ == "__main__":
    sys.exit(main())
