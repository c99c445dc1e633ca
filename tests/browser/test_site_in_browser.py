"""The course's website, built with ``python -m tools site``, opened page by page in Chromium.

Every page loads with no console error and no request beyond 127.0.0.1; every notebook page shows as many
images as its executed notebook has (figures, and the figures inside the widgets' saved state); the landing
page links to every notebook, and no link between the pages is broken. Needs the site extra
(``pip install -e ".[site]"``); in CI (GAN_COURSE_BROWSER_REQUIRED=1) a missing extra fails the test.
"""

from __future__ import annotations

import functools
import html.parser
import importlib.util
import os
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlparse

import nbformat
import pytest

from tools import site

pytestmark = pytest.mark.browser
NOTEBOOKS = sorted(p.stem for p in site.NOTEBOOKS_DIR.glob("[0-9][0-9]_*.ipynb"))


@pytest.fixture(scope="session")
def built_site(tmp_path_factory) -> Path:
    if importlib.util.find_spec("jupyter_book") is None:
        reason = 'the site extra is not installed: pip install -e ".[site]"'
        if os.environ.get("GAN_COURSE_BROWSER_REQUIRED") == "1":
            pytest.fail(reason + " (GAN_COURSE_BROWSER_REQUIRED=1)", pytrace=False)
        pytest.skip(reason)
    return site.build_site(tmp_path_factory.mktemp("site") / "html")


@pytest.fixture(scope="session")
def site_url(built_site):
    handler = functools.partial(_QuietHandler, directory=str(built_site))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:
        pass


def _expected_images(stem: str) -> int:
    """Images in the executed notebook as the site shows it: figure outputs, and <img> in static widgets."""
    executed, _ = site.execute(site.NOTEBOOKS_DIR / f"{stem}.ipynb")
    count = 0
    for cell in site.prepare(executed).cells:
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            count += any(m in data for m in ("image/png", "image/jpeg", "image/svg+xml"))
            count += "".join(data.get("text/html", "")).count("<img")
    return count


def _has_math(stem: str) -> bool:
    """Whether the notebook's markdown holds a formula ($...$)."""
    nb = nbformat.read(site.NOTEBOOKS_DIR / f"{stem}.ipynb", as_version=4)
    return any(c.cell_type == "markdown" and "$" in c.source for c in nb.cells)


@pytest.mark.parametrize("page_name", ["index"] + NOTEBOOKS)
def test_every_page_loads_cleanly_and_shows_its_figures(page_name, site_url, built_site, browser_page):
    page = browser_page
    problems: list[str] = []
    page.on("console", lambda m: problems.append(f"console {m.type}: {m.text[:200]}") if m.type == "error" else None)
    page.on("pageerror", lambda exc: problems.append(f"page error: {str(exc)[:200]}"))
    page.on("requestfailed", lambda r: problems.append(f"request failed: {r.url}"))
    page.goto(f"{site_url}/{page_name}.html", wait_until="networkidle")
    page.wait_for_timeout(500)  # let late scripts report their errors
    assert problems == [] and page.gan_course_blocked_requests == [], (problems, page.gan_course_blocked_requests)
    if page_name == "index":
        return
    shown = page.locator("article img").count()
    assert shown >= 1 and shown == _expected_images(page_name), f"{page_name}: {shown} images shown"
    # the math is MathML written at build time: drawn by the browser, with no MathJax to fetch offline
    assert page.evaluate("() => typeof window.MathJax") == "undefined", "a page loads MathJax"
    if _has_math(page_name):
        assert page.locator("article math").count() >= 1, f"{page_name}: its formulas are not MathML"


class _Links(html.parser.HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []

    def handle_starttag(self, tag, attrs) -> None:
        href = dict(attrs).get("href" if tag in ("a", "link") else "src")
        if href and tag in ("a", "link", "img", "script"):
            self.links.append(href)


def test_the_landing_page_links_every_notebook_and_no_internal_link_is_broken(built_site):
    index = (built_site / "index.html").read_text()
    for stem in NOTEBOOKS:
        assert f'href="{stem}.html"' in index, f"the landing page does not link {stem}"
    broken = []
    for page in built_site.rglob("*.html"):
        if "_static" in page.relative_to(built_site).parts:  # the theme's Jinja templates, not pages of the site
            continue
        parser = _Links()
        parser.feed(page.read_text(errors="replace"))
        for link in parser.links:
            parsed = urlparse(link)
            if parsed.scheme or link.startswith(("#", "mailto:", "data:")) or not parsed.path:
                continue
            if not (page.parent / parsed.path).resolve().exists():
                broken.append(f"{page.relative_to(built_site)} -> {link}")
    assert broken == []
