"""The grader: a table for every notebook, full marks for the solution, zero for the untouched copy, each
planted mistake of the round named, and a table even for a notebook that raises, hangs or kills its kernel."""

import json
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook

from classroom.grading import TASKS, grade_notebook, run_grade, table
from classroom.student import make_student_version
from round_mistakes import MISTAKES, NB07, planted, round_cell

ROOT = Path(__file__).resolve().parents[1]
ROUND = "one training round"


def submission(path: Path, mistake: str | None = None) -> Path:
    """Notebook 07 as a student hands it in with the solutions written (and ``mistake`` planted in the round)."""
    nb = nbformat.read(NB07, as_version=4)
    nb.cells = [c for c in nb.cells if not set(c.metadata.get("tags", [])) & {"answer", "instructor"}]
    for cell in nb.cells:
        if cell.cell_type == "code":
            kept, hidden = [], False
            for line in cell.source.splitlines():
                hidden = (hidden or line.strip() == "### BEGIN HIDDEN TESTS") and line.strip() != "### END HIDDEN TESTS"
                if not hidden and not line.strip().startswith("###"):
                    kept.append(line)
            cell.source = "\n".join(kept)
    if mistake:
        cell = round_cell(nb)
        cell.source = planted(mistake, cell.source)
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, path)
    return path


def graded(path: Path, **kwargs) -> dict:
    results, problem, _ = grade_notebook(path, **kwargs)
    return {"rows": {r.task: r for r in results}, "problem": problem, "score": sum(r.points for r in results)}


def notebook(path: Path, *sources: str) -> Path:
    nbformat.write(new_notebook(cells=[new_code_cell(s) for s in sources]), path)
    return path


# --- the three kinds of submission the issue names ---------------------------------------------------

def test_the_reference_solution_gets_full_marks_and_exit_0(tmp_path, capsys):
    out = tmp_path / "grade.json"
    assert run_grade(submission(tmp_path / "07.ipynb"), out) == 0
    printed = capsys.readouterr().out
    assert any(line.startswith("total") and line.split()[1] == "10/10" for line in printed.splitlines()), printed
    record = json.loads(out.read_text())
    assert record["score"] == record["max_score"] == 10 and all(t["passed"] for t in record["tasks"])
    assert record["notebook_problem"] is None


def test_the_untouched_student_copy_scores_zero_with_not_implemented_on_each_task(tmp_path):
    copy = make_student_version(NB07, tmp_path / "student")
    result = graded(copy)
    assert result["score"] == 0
    assert [r.message.startswith("not implemented yet") for r in result["rows"].values()] == [True] * len(TASKS)


@pytest.mark.parametrize("mistake", list(MISTAKES))
def test_each_planted_mistake_in_the_round_is_flagged_with_its_own_message(tmp_path, mistake):
    result = graded(submission(tmp_path / "07.ipynb", mistake))
    rows = result["rows"]
    assert not rows[ROUND].passed and rows[ROUND].points == 0
    assert MISTAKES[mistake][2] in rows[ROUND].message, rows[ROUND].message
    assert all(r.passed for task, r in rows.items() if task != ROUND)
    assert result["score"] == 10 - 4


# --- a table whatever the notebook does ---------------------------------------------------------------

def test_a_notebook_that_raises_still_gets_a_table_with_the_reason(tmp_path):
    path = notebook(tmp_path / "raises.ipynb", "import torch\ndef d_objective_prob(r, f):\n"
                    "    return torch.log(r).mean() + torch.log(1 - f).mean()", "1 / 0")
    result = graded(path)
    assert result["rows"]["f_acc on probabilities"].passed
    assert result["problem"] == "cell 2 raised ZeroDivisionError: division by zero"
    assert "not defined: the notebook never defined train_round (cell 2 raised" in result["rows"][ROUND].message


def test_a_notebook_that_hangs_is_interrupted_and_still_graded(tmp_path):
    path = notebook(tmp_path / "hangs.ipynb", "x = 1", "while True:\n    pass",
                    "def train_round(*args):\n    pass")
    result = graded(path, timeout=20)
    assert result["problem"] == "cell 2 was still running at the time limit and was interrupted"
    assert result["score"] == 0 and "never defined train_round" in result["rows"][ROUND].message


def test_a_checker_that_never_returns_is_stopped_and_scored_zero(tmp_path):
    path = notebook(tmp_path / "loops.ipynb", "def train_round(*args):\n    while True:\n        pass")
    result = graded(path, task_seconds=10)
    assert result["rows"][ROUND].message == "the checker timed out after 10 s: train_round never returned"
    assert result["rows"]["f_acc on logits"].message.startswith("not defined")


def test_a_notebook_that_kills_its_kernel_still_gets_a_table(tmp_path):
    result = graded(notebook(tmp_path / "dies.ipynb", "import os\nos._exit(1)"))
    assert result["score"] == 0 and result["problem"] == "the notebook's kernel died"
    assert all(r.message == "not checked: the notebook's kernel died" for r in result["rows"].values())


def test_the_table_has_a_row_per_task_and_the_total():
    results, problem, seconds = grade_notebook(Path("/nonexistent.ipynb"))
    text = table(results, "x.ipynb", problem, seconds)
    assert [line.split("  ")[0] for line in text.splitlines()[2:2 + len(TASKS)]] == [t.name for t in TASKS]
    assert "total" in text and "note: the grader could not run the notebook" in text


# --- the command line ---------------------------------------------------------------------------------

def grade_command(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "classroom", "grade", *args], capture_output=True, text=True,
                          cwd=ROOT, timeout=600)


def test_the_command_writes_the_json_and_exits_1_when_a_task_fails(tmp_path):
    copy = make_student_version(NB07, tmp_path / "student")
    done = grade_command(str(copy), "--json", str(tmp_path / "grade.json"))
    assert done.returncode == 1, done.stderr
    assert "one training round" in done.stdout and "total" in done.stdout
    record = json.loads((tmp_path / "grade.json").read_text())
    assert [t["task"] for t in record["tasks"]] == [t.name for t in TASKS] and record["score"] == 0


@pytest.mark.parametrize("make, words", [
    (lambda p: p / "missing.ipynb", "not found: "),
    (lambda p: (p / "notes.ipynb").write_text("no json") and p / "notes.ipynb", "not a notebook: "),
], ids=["missing", "not_a_notebook"])
def test_bad_input_is_one_line_naming_it_and_exit_2(tmp_path, make, words):
    path = make(tmp_path)
    done = grade_command(str(path))
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.count("\n") == 1 and done.stderr.startswith("python -m classroom grade: error: " + words)
    assert str(path) in done.stderr
