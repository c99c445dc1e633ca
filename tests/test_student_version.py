"""The student edition: solutions become `raise NotImplementedError(hint)`, answers and instructor material go,
everything else stays as it is, and every notebook still runs."""

import json
import os
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from classroom.notebook_client import CourseNotebookClient
from gan_course.outdir import mark
from classroom.student import (BEGIN, END, GENERIC_HINT, StudentVersionError, main, make_student_version,
                                student_notebook)

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"
NB07 = NOTEBOOKS / "07_exercise_original_vs_modified_loss.ipynb"
MARKERS = ("### BEGIN SOLUTION", "### END SOLUTION", "### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS")


def write_nb(path: Path, *cells) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(new_notebook(cells=list(cells)), path)
    return path


def code_sources(nb) -> list[str]:
    return [c.source for c in nb.cells if c.cell_type == "code"]


def make_student_copy_in_memory(path: Path) -> nbformat.NotebookNode:
    return student_notebook(nbformat.read(path, as_version=4), path.name)[0]


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


def tagged(source: str, *tags: str):
    cell = new_markdown_cell(source)
    cell.metadata["tags"] = list(tags)
    return cell


def test_answer_and_instructor_cells_are_removed(tmp_path):
    nb = student_of(tmp_path, new_markdown_cell("1. Why?"), tagged("<details><summary>Answer</summary>because</details>",
                    "answer"), tagged("## For the instructor: seeds", "instructor"), new_code_cell(SOLVED))
    assert [c.source for c in nb.cells if c.cell_type == "markdown"] == ["1. Why?"]


def test_predict_prompts_and_hints_stay(tmp_path):
    prompt = tagged("**Predict.** Which G gets more gradient?", "predict")
    hint = new_markdown_cell("Think about it.\n\n<details><summary>Hint</summary>detach</details>")
    nb = student_of(tmp_path, prompt, hint, new_code_cell(SOLVED))
    assert nb.cells[0] == prompt and nb.cells[1] == hint


def test_an_instructor_note_paragraph_is_removed_and_the_rest_kept(tmp_path):
    text = "# 07 · Exercise\n\nWrite the losses.\n\n*Instructors:* the solutions sit between markers."
    nb = student_of(tmp_path, new_markdown_cell(text), new_markdown_cell("**Instructor:** only a note"),
                    new_code_cell(SOLVED))
    assert [c.source for c in nb.cells if c.cell_type == "markdown"] == ["# 07 · Exercise\n\nWrite the losses."]


def test_a_notebook_without_solutions_is_copied_with_its_outputs_cleared(tmp_path):
    cell = new_code_cell("x = 1", execution_count=1, outputs=[new_output("stream", name="stdout", text="1\n")])
    nb = student_of(tmp_path, cell)
    assert nb.cells[0].source == "x = 1" and nb.cells[0].outputs == []


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
    assert err.count("\n") == 1 and err.startswith("python -m classroom student: error: "), err
    return err


def test_a_missing_path_is_one_line_naming_it_and_exit_2(tmp_path, capsys):
    missing = tmp_path / "nope.ipynb"
    assert f"not found: {missing}" in one_line_error(capsys, [str(missing), "--out", str(tmp_path / "out")])


def test_a_file_that_is_not_an_ipynb_is_one_line_naming_it_and_exit_2(tmp_path, capsys):
    (tmp_path / "notes.md").write_text("# notes")
    assert "not a notebook: " in one_line_error(capsys, [str(tmp_path / "notes.md"), "--out", str(tmp_path / "o")])


def test_a_folder_without_notebooks_is_one_line_and_exit_2(tmp_path, capsys):
    (tmp_path / "empty").mkdir()
    assert "no notebooks (*.ipynb) in" in one_line_error(capsys, [str(tmp_path / "empty"), "--out", str(tmp_path / "o")])


def test_out_at_the_source_folder_is_refused_and_nothing_is_written(tmp_path, capsys):
    src = write_nb(tmp_path / "lesson.ipynb", new_code_cell(SOLVED))
    before = src.read_bytes()
    assert "is the folder of the instructor notebooks" in one_line_error(capsys, [str(tmp_path), "--out", str(tmp_path)])
    assert src.read_bytes() == before


def test_out_that_is_a_file_is_refused(tmp_path, capsys):
    src = write_nb(tmp_path / "lesson.ipynb", new_code_cell(SOLVED))
    (tmp_path / "out").write_text("")
    assert "is a file" in one_line_error(capsys, [str(src), "--out", str(tmp_path / "out")])


