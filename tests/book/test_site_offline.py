"""The built site needs no other host: everything a page loads is served by the site itself.

Plain links to other sites (``<a href>``: Colab, Binder, the repository) are fine. What a browser
fetches on its own is not: scripts, stylesheets, preloads, icons, images, frames, fonts, CSS
``url(...)`` and ``@import``, and addresses in inline scripts. The browser test
(``test_browser.py``) checks the same from the other side, by refusing every request to another
host while it reads each chapter.
"""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from bs4 import BeautifulSoup

from book_helpers import chapter_docnames

# Link relations whose target the browser fetches by itself.
FETCHED_RELS = {"stylesheet", "preload", "modulepreload", "prefetch", "icon", "shortcut",
                "apple-touch-icon", "manifest", "mask-icon", "preconnect", "dns-prefetch"}
FETCHED_ATTRS = {"script": ["src"], "img": ["src", "srcset"], "source": ["src", "srcset"],
                 "iframe": ["src"], "frame": ["src"], "embed": ["src"], "object": ["data"],
                 "video": ["src", "poster"], "audio": ["src"], "track": ["src"], "input": ["src"],
                 "image": ["href", "xlink:href"], "use": ["href", "xlink:href"]}
CSS_URL = re.compile(r"""url\(\s*(['"]?)([^'")]+)\1\s*\)|@import\s+(['"])([^'"]+)\3""")
# An address a script could load: an absolute http(s) URL or a protocol-relative //host/...
SCRIPT_URL = re.compile(r"""(?:https?:)?//[a-z0-9.-]+\.[a-z]{2,}[/'"\s]""", re.I)
# Hosts of content delivery networks and font services; none may appear in the site's own code.
CDN = re.compile(r"unpkg\.com|jsdelivr\.net|cdnjs\.cloudflare\.com|fonts\.googleapis\.com|"
                 r"fonts\.gstatic\.com|code\.jquery\.com|polyfill\.io|mathjax\.org/mathjax|"
                 r"use\.fontawesome\.com|plausible\.io|googletagmanager\.com", re.I)


def is_remote(url: str) -> bool:
    url = url.strip()
    parts = urlsplit(url)
    return bool(parts.netloc) or parts.scheme not in ("", "data", "blob")


def remote_fetches_in_html(text: str) -> list[str]:
    soup = BeautifulSoup(text, "html.parser")
    found = []
    for tag in soup.find_all(FETCHED_ATTRS):
        for attr in FETCHED_ATTRS[tag.name]:
            value = tag.get(attr)
            urls = [u.split()[0] for u in value.split(",") if u.strip()] if attr == "srcset" and value else [value]
            found += [f"<{tag.name} {attr}={u}>" for u in urls if u and is_remote(u)]
    for tag in soup.find_all("link"):
        rels = {r.lower() for r in (tag.get("rel") or [])}
        if rels & FETCHED_RELS and tag.get("href") and is_remote(tag["href"]):
            found.append(f"<link rel={' '.join(sorted(rels))} href={tag['href']}>")
    for tag in soup.find_all("style"):
        found += [f"<style> {u}" for u in remote_css_urls(tag.get_text())]
    for tag in soup.find_all(style=True):
        found += [f"<{tag.name} style> {u}" for u in remote_css_urls(tag["style"])]
    for tag in soup.find_all("script", src=False):
        body = tag.get_text()
        found += [f"<script> {m.group(0).strip()}" for m in SCRIPT_URL.finditer(body)]
    return found


def remote_css_urls(css: str) -> list[str]:
    urls = [m.group(2) or m.group(4) for m in CSS_URL.finditer(css)]
    return [u for u in urls if is_remote(u)]


def site_files(site: Path, suffix: str) -> list[Path]:
    return sorted(site.rglob(f"*{suffix}"))


