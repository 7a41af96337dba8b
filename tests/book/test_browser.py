"""Every chapter as a reader sees it: headless Chromium on the built site, served on localhost.

For each page of the table of contents: it loads with no console error, no failed request and no
request to any other host (those are refused); every equation is typeset by MathJax with no TeX
error and no raw TeX left in the text; every image has loaded with a non-zero size; every
collapsed block (a ``hide-output`` cell: ``<details class="hide">``) opens when its summary is
clicked; and the search page finds the chapter by a word of its title. A full-page screenshot of
each chapter is kept in ``_build/screenshots/`` for a person to look at.
"""

from __future__ import annotations

import re
from urllib.parse import quote, urlsplit

import pytest

from book_helpers import chapter_docnames

pytestmark = pytest.mark.slow

TIMEOUT_MS = 30_000
# TeX a reader must never see: display delimiters, and commands outside a MathJax container.
RAW_TEX = re.compile(r"\$|\\(?:frac|sum|prod|nabla|partial|sqrt|mathbf|mathrm|hat|bar|tilde|"
                     r"left|right|begin|end|cdot|odot|alpha|beta|gamma|eta|theta|lambda|epsilon|"
                     r"sigma|mu|log|exp|leftarrow|gets|in)(?![A-Za-z])|\\\(|\\\[")

VISIBLE_TEXT = """() => {
    const main = document.querySelector('article') || document.querySelector('main') || document.body;
    const copy = main.cloneNode(true);
    copy.querySelectorAll('pre, code, script, style, mjx-container, mjx-assistive-mml, .MathJax')
        .forEach(e => e.remove());
    return copy.textContent;
}"""

MATH_REPORT = """() => {
    const math = [...document.querySelectorAll('span.math, div.math')];
    return {
        math: math.length,
        unrendered: math.filter(e => !e.querySelector('mjx-container')).map(e => e.textContent.slice(0, 80)),
        containers: document.querySelectorAll('mjx-container').length,
        errors: [...document.querySelectorAll('mjx-merror')].map(e => e.textContent.slice(0, 80)),
    };
}"""

BROKEN_IMAGES = """() => [...document.querySelectorAll('img')]
    .filter(i => !(i.complete && i.naturalWidth > 0 && i.naturalHeight > 0))
    .map(i => i.getAttribute('src'))"""


def open_page(browser, url: str):
    """A new page on ``url`` that records console errors, failed and foreign requests."""
    page = browser.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    problems = {"console": [], "failed": [], "foreign": []}

    def route(r):
        host = urlsplit(r.request.url).hostname
        if host in ("127.0.0.1", "localhost"):
            r.continue_()
        else:
            problems["foreign"].append(r.request.url)
            r.abort()

    page.route("**/*", route)
    page.on("console", lambda m: m.type == "error" and problems["console"].append(m.text))
    page.on("pageerror", lambda e: problems["console"].append(f"uncaught: {e}"))
    page.on("requestfailed", lambda r: problems["failed"].append(f"{r.url} ({r.failure})"))
    page.on("response", lambda r: r.status >= 400 and problems["failed"].append(f"{r.url} ({r.status})"))
    page.goto(url, wait_until="load")
    return page, problems


def wait_for_mathjax(page) -> None:
    if page.evaluate("() => document.querySelectorAll('span.math, div.math').length") == 0:
        return
    page.wait_for_function("() => window.MathJax && MathJax.startup && MathJax.startup.promise")
    page.evaluate("() => MathJax.startup.promise")
    page.wait_for_function("() => !document.querySelector('span.math:not(:has(mjx-container)), "
                           "div.math:not(:has(mjx-container))')")


@pytest.mark.parametrize("docname", chapter_docnames())
def test_chapter_reads_well_in_a_browser(browser, server, screenshots, docname):
    page, problems = open_page(browser, f"{server}{docname}.html")
    try:
        try:
            wait_for_mathjax(page)
            page.wait_for_function("() => [...document.images].every(i => i.complete)")
            page.wait_for_load_state("networkidle")
        except Exception as exc:  # a timeout: say what the page was missing
            pytest.fail(f"{docname}: the page did not finish rendering ({type(exc).__name__}); "
                        f"failed requests: {problems['failed']}; console: {problems['console']}; "
                        f"other hosts: {problems['foreign']}")
        page.screenshot(path=str(screenshots / f"{docname.replace('/', '__')}.png"), full_page=True)

        math = page.evaluate(MATH_REPORT)
        assert not math["unrendered"], f"{docname}: equations MathJax did not render: {math['unrendered']}"
        assert math["containers"] >= math["math"], f"{docname}: {math}"
        assert not math["errors"], f"{docname}: TeX errors: {math['errors']}"
        raw = sorted(set(m.group(0) for m in RAW_TEX.finditer(page.evaluate(VISIBLE_TEXT))))
        assert not raw, f"{docname}: raw TeX in the visible text: {raw}"

        broken = page.evaluate(BROKEN_IMAGES)
        assert not broken, f"{docname}: images that did not load: {broken}"

        blocks = page.locator("details.hide")
        for i in range(blocks.count()):
            block = blocks.nth(i)
            assert block.evaluate("d => !d.open"), f"{docname}: collapsed block {i} starts open"
            block.locator("summary").first.click()
            page.wait_for_function("d => d.open", arg=block.element_handle())
            body = block.locator(":scope > :not(summary)").first
            assert body.count() == 0 or body.is_visible(), f"{docname}: block {i} opened empty"

        assert not problems["foreign"], f"{docname}: requests to other hosts: {problems['foreign']}"
        assert not problems["failed"], f"{docname}: failed requests: {problems['failed']}"
        assert not problems["console"], f"{docname}: console errors: {problems['console']}"
    finally:
        page.close()


def title_word(page) -> str:
    """The longest word of the chapter's title: a term the search must find it by."""
    title = page.locator("article h1").first.inner_text()
    words = re.findall(r"[A-Za-z]{4,}", title)
    assert words, f"no searchable word in the title {title!r}"
    return max(words, key=len)


@pytest.mark.parametrize("docname", chapter_docnames())
def test_search_finds_the_chapter(browser, server, docname):
    page, problems = open_page(browser, f"{server}{docname}.html")
    try:
        term = title_word(page)
        page.goto(f"{server}search.html?q={quote(term)}", wait_until="load")
        results = page.locator("#search-results ul.search li a")
        results.first.wait_for()
        hrefs = [results.nth(i).get_attribute("href") or "" for i in range(results.count())]
        assert any(urlsplit(h).path.endswith(f"{docname}.html") for h in hrefs), (
            f"searching for {term!r} did not find {docname}: {hrefs}")
        assert not problems["foreign"] and not problems["console"] and not problems["failed"], problems
    finally:
        page.close()
