"""A Sphinx extension that writes the site's math as MathML at build time (``html_math_renderer = "mathml"``).

Browsers draw MathML themselves, so a page needs no MathJax, no web fonts and no network: the site stays
readable offline. A formula the converter cannot read is shown as its LaTeX, in code font, with a warning.
"""

from __future__ import annotations

import html

from docutils import nodes
from latex2mathml.converter import convert
from sphinx.util import logging

LOGGER = logging.getLogger(__name__)


def to_mathml(latex: str, display: str) -> str:
    """``latex`` as a <math> element (``display`` "inline" or "block"); its LaTeX in <code> when it cannot be read."""
    if not latex.strip():  # an empty formula (e.g. "$ $") draws nothing; the converter would fail on it
        return ""
    try:
        return convert(latex.strip(), display=display)
    except Exception as err:  # noqa: BLE001 -- one unreadable formula must not stop the site
        LOGGER.warning(f"cannot write this formula as MathML ({type(err).__name__}): {latex[:80]}")
        return f"<code>{html.escape(latex)}</code>"


def _inline(self, node) -> None:
    self.body.append(to_mathml(node.astext(), "inline"))
    raise nodes.SkipNode


def _block(self, node) -> None:
    self.body.append(f'<div class="math-block">{to_mathml(node.astext(), "block")}</div>')
    raise nodes.SkipNode


def setup(app) -> dict:
    app.add_html_math_renderer("mathml", (_inline, None), (_block, None))
    return {"parallel_read_safe": True, "parallel_write_safe": True}
