"""The notebook-timing benchmark: runs each notebook in a fresh kernel and reports failures."""

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from tools.__main__ import main
from tools.nbtime import notebook_paths, run_timing, time_notebook


def _write(path, *sources):
    cells = [new_markdown_cell("# title")] + [new_code_cell(s) for s in sources]
    nbformat.write(new_notebook(cells=cells), path)
    return path


def test_default_is_the_courses_seven_notebooks():
    names = [p.stem[:2] for p in notebook_paths()]
    assert names == ["01", "02", "03", "04", "05", "06", "07"]


def test_a_clean_notebook_is_timed_and_its_slowest_cell_named(tmp_path):
    path = _write(tmp_path / "ok.ipynb", "x = 1", "import time; time.sleep(0.3)", "x + 1")
    r = time_notebook(path)
    assert r["error"] is None
    assert r["slowest_cell"] == 2 and r["slowest_seconds"] >= 0.3 and r["seconds"] >= r["slowest_seconds"]


def test_a_failing_cell_is_reported_with_its_index_and_exit_code_1(tmp_path, capsys):
    path = _write(tmp_path / "bad.ipynb", "x = 1", "raise ValueError('boom')", "never = 1")
    r = time_notebook(path)
    assert r["error"].startswith("cell 2:") and "boom" in r["error"]
    assert run_timing([str(path)]) == 1
    assert "ERROR cell 2" in capsys.readouterr().out


def test_a_path_that_is_not_a_notebook_is_refused_with_one_line(tmp_path, capsys):
    (tmp_path / "notes.txt").write_text("hello")
    assert main(["time-notebooks", str(tmp_path / "notes.txt")]) == 2
    err = capsys.readouterr().err
    assert "notes.txt" in err and "expected an existing .ipynb" in err


def test_a_missing_notebook_is_refused(tmp_path):
    with pytest.raises(FileNotFoundError, match="missing.ipynb"):
        notebook_paths([str(tmp_path / "missing.ipynb")])


def test_a_cell_past_its_timeout_is_named_with_the_timeout(tmp_path):
    path = _write(tmp_path / "slow.ipynb", "x = 1", "import time; time.sleep(30)")
    r = time_notebook(path, timeout=2)
    assert r["error"] == "cell 2: still running after 2 s (the per-cell --timeout)"


def test_a_run_that_stalls_is_stopped_at_the_wall_and_run_again(tmp_path):
    """The first run sleeps past the wall (a stall), the second finds its marker and finishes."""
    marker = tmp_path / "ran-once"
    path = _write(tmp_path / "stalls.ipynb", "import pathlib, time\n"
                  f"marker = pathlib.Path({str(marker)!r})\n"
                  "if not marker.exists():\n    marker.write_text('x')\n    time.sleep(120)")
    r = time_notebook(path, wall=15, attempts=2)
    assert r["error"] is None and r["seconds"] < 15
    assert len(r["stalls"]) == 1 and r["stalls"][0].startswith("stopped after 15 s, at cell 1 ("), r["stalls"]


def test_a_run_that_stalls_every_time_is_reported_with_the_wall(tmp_path):
    path = _write(tmp_path / "hangs.ipynb", "import time; time.sleep(120)")
    r = time_notebook(path, wall=10, attempts=1)
    assert r["error"].startswith("no result after 10 s, 1 time: the run stalled (stopped after 10 s, at cell 1 (")
