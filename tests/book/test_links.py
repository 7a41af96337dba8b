"""No broken link in the built book, and the buttons that take a chapter elsewhere.

The build runs in Sphinx's nitpicky mode with warnings as errors (``-W -n``), so a broken
cross-reference fails it; then every relative ``href``/``src`` of every built page is resolved
against the site: the file must exist and a ``#fragment`` must name an element of that page.
Every chapter has a download button for its notebook and Colab and Binder launch buttons built
from ``repository`` in ``_config.yml``.
"""

from __future__ import annotations

import functools
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest
from bs4 import BeautifulSoup

from book_helpers import book_config, notebook_docnames

LINK_ATTRIBUTES = {"a": "href", "link": "href", "script": "src", "img": "src", "iframe": "src",
                   "source": "src", "video": "src", "audio": "src", "embed": "src", "object": "data"}


def test_build_passes_in_nitpicky_mode_with_warnings_as_errors(built_book):
    assert built_book.returncode == 0 and not built_book.warnings, (
        f"`jupyter-book build . -W -n --keep-going` exited {built_book.returncode}; "
        "Sphinx said:\n" + "\n".join(built_book.warnings or built_book.log.splitlines()[-30:]))


@functools.lru_cache(maxsize=None)
def _soup(path: Path) -> BeautifulSoup:
    return BeautifulSoup(path.read_text(encoding="utf8", errors="replace"), "html.parser")


@functools.lru_cache(maxsize=None)
def _ids(path: Path) -> frozenset[str]:
    soup = _soup(path)
    return frozenset([t["id"] for t in soup.find_all(id=True)] +
                     [t["name"] for t in soup.find_all("a", attrs={"name": True})])


def internal_links(page: Path):
    """``(tag, url)`` for every link of ``page`` that points into the site."""
    for tag in _soup(page).find_all(LINK_ATTRIBUTES):
        url = tag.get(LINK_ATTRIBUTES[tag.name])
        if not url or not url.strip():
            continue
        parts = urlsplit(url.strip())
        if parts.scheme or parts.netloc:  # http:, mailto:, data:, javascript:, //host/...
            continue
        yield tag, url.strip()


def dead_links(site: Path, page: Path) -> list[str]:
    dead = []
    for tag, url in internal_links(page):
        parts = urlsplit(url)
        if parts.path.startswith("/"):
            target = site / unquote(parts.path).lstrip("/")
        else:
            target = (page.parent / unquote(parts.path)) if parts.path else page
        target = target.resolve()
        if target.is_dir():
            target = target / "index.html"
        where = f"{page.relative_to(site)}: <{tag.name}> {url}"
        if site.resolve() not in [target, *target.parents]:
            dead.append(f"{where} points outside the site")
        elif not target.is_file():
            dead.append(f"{where}: no file {target.relative_to(site.resolve())}")
        elif parts.fragment and target.suffix == ".html" and unquote(parts.fragment) not in _ids(target):
            dead.append(f"{where}: no element with id {parts.fragment!r}")
    return dead


def test_no_dead_internal_link(site):
    pages = sorted(site.rglob("*.html"))
    pages = [p for p in pages if "_static" not in p.relative_to(site).parts]
    assert len(pages) > len(notebook_docnames())
    dead = [d for page in pages for d in dead_links(site, page)]
    assert not dead, f"{len(dead)} dead internal links:\n" + "\n".join(dead[:50])


def test_the_link_check_finds_a_dead_link(tmp_path):
    (tmp_path / "a.html").write_text('<p id="here"><a href="b.html">b</a> <a href="a.html#here">ok</a>'
                                      '<a href="#gone">x</a><img src="_static/x.png"></p>')
    dead = dead_links(tmp_path, tmp_path / "a.html")
    assert len(dead) == 3 and "b.html" in dead[0] and "gone" in dead[1] and "x.png" in dead[2]


def _repo() -> tuple[str, str, str]:
    repo = book_config()["repository"]
    url = repo["url"].rstrip("/")
    path_to_book = (repo.get("path_to_book") or "").strip("/")
    return url, repo.get("branch", "main"), path_to_book


@pytest.mark.parametrize("docname", notebook_docnames())
def test_chapter_has_notebook_download_and_launch_buttons(site, docname):
    page = site / f"{docname}.html"
    soup = _soup(page)
    hrefs = [a.get("href", "") for a in soup.find_all("a")]
    config = book_config()
    url, branch, path_to_book = _repo()
    org_repo = urlsplit(url).path.strip("/")
    notebook = "/".join(p for p in (path_to_book, f"{docname}.ipynb") if p)

    download = [h for h in hrefs if h.split("?")[0].endswith(f"_sources/{docname}.ipynb")]
    assert download, f"{docname}: no download button for the notebook"
    assert (page.parent / download[0]).resolve().is_file(), f"{docname}: the .ipynb download is missing"

    colab = config["launch_buttons"]["colab_url"].rstrip("/")
    binder = config["launch_buttons"]["binderhub_url"].rstrip("/")
    assert f"{colab}/github/{org_repo}/blob/{branch}/{notebook}" in hrefs, f"{docname}: no Colab button"
    assert any(h.startswith(f"{binder}/v2/gh/{org_repo}/{branch}?") and notebook in h
               for h in hrefs), f"{docname}: no Binder button"
    assert url in hrefs, f"{docname}: no repository button"