def test_a_folder_gives_a_copy_of_each_of_its_notebooks(tmp_path, capsys):
    for name in ("01_a.ipynb", "02_b.ipynb"):
        write_nb(tmp_path / "course" / name, new_code_cell("x = 1"))
    assert main([str(tmp_path / "course"), "--out", str(tmp_path / "student")]) == 0
    assert sorted(p.name for p in (tmp_path / "student").glob("*.ipynb")) == ["01_a.ipynb", "02_b.ipynb"]


def test_unbalanced_markers_are_one_line_and_exit_2(tmp_path, capsys):
    src = write_nb(tmp_path / "bad.ipynb", new_code_cell("### BEGIN SOLUTION\nx = 1"))
    assert "never closed" in one_line_error(capsys, [str(src), "--out", str(tmp_path / "out")])


def test_a_file_that_is_not_a_notebook_is_one_line_naming_it_and_exit_2(tmp_path, capsys):
    (tmp_path / "notes.ipynb").write_text("not json")
    err = one_line_error(capsys, [str(tmp_path / "notes.ipynb"), "--out", str(tmp_path / "o")])
    assert f"not a notebook: {tmp_path / 'notes.ipynb'}" in err


def test_writing_over_the_instructor_notebook_is_refused(tmp_path, capsys):
    src = write_nb(tmp_path / "lesson.ipynb", new_code_cell(SOLVED))
    (tmp_path / "student").mkdir()
    (tmp_path / "student" / "lesson.ipynb").symlink_to(src)
    err = one_line_error(capsys, [str(src), "--out", str(tmp_path / "student")])
    assert "would overwrite the instructor notebook" in err


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
    CourseNotebookClient(nb, timeout=300, kernel_name="python3", allow_errors=True,
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
    done = subprocess.run([sys.executable, "-m", "classroom", "student", str(NB07), "--out", str(tmp_path)],
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
    checks = [c for c in executed07.cells if c.cell_type == "code" and ("passed" in c.source or "round_ok =" in c.source)
              and "check_" in c.source]
    assert [printed(cell).count("✗ not implemented yet: ") for cell in checks] == [3, 3, 1]


def test_the_student_notebook_07_skips_training_until_the_checks_pass(executed07):
    (cell,) = [c for c in executed07.cells if c.cell_type == "code" and "runs[kind] = train(" in c.source]
    assert "pass the checks of Parts 2 and 3 first" in printed(cell)


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
    mark(out, "student")  # a folder an earlier `student` run made
    (out / "07.ipynb").write_text("old")
    keep = tmp_path / "kept.ipynb"
    os.link(out / "07.ipynb", keep)  # another name for the old student copy
    assert main([str(src), "--out", str(out)]) == 0
    assert keep.read_text() == "old" and "raise NotImplementedError" in (out / "07.ipynb").read_text()


# --- the whole course: python -m classroom student notebooks/ --out student/ -------------------------

def tags(cell) -> set[str]:
    return set(cell.get("metadata", {}).get("tags", []))


@pytest.fixture(scope="module")
def edition(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("edition") / "student"
    assert main([str(NOTEBOOKS), "--out", str(out)]) == 0
    return out


def pairs(edition: Path):
    """(name, instructor notebook, student copy) for every notebook of the course."""
    for src in sorted(NOTEBOOKS.glob("*.ipynb")):
        yield src.name, nbformat.read(src, as_version=4), nbformat.read(edition / src.name, as_version=4)


def test_the_edition_has_a_student_copy_of_every_notebook(edition):
    assert sorted(p.name for p in edition.glob("*.ipynb")) == sorted(p.name for p in NOTEBOOKS.glob("*.ipynb"))


def test_no_copy_holds_a_solution_an_answer_or_an_instructor_cell(edition):
    for name, _, student in pairs(edition):
        assert not [c for c in student.cells if tags(c) & {"answer", "instructor"}], name
        text = "\n".join(c.source for c in student.cells)
        assert not any(marker in text for marker in MARKERS), name
        assert "<summary>Answer" not in text and "For the instructor" not in text, name
        assert all(c.get("outputs", []) == [] for c in student.cells if c.cell_type == "code"), name


def test_every_other_cell_is_kept_as_it_is(edition):
    """Same cells in the same order, same ids, metadata and markdown; code differs only where a region was."""
    for name, instructor, student in pairs(edition):
        kept = [c for c in instructor.cells if not tags(c) & {"answer", "instructor"}]
        assert [c.get("id") for c in student.cells] == [c.get("id") for c in kept], name
        for before, after in zip(kept, student.cells):
            assert (after.cell_type, after.metadata) == (before.cell_type, before.metadata), name
            if after.cell_type == "markdown":
                assert after.source == before.source or "nstructor" in before.source, (name, before.source[:80])
            elif "### BEGIN" not in before.source:
                assert after.source == before.source, (name, before.source[:80])
            else:
                lines = iter(before.source.splitlines())
                for line in after.source.splitlines():  # every student line is an instructor line, in order, or a raise
                    assert "raise NotImplementedError(" in line or line in lines, (name, line)
        assert student.metadata == {k: v for k, v in instructor.metadata.items() if k != "widgets"}, name


def test_the_predict_prompts_and_the_questions_stay(edition):
    for name, instructor, student in pairs(edition):
        prompts = [c.source for c in instructor.cells if "predict" in tags(c)]
        assert prompts == [c.source for c in student.cells if "predict" in tags(c)], name


def runs_a_prefix(instructor, student) -> bool:
    """True when the student copy's code cells are the instructor notebook's first code cells, unchanged and in
    order: then running the copy runs exactly the start of what nbval runs in the instructor notebook."""
    ours, theirs = code_sources(instructor), code_sources(student)
    return theirs == ours[:len(theirs)]


NEEDS_ITS_OWN_RUN = [p.name for p in sorted(NOTEBOOKS.glob("*.ipynb"))
                     if not runs_a_prefix(nbformat.read(p, as_version=4), make_student_copy_in_memory(p))]


def test_a_copy_without_solutions_runs_the_start_of_its_instructor_notebook(edition):
    """Removing answers and the closing instructor cells must not change, reorder or drop a code cell that a later
    cell needs: the copy's code is then a prefix of the instructor's, which nbval runs to the end. A copy with
    solutions replaced by ``raise`` is not a prefix, and runs on its own (the test below)."""
    for name, instructor, student in pairs(edition):
        assert runs_a_prefix(instructor, student) == (name not in NEEDS_ITS_OWN_RUN), name
    assert NEEDS_ITS_OWN_RUN == [NB07.name]


@pytest.mark.slow
@pytest.mark.parametrize("name", NEEDS_ITS_OWN_RUN, ids=lambda n: n[:2])
def test_every_student_copy_that_differs_runs_to_the_end_without_an_error(edition, tmp_path, name):
    os.environ["GAN_COURSE_OFFLINE"] = "1"
    nb = nbformat.read(edition / name, as_version=4)
    CourseNotebookClient(nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}).execute()


def test_a_fifo_named_like_a_notebook_is_refused_without_reading_it(tmp_path, capsys):
    fifo = tmp_path / "x.ipynb"
    os.mkfifo(fifo)  # reading it would block for ever
    assert main([str(fifo), "--out", str(tmp_path / "student")]) == 2
    assert f"not a regular file: {fifo}" in capsys.readouterr().err


def test_the_folder_holds_the_results_tables_the_notebooks_read(edition):
    tables = sorted(p.relative_to(NOTEBOOKS / "results") for p in (NOTEBOOKS / "results").rglob("*") if p.is_file())
    assert tables and sorted(p.relative_to(edition / "results") for p in (edition / "results").rglob("*")
                             if p.is_file()) == tables


def test_the_folder_holds_one_wheel_of_the_package_without_the_classroom_or_the_tools(edition):
    import zipfile

    (wheel,) = edition.glob("gan_course-*.whl")
    tops = {name.split("/")[0] for name in zipfile.ZipFile(wheel).namelist()}
    assert "gan_course" in tops and not tops & {"classroom", "tools", "tests", "notebooks"}, tops


def test_the_readme_gives_one_install_command_and_the_cpu_only_torch_at_the_pinned_versions(edition):
    (wheel,) = edition.glob("gan_course-*.whl")
    text = (edition / "README.md").read_text()
    import tomllib

    pins = [d for d in tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
            if d.startswith(("torch>", "torch<", "torchvision"))]
    installs = [line for line in text.splitlines() if line.startswith("pip install")]
    assert installs[0] == f"pip install {wheel.name}" and len(installs) == 2 and len(pins) == 2
    assert installs[1].endswith("--index-url https://download.pytorch.org/whl/cpu")
    assert all(f'"{pin}"' in installs[1] for pin in pins), installs[1]


def test_every_file_is_readable_by_others_even_under_a_private_umask(tmp_path):
    out = tmp_path / "student"
    previous = os.umask(0o077)
    try:
        assert main([str(NB07), "--out", str(out)]) == 0
    finally:
        os.umask(previous)
    modes = {p.name: oct(p.stat().st_mode & 0o777) for p in [out, *out.rglob("*")] if p.name != ".gan_course-student"}
    assert set(modes.values()) <= {"0o644", "0o755"} and modes["student"] == "0o755", modes
