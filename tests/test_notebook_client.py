"""The course's notebook runner keeps an Output widget's outputs in the notebook and sends nothing back to the
kernel (classroom.notebook_client says why: that send left notebook 02's run waiting for a reply it had received)."""

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from classroom.notebook_client import CourseNotebookClient
from tools.nbtime import time_notebook


class _Shell:
    def __init__(self):
        self.sent = []

    def send(self, msg):
        self.sent.append(msg)


class _KernelClient:
    """What nbclient's Output widget stand-in uses of a kernel client: a session and the shell channel."""

    def __init__(self):
        from jupyter_client.session import Session
        self.session, self.shell_channel = Session(), _Shell()


def _capture(widget_class):
    """An Output widget stand-in of ``widget_class`` given a clear_output(wait=True) and a print; its outputs and
    what it sent on the shell channel."""
    kc = _KernelClient()
    client = CourseNotebookClient(new_notebook(), store_widget_state=True)
    client.widget_state["w"] = {"outputs": []}
    widget = widget_class("w", {"outputs": []}, kc, client)
    parent = {"parent_header": {"msg_id": "m"}}
    widget.clear_output([], {**parent, "content": {"wait": True}}, 0)
    widget.output([], {**parent, "header": {"msg_type": "stream"}, "msg_type": "stream",
                       "content": {"name": "stdout", "text": "inside\n"}}, None, 0)
    return widget.outputs, client.widget_state["w"]["outputs"], kc.shell_channel.sent


def test_the_output_widget_stand_in_keeps_outputs_and_sends_nothing_to_the_kernel():
    ours = CourseNotebookClient(new_notebook()).widget_registry["@jupyter-widgets/output"]["OutputModel"]
    outputs, kept, sent = _capture(ours)
    assert outputs == kept == [new_output("stream", name="stdout", text="inside\n")]
    assert sent == []


def test_nbclients_own_stand_in_sends_each_output_to_the_kernel():
    """The control: nbclient's class sends a comm_msg on the shell socket for each output, so the test above can
    fail."""
    from nbclient.output_widget import OutputWidget
    outputs, kept, sent = _capture(OutputWidget)
    assert outputs == kept == [new_output("stream", name="stdout", text="inside\n")]
    assert [msg["msg_type"] for msg in sent] == ["comm_msg"]


def test_a_run_keeps_the_widgets_output_for_the_site_and_the_kernel_never_sees_it(tmp_path):
    nb = new_notebook(cells=[new_code_cell(source) for source in (
        "import ipywidgets as w\nout = w.Output()\ndisplay(out)\nwith out:\n    out.clear_output(wait=True)\n"
        "    print('inside the widget')",
        "import time\ntime.sleep(0.5)  # time for a write-back, were one sent\nprint(len(out.outputs))")])
    nbformat.write(nb, tmp_path / "w.ipynb")
    run = time_notebook(tmp_path / "w.ipynb", timeout=60, keep=tmp_path / "kept.ipynb")
    assert run["error"] is None, run
    kept = nbformat.read(tmp_path / "kept.ipynb", as_version=4)
    assert kept.cells[1].outputs[0]["text"] == "0\n"
    state = kept.metadata["widgets"]["application/vnd.jupyter.widget-state+json"]["state"]
    outputs = [model["state"]["outputs"] for model in state.values() if model["model_name"] == "OutputModel"]
    assert outputs == [[{"name": "stdout", "output_type": "stream", "text": "inside the widget\n"}]]


def test_slides_execute_the_notebook_with_this_runner_and_write_the_deck_beside_it(tmp_path, capsys):
    from classroom.__main__ import main
    lecture = {"tags": ["lecture"], "slideshow": {"slide_type": "slide"}}
    nb = new_notebook(cells=[new_markdown_cell("# Deck", metadata=lecture), new_code_cell("x = 6", metadata={}),
                             new_code_cell("print(x * 7)", metadata=lecture)])
    nbformat.write(nb, tmp_path / "deck.ipynb")
    before = (tmp_path / "deck.ipynb").read_bytes()
    assert main(["slides", str(tmp_path / "deck.ipynb")]) == 0
    deck = (tmp_path / "deck.slides.html").read_text()
    assert "Reveal.initialize(" in deck and "42" in deck and "x = 6" not in deck  # ran all, shows the path
    assert (tmp_path / "deck.ipynb").read_bytes() == before  # the notebook is not written
    assert capsys.readouterr().out.strip() == f"wrote {tmp_path / 'deck.slides.html'}"


def test_slides_refuse_bad_input_in_one_line_and_write_nothing(tmp_path, capsys):
    from classroom.__main__ import main
    nbformat.write(new_notebook(cells=[new_code_cell("1 / 0", metadata={"tags": ["lecture"]})]), tmp_path / "fails.ipynb")
    nbformat.write(new_notebook(cells=[new_code_cell("1")]), tmp_path / "ok.ipynb")
    cases = [([str(tmp_path / "missing.ipynb")], "missing.ipynb: expected an existing .ipynb notebook"),
             ([str(tmp_path / "ok.ipynb"), "--out", str(tmp_path / "ok.ipynb")],
              "the deck is an .html file (a notebook there would be overwritten)"),
             ([str(tmp_path / "fails.ipynb")], "fails.ipynb failed, nothing written: ZeroDivisionError"),
             ([str(tmp_path / "data.ipynb")], "data.ipynb is not a Jupyter notebook"),
             ([str(tmp_path / "list.ipynb")], "list.ipynb is not a Jupyter notebook"),
             ([str(tmp_path / "ok.ipynb"), "--out", str(tmp_path / "ok.slides.html")], "no cell is tagged 'lecture'")]
    (tmp_path / "data.ipynb").write_text('{"a": 1}')  # JSON, but not a notebook: was a jsonschema traceback
    (tmp_path / "list.ipynb").write_text('[1, 2]')
    for argv, message in cases:
        assert main(["slides", *argv]) == 2
        err = capsys.readouterr().err.strip()
        assert "\n" not in err and message in err, err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data.ipynb", "fails.ipynb", "list.ipynb", "ok.ipynb"]
