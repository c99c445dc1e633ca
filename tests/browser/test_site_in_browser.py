"""The course's website, built with ``python -m tools site``, opened page by page in Chromium.

Every page loads with no console error and no request beyond 127.0.0.1; every notebook page shows as many
images as its executed notebook has (figures, and the figures inside the widgets' saved state); the landing
page links to every notebook, and no link between the pages is broken; no page's text shows a formula's LaTeX
source (``$$``, ``\\frac``, ...) instead of the formula. The site is the default (student) edition: no file of it
holds a line of the exercise's reference solutions, an answer or the instructor's material, and each page's
download is the student notebook. No cell of an executed notebook leaves an echoed value (``True``,
``<Axes ...>``) or a progress bar stopped short. Needs the site extra (``pip install -e ".[site]"``); in CI
(GAN_COURSE_BROWSER_REQUIRED=1) a missing extra fails the test.
"""

from __future__ import annotations

import functools
import html
import html.parser
import importlib.util
import os
import re
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
    """The site as ``python -m tools site`` builds it by default: the student edition, every notebook executed by
    the site itself (its own cache, keyed by each notebook's content)."""
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


# The page's text as a reader sees it (innerText: what is displayed), without code: cell inputs, code blocks and
# printed streams are Python, where "$" and backslashes are the code's own.
READ_TEXT = """() => {
    const article = document.querySelector("article").cloneNode(true);
    article.querySelectorAll(".cell_input, pre, code, script, style").forEach(e => e.remove());
    document.body.appendChild(article);  // innerText of a detached node ignores the layout
    const text = article.innerText;
    article.remove();
    return text;
}"""
LATEX_SOURCE = re.compile(r"\$\$|\\(?:frac|mathbb|mathbf|mathcal|log|nabla|partial|approx|sum|text|left|right|"
                          r"operatorname|sigma|theta|ell|cdot|times|quad|begin|end)\b|\$[^$\s][^$\n]{0,80}\$")


@pytest.mark.parametrize("page_name", ["index"] + NOTEBOOKS)
def test_no_page_shows_a_formula_s_latex_source(page_name, site_url, browser_page):
    """A formula left as text (a $$ block inside a paragraph, or one the converter could not read) shows its LaTeX:
    every formula must be drawn as MathML instead."""
    browser_page.goto(f"{site_url}/{page_name}.html", wait_until="networkidle")
    text = browser_page.evaluate(READ_TEXT)
    shown = [text[max(0, m.start() - 40):m.end() + 40].replace("\n", " ") for m in LATEX_SOURCE.finditer(text)]
    assert len(text) > 200 and shown == [], f"{page_name}: LaTeX source in the text: {shown[:5]}"


# --- the student edition: nothing of the answers on any page ------------------------------------------------

def _site_text(built) -> dict[str, str]:
    """Every text file of the site (pages, sources, search index, scripts) as a reader or a script gets it: HTML
    without its tags, entities decoded."""
    texts = {}
    for path in built.rglob("*"):
        if path.is_file() and path.suffix in (".html", ".ipynb", ".js", ".txt", ".json", ".md"):
            text = path.read_text(errors="replace")
            texts[str(path.relative_to(built))] = html.unescape(re.sub(r"<[^>]+>", "", text))
    return texts


def _student_text(stem: str) -> str:
    """Every cell's source in the student notebook ``stem``: what the student edition hands out anyway."""
    from classroom.student import student_notebook

    nb = student_notebook(nbformat.read(site.NOTEBOOKS_DIR / f"{stem}.ipynb", as_version=4), stem)[0]
    return "\n".join(c.source for c in nb.cells)


def test_no_page_of_the_built_site_shows_a_reference_solution_line_its_student_notebook_does_not(built_site):
    """Notebooks 01-03 teach some lines the exercise asks for (02's losses and D-step): their student notebooks
    show them, so their pages (and downloads) may. No file of the site shows any other line of 07's solution
    regions, and 07's page none."""
    from classroom.student import solution_lines

    nb07 = nbformat.read(site.NOTEBOOKS_DIR / "07_exercise_original_vs_modified_loss.ipynb", as_version=4)
    lines = solution_lines(nb07)
    assert len(lines) >= 10
    leaks = []
    for page, text in _site_text(built_site).items():
        stem = Path(page).stem
        shown = _student_text(stem) if stem in NOTEBOOKS and page in (f"{stem}.html", f"_sources/{stem}.ipynb") else ""
        leaks += [(page, line) for line in lines if line in text and line not in shown]
    assert leaks == []


def _phrase(source: str) -> str:
    """The longest run of plain words (six or more) on one line of ``source``: text any rendering keeps."""
    runs = [run for line in source.splitlines() for run in re.findall(r"[A-Za-z][A-Za-z,']*(?: [A-Za-z][A-Za-z,']*){5,}", line)]
    return max(runs, key=len, default="")


def test_no_page_of_the_built_site_holds_an_answer_or_the_instructor_s_material(built_site):
    pages = {page: " ".join(text.split()) for page, text in _site_text(built_site).items() if page.endswith(".html")}
    leaks = [page for page, text in pages.items() if re.search(r"For the instructor|HIDDEN TESTS|BEGIN SOLUTION", text)]
    for stem in NOTEBOOKS:
        nb = nbformat.read(site.NOTEBOOKS_DIR / f"{stem}.ipynb", as_version=4)
        hidden = [_phrase(c.source) for c in nb.cells if {"answer", "instructor"} & set(c.metadata.get("tags", []))]
        assert len([p for p in hidden if p]) >= 3, stem
        leaks += [(stem, phrase) for phrase in hidden if phrase and phrase in pages[f"{stem}.html"]]
    assert leaks == []


def test_each_page_s_download_is_the_student_notebook(built_site):
    from classroom.student import student_notebook

    for path in sorted(site.NOTEBOOKS_DIR.glob("[0-9][0-9]_*.ipynb")):
        page = (built_site / f"{path.stem}.html").read_text()
        assert f"_sources/{path.name}" in page, f"{path.stem}: no download button for the notebook"
        downloaded = nbformat.read(built_site / "_sources" / path.name, as_version=4)
        assert downloaded == student_notebook(nbformat.read(path, as_version=4), path.name)[0], path.name


STRAY_RESULT = re.compile(r"(True|False|None|\[?<.+>\]?|Text\(.+\))", re.S)  # a value or object repr echoed by Jupyter
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"


@pytest.mark.parametrize("stem", NOTEBOOKS)
def test_no_cell_leaves_a_stray_value_or_a_frozen_progress_bar(stem, built_site):
    """What a run of the notebook leaves under its cells: no ``True``, ``<Axes ...>`` or other echoed value, and
    no progress bar stopped short of its end."""
    executed, _ = site.execute(site.NOTEBOOKS_DIR / f"{stem}.ipynb")
    stray = [(i, o["data"]["text/plain"][:60]) for i, cell in enumerate(executed.cells) if cell.cell_type == "code"
             for o in cell.get("outputs", []) if o.get("output_type") == "execute_result"
             and WIDGET_VIEW not in o["data"] and STRAY_RESULT.fullmatch(o["data"].get("text/plain", "").strip())]
    state = executed.metadata.get("widgets", {}).get("application/vnd.jupyter.widget-state+json", {}).get("state", {})
    frozen = [m["state"] for m in state.values() if m.get("model_name") in ("FloatProgressModel", "IntProgressModel")
              and m["state"].get("value", 0) < m["state"].get("max", 100)]
    assert stray == [] and frozen == [], (stray, frozen)
