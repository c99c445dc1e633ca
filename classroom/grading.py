"""Grade a completed exercise: ``python -m classroom grade NOTEBOOK [--json FILE] [--timeout SECONDS]``.

The grader runs the student's notebook top to bottom in a fresh kernel, offline (``GAN_COURSE_OFFLINE=1``),
from the notebook's folder, under a time limit; a cell that raises does not stop the run (as in nbgrader's
autograding), a cell past the time limit is interrupted and the rest is skipped. Then, in the same kernel,
it calls every checker on the function the student wrote (:data:`TASKS`), each under its own time limit,
and prints one row per task: points, passed or failed, and the checker's message. Whatever the notebook
does (raise, hang, kill its kernel), the grader still prints the table: a task it could not check scores 0,
with the reason. Exit code: 0 when every task passed, 1 otherwise (2 for bad input, from the command line).

The checkers run inside the student's kernel, on the student's objects: the grade is feedback for honest
work, not a guard against a notebook written to fool it.
"""

from __future__ import annotations

import json
import os
import subprocess
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import nbformat
from nbclient.exceptions import DeadKernelError
from nbformat.v4 import new_code_cell

from gan_course.lessons.nb07_exercise import exercises, round_exercise
from classroom.notebook_client import CourseNotebookClient

MARKER = "GAN_COURSE_GRADE "  # the line a grading cell prints, followed by JSON
TASK_SECONDS = 60  # each checker's own time limit
SETUP_SECONDS = 120  # importing the checkers into the student's kernel (torch, on a busy machine)
CHECKOUT = Path(__file__).resolve().parents[1]  # classroom/ is not installed: the kernel finds it here
SETUP = f"import sys; sys.path.insert(0, {str(CHECKOUT)!r}); from classroom.grading import grade_in_kernel as _gan_course_grade"


@dataclass(frozen=True)
class Task:
    """One graded function: what the table calls it, its points, and the name the notebook defines."""

    name: str
    points: int
    function: str


TASKS = (
    Task("f_acc on probabilities", 1, "d_objective_prob"),
    Task("saturating loss on probabilities", 1, "g_loss_saturating_prob"),
    Task("non-saturating loss on probabilities", 1, "g_loss_non_saturating_prob"),
    Task("f_acc on logits", 1, "d_objective"),
    Task("saturating loss on logits", 1, "g_loss_saturating"),
    Task("non-saturating loss on logits", 1, "g_loss_non_saturating"),
    Task("one training round", 4, "train_round"),
)


@dataclass
class Result:
    """One row of the table."""

    task: str
    function: str
    points: int
    max_points: int
    passed: bool
    message: str


# --- inside the student's kernel ---------------------------------------------------------------------

def verdict_for(function: str, fn: object) -> tuple[bool, str]:
    """(passed, the checker's line) for the student's ``fn`` defined as ``function``."""
    if function == "train_round":
        return round_exercise.verdict(fn)
    name, inputs = (function[: -len("_prob")], "probs") if function.endswith("_prob") else (function, "logits")
    return exercises.verdict(name, fn, inputs)


def grade_in_kernel(function: str, namespace: dict) -> None:
    """Print :data:`MARKER` and the JSON verdict on ``namespace[function]`` (a grading cell calls this)."""
    if function not in namespace:
        passed, line = False, f"✗ not defined: the notebook never defined {function}"
    else:
        passed, line = verdict_for(function, namespace[function])
    print(MARKER + json.dumps({"passed": passed, "message": line.lstrip("✓✗ ")}), flush=True)


# --- running the notebook --------------------------------------------------------------------------

def _error_of(cell) -> str | None:
    for out in cell.get("outputs", []):
        if out.get("output_type") == "error":
            return f"{out.get('ename', 'Error')}: {str(out.get('evalue', '')).splitlines()[0] if out.get('evalue') else ''}"
    return None


def _run_cell(client: CourseNotebookClient, cell, index: int, seconds: float) -> tuple[str | None, bool]:
    """Execute one cell within ``seconds``; (its error, whether it ran out of time)."""
    client.timeout = max(1, int(seconds))
    start = time.monotonic()
    client.execute_cell(cell, index)
    timed_out = time.monotonic() - start >= client.timeout
    return _error_of(cell), timed_out


def _run_notebook(client: CourseNotebookClient, nb, deadline: float) -> str | None:
    """Run every code cell until ``deadline``; the first problem met, as a sentence (cells counted from 1)."""
    problem = None
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        left = deadline - time.monotonic()
        if left < 1:
            return problem or f"the notebook did not finish within the time limit (stopped before cell {index + 1})"
        error, timed_out = _run_cell(client, cell, index, left)
        if timed_out:
            return f"cell {index + 1} was still running at the time limit and was interrupted"
        if error and problem is None:
            problem = f"cell {index + 1} raised {error}"
    return problem


