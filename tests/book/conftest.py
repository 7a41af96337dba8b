"""Fixtures for the tests of the published book: the built site, a local server, a browser.

The site is built once per session with the README's build command (``jupyter-book build . -W -n
--keep-going``), which reuses the execution cache in ``_build/.jupyter_cache``, so it is quick
when the book was built before. ``BOOK_HTML=path/to/html`` skips the build and tests that site.
"""

from __future__ import annotations

import functools
import http.server
import os
import re
import subprocess
import sys
import threading
from dataclasses import dataclass
from pathlib import Path

import pytest

from book_helpers import CHROMIUM_ARGS, ROOT, SCREENSHOTS, find_chromium

BUILD_TIMEOUT_S = 3600
SPHINX_PROBLEM = re.compile(r"(^|: )(WARNING|ERROR|CRITICAL|SEVERE): ")


@dataclass
class Build:
    html: Path
    returncode: int
    log: str

    @property
    def warnings(self) -> list[str]:
        """Sphinx's warnings and errors (``path:line: WARNING: ...``), not a kernel's log lines."""
        return [line for line in self.log.splitlines() if SPHINX_PROBLEM.search(line)]


@pytest.fixture(scope="session")
def built_book() -> Build:
    """The book built into ``_build/html`` (or the site ``BOOK_HTML`` names)."""
    if os.environ.get("BOOK_HTML"):
        html = Path(os.environ["BOOK_HTML"]).resolve()
        if not (html / "index.html").exists():
            pytest.fail(f"BOOK_HTML={html} holds no index.html")
        return Build(html, 0, "")
    jb = Path(sys.executable).with_name("jupyter-book")
    cmd = [str(jb if jb.exists() else "jupyter-book"), "build", ".", "-W", "-n", "--keep-going"]
    env = {**os.environ, "MPLBACKEND": "Agg", "NO_COLOR": "1"}
    proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=BUILD_TIMEOUT_S)
    html = ROOT / "_build" / "html"
    if not (html / "index.html").exists():
        pytest.fail(f"`{' '.join(cmd)}` wrote no site (exit {proc.returncode}):\n"
                    f"{proc.stdout[-4000:]}\n{proc.stderr[-4000:]}")
    return Build(html, proc.returncode, proc.stdout + "\n" + proc.stderr)


@pytest.fixture(scope="session")
def site(built_book: Build) -> Path:
    return built_book.html


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format, *args):  # noqa: A002 - the base class's name
        pass


@pytest.fixture(scope="session")
def server(site: Path):
    """The built site on a plain static server, ``http://127.0.0.1:PORT/``."""
    handler = functools.partial(_QuietHandler, directory=str(site))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}/"
    finally:
        httpd.shutdown()
        httpd.server_close()


@pytest.fixture(scope="session")
def browser(tmp_path_factory):
    """Headless Chromium driven by Playwright (the system's Chromium, never a downloaded one)."""
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
    executable = find_chromium()
    if executable is None:
        pytest.skip("no Chromium: install Debian's chromium package (scripts/setup.sh does as "
                    "root) or set CHROMIUM=/path/to/chrome")
    profile = tmp_path_factory.mktemp("chromium-profile")
    with sync_api.sync_playwright() as pw:
        try:
            context = pw.chromium.launch_persistent_context(
                str(profile), executable_path=executable, headless=True, args=CHROMIUM_ARGS,
                viewport={"width": 1280, "height": 900})
        except Exception as exc:  # a Chromium that will not start is a missing Chromium
            pytest.skip(f"Chromium at {executable} does not start: {exc}")
        try:
            yield context
        finally:
            context.close()


@pytest.fixture(scope="session")
def screenshots() -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS
