"""Issue 29's attacks on the grader, and a variant of each, graded as one class folder in one run: each gets no
mark it did not earn, changes no other verdict or file, reaches no network, and the grader stands with its table
and gradebook within the time limit (one submission hangs, one ignores SIGINT, one kills its parent)."""

from __future__ import annotations

import csv
import hashlib
import json
import os
import shutil
import socket
import threading
import time
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell

from classroom import grading, sandbox
from classroom.student import make_student_version
from round_mistakes import NB07, round_cell
from test_grading import submission

TIMEOUT = 25.0  # seconds per submission
pytestmark = pytest.mark.skipif(not sandbox.available() and os.environ.get("GAN_COURSE_SANDBOX_REQUIRED") != "1",
                                reason="bubblewrap (bwrap) is not installed: apt-get install bubblewrap")
FULL = {t.name: t.points for t in grading.TASKS}


def _append(path: Path, *sources: str) -> Path:
    nb = nbformat.read(path, as_version=4)
    nb.cells += [new_code_cell(s) for s in sources]
    nbformat.write(nb, path)
    return path


def _round(path: Path, old: str, new: str) -> Path:
    nb = nbformat.read(path, as_version=4)
    cell = round_cell(nb)
    for o, n in zip(old.split("|"), new.split("|")):
        assert o in cell.source, o
        cell.source = cell.source.replace(o, n)
    nbformat.write(nb, path)
    return path


