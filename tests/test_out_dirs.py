"""No command deletes or replaces a folder it did not make: every --out is checked before any work.

Each command is pointed at `.`, `..`, a project root, the home folder and a folder of someone else's files, inside a
throwaway project in tmp_path (so a regression cannot reach the real checkout); every file there must survive.
"""

import sys
from pathlib import Path

import nbformat
import pytest

from classroom.__main__ import main as classroom_main
from gan_course.__main__ import main as course_main
from gan_course.outdir import PROJECT_ROOT, OutDirError, check_out_dir, mark, marker
from tools.__main__ import main as tools_main

COMMANDS = {  # each command's arguments before --out
    "site": ["site"],
    "student": ["student", "NOTEBOOK"],
    "train": ["train", "vanilla", "--steps", "1", "--quiet"],
    "slides": ["slides", "NOTEBOOK"],
    "sample": ["sample", "RUN", "--n", "1"],
}


@pytest.fixture
def world(tmp_path, monkeypatch):
    """home/project (a git checkout with notebooks/) and home/theirs (someone's files); cwd = the project."""
    home = tmp_path / "home"
    project = home / "project"
    for folder in (project / ".git", project / "notebooks", home / "theirs"):
        folder.mkdir(parents=True)
    (project / "pyproject.toml").write_text("[project]\n")
    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("1 + 1")]),
                   project / "notebooks" / "01_x.ipynb")
    (home / "theirs" / "thesis.tex").write_text("years of work")
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.chdir(project)
    return home


def main(argv: list[str]) -> int:
    """The command line that has ``argv[0]``: gan_course's, the classroom's or the tools'."""
    return {"site": tools_main, "student": classroom_main, "slides": classroom_main}.get(argv[0], course_main)(argv)


def _files(root: Path) -> set[Path]:
    return {p for p in root.rglob("*")}


def _targets(home: Path) -> dict[str, str]:
    return {".": ".", "..": "..", "project root": str(home / "project"), "home": str(home),
            "someone's folder": str(home / "theirs")}


@pytest.mark.parametrize("command", COMMANDS)
def test_no_command_writes_over_a_folder_it_did_not_make(command, world, capsys):
    before = _files(world)
    args = [a.replace("NOTEBOOK", "notebooks/01_x.ipynb").replace("RUN", str(world / "theirs"))
            for a in COMMANDS[command]]
    for label, target in _targets(world).items():
        assert main([*args, "--out", target]) == 2, f"{command} --out {label} was accepted"
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and "error:" in err, err
        if command not in ("sample", "slides"):  # those two write a file (target.npz), never over a folder
            assert f"--out {target}" in err, err
    assert _files(world) == before


@pytest.mark.parametrize("target", [".", "..", "home", "root"])
def test_check_out_dir_names_the_folder_and_why(target, world):
    path = {"home": str(world), "root": "/"}.get(target, target)
    with pytest.raises(OutDirError, match=r"--out .* (is|holds|contains)"):
        check_out_dir(path, "site")


def test_the_real_project_root_is_refused():
    if PROJECT_ROOT is None:
        pytest.skip("installed without a checkout")
    with pytest.raises(OutDirError, match="holds the course's project|current folder"):
        check_out_dir(PROJECT_ROOT, "site")
    with pytest.raises(OutDirError):
        check_out_dir(PROJECT_ROOT.parent, "student")


def test_a_new_an_empty_or_an_own_folder_is_accepted(tmp_path):
    assert check_out_dir(tmp_path / "new", "site") == tmp_path / "new"
    (tmp_path / "empty").mkdir()
    check_out_dir(tmp_path / "empty", "site")
    (tmp_path / "old").mkdir()
    (tmp_path / "old" / "index.html").write_text("")
    mark(tmp_path / "old", "site")
    check_out_dir(tmp_path / "old", "site")
    with pytest.raises(OutDirError, match="not one that `student` made"):  # the site's folder is not the student's
        check_out_dir(tmp_path / "old", "student")


def test_student_marks_its_folder_and_may_write_it_again(tmp_path, capsys):
    src = Path(__file__).resolve().parents[1] / "notebooks" / "01_detach_and_gradient_flow.ipynb"
    out = tmp_path / "student"
    assert main(["student", str(src), "--out", str(out)]) == 0
    assert (out / marker("student")).is_file()
    assert main(["student", str(src), "--out", str(out)]) == 0


def test_write_atomic_leaves_the_old_file_whole_when_the_writer_fails(tmp_path):
    from gan_course.outdir import write_atomic
    path = write_atomic(tmp_path / "table.json", '{"old": 1}')

    def fails_halfway(f):
        f.write(b'{"new"')
        raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        write_atomic(path, fails_halfway)
    assert path.read_text() == '{"old": 1}' and sorted(p.name for p in tmp_path.iterdir()) == ["table.json"]


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="renameat2 is Linux's")
def test_exchange_swaps_two_folders_in_one_step(tmp_path):
    from gan_course.outdir import exchange
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "new").write_text("")
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "old").write_text("")
    assert exchange(tmp_path / "a", tmp_path / "b")
    assert [p.name for p in (tmp_path / "b").iterdir()] == ["new"] and [p.name for p in (tmp_path / "a").iterdir()] == ["old"]
