"""The site's preparation of executed notebooks: static widgets, folded instructor cells, a cache key."""

import base64
import re

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from tools import site
from tools.widget_html import NOTE, STATE, VIEW, model_html, static_widget_outputs

PNG = base64.b64encode(b"\x89PNG fake").decode()


def _model(name: str, **state) -> dict:
    return {"model_name": name, "model_module": "@jupyter-widgets/controls", "model_module_version": "2.0.0",
            "state": state}


MODELS = {
    "box": _model("VBoxModel", children=["IPY_MODEL_slider", "IPY_MODEL_out"]),
    "slider": _model("IntSliderModel", description="step", value=3, min=0, max=9, step=1),
    "out": _model("OutputModel", outputs=[{"output_type": "display_data", "metadata": {},
                                           "data": {"image/png": PNG, "text/plain": "<Figure>"}}]),
    "choice": _model("ToggleButtonsModel", description="detach", _options_labels=["none", "f"], index=1),
}


def _notebook_with_widget() -> nbformat.NotebookNode:
    view = new_output("display_data", data={VIEW: {"model_id": "box", "version_major": 2, "version_minor": 0},
                                            "text/plain": "VBox()"})
    nb = new_notebook(cells=[new_code_cell("w", outputs=[view])])
    nb.metadata.widgets = {STATE: {"state": MODELS, "version_major": 2, "version_minor": 0}}
    return nb


def test_a_slider_is_drawn_disabled_at_its_value():
    drawn = model_html("slider", MODELS)
    assert 'type="range" disabled' in drawn and 'value="3"' in drawn and "step" in drawn


def test_an_output_widget_shows_its_figure_as_an_image():
    assert f'src="data:image/png;base64,{PNG}"' in model_html("out", MODELS)


def test_the_chosen_option_is_marked():
    assert '<span class="gc-option gc-chosen">f</span>' in model_html("choice", MODELS)


def test_widget_views_become_static_html_with_a_note_and_the_state_is_dropped():
    nb, count = static_widget_outputs(_notebook_with_widget())
    data = nb.cells[0].outputs[0]["data"]
    assert count == 1 and set(data) == {"text/html"}
    assert 'type="range"' in data["text/html"] and "<img" in data["text/html"] and NOTE in data["text/html"]
    assert "widgets" not in nb.metadata


def test_the_instructor_section_keeps_its_heading_and_folds_the_rest():
    nb = new_notebook(cells=[
        new_markdown_cell("# 0 · Title"),
        new_markdown_cell("## For the instructor: robustness\n\nSeeds 0-9.", metadata={"tags": ["instructor"]}),
        new_code_cell("table()", metadata={"tags": ["instructor"]}),
        new_markdown_cell("### Pre-training\n\nrun this", metadata={"tags": ["instructor"]}),
    ])
    prepared = site.prepare(nb, "instructor")
    heading = prepared.cells[1].source
    assert heading.startswith("## For the instructor: robustness\n") and "```{toggle}\nSeeds 0-9." in heading
    assert "hide-cell" in prepared.cells[2].metadata["tags"]
    assert prepared.cells[3].source.startswith("```{toggle}\n**Pre-training**")


def test_an_answer_folds_into_a_dropdown_titled_as_its_summary():
    nb = new_notebook(cells=[new_markdown_cell("<details><summary>Answer 2</summary>\n\nIt costs $x$.\n\n</details>",
                                               metadata={"tags": ["answer"]})])
    assert site.prepare(nb, "instructor").cells[0].source == "```{dropdown} Answer 2\nIt costs $x$.\n```\n"


def test_a_code_block_inside_a_fold_cannot_close_the_fold():
    folded = site._fold("### Hand out\n\n```bash\nls\n```\nafter")
    assert folded.startswith("````{toggle}\n") and folded.endswith("\nafter\n````\n")


def _tags(cell) -> set:
    return set(cell.metadata.get("tags", []))


