"""The lecture's deck (``python -m classroom slides``), opened in Chromium with the network blocked.

Each notebook's lecture path becomes one HTML file: reveal.js styles it and lays out its slides, and its math is
drawn (MathML), with no request leaving the file and no raw LaTeX on screen.
"""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest

from classroom.slides import LECTURE, deck_html

pytestmark = pytest.mark.browser
NOTEBOOKS = sorted((Path(__file__).resolve().parents[2] / "notebooks").glob("[0-9][0-9]_*.ipynb"))
RAW_LATEX = ("$$", "\\frac", "\\mathbb", "\\log", "\\theta")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem[:2])
def test_the_deck_shows_styled_slides_and_drawn_math_offline(path, browser_page, tmp_path):
    nb = nbformat.read(path, as_version=4)
    deck = tmp_path / f"{path.stem}.slides.html"
    deck.write_text(deck_html(nb), encoding="utf-8")
    page = browser_page
    page.context.set_offline(True)
    page.goto(deck.as_uri())
    page.wait_for_function("typeof Reveal !== 'undefined' && Reveal.isReady()", timeout=20_000)

    lecture_slides = sum(1 for c in nb.cells if LECTURE in c.metadata.get("tags", [])
                         and c.metadata.get("slideshow", {}).get("slide_type") in ("slide", "subslide"))
    shown = page.evaluate("Reveal.getTotalSlides()")
    assert shown >= max(lecture_slides, 1), f"{shown} slides for {lecture_slides} lecture slides"
    styled = page.evaluate("getComputedStyle(document.querySelector('.reveal')).fontFamily")
    assert "Source Sans Pro" in styled or "Helvetica" in styled, styled  # the theme's font stack, not the default
    formulas = page.evaluate("document.querySelectorAll('math').length")
    tex_in_source = sum(c.source.count("$") for c in nb.cells if c.cell_type == "markdown"
                        and LECTURE in c.metadata.get("tags", []))
    assert formulas > 0 or tex_in_source == 0
    text = page.evaluate("document.querySelector('.slides').innerText")
    assert not [raw for raw in RAW_LATEX if raw in text], [raw for raw in RAW_LATEX if raw in text]
    assert page.gan_course_blocked_requests == []
