"""Measure each notebook's Restart & Run All time: ``python -m tools time-notebooks [NOTEBOOK ...]``.

Every notebook runs in a fresh kernel, one after the other (two trainings at once on a small CPU slow each other
down), from the notebooks folder, as JupyterLab's "Restart Kernel and Run All Cells" would. It prints the seconds
per notebook, the slowest cell and the machine's load average, so MAINTAINING.md's table can say how its figures
were measured.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import nbformat
from nbclient.exceptions import CellExecutionError, CellTimeoutError

from classroom.notebook_client import CourseNotebookClient, existing_notebook

NOTEBOOKS_DIR = Path(__file__).resolve().parents[1] / "notebooks"


def notebook_paths(names: list[str] | None = None) -> list[Path]:
    """The notebooks to time: the given paths, or every ``*.ipynb`` in the course's notebooks folder."""
    if not names:
        paths = sorted(NOTEBOOKS_DIR.glob("*.ipynb"))
        if not paths:
            raise FileNotFoundError(f"no notebooks (*.ipynb) in {NOTEBOOKS_DIR}")
        return paths
    return [existing_notebook(name) for name in names]


def time_notebook(path: Path, timeout: float = 300, keep: Path | None = None, wall: float | None = None,
                  attempts: int = 1) -> dict:
    """Run one notebook top to bottom in a fresh kernel, from a fresh Python process (a second kernel client in one
    process has waited forever for an idle kernel's message).

    Returns its total and slowest-cell seconds and any error ("cell N: ..."). ``timeout`` bounds each cell;
    ``keep`` names a file for the executed notebook (outputs and widget state). A run still going after ``wall``
    seconds is stopped and, up to ``attempts`` runs in all, started again; ``stalls`` says, for each run stopped so,
    after how long and at which cell.
    """
    command = [sys.executable, "-m", "tools.nbtime", str(path), str(timeout)] + ([str(keep)] if keep else [])
    stalls: list[str] = []
    for _ in range(attempts):
        proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            stdout, stderr = proc.communicate(timeout=wall)
        except subprocess.TimeoutExpired:  # its kernel sees its parent gone and exits
            proc.kill()
            cells = [line for line in proc.communicate()[1].splitlines() if line.startswith("nbtime: cell ")]
            where = cells[-1].removeprefix("nbtime: ") if cells else "before its first cell"
            stalls.append(f"stopped after {wall:g} s, at {where}")
            continue
        lines = [line for line in stdout.splitlines() if line.startswith("{")]
        if proc.returncode != 0 or not lines:
            tail = (stderr.strip().splitlines() or ["no output"])[-1]
            return {**_failed(path), "stalls": stalls, "error": f"the runner failed: {tail}"}
        return {**json.loads(lines[-1]), "stalls": stalls}
    return {**_failed(path), "stalls": stalls, "error": f"no result after {wall:g} s, {attempts} time"
                                                        f"{'s' if attempts > 1 else ''}: the run stalled ({stalls[-1]})"}


def _failed(path: Path) -> dict:
    return {"notebook": Path(path).stem, "seconds": 0.0, "slowest_cell": -1, "slowest_seconds": 0.0}


def _time_notebook_here(path: Path, timeout: float, keep: Path | None = None) -> dict:
    """The measurement itself, in this process (see :func:`time_notebook`)."""
    nb = nbformat.read(path, as_version=4)
    # store_widget_state: without it nbclient's Output-widget stand-in raises KeyError on the first captured output
    client = CourseNotebookClient(nb, timeout=timeout, kernel_name="python3", store_widget_state=True,
                                  resources={"metadata": {"path": str(path.parent)}})
    cells: list[tuple[float, int]] = []
    error = None
    start = time.perf_counter()
    with client.setup_kernel():
        for index, cell in enumerate(nb.cells):
            if cell.cell_type != "code":
                continue
            print(f"nbtime: cell {index} ({time.perf_counter() - start:.0f} s in)", file=sys.stderr, flush=True)
            t = time.perf_counter()
            try:
                client.execute_cell(cell, index)
            except CellTimeoutError:
                error = f"cell {index}: still running after {timeout:g} s (the per-cell --timeout)"
            except CellExecutionError as err:
                error = f"cell {index}: {str(err).strip().splitlines()[-1]}"
            except Exception as err:  # a dead kernel
                error = f"cell {index}: {type(err).__name__}: {str(err).strip()[:200]}"
            if error:
                break
            cells.append((time.perf_counter() - t, index))
        if keep is not None and error is None:
            client.set_widgets_metadata()  # ipywidgets' saved state: the widgets as they were
    if keep is not None and error is None:
        nbformat.write(nb, keep)
    slowest = max(cells, default=(0.0, -1))
    return {"notebook": path.stem, "seconds": time.perf_counter() - start, "slowest_cell": slowest[1],
            "slowest_seconds": slowest[0], "error": error}


def run_timing(names: list[str] | None = None, timeout: float = 300) -> int:
    """Time the notebooks one by one and print a table; exit code 1 if any notebook failed."""
    paths = notebook_paths(names)
    print(f"{os.cpu_count()} CPUs, load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    failed = 0
    for path in paths:
        r = time_notebook(path, timeout)
        status = f"ERROR {r['error']}" if r["error"] else "ok"
        print(f"{r['notebook']:<40s} {r['seconds']:6.1f} s  (slowest: cell {r['slowest_cell']}, "
              f"{r['slowest_seconds']:.1f} s)  {status}", flush=True)
        failed += bool(r["error"])
    print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    return 1 if failed else 0


if __name__ == "__main__":  # python -m tools.nbtime NOTEBOOK TIMEOUT [KEEP]: one run, one JSON line
    print(json.dumps(_time_notebook_here(Path(sys.argv[1]), float(sys.argv[2]),
                                         Path(sys.argv[3]) if len(sys.argv) > 3 else None)))
