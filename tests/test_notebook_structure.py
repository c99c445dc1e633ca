"""How every notebook teaches (the course's conventions), checked cell by cell.

- The opening code cell is the same everywhere: imports, ``SEED``, ``seed_everything(SEED)``, ``device``.
- At least two ``predict`` cells ask the student to commit to an outcome before an experiment.
- Answers sit in ``answer`` cells, inside ``<details>``; nothing else hides an answer. An exercise's deeper
  hint may sit in a ``<details>`` block too, in any cell, when its summary says ``Hint``: a hint stays in the
  student edition, an answer does not.
- Maintainer material (seed tables, pre-training, thread settings, test files) sits in ``instructor`` cells,
  which close the notebook: from the first one on, every cell is one.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import nbformat
import pytest

NOTEBOOKS = sorted((Path(__file__).resolve().parents[1] / "notebooks").glob("*.ipynb"))
HINT_DETAILS = re.compile(r"<details>\s*<summary>\s*Hint\b")
OPENING_LINE = re.compile(r"^(%matplotlib inline|import \S+( as \S+)?|from \S+ import .+|\)|\s+.+,?|SEED = \d+|"
                          r"seed_everything\(SEED\);?|device = get_device\(\))$")
MAINTAINER_WORDS = ("tests/", "pytest", "GAN_COURSE_THREADS", "threads", "python -m gan_course train",
                    "checkpoints/")


def tags(cell) -> set[str]:
    return set(cell.get("metadata", {}).get("tags", []))


@pytest.fixture(params=NOTEBOOKS, ids=lambda p: p.stem[:2])
def nb(request):
    return nbformat.read(request.param, as_version=4)


def test_the_opening_cell_holds_imports_seed_and_device_and_nothing_else(nb):
    opening = next(c for c in nb.cells if c.cell_type == "code")
    lines = [line for line in opening.source.splitlines() if line.strip() and not line.strip().startswith("#")]
    assert [line for line in lines if not OPENING_LINE.match(line)] == []
    for needed in ("SEED = ", "seed_everything(SEED)", "device = get_device()"):
        assert needed in opening.source
    assert "hide-input" in tags(opening)


def test_at_least_two_predict_prompts_before_experiments(nb):
    prompts = [c for c in nb.cells if "predict" in tags(c)]
    assert len(prompts) >= 2
    assert all(c.cell_type == "markdown" for c in prompts)


def test_answers_are_in_answer_cells_inside_details(nb):
    for cell in nb.cells:
        if "answer" in tags(cell):
            assert cell.cell_type == "markdown" and "<details>" in cell.source
        elif "instructor" not in tags(cell):
            assert cell.source.count("<details>") == len(HINT_DETAILS.findall(cell.source)), cell.source[:200]
    assert any("answer" in tags(c) for c in nb.cells)


def test_instructor_cells_close_the_notebook(nb):
    marked = [i for i, c in enumerate(nb.cells) if "instructor" in tags(c)]
    assert marked, "a closing section tagged 'instructor' (robustness and pre-training)"
    assert marked == list(range(marked[0], len(nb.cells)))
    assert nb.cells[marked[0]].source.startswith("## For the instructor")


def test_the_lecture_flow_holds_no_maintainer_material(nb):
    for cell in nb.cells:
        if "instructor" in tags(cell):
            continue
        text = cell.source if cell.cell_type == "markdown" else "\n".join(
            line.split("#")[0] for line in cell.source.splitlines())  # code, without comments
        found = [w for w in MAINTAINER_WORDS if w in text and (cell.cell_type == "markdown" or w != "threads")]
        assert not found, f"{found} in: {cell.source[:200]}"
        assert "set_num_threads" not in cell.source and "cpu_threads" not in cell.source


MAX_CODE_LINES = 15  # a code cell a student reads in one glance
MAX_MARKDOWN_CALL_LINES = 5  # prose belongs in Markdown cells; a display(Markdown(...)) shows a figure or a table


def _lesson_or_exercise(source: str) -> bool:
    """A cell that only defines the lesson's function for the student to read, or holds an exercise's solution."""
    return "### BEGIN SOLUTION" in source or source.lstrip().startswith(("def ", "@"))


def test_code_cells_are_short_and_prose_is_not_built_in_code(nb):
    code = [c for c in nb.cells if c.cell_type == "code"]
    long_cells, long_calls = [], []
    for cell in code[1:]:  # the opening cell is a fixed block of imports
        lines = [line for line in cell.source.splitlines() if line.strip()]
        if len(lines) > MAX_CODE_LINES and not _lesson_or_exercise(cell.source):
            long_cells.append(f"{len(lines)} lines: {lines[0][:80]}")
        source = "\n".join(line for line in cell.source.splitlines() if not line.lstrip().startswith("%"))
        for node in ast.walk(ast.parse(source)):
            if (isinstance(node, ast.Call) and getattr(node.func, "id", None) == "display" and node.args
                    and getattr(getattr(node.args[0], "func", None), "id", None) == "Markdown"
                    and node.end_lineno - node.lineno + 1 > MAX_MARKDOWN_CALL_LINES):
                long_calls.append(f"{node.end_lineno - node.lineno + 1} lines: {ast.get_source_segment(source, node)[:80]}")
    assert long_cells == [] and long_calls == [], (long_cells, long_calls)
