"""The deck's parts that need no browser: the lecture path, the math as MathML, nothing from the network."""

import re

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from classroom.slides import LECTURE, DeckError, deck_html, lecture_path, markdown_with_mathml


LECTURE_WORDS = 1200  # read aloud at about 130 words a minute, with its runs: about ten minutes


def _lecture(cell):
    cell.metadata["tags"] = [LECTURE]
    cell.metadata["slideshow"] = {"slide_type": "slide"}
    return cell


def test_the_lecture_path_keeps_only_the_tagged_cells():
    nb = new_notebook(cells=[_lecture(new_markdown_cell("# shown")), new_markdown_cell("self-study"),
                             _lecture(new_code_cell("1 + 1"))])
    assert [c.source for c in lecture_path(nb).cells] == ["# shown", "1 + 1"]


def test_a_notebook_without_a_lecture_path_is_one_clear_error():
    with pytest.raises(DeckError, match="no cell is tagged 'lecture'"):
        lecture_path(new_notebook(cells=[new_markdown_cell("x")]))


def test_formulas_become_mathml_and_code_keeps_its_dollars():
    text = markdown_with_mathml("a $x_1$ b\n\n$$\\frac{1}{2}$$\n\n`echo $HOME` and $5 or $6")
    assert text.count("<math") == 2 and "\\frac" not in text and "`echo $HOME`" in text and "$5 or $6" in text


def test_the_deck_asks_nothing_of_the_network():
    nb = new_notebook(cells=[_lecture(new_markdown_cell("# GAN\n\n$$\\min_G \\max_D f_{acc}$$")),
                             _lecture(new_code_cell("x = 1"))])
    deck = deck_html(nb)
    assert re.findall(r'(?:src|href)="(?:https?:)?//[^"]*"', deck) == []
    assert "Reveal.initialize(" in deck and "<math" in deck and "mathjax.js" not in deck.lower()


@pytest.mark.parametrize("name", ["01", "02", "03", "04", "05", "06", "07"])
def test_every_notebook_has_a_lecture_path(name):
    from pathlib import Path

    (path,) = (Path(__file__).resolve().parents[1] / "notebooks").glob(f"{name}_*.ipynb")
    cells = lecture_path(nbformat.read(path, as_version=4)).cells
    assert cells[0].cell_type == "markdown" and cells[0].source.startswith("# "), "the path opens with the title"
    words = sum(len(c.source.split()) for c in cells if c.cell_type == "markdown")
    assert words <= LECTURE_WORDS, f"{words} words of lecture prose: more than ten minutes with its runs"
