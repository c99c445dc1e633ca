"""nbval's execution of each notebook, kept for the site's build: a test run executes each notebook once
fewer.

nbval runs a notebook's code cells one by one in one fresh kernel (here with the history a frontend keeps, see
:func:`install`), and reads every message the kernel publishes
through ``IPyNbFile.get_kernel_message``. Fed those messages, nbclient's own handler
(:meth:`~nbclient.NotebookClient.process_message`, in the course's :class:`CourseNotebookClient`) builds the
executed notebook as the site's own run would: each cell's outputs, and the widgets' saved state with what
each ``ipywidgets.Output`` captured. When every cell of a notebook has passed, that copy goes into the site's
cache under the notebook's key (:func:`tools.site.store_executed`), and the site's build, later in the
run, takes it from there instead of executing the notebook again.

Anything unexpected (a cell that failed or was skipped, a message nbclient cannot read, an nbval whose internals
moved) keeps nothing: the site then executes that notebook itself, as it would without this module. Nothing here can
fail a test; ``tests/test_site.py`` checks that the copy is kept and equals the site's own execution.
"""

from __future__ import annotations

import copy
import warnings
from pathlib import Path

import nbformat
from nbclient.exceptions import CellExecutionComplete

from classroom.notebook_client import CourseNotebookClient
from tools import site


class _Recorder:
    """The executed copy of one notebook, built from the messages nbval reads while it runs the cells."""

    def __init__(self, nb: nbformat.NotebookNode, path: Path):
        self.nb = copy.deepcopy(nb)  # nbval's parsed notebook; each cell's outputs are replaced as it passes
        self.cached = site.cache_path(path)  # the key of the notebook nbval is about to run
        self.client = CourseNotebookClient(self.nb, store_widget_state=True, record_timing=False)
        self.code_cells = [i for i, c in enumerate(self.nb.cells) if c.cell_type == "code"]
        self.passed = 0  # code cells given to nbclient, in order
        self.messages: list[dict] = []
        self.broken = False

    def cell_passed(self, number: int) -> None:
        """nbval's cell ``number`` (counting code cells) ran without error: give its messages to nbclient."""
        index = self.code_cells[number]
        request = next((m["parent_header"]["msg_id"] for m in self.messages if m["msg_type"] == "execute_input"),
                       None)
        if request is None or number != self.passed:
            raise RuntimeError(f"cell {number}: {'no execute_input seen' if request is None else 'out of order'}")
        cell = self.nb.cells[index]
        cell.outputs, self.client.clear_before_next_output = [], False  # as nbclient's execute_cell begins
        for msg in self.messages:
            if msg["parent_header"].get("msg_id") != request:
                continue
            try:
                self.client.process_message(msg, cell, index)
            except CellExecutionComplete:
                break
        self.passed += 1
        self.messages = []

    def keep(self) -> bool:
        """Store the copy when every code cell passed; True if stored."""
        if self.broken or self.passed != len(self.code_cells):
            return False
        self.client.set_widgets_metadata()
        site.store_executed(self.nb, self.cached)
        return True


def _not_kept(name: str, err: Exception) -> None:
    warnings.warn(f"{name}: nbval's run is not kept for the site ({type(err).__name__}: {err})")


def install() -> None:
    """Wrap nbval's kernel, collector and cell items (once per process) so that each notebook it runs is kept in the
    site's cache."""
    from nbval.kernel import RunningKernel
    from nbval.plugin import IPyNbCell, IPyNbFile

    if getattr(IPyNbFile, "_gan_course_keeps", False):
        return
    IPyNbFile._gan_course_keeps = True

    def execute_as_a_frontend_does(self, cell_input, allow_stdin=None):
        # nbval sends each cell with store_history=False, which no notebook frontend does: IPython then numbers no
        # cell, and reads a trailing ';' on the last *stored* input, so a figure's repr printed under
        # `plot(...);`. JupyterLab stores history; so do the tests.
        return self.kc.execute(cell_input, store_history=True, allow_stdin=allow_stdin, stop_on_error=False)

    RunningKernel.execute_cell_input = execute_as_a_frontend_does
    get_message, runtest, teardown = IPyNbFile.get_kernel_message, IPyNbCell.runtest, IPyNbFile.teardown

    def recorder(file) -> _Recorder | None:
        path = Path(str(file.fspath)).resolve()
        if "_gan_course_recorder" not in file.__dict__:
            try:
                file._gan_course_recorder = _Recorder(file.nb, path)
            except Exception as err:  # noqa: BLE001 - keeping a copy is an optimisation, never a failure
                _not_kept(path.name, err)
                file._gan_course_recorder = None
        return file._gan_course_recorder

    def get_kernel_message(self, timeout=None, stream="iopub"):
        msg = get_message(self, timeout=timeout, stream=stream)
        kept = self.__dict__.get("_gan_course_recorder")
        if kept is not None and stream == "iopub":
            kept.messages.append(msg)
        return msg

    def run_and_keep(self):
        kept = recorder(self.parent)
        if kept is not None:
            kept.messages = []
        try:
            runtest(self)
        except BaseException:
            if kept is not None:
                kept.broken = True
            raise
        if kept is not None and not kept.broken:
            try:
                kept.cell_passed(self.cell_num)
            except Exception as err:  # noqa: BLE001
                kept.broken = True
                _not_kept(self.parent.fspath.basename, err)

    def teardown_and_keep(self):
        kept = self.__dict__.get("_gan_course_recorder")
        try:
            if kept is not None:
                kept.keep()
        except Exception as err:  # noqa: BLE001
            _not_kept(self.fspath.basename, err)
        finally:
            teardown(self)

    IPyNbFile.get_kernel_message, IPyNbCell.runtest, IPyNbFile.teardown = (get_kernel_message, run_and_keep,
                                                                          teardown_and_keep)

