"""The student version: solutions become `raise NotImplementedError(hint)`, and the notebook still runs."""

import json
import os
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from gan_course.student import BEGIN, END, GENERIC_HINT, StudentVersionError, main, make_student_version

ROOT = Path(__file__).resolve().parents[1]
NB07 = ROOT / "notebooks" / "07_exercise_original_vs_modified_loss.ipynb"
MARKERS = ("### BEGIN SOLUTION", "### END SOLUTION", "### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS")


def write_nb(path: Path, *cells) -> Path:
    nbformat.write(new_notebook(cells=list(cells)), path)
    return path


def code_sources(nb) -> list[str]:
    return [c.source for c in nb.cells if c.cell_type == "code"]


def student_of(tmp_path: Path, *cells) -> nbformat.NotebookNode:
    src = write_nb(tmp_path / "lesson.ipynb", *cells)
    return nbformat.read(make_student_version(src, tmp_path / "student"), as_version=4)


SOLVED = '''def loss(x):
    """Docstring stays."""
    ### BEGIN SOLUTION
    ### HINT: use F.logsigmoid
    y = x + 1
    return y.mean()
    ### END SOLUTION'''


# --- the transformation ---------------------------------------------------------------------

def test_a_solution_region_becomes_raise_with_its_hint_at_its_indentation(tmp_path):
    nb = student_of(tmp_path, new_code_cell(SOLVED))
    assert code_sources(nb) == ['def loss(x):\n    """Docstring stays."""\n    raise NotImplementedError("use F.logsigmoid")']


def test_a_region_without_a_hint_gets_the_generic_hint(tmp_path):
    nb = student_of(tmp_path, new_code_cell("def f():\n    ### BEGIN SOLUTION\n    return 1\n    ### END SOLUTION"))
    assert code_sources(nb) == [f'def f():\n    raise NotImplementedError("{GENERIC_HINT}")']


def test_a_hint_with_quotes_stays_valid_python(tmp_path):
    nb = student_of(tmp_path, new_code_cell('def f():\n    ### BEGIN SOLUTION\n    ### HINT: say "hi" \\o/\n'
                                            '    return 1\n    ### END SOLUTION'))
    namespace = {}
    exec(code_sources(nb)[0], namespace)
    with pytest.raises(NotImplementedError, match=r'say "hi" \\o/'):
        namespace["f"]()


def test_hidden_tests_are_removed(tmp_path):
    nb = student_of(tmp_path, new_code_cell(SOLVED),
                    new_code_cell("ok = check(loss)\n### BEGIN HIDDEN TESTS\nassert ok\n### END HIDDEN TESTS"))
    assert code_sources(nb)[1] == "ok = check(loss)"


def test_code_outside_regions_and_markdown_cells_are_kept(tmp_path):
    text = "# Title\nSolutions go between `### BEGIN SOLUTION` and `### END SOLUTION`."
    nb = student_of(tmp_path, new_markdown_cell(text), new_code_cell("x = 1\nprint(x)"), new_code_cell(SOLVED))
    assert nb.cells[0].source == text
    assert nb.cells[1].source == "x = 1\nprint(x)"


def test_outputs_and_execution_counts_are_cleared(tmp_path):
    cell = new_code_cell(SOLVED, execution_count=3, outputs=[new_output("stream", name="stdout", text="solved\n")])
    nb = student_of(tmp_path, cell)
    assert nb.cells[0].outputs == [] and nb.cells[0].execution_count is None


def test_the_instructor_notebook_is_left_unchanged(tmp_path):
    src = write_nb(tmp_path / "lesson.ipynb", new_code_cell(SOLVED))
    before = src.read_bytes()
    make_student_version(src, tmp_path / "student")
    assert src.read_bytes() == before


