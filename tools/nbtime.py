"""Measure each notebook's Restart & Run All time: ``python -m tools time-notebooks [NOTEBOOK ...]``.

Every notebook runs in a fresh kernel, one after the other (never two at once: two trainings on a
small CPU slow each other down), from the notebooks directory, exactly as JupyterLab's "Restart
Kernel and Run All Cells" would. It prints the seconds per notebook, the slowest cell and the
machine's load average, so the README's table can say how its figures were measured.
"""

from __future__ import annotations

import asyncio
import datetime
import json
import logging
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import zmq
from nbclient.exceptions import CellExecutionError

from classroom.notebook_client import CourseNotebookClient, existing_notebook

NOTEBOOKS_DIR = Path(__file__).resolve().parents[1] / "notebooks"


def notebook_paths(names: list[str] | None = None) -> list[Path]:
    """The notebooks to time: the given paths, or every ``*.ipynb`` in the course's notebooks directory."""
    if not names:
        paths = sorted(NOTEBOOKS_DIR.glob("*.ipynb"))
        if not paths:
            raise FileNotFoundError(f"no notebooks (*.ipynb) in {NOTEBOOKS_DIR}")
        return paths
    return [existing_notebook(name) for name in names]


def time_notebook(path: Path, timeout: float = 300, keep: Path | None = None, wall: float | None = None,
                  attempts: int = 1) -> dict:
    """Run one notebook top to bottom in a fresh kernel, from a fresh Python process.

    Returns its total and slowest-cell seconds and any error ("cell N: Error: message"). ``keep`` names a
    file for the executed notebook, with its outputs and its widgets' state. ``timeout`` bounds each cell.

    One process per notebook: a second kernel client in the same process sometimes waited forever for a message
    from an idle kernel. Runs in fresh processes stalled too, at notebook 02's first Output widget, with the
    cell's reply unread in the client's socket: nbclient's write-back of widget outputs to the kernel, which
    :mod:`classroom.notebook_client` leaves out. ``wall`` still bounds the whole run: a runner still going after
    ``wall`` seconds is stopped (its kernel exits with it) and, up to ``attempts`` runs in all, started again;
    ``stalls`` gives, for each run stopped so, the last step its runner had reached ("nbtime: cell 12 sent",
    ...), whether the kernel had begun that cell (its execution count), the messages left unread in the client's
    sockets, and what the client was awaiting.
    """
    command = [sys.executable, "-m", "tools.nbtime", str(path), str(timeout)] + ([str(keep)] if keep else [])
    failed = {"notebook": Path(path).stem, "seconds": 0.0, "slowest_cell": -1, "slowest_seconds": 0.0}
    stalls: list[str] = []
    for _ in range(attempts):
        proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            stdout, stderr = proc.communicate(timeout=wall)
        except subprocess.TimeoutExpired:  # stalled: where it waits, then stop it (its kernel sees its parent gone, exits)
            stalls.append(_stop_stalled(proc))
            continue
        lines = [line for line in stdout.splitlines() if line.startswith("{")]
        if proc.returncode != 0 or not lines:
            tail = (stderr.strip().splitlines() or ["no output"])[-1]
            return {**failed, "stalls": stalls, "error": f"the runner failed: {tail}"}
        return {**json.loads(lines[-1]), "stalls": stalls}
    return {**failed, "stalls": stalls,
            "error": f"no result after {wall:g} s, {attempts} time{'s' if attempts > 1 else ''} (the runner stalled)"}


def _stop_stalled(proc: subprocess.Popen) -> str:
    """Stop a stalled runner. Returns its last step and what it was waiting for ("nbtime: cell 12 sent at 30.1;
    cell 12 has 1 outputs, execution count 7; unread on shell: execute_reply ok (count 7, to execute_request);
    unread on iopub: nothing; waiting: NotebookClient._async_poll_for_reply at client.py:782; ..."): on SIGUSR1
    the runner writes the parts after its last step to stderr first (:func:`_report_stall`)."""
    if hasattr(signal, "SIGUSR1"):
        try:
            proc.send_signal(signal.SIGUSR1)
            proc.wait(timeout=2)  # it goes on waiting: the timeout is the normal way out
        except (OSError, subprocess.TimeoutExpired):
            pass
    proc.kill()
    _, stderr = proc.communicate()
    lines = stderr.splitlines()
    step = ([line for line in lines if line.startswith("nbtime: ")] or ["nbtime: -"])[-1]
    found = [line.removeprefix("nbtime-stall: ") for line in lines if line.startswith("nbtime-stall: ")]
    return "; ".join([step, *found])


_CURRENT: dict = {}  # the cell the runner is waiting on, for _report_stall


def _unread(kc, name: str) -> list[str]:
    """The messages waiting unread in the client's ``name`` socket, read now: "execute_reply ok (count 17, to
    execute_request)", ..."""
    found = []
    try:
        socket = zmq.Socket.shadow(getattr(kc, f"{name}_channel").socket.underlying)
        while socket.getsockopt(zmq.EVENTS) & zmq.POLLIN:
            msg = kc.session.deserialize(kc.session.feed_identities(socket.recv_multipart(zmq.NOBLOCK))[1])
            content = msg["content"]
            what = content.get("status") or content.get("execution_state") or content.get("data", {}).get("method")
            found.append(f"{msg['msg_type']} {what or ''} (count {content.get('execution_count')}, to "
                         f"{msg['parent_header'].get('msg_type')})")
    except Exception as err:  # a closed socket: say so, the report goes on
        found.append(f"unreadable ({type(err).__name__})")
    return found


