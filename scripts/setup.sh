#!/usr/bin/env bash
# Create (or update) the project's virtual environment in .venv from requirements.txt.
# Idempotent: a second run with the same requirements.txt does nothing but a quick check.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3.11}
command -v "$PYTHON" >/dev/null || PYTHON=python3

# System packages: bubblewrap sandboxes student code in the autograder. Optional: the grader
# falls back to its own limits where it is missing, but tests of the sandbox need it.
if ! command -v bwrap >/dev/null 2>&1 && command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
    (apt-get install -y -q bubblewrap >/dev/null 2>&1 || { apt-get update -q >/dev/null 2>&1 && apt-get install -y -q bubblewrap >/dev/null 2>&1; }) \
        || echo "setup: could not install bubblewrap; the autograder will use its fallback isolation" >&2
fi

# Chromium drives the browser tests of the built book (tests/book/test_browser.py); they skip
# with a reason where it cannot be had.
if [ ! -x /usr/bin/chromium ] && command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
    (apt-get install -y -q chromium chromium-driver >/dev/null 2>&1 || { apt-get update -q >/dev/null 2>&1 && apt-get install -y -q chromium chromium-driver >/dev/null 2>&1; }) \
        || echo "setup: could not install chromium; the browser tests of the book will be skipped" >&2
fi

# MathJax 3, served by the book itself (no CDN): from the npm registry into .cache/npm, then the
# parts the site loads into _vendor/mathjax, which _config.yml puts in the site's _static/.
MATHJAX_VERSION=3.2.2
if [ "$(cat _vendor/mathjax/.version 2>/dev/null)" != "$MATHJAX_VERSION" ]; then
    if command -v npm >/dev/null 2>&1; then
        npm install --loglevel=error --no-audit --no-fund --no-save --prefix .cache/npm "mathjax@$MATHJAX_VERSION" >/dev/null
        src=.cache/npm/node_modules/mathjax/es5
        rm -rf _vendor/mathjax && mkdir -p _vendor/mathjax
        # tex-chtml.js and what it loads on demand: TeX extensions, CHTML fonts, menu, a11y, speech.
        cp -r "$src/tex-chtml.js" "$src/input" "$src/output" "$src/ui" "$src/a11y" "$src/sre" "$src/adaptors" _vendor/mathjax/
        cp .cache/npm/node_modules/mathjax/LICENSE _vendor/mathjax/
        echo "$MATHJAX_VERSION" > _vendor/mathjax/.version
    else
        echo "setup: npm not found; cannot install MathJax, the book will not build" >&2
    fi
fi

if [ ! -x .venv/bin/python ]; then
    "$PYTHON" -m venv .venv
fi
stamp=.venv/.requirements.sha256
want=$(cat requirements.txt pyproject.toml | sha256sum | cut -d' ' -f1)
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
    .venv/bin/python -m pip install -q --disable-pip-version-check -r requirements.txt
    .venv/bin/python -m pip install -q --disable-pip-version-check --no-deps --no-build-isolation -e .
    echo "$want" > "$stamp"
fi