@pytest.mark.parametrize("source, message", [
    ("def f():\n    ### BEGIN SOLUTION\n    return 1", "'### BEGIN SOLUTION' is never closed"),
    ("def f():\n    return 1\n    ### END SOLUTION", "'### END SOLUTION' without a matching '### BEGIN SOLUTION'"),
    ("### BEGIN SOLUTION\n### BEGIN SOLUTION\n### END SOLUTION", "inside the region opened by"),
    ("### BEGIN SOLUTION\nx = 1\n### END HIDDEN TESTS", "'### END HIDDEN TESTS' without a matching"),
], ids=["begin_without_end", "end_without_begin", "nested_begin", "mismatched_end"])
def test_unbalanced_markers_name_the_cell_and_line(tmp_path, source, message):
    src = write_nb(tmp_path / "lesson.ipynb", new_markdown_cell("intro"), new_code_cell(source))
    with pytest.raises(StudentVersionError, match="lesson.ipynb, cell 2, line") as err:
        make_student_version(src, tmp_path / "student")
    assert message in str(err.value)


# --- the command's errors: one line on stderr, exit code 2 -------------------------------------

def one_line_error(capsys, argv: list[str]) -> str:
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("python -m gan_course student: error: "), err
    return err


def test_a_missing_notebook_is_one_line_and_exit_2(tmp_path, capsys):
    assert "notebook not found" in one_line_error(capsys, [str(tmp_path / "nope.ipynb"), "--out", str(tmp_path)])


def test_a_notebook_without_solutions_is_one_line_and_exit_2(tmp_path, capsys):
    src = write_nb(tmp_path / "plain.ipynb", new_code_cell("x = 1"))
    err = one_line_error(capsys, [str(src), "--out", str(tmp_path / "out")])
    assert "has no solution regions" in err and not (tmp_path / "out").exists()


def test_unbalanced_markers_are_one_line_and_exit_2(tmp_path, capsys):
    src = write_nb(tmp_path / "bad.ipynb", new_code_cell("### BEGIN SOLUTION\nx = 1"))
    assert "never closed" in one_line_error(capsys, [str(src), "--out", str(tmp_path / "out")])


def test_a_file_that_is_not_a_notebook_is_one_line_and_exit_2(tmp_path, capsys):
    (tmp_path / "notes.ipynb").write_text("not json")
    assert "cannot read" in one_line_error(capsys, [str(tmp_path / "notes.ipynb"), "--out", str(tmp_path / "o")])


def test_writing_over_the_instructor_notebook_is_refused(tmp_path, capsys):
    src = write_nb(tmp_path / "lesson.ipynb", new_code_cell(SOLVED))
    assert "would overwrite the instructor notebook" in one_line_error(capsys, [str(src), "--out", str(tmp_path)])


def test_a_missing_out_option_is_one_line_and_exit_2(tmp_path, capsys):
    src = write_nb(tmp_path / "lesson.ipynb", new_code_cell(SOLVED))
    assert "--out" in one_line_error(capsys, [str(src)])


def test_one_bad_notebook_means_none_is_written(tmp_path, capsys):
    good = write_nb(tmp_path / "good.ipynb", new_code_cell(SOLVED))
    one_line_error(capsys, [str(good), str(tmp_path / "missing.ipynb"), "--out", str(tmp_path / "out")])
    assert not (tmp_path / "out" / "good.ipynb").exists()


# --- notebook 07 ------------------------------------------------------------------------------

def solution_lines(nb) -> list[str]:
    """The code lines inside solution regions (not markers, not hints)."""
    lines, inside = [], False
    for source in code_sources(nb):
        for line in source.splitlines():
            if line.strip() in (BEGIN, END):
                inside = line.strip() == BEGIN
            elif inside and line.strip() and not line.strip().startswith("### HINT:"):
                lines.append(line.strip())
    return lines


@pytest.fixture(scope="module")
def student07(tmp_path_factory) -> Path:
    return make_student_version(NB07, tmp_path_factory.mktemp("student"))