def _report_stall(signum, frame) -> None:
    """SIGUSR1 in a runner: the cell it waits on (has the kernel answered with outputs, an execution count?), the
    messages its client has received but not read, and each of its client's tasks with the line it awaits at, on
    stderr as ``nbtime-stall: ...`` lines."""
    cell = _CURRENT.get("cell")
    if cell is not None:
        print(f"nbtime-stall: cell {_CURRENT['index']} has {len(cell.get('outputs', []))} outputs, execution count "
              f"{cell.get('execution_count')}", file=sys.stderr)
    client = _CURRENT.get("client")
    if client is not None and client.kc is not None:  # a reply that reached this process but woke nobody: read it
        for name in ("shell", "iopub"):
            print(f"nbtime-stall: unread on {name}: {', '.join(_unread(client.kc, name)) or 'nothing'}",
                  file=sys.stderr)
    try:
        tasks = asyncio.all_tasks()
    except RuntimeError:  # no loop running: the runner waits elsewhere
        tasks = set()
        print("nbtime-stall: no event loop running", file=sys.stderr)
    for task in tasks:
        frames = task.get_stack()
        where = f"{Path(frames[-1].f_code.co_filename).name}:{frames[-1].f_lineno}" if frames else "?"
        print(f"nbtime-stall: waiting: {task.get_coro().__qualname__} at {where}", file=sys.stderr)
    sys.stderr.flush()


def _time_notebook_here(path: Path, timeout: float, keep: Path | None = None) -> dict:
    """The measurement itself, in this process (see :func:`time_notebook`)."""
    nb = nbformat.read(path, as_version=4)
    # store_widget_state always: without it nbclient's Output-widget emulation looks up a widget state it never
    # stored and raises KeyError on the first output captured by an ipywidgets.Output (seen in notebook 06).
    client = CourseNotebookClient(nb, timeout=timeout, kernel_name="python3", store_widget_state=True,
                                  resources={"metadata": {"path": str(path.parent)}})
    warnings = _Warnings()
    client.log.addHandler(warnings)  # "Timeout waiting for IOPub output" and the like, kept for the report
    cells: list[tuple[float, int]] = []
    error = None
    start = time.perf_counter()
    _step("starting the kernel")
    with client.setup_kernel():
        for index, cell in enumerate(nb.cells):
            if cell.cell_type != "code":
                continue
            t = time.perf_counter()
            _step(f"cell {index} sent")
            _CURRENT.update(cell=cell, index=index, client=client)
            try:
                client.execute_cell(cell, index)
            except CellExecutionError as err:
                error = f"cell {index}: {str(err).strip().splitlines()[-1]}"
                break
            except Exception as err:  # a cell timeout, a dead kernel
                error = f"cell {index}: {type(err).__name__}: {str(err).strip()[:200]}"
                break
            cells.append((time.perf_counter() - t, index))
        if keep is not None and error is None:
            _step("saving the widgets' state")
            client.set_widgets_metadata()  # ipywidgets' saved state: the widgets as they were
        _step("shutting the kernel down")
    _step("done")
    total = time.perf_counter() - start
    if keep is not None and error is None:
        nbformat.write(nb, keep)
    slowest = max(cells, default=(0.0, -1))
    return {"notebook": path.stem, "seconds": total, "slowest_cell": slowest[1], "slowest_seconds": slowest[0],
            "slowest_kernel_seconds": kernel_seconds(nb.cells[slowest[1]]) if cells else None,
            "warnings": warnings.messages, "error": error}


def _step(what: str) -> None:
    """Where the runner is, on stderr: the last such line tells where a stalled run stopped."""
    print(f"nbtime: {what} at {time.perf_counter():.1f}", file=sys.stderr, flush=True)


class _Warnings(logging.Handler):
    """nbclient's warnings and errors while the notebook runs (one line each, in order)."""

    def __init__(self):
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage().strip().splitlines()[0][:200])


def kernel_seconds(cell) -> float | None:
    """How long the kernel itself took on an executed cell: from its ``execute_input`` to its ``execute_reply``
    (both stamped by the kernel). Much less than the cell's time on the clock means the client waited, not the
    kernel."""
    stamps = cell.get("metadata", {}).get("execution", {})
    try:
        start, end = (datetime.datetime.fromisoformat(stamps[k].replace("Z", "+00:00"))
                      for k in ("iopub.execute_input", "shell.execute_reply"))
    except (KeyError, ValueError, AttributeError):
        return None
    return (end - start).total_seconds()


def run_timing(names: list[str] | None = None, timeout: float = 300) -> int:
    """Time the notebooks one by one and print a table; exit code 1 if any notebook failed."""
    paths = notebook_paths(names)
    print(f"{os.cpu_count()} CPUs, load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    failed = 0
    for path in paths:
        r = time_notebook(path, timeout)
        status = f"ERROR {r['error']}" if r["error"] else "ok"
        kernel = r.get("slowest_kernel_seconds")
        waited = f", of which the kernel {kernel:.1f} s" if kernel is not None and r["slowest_seconds"] - kernel > 5 else ""
        print(f"{r['notebook']:<40s} {r['seconds']:6.1f} s  (slowest: cell {r['slowest_cell']}, "
              f"{r['slowest_seconds']:.1f} s{waited})  {status}", flush=True)
        for message in r.get("warnings", []):
            print(f"    nbclient: {message}", flush=True)
        failed += bool(r["error"])
    print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    return 1 if failed else 0


if __name__ == "__main__":  # python -m tools.nbtime NOTEBOOK TIMEOUT [KEEP]: one run, one JSON line
    if hasattr(signal, "SIGUSR1"):  # a stalled run is asked where it waits before it is stopped (_stop_stalled)
        signal.signal(signal.SIGUSR1, _report_stall)
    print(json.dumps(_time_notebook_here(Path(sys.argv[1]), float(sys.argv[2]),
                                         Path(sys.argv[3]) if len(sys.argv) > 3 else None)))