def test_the_scanner_finds_what_it_must():
    page = """<html><head>
      <script src="https://cdn.example.org/x.js"></script>
      <link rel="stylesheet" href="//fonts.example.com/css">
      <link rel="preload" as="font" href="https://fonts.gstatic.com/a.woff2">
      <link rel="icon" href="http://example.org/favicon.ico">
      <style>@import "https://example.org/a.css"; body { background: url(https://x.org/b.png) }</style>
      <script>const THEBE_JS_URL = "https://unpkg.com/thebe@0.8.2/lib/index.js"</script>
      </head><body><img src="https://example.org/c.png"><div style="background:url('//x.org/d.png')"></div>
      <a href="https://colab.research.google.com/">fine</a><img src="_static/ok.png">
      <link rel="next" href="https://example.org/next.html"></body></html>"""
    found = remote_fetches_in_html(page)
    assert len(found) == 9, found
    assert not any("colab" in f or "next.html" in f or "ok.png" in f for f in found)


def test_every_page_loads_only_from_the_site(site):
    pages = site_files(site, ".html")
    assert pages
    bad = {str(p.relative_to(site)): f for p in pages
           if (f := remote_fetches_in_html(p.read_text(encoding="utf8", errors="replace")))}
    assert not bad, "pages that fetch from another host:\n" + "\n".join(
        f"{page}: {', '.join(sorted(set(found)))}" for page, found in bad.items())


def test_stylesheets_load_only_from_the_site(site):
    bad = {str(p.relative_to(site)): u for p in site_files(site, ".css")
           if (u := remote_css_urls(p.read_text(encoding="utf8", errors="replace")))}
    assert not bad, f"stylesheets with url() or @import from another host: {bad}"


def test_no_script_of_the_site_points_at_a_cdn(site):
    # MathJax's bundled speech engine names jsdelivr as a fallback for its maps and for an IE
    # XPath polyfill; in a browser MathJax points it at the site's own _static/mathjax/sre. The
    # browser test proves nothing is fetched from another host, so MathJax is left out here.
    mathjax = site / "_static" / "mathjax"
    bad = {}
    for p in site_files(site, ".js"):
        if mathjax in p.parents:
            continue
        text = p.read_text(encoding="utf8", errors="replace")
        if hits := sorted(set(m.group(0) for m in CDN.finditer(text))):
            bad[str(p.relative_to(site))] = hits
    assert not bad, f"scripts that name a CDN: {bad}"


def test_mathjax_is_served_by_the_site(site):
    mathjax = site / "_static" / "mathjax" / "tex-chtml.js"
    assert mathjax.is_file(), "MathJax is not in the site: run scripts/setup.sh (it installs it)"
    fonts = list((site / "_static" / "mathjax" / "output" / "chtml" / "fonts" / "woff-v2").glob("*.woff"))
    assert fonts, "MathJax's CHTML fonts are not in the site"
    assert (site / "_static" / "mathjax" / "input" / "tex" / "extensions").is_dir()


@pytest.mark.parametrize("docname", chapter_docnames())
def test_pages_with_math_load_the_local_mathjax(site, docname):
    page = site / f"{docname}.html"
    soup = BeautifulSoup(page.read_text(encoding="utf8"), "html.parser")
    has_math = bool(soup.select("span.math, div.math"))
    scripts = [s["src"] for s in soup.find_all("script", src=True) if "mathjax" in s["src"].lower()]
    if not has_math:
        return  # nothing to render
    assert scripts, f"{docname} has math but loads no MathJax"
    for src in scripts:
        assert not is_remote(src), f"{docname} loads MathJax from {src}"
        assert (page.parent / urlsplit(src).path).resolve().is_file(), f"{docname}: {src} is missing"


def test_fonts_are_served_by_the_site(site):
    fonts = [p for ext in (".woff2", ".woff", ".ttf") for p in site_files(site, ext)]
    assert any("fontawesome" in p.name.lower() or "fa-" in p.name for p in fonts) or \
        (site / "_static" / "scripts" / "fontawesome.js").is_file(), "the theme's icons are missing"
