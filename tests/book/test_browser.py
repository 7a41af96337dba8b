"""Every chapter as a reader sees it: headless Chromium on the built site, served on localhost.

For each page of the table of contents: it loads with no console error, no failed request and no
request to any other host (those are refused); every equation is typeset by MathJax with no TeX
error and no raw TeX left in the text; every image has loaded with a non-zero size; every
collapsed block (a ``hide-output`` cell: ``<details class="hide">``) opens when its summary is
clicked; and the search page finds the chapter by a word of its title. A full-page screenshot of
each chapter is kept in ``_build/screenshots/`` for a person to look at.

Nothing may be clipped or scrolled off at the width a reader on a laptop has (1280 px): no
displayed equation, table, code cell, output or figure is wider than its box or the article; every
figure is shown at no less than ``MIN_FIGURE_SCALE`` of its natural size, so that its labels stay
readable; no backslash or dollar sign is left in the rendered text, the text inside equations
(``\\text{...}``) included; and every link of the page points at an element or page that exists.
"""

from __future__ import annotations

import re
from urllib.parse import quote, urlsplit

import pytest

from book_helpers import chapter_docnames

pytestmark = pytest.mark.slow

TIMEOUT_MS = 30_000
# TeX a reader must never see: a dollar sign or a backslash anywhere in the prose (outside code and
# equations), and a backslash in the text of an equation (``\\text{fan\\_in}`` shows ``fan\\_in``).
RAW_TEX = re.compile(r"[$\\]")
MIN_FIGURE_SCALE = 0.8

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

# What is wider than the box it is in, or reaches past the article: the content a reader has to
# scroll sideways to see, or never sees.
OVERFLOW = """() => {
    const article = document.querySelector('article.bd-article') || document.querySelector('article') || document.body;
    const right = article.getBoundingClientRect().right;
    const kinds = {
        'equation': 'div.math, mjx-container[display="true"]',
        'table': 'table, .pst-scrollable-table-container, .table-wrapper',
        'code cell': 'div.cell_input pre, div.cell_output pre, div.highlight pre, div.output pre',
        'figure': 'img, figure, div.cell_output .output',
    };
    const found = [];
    for (const [kind, selector] of Object.entries(kinds)) {
        for (const e of article.querySelectorAll(selector)) {
            if (e.closest('details:not([open])') || e.getClientRects().length === 0) continue;
            const box = e.getBoundingClientRect();
            if (e.scrollWidth > e.clientWidth + 1 || box.right > right + 1) {
                found.push(`${kind} ${e.scrollWidth}px in ${e.clientWidth}px: ` +
                           e.textContent.trim().replace(/\\s+/g, ' ').slice(0, 60));
            }
        }
    }
    return found;
}"""

SMALL_FIGURES = """(minScale) => [...document.querySelectorAll('article img')]
    .filter(i => i.naturalWidth > 0 && i.clientWidth > 0 && i.clientWidth < minScale * i.naturalWidth)
    .map(i => `${i.getAttribute('src')} at ${Math.round(100 * i.clientWidth / i.naturalWidth)}%`)"""

MATH_TEXT = """() => [...document.querySelectorAll('mjx-assistive-mml mtext, mjx-assistive-mml mi, mjx-assistive-mml mo')]
    .map(e => e.textContent).filter(t => /[\\\\$]/.test(t))"""

# Links of the page into the site: (url without fragment, fragment, whether it is this page).
LINKS = """() => [...document.querySelectorAll('a[href]')]
    .map(a => new URL(a.getAttribute('href'), document.baseURI))
    .filter(u => u.origin === location.origin)
    .map(u => [u.origin + u.pathname, decodeURIComponent(u.hash.slice(1)), u.pathname === location.pathname])"""


def broken_links(page) -> list[str]:
    """Links of ``page`` to a page of the site that does not load, or to an element of this page
    that does not exist."""
    broken, checked = [], {}
    for url, fragment, same_page in page.evaluate(LINKS):
        if same_page:
            if fragment and not page.evaluate("id => !!document.getElementById(id)", fragment):
                broken.append(f"#{fragment}")
            continue
        if url not in checked:
            checked[url] = page.request.get(url).status
        if checked[url] >= 400:
            broken.append(f"{url} ({checked[url]})")
    return sorted(set(broken))


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
        text = page.evaluate(VISIBLE_TEXT)
        raw = sorted(set(text[max(0, m.start() - 30):m.end() + 30].strip() for m in RAW_TEX.finditer(text)))
        assert not raw, f"{docname}: a backslash or dollar sign in the rendered text: {raw}"
        math_text = page.evaluate(MATH_TEXT)
        assert not math_text, f"{docname}: a backslash or dollar sign inside equations: {math_text}"

        overflow = page.evaluate(OVERFLOW)
        assert not overflow, f"{docname}: content wider than the page can show:\n" + "\n".join(overflow)
        small = page.evaluate(SMALL_FIGURES, MIN_FIGURE_SCALE)
        assert not small, (f"{docname}: figures shrunk below {MIN_FIGURE_SCALE:.0%} of their size, "
                           f"too small to read: {small}")

        broken = page.evaluate(BROKEN_IMAGES)
        assert not broken, f"{docname}: images that did not load: {broken}"
        dead = broken_links(page)
        assert not dead, f"{docname}: links to nothing: {dead}"

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
        # Sphinx lists the results one by one; read them once it says the search has finished.
        page.wait_for_function("() => /found|did not match/i.test("
                               "document.querySelector('#search-results .search-summary')?.textContent || '')")
        hrefs = [results.nth(i).get_attribute("href") or "" for i in range(results.count())]
        assert any(urlsplit(h).path.endswith(f"{docname}.html") for h in hrefs), (
            f"searching for {term!r} did not find {docname}: {hrefs}")
        assert not problems["foreign"] and not problems["console"] and not problems["failed"], problems
    finally:
        page.close()