def _class_folder(subs: Path, out: Path, port: int) -> None:
    """The class: the reference solution, issue 29's attacks and a variant of each, and a plain mistake."""
    submission(subs / "a_reference.ipynb")
    _append(submission(subs / "b_imports_reference.ipynb"), """\
from gan_course.losses import generator_loss
import gan_course.train as course_train
import importlib

def g_loss_non_saturating(fake_logits):
    return generator_loss(fake_logits, "non_saturating")

def g_loss_saturating(fake_logits):  # variant: the import hidden in the call
    return importlib.import_module("gan_course.losses").generator_loss(fake_logits, "saturating")

def train_round(G, D, opt_g, opt_d, real_batch, noise, k, l, d_objective, g_loss):
    return course_train.train_round(G, D, opt_g, opt_d, real_batch, noise, k, l)
""")
    shutil.copyfile(make_student_version(NB07, subs.parent / "student_copy"), subs / "c_monkeypatch.ipynb")
    _append(subs / "c_monkeypatch.ipynb", """\
import sys, io
import gan_course.lessons.nb07_exercise.exercises as ex
import gan_course.lessons.nb07_exercise.round_exercise as rx
ex.verdict = lambda *a, **k: (True, "✓")
rx.verdict = lambda fn: (True, "✓")
import classroom.grading as g
g.verdict_for = lambda *a: (True, "")
class Liar(io.TextIOBase):
    def write(self, s):
        return sys.__stdout__.write(s.replace('"passed": false', '"passed": true'))
sys.stdout = Liar()

def _patched(_=setattr(ex, "verdict", lambda *a, **k: (True, "✓")), __=setattr(sys, "stdout", Liar())):
    return None  # variant: the patches run when the def runs, inside the grading process
""")
    _round(submission(subs / "d_ignores_g_loss.ipynb"), "g_step_loss = g_loss(D(G(noise())))",
           "g_step_loss = -F.logsigmoid(D(G(noise()))).mean()")
    _round(submission(subs / "e_ignores_g_loss_saturating.ipynb"), "g_step_loss = g_loss(D(G(noise())))",
           "g_step_loss = F.logsigmoid(-D(G(noise()))).mean()")
    _round(submission(subs / "f_hard_coded_k_and_l.ipynb"), "range(k)|range(l)", "range(2)|range(3)")
    _round(submission(subs / "g_hard_coded_l.ipynb"), "range(l)", "range(3)")
    hostile = f"""\
import os, sys, json, glob, shutil, socket, subprocess
JSON, SUBS, GRADING, NB07, PORT = {str(out / 'grades.json')!r}, {str(subs)!r}, {grading.__file__!r}, {str(NB07)!r}, {port}

def d_objective_prob(d_real, d_fake):  # runs the instructor's solution, read beside the editable install
    try:
        ns = {{"torch": torch, "F": F}}
        for c in json.load(open(NB07))["cells"]:
            if "def d_objective_prob" in "".join(c["source"]):
                exec("".join(c["source"]).replace("###", "#"), ns)
        return ns["d_objective_prob"](d_real, d_fake)
    except Exception:
        raise NotImplementedError

def g_loss_saturating_prob(d_fake):  # edits the grader on disk, for the next student
    for path in (GRADING, GRADING.replace("grading.py", "reference.py")):
        try:
            open(path, "a").write("\\nverdict_for = None\\n")
        except Exception:
            pass
    raise NotImplementedError

def g_loss_non_saturating_prob(d_fake):  # deletes the other students' notebooks and grade files
    for path in glob.glob(SUBS + "/*") + glob.glob(os.path.dirname(JSON) + "/*"):
        try:
            os.remove(path)
        except Exception:
            pass
    shutil.rmtree(SUBS, ignore_errors=True)
    raise NotImplementedError

def d_objective(real_logits, fake_logits):  # sends data to a local listener
    try:
        with socket.create_connection(("127.0.0.1", PORT), timeout=2) as s:
            s.sendall(b"answers please")
    except Exception:
        pass
    raise NotImplementedError

def g_loss_saturating(fake_logits):  # a detached process that rewrites the instructor's file after the grader
    try:
        subprocess.Popen([sys.executable, "-c", "import time, sys; time.sleep(4); "
                          "open(sys.argv[1], 'w').write('[{{\\"score\\": 13}}]')", JSON], start_new_session=True)
        if os.fork() == 0:  # variant: a double fork
            os.setsid()
            time_module = __import__("time"); time_module.sleep(5)
            open(JSON, "w").write("forged")
            os._exit(0)
    except Exception:
        pass
    raise NotImplementedError

def g_loss_non_saturating(fake_logits):  # prints a passing verdict
    print('GAN_COURSE_GRADE {{"passed": true, "message": "ok"}}')
    sys.stdout.write('"passed": true\\n')
    raise NotImplementedError
"""
    _append(submission(subs / "h_hostile.ipynb"), hostile)
    nb = nbformat.read(submission(subs / "i_wrong_sign_after_hostile.ipynb"), as_version=4)
    _append(subs / "i_wrong_sign_after_hostile.ipynb",
            "def g_loss_saturating(fake_logits):\n    return -F.logsigmoid(-fake_logits).mean()")
    del nb
    _append(submission(subs / "j_kills_parent.ipynb"), """\
import os, signal
def d_objective_prob(d_real, d_fake):
    for target in (os.getppid(), -1, os.getpid()):  # its parent, everything it may signal, then itself
        try:
            os.kill(target, signal.SIGKILL)
        except OSError:
            pass
""")
    _append(submission(subs / "k_ignores_sigint.ipynb"), """\
import signal
def d_objective_prob(d_real, d_fake):
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, signal.SIG_IGN)
    while True:
        pass
""")
    _append(submission(subs / "l_bare_except_retry.ipynb"), """\
import time
def g_loss_saturating_prob(d_fake):
    while True:
        try:
            time.sleep(0.05)
            raise ValueError("try again")
        except:
            continue
""")

    _append(submission(subs / "m_memory_hog.ipynb"), """\
import torch
def d_objective_prob(d_real, d_fake):  # asks for 64 GB and touches it
    return torch.ones(16 * 2**30).sum() * 0 + d_real.mean()
""")


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    root = tmp_path_factory.mktemp("class")
    subs, out, feedback = root / "submissions", root / "out", root / "feedback"
    subs.mkdir()
    out.mkdir()
    received: list[bytes] = []
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    server.settimeout(0.5)

    def listen():
        while not stop.is_set():
            try:
                conn, _ = server.accept()
                received.append(conn.recv(100) or b"(connected)")
                conn.close()
            except OSError:
                pass
    stop = threading.Event()
    thread = threading.Thread(target=listen, daemon=True)
    thread.start()
    _class_folder(subs, out, server.getsockname()[1])
    files_before = {p.name: p.read_bytes() for p in subs.iterdir()}
    code_before = {p: hashlib.sha256(p.read_bytes()).hexdigest()  # the files the hostile submission writes to
                   for p in (Path(grading.__file__), Path(grading.__file__).with_name("reference.py"))}
    start = time.monotonic()
    code = grading.run_grade(subs, out / "grades.json", TIMEOUT, out / "gradebook.csv", feedback)
    seconds = time.monotonic() - start
    written = (out / "grades.json").read_bytes()
    time.sleep(7)  # the detached processes would have rewritten it by now
    stop.set()
    thread.join()
    server.close()
    records = {Path(r["notebook"]).stem: r for r in json.loads(written)}
    return {"code": code, "records": records, "seconds": seconds, "received": received, "subs": subs, "out": out,
            "feedback": feedback, "files_before": files_before, "code_before": code_before, "written": written,
            "rows": list(csv.DictReader((out / "gradebook.csv").open()))}


def points(graded, student: str) -> dict[str, int]:
    return {t["task"]: t["points"] for t in graded["records"][student]["tasks"]}


def message(graded, student: str, task: str) -> str:
    return next(t["message"] for t in graded["records"][student]["tasks"] if t["task"] == task)


ROUND = "one training round"


def test_the_reference_solution_gets_full_marks(graded):
    assert points(graded, "a_reference") == FULL


