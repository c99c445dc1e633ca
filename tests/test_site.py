"""The site's preparation of executed notebooks: static widgets, folded instructor cells, a cache key."""

import base64
import json

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
    prepared = site.prepare(nb)
    heading = prepared.cells[1].source
    assert heading.startswith("## For the instructor: robustness\n") and "```{toggle}\nSeeds 0-9." in heading
    assert "hide-cell" in prepared.cells[2].metadata["tags"]
    assert prepared.cells[3].source.startswith("```{toggle}\n**Pre-training**")


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


def test_a_changed_table_of_another_build_gets_a_new_cache_key(tmp_path):
    """05 reads every build's table (results/builds/...), so a remade one must not leave the site showing the old."""
    path = tmp_path / "05_x.ipynb"
    nbformat.write(new_notebook(cells=[new_code_cell("1 + 1")]), path)
    table = tmp_path / "results" / "builds" / "torch-x-AVX512-on-GenuineIntel" / "x.json"
    table.parent.mkdir(parents=True)
    table.write_text('{"seeds": {"0": 1}}')
    before = site._fingerprint(path)
    table.write_text('{"seeds": {"0": 2}}')
    assert site._fingerprint(path) != before


def _strip_run_details(nb: nbformat.NotebookNode) -> tuple[list, list]:
    """Each code cell's count and outputs, and the widgets' models, with the models' ids (random) left out: what two
    executions of one notebook share."""
    import re

    def no_ids(value) -> str:
        return re.sub(r"[0-9a-f]{32}", "ID", json.dumps(value, sort_keys=True))

    state = nb.metadata.get("widgets", {}).get("application/vnd.jupyter.widget-state+json", {}).get("state", {})
    return (json.loads(no_ids([(c.execution_count, c.outputs) for c in nb.cells if c.cell_type == "code"])),
            sorted(no_ids(model) for model in state.values()))


def test_nbval_s_run_is_kept_for_the_site_as_the_site_s_own_run_would_write_it(tmp_path):
    """tests/nbval_keeps.py: a notebook nbval ran without error is in the site's cache, with the outputs (an Output
    widget's in the widgets' state, a trailing ';' respected, cells numbered) and widget models the site's own
    execution gives; a notebook with a failing cell is not kept."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    tests = Path(__file__).resolve().parent
    good = tmp_path / "good.ipynb"
    nbformat.write(new_notebook(cells=[
        new_markdown_cell("# kept"),
        new_code_cell("import sys\nimport ipywidgets as w\nfrom IPython.display import display\n"
                      "out, slider = w.Output(), w.IntSlider(value=3, description='k')\ndisplay(w.VBox([slider, out]))"),
        new_code_cell("with out:\n    print('inside the Output widget')\n    display({'a': 1}, raw=False)"),
        new_code_cell("print('out'); print('err', file=sys.stderr)\n[1, 2];"),
        new_code_cell("1 + 1"),
    ]), good)
    nbformat.write(new_notebook(cells=[new_code_cell("x = 1"), new_code_cell("raise ValueError('no')")]),
                   tmp_path / "bad.ipynb")
    kept_dir = tmp_path / "kept"
    env = {**os.environ, "GAN_COURSE_SITE_CACHE": str(kept_dir), "PYTHONPATH": os.pathsep.join([str(tests), str(tests.parent)])}
    run = subprocess.run([sys.executable, "-m", "pytest", "-o", "addopts=", "-p", "course_session", "-p",
                          "no:cacheprovider", "--nbval-lax", "--nbval-current-env", "-q", "good.ipynb", "bad.ipynb"],
                         cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
    assert "1 failed" in run.stdout and "5 passed" in run.stdout, run.stdout[-2000:]
    assert [p.name.split("-")[0] for p in kept_dir.glob("*.ipynb")] == ["good"]

    kept = nbformat.read(site.cache_path(good, kept_dir), as_version=4)
    own, how = site.execute(good, tmp_path / "own")
    assert how != "cached"
    assert _strip_run_details(kept) == _strip_run_details(own)
    outputs, widgets = _strip_run_details(kept)
    assert [count for count, _ in outputs] == [1, 2, 3, 4]
    assert [o["output_type"] for o in outputs[2][1]] == ["stream", "stream"]  # '[1, 2];' shows nothing
    assert outputs[1][1] == []  # the Output widget's print went into the widget, not under the cell
    assert "inside the Output widget" in json.dumps(widgets)


def test_storing_a_notebook_s_copy_removes_its_older_copies_only(tmp_path):
    nb = new_notebook(cells=[new_code_cell("1 + 1")])
    older, other = tmp_path / f"02_x-{'a' * 20}.ipynb", tmp_path / f"02_x-more-{'b' * 20}.ipynb"
    for path in (older, other):
        nbformat.write(nb, path)
    site.store_executed(nb, tmp_path / f"02_x-{'c' * 20}.ipynb")
    assert sorted(p.name for p in tmp_path.iterdir()) == [f"02_x-{'c' * 20}.ipynb", other.name]
