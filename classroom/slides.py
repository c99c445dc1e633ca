"""The lecture's deck: the cells of a notebook's lecture path as one reveal.js file that works offline.

The lecture path is the cells tagged ``lecture`` (about ten minutes a notebook; see the README's "Presenting").
The deck is nbconvert's reveal.js export of those cells, made self-contained:

- reveal.js (its CSS, a theme and its script) is inlined from the copy that the ``sphinx-revealjs`` package ships;
- the math is written as MathML when the deck is made (``latex2mathml``), which browsers draw themselves, so the
  deck needs no MathJax;
- the export's other network references (jQuery, require.js, mermaid, the widget manager) are left out: the
  deck shows each widget's last picture, not a live control.
"""

from __future__ import annotations

import html
import importlib.util
import re
from pathlib import Path

import nbformat

LECTURE = "lecture"  # the tag of the cells a 75-minute lecture shows
THEME = "white"
# A lecture slide may hold more than one screen: it scrolls instead of being cut off.
CSS = """<style>
.reveal .slides section { font-size: 0.62em; text-align: left; }
.reveal .slides > section, .reveal .slides > section > section { height: 100%; overflow-y: auto; }
.reveal .math-block { text-align: center; margin: 0.4em 0; }
.reveal img { max-height: 60vh; }
</style>"""

_FENCE = re.compile(r"(```.*?```|`[^`\n]*`)", re.S)  # code: its dollars are not math
_BLOCK = re.compile(r"\$\$(.+?)\$\$", re.S)
_INLINE = re.compile(r"(?<![\\$])\$(?!\s)([^$\n]+?)(?<!\s)\$(?!\d)")


class DeckError(ValueError):
    """The deck cannot be made; the message says why in one line."""


def lecture_path(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """A copy of ``nb`` with only its cells tagged ``lecture``; a DeckError when it has none."""
    copy = nbformat.from_dict(nb)
    copy.cells = [c for c in copy.cells if LECTURE in c.get("metadata", {}).get("tags", [])]
    if not copy.cells:
        raise DeckError(f"no cell is tagged {LECTURE!r}: the notebook has no lecture path to show")
    return copy


def to_mathml(latex: str, display: str) -> str:
    """``latex`` as a <math> element (``display`` "inline" or "block"); its LaTeX in <code> when it cannot be read."""
    from latex2mathml.converter import convert

    try:
        return convert(latex.strip(), display=display)
    except Exception:  # noqa: BLE001 -- one unreadable formula must not stop the deck
        return f"<code>{html.escape(latex)}</code>"


def markdown_with_mathml(markdown: str) -> str:
    """``markdown`` with its ``$$...$$`` and ``$...$`` formulas written as MathML (code spans left alone)."""
    def convert(text: str) -> str:
        text = _BLOCK.sub(lambda m: f'\n<div class="math-block">{to_mathml(m.group(1), "block")}</div>\n', text)
        return _INLINE.sub(lambda m: to_mathml(m.group(1), "inline"), text)

    parts = _FENCE.split(markdown)
    return "".join(part if i % 2 else convert(part) for i, part in enumerate(parts))


def _reveal_dir() -> Path:
    spec = importlib.util.find_spec("sphinx_revealjs")
    if spec is None or spec.origin is None:
        raise DeckError("the deck needs reveal.js from the sphinx-revealjs package: pip install -e \".[slides]\"")
    return Path(spec.origin).parent / "_static" / "revealjs"


def _inline_reveal(deck: str) -> str:
    """The exported deck with reveal.js inlined and every reference to the network taken out."""
    dist = _reveal_dir() / "dist"
    css = (dist / "reveal.css").read_text(encoding="utf-8")
    theme = re.sub(r"@import url\([^)]*\);", "", (dist / "theme" / f"{THEME}.css").read_text(encoding="utf-8"))
    script = (dist / "reveal.js").read_text(encoding="utf-8").replace("</script", "<\\/script")
    deck = re.sub(r'<link[^>]*href="[^"]*/dist/reveal\.css"[^>]*>', lambda _: f"<style>{css}</style>", deck)
    deck = re.sub(r'<link[^>]*href="[^"]*/dist/theme/[^"]*\.css"[^>]*>', lambda _: f'<style id="theme">{theme}</style>',
                  deck)
    deck = re.sub(r'<script[^>]*\ssrc="https?://[^"]*"[^>]*>\s*</script>', "", deck)
    deck = re.sub(r"<script type=\"module\">\s*import mermaid.*?</script>", "", deck, flags=re.S)
    start = deck.index("<script>\nrequire(")
    end = deck.index("</script>", start) + len("</script>")
    init = ("<script>" + script + "</script>\n<script>\nReveal.initialize({controls: true, progress: true, "
            "history: true, slideNumber: 'c/t', width: 1100, height: 760});\n</script>")
    return (deck[:start] + init + deck[end:]).replace("</head>", CSS + "\n</head>", 1)


def deck_html(nb: nbformat.NotebookNode) -> str:
    """The offline deck of an executed notebook's lecture path, as one HTML file."""
    from nbconvert import SlidesExporter

    path = lecture_path(nb)
    for cell in path.cells:
        if cell.cell_type == "markdown":
            cell.source = markdown_with_mathml(cell.source)
    path.metadata.pop("widgets", None)  # the widget manager would come from the network
    exporter = SlidesExporter(exclude_input_prompt=True, exclude_output_prompt=True, reveal_theme=THEME)
    deck, _ = exporter.from_notebook_node(path)
    return _inline_reveal(deck)
