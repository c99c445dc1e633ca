"""Lecture mode: every notebook carries slide metadata and converts to a sensible deck."""

from pathlib import Path

import nbformat
import pytest

NOTEBOOKS = sorted((Path(__file__).resolve().parents[1] / "notebooks").glob("*.ipynb"))
SLIDE_TYPES = {"slide", "subslide", "fragment", "notes", "skip", "-"}


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_every_cell_has_slide_metadata_and_the_deck_opens_with_a_slide(path):
    nb = nbformat.read(path, as_version=4)
    kinds = [cell.metadata.get("slideshow", {}).get("slide_type") for cell in nb.cells]
    assert all(kind in SLIDE_TYPES for kind in kinds), f"cells without slide metadata: {kinds.count(None)}"
    assert kinds[0] == "slide" and kinds.count("slide") + kinds.count("subslide") >= 3


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_nbconvert_makes_a_reveal_deck(path):
    from nbconvert import SlidesExporter

    html, _ = SlidesExporter().from_notebook_node(nbformat.read(path, as_version=4))
    assert html.count("<section") >= 3 and "reveal" in html