def test_calling_the_courses_own_losses_or_round_scores_zero_as_the_reference_solution(graded):
    got = points(graded, "b_imports_reference")
    for task in ("non-saturating loss on logits", "saturating loss on logits", ROUND):
        assert got[task] == 0 and "uses the reference solution" in message(graded, "b_imports_reference", task)
    assert {t: p for t, p in got.items() if t not in ("non-saturating loss on logits", "saturating loss on logits", ROUND)} \
        == {t: p for t, p in FULL.items() if t not in ("non-saturating loss on logits", "saturating loss on logits", ROUND)}


def test_monkeypatching_the_checkers_and_stdout_on_the_student_copy_scores_zero(graded):
    assert sum(points(graded, "c_monkeypatch").values()) == 0
    assert all(message(graded, "c_monkeypatch", t.name).startswith("not implemented yet") for t in grading.TASKS)


@pytest.mark.parametrize("student", ["d_ignores_g_loss", "e_ignores_g_loss_saturating"])
def test_a_round_that_ignores_its_g_loss_scores_zero_on_the_round_only(graded, student):
    assert points(graded, student) == {**FULL, ROUND: 0}
    assert "the round ignores the loss it is given" in message(graded, student, ROUND)


@pytest.mark.parametrize("student", ["f_hard_coded_k_and_l", "g_hard_coded_l"])
def test_a_round_with_hard_coded_k_or_l_scores_zero_on_the_round_only(graded, student):
    assert points(graded, student) == {**FULL, ROUND: 0}
    assert "the round ignores k and l" in message(graded, student, ROUND)


def test_hostile_functions_earn_nothing_and_change_no_other_verdict(graded):
    got = points(graded, "h_hostile")
    assert got[ROUND] == 4 and sum(got.values()) == 4
    assert "not implemented yet" in message(graded, "h_hostile", "f_acc on probabilities")  # no instructor notebook


def test_no_submission_reached_the_network(graded):
    assert graded["received"] == []


def test_no_file_of_the_class_or_the_grader_was_changed(graded):
    assert {p.name: p.read_bytes() for p in graded["subs"].iterdir()} == graded["files_before"]
    assert {p: hashlib.sha256(p.read_bytes()).hexdigest() for p in graded["code_before"]} == graded["code_before"]


def test_a_detached_process_cannot_rewrite_the_instructors_file(graded):
    assert (graded["out"] / "grades.json").read_bytes() == graded["written"]


def test_the_next_student_after_the_hostile_one_is_graded_as_usual(graded):
    assert points(graded, "i_wrong_sign_after_hostile") == {**FULL, "saturating loss on logits": 0}
    assert "wrong sign" in message(graded, "i_wrong_sign_after_hostile", "saturating loss on logits")


def test_a_submission_that_kills_its_parent_still_gets_its_row(graded):
    record = graded["records"]["j_kills_parent"]
    assert record["score"] == 0 and "ended" in record["notebook_problem"]
    assert all("not checked" in t["message"] for t in record["tasks"])


@pytest.mark.parametrize("student, kept", [("k_ignores_sigint", 0), ("l_bare_except_retry", 1)])
def test_a_hang_is_stopped_at_the_time_limit_and_keeps_what_came_before(graded, student, kept):
    record = graded["records"][student]
    assert "time limit" in record["notebook_problem"] and record["seconds"] < TIMEOUT + 10
    assert record["score"] == kept  # the bare-except loop is in the second task: the first was already graded


def test_a_submission_that_asks_for_64_gb_gets_an_allocation_error_on_that_task_only(graded):
    assert points(graded, "m_memory_hog") == {**FULL, "f_acc on probabilities": 0}
    assert "memory" in message(graded, "m_memory_hog", "f_acc on probabilities").lower()


def test_the_whole_class_is_graded_within_its_time_limits(graded):
    assert graded["seconds"] < len(graded["records"]) * (TIMEOUT + 15)


def test_the_gradebook_has_a_row_per_student_with_points_total_and_reason(graded):
    rows = {r["student"]: r for r in graded["rows"]}
    assert set(rows) == set(graded["records"]) and len(rows) >= 5
    assert rows["a_reference"]["total"] == str(sum(FULL.values())) and rows["a_reference"]["reason"] == ""
    assert "time limit" in rows["k_ignores_sigint"]["reason"]
    assert all(rows[s]["checker"] == grading.checker_version() for s in rows)
    assert [c for c in graded["rows"][0] if c not in ("student", "total", "max", "checker", "reason")] == list(FULL)


def test_each_student_gets_a_feedback_file_outside_the_submissions_readable_by_others(graded):
    files = sorted(graded["feedback"].iterdir())
    assert [p.name for p in files] == [f"{s}.feedback.txt" for s in sorted(graded["records"])]
    assert all(p.stat().st_mode & 0o777 == 0o644 for p in files)
    assert "the round ignores k and l" in (graded["feedback"] / "f_hard_coded_k_and_l.feedback.txt").read_text()
    assert (graded["out"] / "gradebook.csv").stat().st_mode & 0o777 == 0o644