def test_the_instructor_edition_keeps_and_folds_every_answer_and_instructor_cell():
    for path in sorted(site.NOTEBOOKS_DIR.glob("[0-9][0-9]_*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        prepared = site.prepare(nb, "instructor", path.name)
        assert len(prepared.cells) == len(nb.cells), path.name
        for before, after in zip(nb.cells, prepared.cells):
            if not _tags(before) & {"answer", "instructor"}:
                continue
            if after.cell_type == "code":
                assert "hide-cell" in _tags(after), (path.name, before.source[:60])
            else:  # folded whole, or (the closing section's first cell) its heading shown and the rest folded
                body = after.source.split("\n\n", 1)[1] if after.source.startswith("#") else after.source
                assert re.match(r"`{3,}\{(toggle|dropdown)\}", body), (path.name, before.source[:60])


def test_the_student_edition_of_a_page_drops_solutions_answers_and_instructor_cells_and_keeps_outputs():
    printed = new_output("stream", name="stdout", text="trained\n")
    nb = new_notebook(cells=[
        new_markdown_cell("# 0 · Title"),
        new_code_cell("def f():\n    ### BEGIN SOLUTION\n    return 42\n    ### END SOLUTION\nf", outputs=[printed]),
        new_code_cell("ok = 1\n### BEGIN HIDDEN TESTS\nassert ok\n### END HIDDEN TESTS"),
        new_markdown_cell("<details><summary>Answer 1</summary>\n\nyes\n</details>", metadata={"tags": ["answer"]}),
        new_markdown_cell("## For the instructor", metadata={"tags": ["instructor"]}),
        new_code_cell("table()", metadata={"tags": ["instructor"]}),
    ])
    prepared = site.prepare(nb)
    assert [c.source for c in prepared.cells] == [
        "# 0 · Title", 'def f():\n    raise NotImplementedError("your code here: replace this line with your solution")\nf',
        "ok = 1"]
    assert prepared.cells[1].outputs == [printed]


def test_an_unknown_edition_is_one_line_naming_it():
    with pytest.raises(site.SiteError, match="unknown edition 'teacher': expected one of student, instructor"):
        site.prepare(new_notebook(), "teacher")


# --- display math: a $$ block has its own paragraph, or Markdown renders it as text --------------------

def inline_display_math(markdown: str) -> list[str]:
    """The ``$$...$$`` formulas of ``markdown`` that share a paragraph with text (CommonMark, as MyST and JupyterLab
    read it): there they are no display block, and the site shows their LaTeX inside run-together italics."""
    from markdown_it import MarkdownIt
    from mdit_py_plugins.dollarmath import dollarmath_plugin

    parser = MarkdownIt("commonmark").use(dollarmath_plugin, double_inline=True).enable("table")
    return [child.content for token in parser.parse(markdown) for child in token.children or []
            if child.type == "math_inline_double"]


def test_a_display_formula_inside_a_paragraph_is_flagged_and_one_on_its_own_is_not():
    pytest.importorskip("mdit_py_plugins")
    assert inline_display_math("so that\n$$D^* = \\frac{p}{p + q}$$\nholds.") == ["D^* = \\frac{p}{p + q}"]
    assert inline_display_math("> so that\n>\n> $$x^2$$\n>\n> holds\n\n$$y$$") == []


def test_every_display_formula_in_the_notebooks_has_its_own_paragraph():
    pytest.importorskip("mdit_py_plugins")
    found = [(path.name, index, formula[:60]) for path in sorted(site.NOTEBOOKS_DIR.glob("[0-9][0-9]_*.ipynb"))
             for index, cell in enumerate(nbformat.read(path, as_version=4).cells) if cell.cell_type == "markdown"
             for formula in inline_display_math(cell.source)]
    assert found == [], f"(notebook, cell index, formula): give each its own paragraph: {found}"


def test_a_shell_comment_in_a_folded_code_block_stays_a_comment():
    folded = site._fold_markdown("### Hand out\n\n```bash\n# hand out student/ (the lecture's notebooks)\nls\n```\n# After")
    assert folded == "**Hand out**\n\n```bash\n# hand out student/ (the lecture's notebooks)\nls\n```\n**After**"


def test_an_empty_formula_draws_nothing_and_a_formula_becomes_mathml():
    pytest.importorskip("jupyter_book")  # the site's extra (Sphinx, docutils) with latex2mathml beside it
    pytest.importorskip("latex2mathml")
    from tools.mathml import to_mathml

    assert to_mathml(" ", "inline") == ""
    assert to_mathml("x^2", "inline").startswith("<math")


def test_a_changed_notebook_gets_a_new_cache_key(tmp_path):
    path = tmp_path / "01_x.ipynb"
    nbformat.write(new_notebook(cells=[new_code_cell("1 + 1")]), path)
    before = site._fingerprint(path)
    nbformat.write(new_notebook(cells=[new_code_cell("1 + 2")]), path)
    assert site._fingerprint(path) != before


def test_out_inside_the_notebooks_folder_is_refused(tmp_path):
    pytest.importorskip("jupyter_book")
    (tmp_path / "01_a.ipynb").write_text(nbformat.writes(new_notebook()))
    with pytest.raises(site.SiteError, match="inside the notebooks folder"):
        site.build_site(tmp_path / "site", notebooks_dir=tmp_path)


def test_a_remade_picture_beside_a_table_gets_a_new_cache_key(tmp_path):
    """06 shows the PNGs beside its table (results/cgan-sharing/), so a remade one must not leave the site showing
    the old."""
    path = tmp_path / "06_x.ipynb"
    nbformat.write(new_notebook(cells=[new_code_cell("1 + 1")]), path)
    picture = tmp_path / "results" / "cgan-sharing" / "x.png"
    picture.parent.mkdir(parents=True)
    picture.write_bytes(b"one")
    before = site._fingerprint(path)
    picture.write_bytes(b"two")
    assert site._fingerprint(path) != before


def test_the_site_executes_a_notebook_itself_and_then_takes_it_from_its_cache_until_it_changes(tmp_path):
    """The site's own execution cache, keyed by the notebook's content: no other run (nbval's) fills it."""
    path = tmp_path / "01_x.ipynb"
    nbformat.write(new_notebook(cells=[new_code_cell("print(6 * 7)")]), path)
    executed, how = site.execute(path, tmp_path / "cache")
    assert how != "cached" and executed.cells[0].outputs[0]["text"] == "42\n"
    assert site.execute(path, tmp_path / "cache")[1] == "cached"
    nbformat.write(new_notebook(cells=[new_code_cell("print(6 * 8)")]), path)
    executed, how = site.execute(path, tmp_path / "cache")
    assert how != "cached" and executed.cells[0].outputs[0]["text"] == "48\n"


def test_storing_a_notebook_s_copy_removes_its_older_copies_only(tmp_path):
    nb = new_notebook(cells=[new_code_cell("1 + 1")])
    older, other = tmp_path / f"02_x-{'a' * 20}.ipynb", tmp_path / f"02_x-more-{'b' * 20}.ipynb"
    for path in (older, other):
        nbformat.write(nb, path)
    site.store_executed(nb, tmp_path / f"02_x-{'c' * 20}.ipynb")
    assert sorted(p.name for p in tmp_path.iterdir()) == [f"02_x-{'c' * 20}.ipynb", other.name]

