"""The grader: what runs in the sandbox, what comes back, how the grader's own process turns it into verdicts,
and the files it writes. The attacks of issue 29 are in test_attacks.py."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook

from classroom import grading, sandbox
from classroom.student import make_student_version
from gan_course.lessons.nb07_exercise import round_exercise
from round_mistakes import GRADER_MISTAKES, MISTAKES, NB07, define, planted, round_cell, solution_source

ROOT = Path(__file__).resolve().parents[1]
ROUND = grading.TASKS[-1]
needs_sandbox = pytest.mark.skipif(not sandbox.available() and os.environ.get("GAN_COURSE_SANDBOX_REQUIRED") != "1",
                                   reason="bubblewrap (bwrap) is not installed: apt-get install bubblewrap")


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


def round_verdict(source: str, nonce: int = 1) -> grading.Result:
    """The grader's verdict on a round, played in this process on the plan of run ``nonce`` (no sandbox)."""
    plan = grading._probe_plan(nonce)
    r = plan["round"]
    d = grading.round_steps.ProbeLoss
    record = round_exercise.play(define(source), [tuple(p) for p in r["plays"]], r["seed"],
                                 d(tuple(map(tuple, r["d_objective"]))), [d(tuple(map(tuple, c))) for c in r["g_losses"]])
    return grading._round_result(ROUND, plan, {"record": record, "hits": []})


# --- what the sandbox runs ---------------------------------------------------------------------------

def test_only_top_level_imports_and_defs_are_sent_to_the_sandbox():
    nb = new_notebook(cells=[new_code_cell("import torch\n%matplotlib inline\nx = 1\nprint('hi')\n"
                                           "def f(a):\n    return a\nwhile True:\n    pass"),
                             new_code_cell("this is not python"), new_code_cell("from math import pi\nf(2)")])
    assert [s["source"] for s in grading.statements(nb)] == ["import torch", "def f(a):\n    return a",
                                                             "from math import pi"]
    assert [s["cell"] for s in grading.statements(nb)] == [1, 1, 3]


def test_the_probes_are_drawn_afresh_for_every_run_and_never_only_k2_l3():
    plans = [grading._probe_plan(n) for n in range(20)]
    assert len({json.dumps(p) for p in plans}) == 20
    for plan in plans:
        pairs = [tuple(p[:2]) for p in plan["round"]["plays"]]
        assert len(set(pairs)) == 2 and (2, 3) not in pairs


def test_the_sandbox_gets_the_probes_inputs_but_never_the_expected_values():
    plan = grading._probe_plan(3)
    job = grading._job(nbformat.read(NB07, as_version=4), plan, grading._exercises(plan))
    for task in job["losses"]:
        assert task["exercise"]["messages"] == []
        assert all(c["value"] == 0.0 and c["grads"] == [] for c in task["exercise"]["cases"] + task["exercise"]["extremes"])
    assert "def d_objective_prob" in json.dumps(job["statements"])


# --- verdicts come from numbers, in the grader's process ---------------------------------------------

def test_a_forged_passing_answer_earns_nothing():
    plan = grading._probe_plan(5)
    exercises = grading._exercises(plan)
    forged = {"passed": True, "seen": [{"value": 0.0, "grads": [[0.0]]}], "hits": []}
    raw = {"tasks": {t.function: forged for t in grading.TASKS[:6]} | {"train_round": {"record": {"plays": []}}}}
    results = grading._verdicts(raw, plan, exercises, None)
    assert sum(r.points for r in results) == 0


def test_a_round_record_with_other_plays_than_asked_earns_nothing():
    plan = grading._probe_plan(7)
    fake = {"plays": [{"k": 2, "l": 3, "g_loss": 0, "steps": []}], "failure": None}
    result = grading._round_result(ROUND, plan, {"record": fake, "hits": []})
    assert result.points == 0 and "does not match the plays" in result.message


def test_the_reference_round_gets_full_marks_from_the_grader():
    result = round_verdict(solution_source())
    assert (result.points, result.passed) == (ROUND.points, True), result.message


@pytest.mark.parametrize("name", list(GRADER_MISTAKES))
def test_the_grader_names_what_only_it_can_name(name):
    source = solution_source().replace("range(l)", "range(3)") if name == "hard_coded_k_and_l" else solution_source()
    result = round_verdict(planted(name, source))
    assert result.points == 0 and GRADER_MISTAKES[name][2] in result.message, result.message


@pytest.mark.parametrize("name", list(MISTAKES))
def test_each_catalogued_mistake_of_the_round_scores_zero_with_its_message(name):
    result = round_verdict(planted(name))
    assert result.points == 0 and MISTAKES[name][2] in result.message, result.message


def test_a_wrong_return_value_keeps_the_points_of_the_steps():
    result = round_verdict(solution_source().replace("return d_loss, g_step_loss,", "return g_step_loss, d_loss,"))
    assert result.points == ROUND.parts[0][1] and "returns is not" in result.message


# --- files and the gradebook ------------------------------------------------------------------------

def test_points_per_task_are_set_once_with_parts():
    assert sum(t.points for t in grading.TASKS) == 13
    assert [t.points for t in grading.TASKS] == [1, 1, 1, 2, 2, 2, 4]
    header = grading.gradebook([]).splitlines()[0].split(",")
    assert header == ["student", *(t.name for t in grading.TASKS), "total", "max", "checker", "reason"]


def test_files_are_written_whole_and_readable_by_others(tmp_path):
    target = tmp_path / "out" / "gradebook.csv"
    old = os.umask(0o077)
    try:
        grading.write_file(target, "a,b\n")
    finally:
        os.umask(old)
    assert target.read_text() == "a,b\n" and target.stat().st_mode & 0o777 == 0o644
    assert [p.name for p in target.parent.iterdir()] == ["gradebook.csv"]


def grade_command(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "classroom", "grade", *args], capture_output=True, text=True,
                          cwd=ROOT, timeout=600, env=env)


def test_without_bubblewrap_grade_refuses_in_one_line(tmp_path):
    path = submission(tmp_path / "07.ipynb")
    done = grade_command(str(path), env={**os.environ, "PATH": str(tmp_path)})
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.count("\n") == 1 and "apt-get install bubblewrap" in done.stderr


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


@needs_sandbox
def test_the_untouched_student_copy_scores_zero_with_not_implemented_and_exit_1(tmp_path):
    copy = make_student_version(NB07, tmp_path / "student")
    done = grade_command(str(copy), "--json", str(tmp_path / "grade.json"), "--timeout", "40")
    assert done.returncode == 1, done.stderr
    record = json.loads((tmp_path / "grade.json").read_text())
    assert [t["task"] for t in record["tasks"]] == [t.name for t in grading.TASKS] and record["score"] == 0
    assert all(t["message"].startswith("not implemented yet") for t in record["tasks"])
    assert record["student"] == copy.stem and record["checker"] == grading.checker_version()
