"""Shared by the tests of the published book: where things are, what the book holds."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "_build" / "screenshots"
CHROMIUM_CANDIDATES = ("/usr/bin/chromium", "chromium", "chromium-browser", "google-chrome",
                       "google-chrome-stable")
# As root and on a machine with no network, Chromium needs these (see scripts/setup.sh).
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def book_config() -> dict:
    return yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf8"))


def chapter_docnames() -> list[str]:
    """Every page of the book, in table-of-contents order (``book/intro``, ``book/01_losses``...)."""
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text(encoding="utf8"))
    names = [toc["root"]]

    def walk(entries):
        for entry in entries or []:
            if "file" in entry:
                names.append(entry["file"])
            walk(entry.get("sections"))

    walk(toc.get("chapters"))
    for part in toc.get("parts") or []:
        walk(part.get("chapters"))
    return [str(Path(n).with_suffix("")) for n in names]


def notebook_docnames() -> list[str]:
    """The pages that come from a notebook (those get download and launch buttons)."""
    return [n for n in chapter_docnames() if (ROOT / f"{n}.ipynb").exists()]


def find_chromium() -> str | None:
    for candidate in ([os.environ["CHROMIUM"]] if os.environ.get("CHROMIUM") else []) + list(
            CHROMIUM_CANDIDATES):
        path = candidate if os.path.isabs(candidate) else shutil.which(candidate)
        if path and os.access(path, os.X_OK):
            return path
    return None