def _grade_task(client: CourseNotebookClient, nb, task: Task, problem: str | None, seconds: float) -> Result:
    cell = new_code_cell(f"_gan_course_grade({task.function!r}, globals())")
    nb.cells.append(cell)  # the client's own copy of the notebook; the student's file is never written
    error, timed_out = _run_cell(client, cell, len(nb.cells) - 1, seconds)
    text = "".join(o.get("text", "") for o in cell.outputs if o.get("output_type") == "stream")
    lines = [line[len(MARKER):] for line in text.splitlines() if line.startswith(MARKER)]
    if lines:
        verdict = json.loads(lines[-1])
        passed, message = bool(verdict["passed"]), verdict["message"]
        if not passed and problem and message.startswith("not defined"):
            message += f" ({problem})"
    elif timed_out:
        passed, message = False, f"the checker timed out after {seconds:g} s: {task.function} never returned"
    else:
        passed, message = False, f"the checker could not run: {error or 'no verdict printed'}"
    return Result(task.name, task.function, task.points if passed else 0, task.points, passed, message)


def _unchecked(reason: str) -> list[Result]:
    return [Result(t.name, t.function, 0, t.points, False, f"not checked: {reason}") for t in TASKS]


def grade_notebook(path: Path, timeout: float = 600.0, task_seconds: float = TASK_SECONDS
                   ) -> tuple[list[Result], str | None, float]:
    """Run and grade the notebook at ``path``: (one Result per task, the notebook's first problem, seconds).

    ``timeout`` bounds the notebook's own cells, ``task_seconds`` each checker.
    """
    start = time.monotonic()
    try:
        nb = nbformat.read(path, as_version=4)
        client = CourseNotebookClient(nb, kernel_name="python3", allow_errors=True, interrupt_on_timeout=True,
                                resources={"metadata": {"path": str(Path(path).resolve().parent)}})
        env = {**os.environ, "GAN_COURSE_OFFLINE": "1"}
        with client.setup_kernel(env=env, stderr=subprocess.DEVNULL):  # the kernel's own log lines stay out of the table
            try:
                problem = _run_notebook(client, nb, start + timeout)
            except DeadKernelError:
                problem = "the notebook's kernel died"
                return _unchecked(problem), problem, time.monotonic() - start
            try:
                setup = new_code_cell(SETUP)
                nb.cells.append(setup)
                error, timed_out = _run_cell(client, setup, len(nb.cells) - 1, SETUP_SECONDS)
                if error or timed_out:
                    reason = f"the checkers could not be loaded: {'timed out' if timed_out else error}"
                    return _unchecked(reason), problem, time.monotonic() - start
                return [_grade_task(client, nb, task, problem, task_seconds) for task in TASKS], problem, time.monotonic() - start
            except DeadKernelError:
                problem = "the kernel died while a checker ran"
                return _unchecked(problem), problem, time.monotonic() - start
    except Exception as err:  # noqa: BLE001 -- the grader always prints a table
        problem = f"the grader could not run the notebook: {type(err).__name__}: {str(err).strip()[:200]}"
        return _unchecked(problem), problem, time.monotonic() - start


# --- the table -----------------------------------------------------------------------------------

def table(results: list[Result], notebook: str, problem: str | None, seconds: float) -> str:
    """The printed table: one row per task, then the total and what went wrong running the notebook."""
    width = max(len(r.task) for r in results)
    rows = [f"grading {notebook} (ran in {seconds:.0f} s)", f"{'task':<{width}}  points  result  message"]
    rows += [f"{r.task:<{width}}  {r.points:>2}/{r.max_points:<3}  {'passed' if r.passed else 'FAILED'}  {r.message}"
             for r in results]
    rows.append(f"{'total':<{width}}  {sum(r.points for r in results):>2}/{sum(r.max_points for r in results):<3}")
    if problem:
        rows.append(f"note: {problem}")
    return "\n".join(rows)


def as_json(results: list[Result], notebook: str, problem: str | None, seconds: float) -> dict:
    """The table as a JSON-ready dict."""
    return {"notebook": notebook, "seconds": round(seconds, 1), "notebook_problem": problem,
            "score": sum(r.points for r in results), "max_score": sum(r.max_points for r in results),
            "tasks": [asdict(r) for r in results]}


def _check_input(path: Path, json_out: Path | None, timeout: float) -> None:
    if not path.is_file():
        raise FileNotFoundError(f"not found: {path}" if not path.exists() else f"not a notebook: {path} is a folder")
    try:
        nbformat.validate(nbformat.read(path, as_version=4))
    except Exception as err:  # noqa: BLE001 -- any unreadable file gets the same one line
        raise ValueError(f"not a notebook: {path} ({(str(err).strip().splitlines() or [type(err).__name__])[0]})") from None
    if json_out is not None and json_out.is_dir():
        raise ValueError(f"--json {json_out} is a folder; give a file name like grade.json")
    if not 1 <= timeout <= 24 * 3600:
        raise ValueError(f"--timeout must be from 1 to 86,400 seconds, got {timeout:g}")


def run_grade(path: Path, json_out: Path | None = None, timeout: float = 600.0) -> int:
    """The ``grade`` command: print the table (and write it as JSON); 0 if every task passed, else 1."""
    path = Path(path)
    _check_input(path, json_out, timeout)
    results, problem, seconds = grade_notebook(path, timeout)
    print(table(results, path.name, problem, seconds))
    if json_out is not None:
        json_out.parent.mkdir(parents=True, exist_ok=True)
        tmp = json_out.with_name(json_out.name + ".partial")
        tmp.write_text(json.dumps(as_json(results, path.name, problem, seconds), indent=1) + "\n")
        tmp.replace(json_out)
    return 0 if all(r.passed for r in results) else 1