@pytest.fixture(scope="module")
def executed07(student07, tmp_path_factory) -> nbformat.NotebookNode:
    nb = nbformat.read(student07, as_version=4)
    cwd = tmp_path_factory.mktemp("run")
    os.environ["GAN_COURSE_OFFLINE"] = "1"  # the kernel inherits it: the shipped digits, never the network
    NotebookClient(nb, timeout=300, kernel_name="python3", allow_errors=True,
                   resources={"metadata": {"path": str(cwd)}}).execute()
    return nb


def printed(cell) -> str:
    return "".join(o.get("text", "") for o in cell.outputs if o.output_type == "stream")


def test_notebook_07_has_solution_regions():
    assert len(solution_lines(nbformat.read(NB07, as_version=4))) >= 6


def test_no_solution_code_or_marker_remains_in_the_student_notebook_07(student07):
    student_code = "\n".join(code_sources(nbformat.read(student07, as_version=4)))
    leaked = [line for line in solution_lines(nbformat.read(NB07, as_version=4)) if line in student_code]
    assert leaked == []
    assert not any(marker in student_code for marker in MARKERS)


def test_every_solution_region_of_notebook_07_became_raise_not_implemented(student07):
    instructor = "\n".join(code_sources(nbformat.read(NB07, as_version=4)))
    student = "\n".join(code_sources(nbformat.read(student07, as_version=4)))
    assert student.count('raise NotImplementedError("') == instructor.count(BEGIN) >= 6
    assert "NotImplementedError" not in instructor.replace(BEGIN, "")


def test_the_command_writes_the_same_student_version(student07, tmp_path):
    done = subprocess.run([sys.executable, "-m", "gan_course", "student", str(NB07), "--out", str(tmp_path)],
                          capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert done.returncode == 0, done.stderr
    written = tmp_path / NB07.name
    assert f"wrote {written}" in done.stdout
    assert json.loads(written.read_text()) == json.loads(student07.read_text())


def test_the_student_notebook_07_runs_to_the_end_without_an_error(executed07):
    errors = [(i, o.ename, o.evalue) for i, c in enumerate(executed07.cells) if c.cell_type == "code"
              for o in c.outputs if o.output_type == "error"]
    assert errors == []


def test_the_checker_cells_of_the_student_notebook_07_say_not_implemented_yet(executed07):
    checks = [c for c in executed07.cells if c.cell_type == "code" and "check_" in c.source and "passed" in c.source]
    assert len(checks) == 2
    for cell in checks:
        assert printed(cell).count("✗ not implemented yet: ") == 3, printed(cell)


def test_the_student_notebook_07_skips_training_until_the_losses_are_implemented(executed07):
    (cell,) = [c for c in executed07.cells if c.cell_type == "code" and "train(" in c.source]
    assert "implement the losses above first" in printed(cell)


def test_a_hard_link_to_the_instructor_notebook_is_refused_and_left_intact(tmp_path):
    import os
    import shutil

    src = tmp_path / "instructor" / "07.ipynb"
    src.parent.mkdir()
    shutil.copy(NB07, src)
    out = tmp_path / "student"
    out.mkdir()
    os.link(src, out / "07.ipynb")
    before = src.read_bytes()
    assert main([str(src), "--out", str(out)]) == 2
    assert src.read_bytes() == before


def test_an_existing_student_copy_is_replaced_not_written_through(tmp_path):
    import os
    import shutil

    src = tmp_path / "07.ipynb"
    shutil.copy(NB07, src)
    out = tmp_path / "student"
    out.mkdir()
    (out / "07.ipynb").write_text("old")
    keep = tmp_path / "kept.ipynb"
    os.link(out / "07.ipynb", keep)  # another name for the old student copy
    assert main([str(src), "--out", str(out)]) == 0
    assert keep.read_text() == "old" and "raise NotImplementedError" in (out / "07.ipynb").read_text()
