"""The notebook runner every headless run of the course uses (timing, the site, grading, slides): nbclient's
:class:`~nbclient.NotebookClient`, except that its stand-in for the Output widget never writes to the kernel.

nbclient mimics a browser's Output widget: each output a cell sends into an ``ipywidgets.Output`` is kept in the
notebook's widget state (what the site draws) and also sent back to the kernel, as a ``comm_msg`` on the shell
socket (``OutputWidget.sync_state``), while the client awaits that cell's ``execute_reply`` on the same socket.
That send can swallow the socket's wake-up for a reply that has just arrived (pyzmq's sockets signal edges):
the reply then sits unread, and the run waits for the cell's timeout.

Measured: notebook 02 run 32 times through ``python -m tools.nbtime`` beside a training on the
other core stalled 7 times, always at its first Output-widget cell (29). In the 3 stalls whose sockets were read,
cell 29's ``execute_reply`` sat unread in the client's shell socket, and the kernel had answered
the client's ``comm_msg`` (``echo_update`` on iopub). With ipykernel 6.31 instead of 7.4 it stalled too (1 of 3
runs). Without the write-back: no stall in 27 runs, 20 of them beside a training.

The kernel's copy of an Output widget's ``outputs`` then stays empty, as under nbval (which runs the tests and
mimics no widget); no notebook or check reads it.
"""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import nbformat
from nbclient import NotebookClient
from nbclient.output_widget import OutputWidget

from gan_course.outdir import check_out_file, write_atomic


class _OutputWidgetKeptHere(OutputWidget):
    """nbclient's Output widget stand-in without the write-back to the kernel (see the module's docstring)."""

    def sync_state(self) -> None:
        """Keep the outputs in the notebook's widget state only; send nothing on the shell socket."""


class CourseNotebookClient(NotebookClient):
    """:class:`~nbclient.NotebookClient` whose Output widget stand-in does not write to the kernel."""

    def __init__(self, nb, km=None, **kw: Any) -> None:
        super().__init__(nb, km, **kw)
        self.widget_registry: dict[str, dict[str, Any]] = {  # nbclient's, with the Output model replaced
            **self.widget_registry, "@jupyter-widgets/output": {"OutputModel": _OutputWidgetKeptHere}}


def existing_notebook(name: Path | str) -> Path:
    """``name`` as a path, if it is an existing ``.ipynb`` file; else a FileNotFoundError that names it."""
    path = Path(name)
    if path.suffix != ".ipynb" or not path.is_file():
        raise FileNotFoundError(f"{path}: expected an existing .ipynb notebook")
    return path


def write_slides(notebook: Path | str, out: Path | str | None = None, timeout: float = 600) -> Path:
    """Execute ``notebook`` with :class:`CourseNotebookClient` (from its folder, in a fresh kernel) and write its
    lecture path's offline reveal.js deck (:mod:`classroom.slides`) to ``out`` (default: beside it,
    ``NAME.slides.html``, as ``jupyter nbconvert --to slides`` names it). The notebook itself is not written.
    ``python -m classroom slides NOTEBOOK``."""
    from nbclient.exceptions import CellExecutionError

    from classroom.slides import deck_html, lecture_path

    path = existing_notebook(notebook)
    out = Path(out) if out is not None else path.with_name(f"{path.stem}.slides.html")
    if out.suffix != ".html":
        raise ValueError(f"--out {out}: the deck is an .html file (a notebook there would be overwritten)")
    check_out_file(out, ".html")
    if out.exists() and not out.name.endswith(".slides.html"):
        raise ValueError(f"--out {out} already exists and is not a deck (NAME.slides.html); give a new file name")
    try:
        nb = nbformat.read(path, as_version=4)
        nbformat.validate(nb)
    except Exception as err:  # noqa: BLE001  not JSON, or JSON of another shape: nbformat raises many kinds
        first = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        raise ValueError(f"{path} is not a Jupyter notebook ({first[:120]}); nothing written") from None
    lecture_path(nb)  # a notebook without a lecture path is refused before it runs
    client = CourseNotebookClient(nb, timeout=timeout, kernel_name="python3", store_widget_state=True,
                                  resources={"metadata": {"path": str(path.resolve().parent)}})
    try:
        client.execute(stderr=subprocess.DEVNULL)  # the kernel's own log lines stay out of the terminal
    except CellExecutionError as err:
        raise ValueError(f"{path.name} failed, nothing written: {err.ename}: {err.evalue}") from None
    write_atomic(out, deck_html(nb))
    return out
