"""Grade notebook 07: ``python -m classroom grade NOTEBOOK|FOLDER [--csv FILE] [--feedback DIR] [--json FILE]``.

Each submission is graded in its own sandbox (:mod:`classroom.sandbox`), in a fresh Python process that runs only
the notebook's top-level ``import`` and ``def`` statements (not its cells), then calls the graded functions on
probes drawn for this run from a fresh random seed, and plays the student's round with two (k, l) pairs and two
stand-in losses it cannot know in advance (:mod:`classroom.runner`). That process sends back numbers only. This
process, the grader's, computes every verdict from them against the reference (:mod:`classroom.reference`), so
nothing the submission prints, patches or writes can change a verdict. The time limit bounds the whole grading
of a submission; a submission that raises, hangs or kills its process still gets its row, with the reason.

Points per task and per part are set in :data:`TASKS`, here only.
"""

from __future__ import annotations

import ast
import csv
import functools
import hashlib
import io
import json
import random
import secrets
import shutil
import sys
import tempfile
import warnings
from dataclasses import asdict, dataclass
from pathlib import Path

import nbformat

from classroom import reference, sandbox
from gan_course.lessons.nb07_exercise import diagnosis, round_exercise, round_steps
from gan_course.outdir import write_atomic

CHECKOUT = Path(__file__).resolve().parents[1]
ENGINE = Path(diagnosis.__file__).resolve().parent
PACKAGE = ENGINE.parents[1]  # gan_course/, as this process imports it
RUNNER = Path(__file__).with_name("runner.py")
MAX_RAW_BYTES = 16 * 2**20


@dataclass(frozen=True)
class Task:
    """One graded function: what the table calls it, the name the notebook defines, and its parts' points."""

    name: str
    function: str
    parts: tuple[tuple[str, int], ...]

    @property
    def points(self) -> int:
        return sum(p for _, p in self.parts)


ORDINARY, CERTAIN = "values and gradients", "finite where D is certain"
TASKS = (
    Task("f_acc on probabilities", "d_objective_prob", ((ORDINARY, 1),)),
    Task("saturating loss on probabilities", "g_loss_saturating_prob", ((ORDINARY, 1),)),
    Task("non-saturating loss on probabilities", "g_loss_non_saturating_prob", ((ORDINARY, 1),)),
    Task("f_acc on logits", "d_objective", ((ORDINARY, 1), (CERTAIN, 1))),
    Task("saturating loss on logits", "g_loss_saturating", ((ORDINARY, 1), (CERTAIN, 1))),
    Task("non-saturating loss on logits", "g_loss_non_saturating", ((ORDINARY, 1), (CERTAIN, 1))),
    Task("one training round", "train_round", (("every step", 3), ("what it returns", 1))),
)
REFERENCE_USED = "uses the reference solution"


@dataclass
class Result:
    """One row of the table."""

    task: str
    function: str
    points: int
    max_points: int
    passed: bool
    message: str


# --- what runs in the sandbox --------------------------------------------------------------------

def statements(nb: nbformat.NotebookNode) -> list[dict]:
    """The notebook's top-level ``import`` and ``def`` statements, in order, each with its cell number (from 1)."""
    from IPython.core.inputtransformer2 import TransformerManager

    out, transform = [], TransformerManager().transform_cell
    for number, cell in enumerate(nb.cells, start=1):
        if cell.cell_type != "code":
            continue
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                tree = ast.parse(transform(cell.source))
        except (SyntaxError, ValueError):
            continue
        for node in tree.body:
            if isinstance(node, (ast.Import, ast.ImportFrom, ast.FunctionDef)):
                out.append({"cell": number, "source": ast.get_source_segment(transform(cell.source), node)
                            or ast.unparse(node)})
    return out


def _probe_plan(nonce: int) -> dict:
    """The probes of one run, all drawn from ``nonce``: loss inputs, the round's seed, plays and stand-in losses."""
    rng = random.Random(nonce)
    pairs = rng.sample([(k, l) for k in range(1, 5) for l in range(1, 5) if (k, l) != (2, 3)], 2)

    def u(a: float, b: float) -> float:
        return round(rng.uniform(a, b), 3)
    return {"seeds": {t.function: rng.randrange(2**31) for t in TASKS[:6]},
            "round": {"seed": rng.randrange(2**20), "plays": [[k, l, i] for i, (k, l) in enumerate(pairs)],
                      "d_objective": [[u(0.4, 1.2), u(-0.4, -0.1)], [u(-1.2, -0.4), u(-0.4, -0.1)]],
                      "g_losses": [[[u(-1.2, -0.6), u(0.1, 0.4)]], [[u(-0.5, -0.2), u(-0.4, -0.2)]]]}}


def _exercises(plan: dict) -> dict[str, diagnosis.Exercise]:
    out = {}
    for task in TASKS[:6]:
        name, form = (task.function[:-5], "probs") if task.function.endswith("_prob") else (task.function, "logits")
        out[task.function] = reference.exercise_data(name, form, seed=plan["seeds"][task.function])
    return out


def _inputs_only(ex: diagnosis.Exercise) -> dict:
    """The exercise as the sandbox sees it: the probes' inputs, never the values expected there."""
    d = reference.as_dict(ex)
    for case in d["cases"] + d["extremes"]:
        case.update(value=0.0, grads=[], mistakes=[])
    d["messages"] = []
    return d


def _job(nb: nbformat.NotebookNode, plan: dict, exercises: dict) -> dict:
    return {"statements": statements(nb), "round": plan["round"],
            "losses": [{"function": f, "exercise": _inputs_only(ex)} for f, ex in exercises.items()]}


def _prepare(work: Path, job: dict) -> None:
    (work / "engine").mkdir()
    for name in ("diagnosis.py", "round_steps.py", "round_exercise.py"):
        shutil.copyfile(ENGINE / name, work / "engine" / name)
    shutil.copyfile(RUNNER, work / "runner.py")
    (work / "job.json").write_text(json.dumps(job))


def _read_raw(work: Path) -> dict | None:
    path = work / "raw.json"
    if not path.is_file() or path.stat().st_size > MAX_RAW_BYTES:
        return None
    try:
        raw = json.loads(path.read_text(encoding="utf-8", errors="replace"))
    except ValueError:
        return None
    return raw if isinstance(raw, dict) and isinstance(raw.get("tasks"), dict) else None


# --- the verdicts, in the grader's own process ------------------------------------------------------

def _observations(items: object) -> list[diagnosis.Observation]:
    out = []
    for d in items if isinstance(items, list) else []:
        value = d.get("value") if isinstance(d, dict) else None
        grads = d.get("grads") if isinstance(d, dict) else None
        failure = d.get("failure") if isinstance(d, dict) else "the submission sent back something unreadable"
        out.append(diagnosis.Observation(float(value) if isinstance(value, (int, float)) else None,
                                         [[float(x) for x in g] for g in grads] if isinstance(grads, list) else None,
                                         str(failure)[:1000] if failure else None))
    return out


def _hits(entry: dict) -> list[str]:
    hits = entry.get("hits", [])
    return [str(h) for h in hits] if isinstance(hits, list) else []


def _loss_result(task: Task, ex: diagnosis.Exercise, entry: dict) -> Result:
    hits = _hits(entry)
    if hits:
        return _zero(task, f"{REFERENCE_USED}: {task.function} calls the course's own {hits[0]} instead of computing it")
    try:
        seen, extremes = _observations(entry.get("seen")), _observations(entry.get("extremes"))
        for o in seen + extremes:
            if o.failure is None and (o.value is None or (o.grads is not None and len(o.grads) != len(ex.args))):
                o.failure = "the submission sent back an incomplete answer"
        ordinary, certain = diagnosis.judge(ex, seen, extremes)
    except (TypeError, ValueError, IndexError) as err:
        return _zero(task, f"the submission's answer could not be read ({type(err).__name__})")
    earned = [points for part, points in task.parts if (ordinary if part == ORDINARY else certain) is None]
    problem = ordinary or (certain if len(task.parts) > 1 else None)
    message = problem or f"matches {ex.formula} and its gradient on {len(ex.cases)} fresh batches" + \
        (", and stays finite at logits ±100 and ±1e4" if ex.extremes else "")
    return Result(task.name, task.function, sum(earned), task.points, sum(earned) == task.points, message)


def _extra_variants() -> tuple[list, list]:
    """Hard-coded losses the grader recognises in a round that ignores the losses it is given."""
    ignores_d = "the round ignores the d_objective it is given: {where} descends "
    ignores_g = "the round ignores the loss it is given: {where} descends "
    return ([(ignores_d + "-f_acc written out in the round; descend -d_objective(real_logits, fake_logits)",
              lambda r, f: -reference.f_acc(r, f)),
             (ignores_d + "one BCE over torch.cat of the real and fake logits, which is half of -f_acc (f_acc is the "
              "sum of two means); descend -d_objective(real_logits, fake_logits)",
              lambda r, f: -reference.f_acc(r, f) / 2)],
            [(ignores_g + "the modified loss -E[log D(G(z))] whatever g_loss it receives; descend g_loss(fake_logits)",
              reference.modified_loss),
             (ignores_g + "the saturating loss E[log(1 - D(G(z)))] whatever g_loss it receives; descend "
              "g_loss(fake_logits)", reference.saturating_loss)])


def _round_result(task: Task, plan: dict, entry: dict) -> Result:
    hits = _hits(entry)
    if hits:
        return _zero(task, f"{REFERENCE_USED}: train_round calls the course's own {hits[0]} instead of playing the round")
    r = plan["round"]
    d_objective = round_steps.ProbeLoss(tuple(map(tuple, r["d_objective"])))
    g_losses = [round_steps.ProbeLoss(tuple(map(tuple, c))) for c in r["g_losses"]]
    record = entry.get("record")
    if not isinstance(record, dict):
        return _zero(task, "the submission sent back no record of its round")
    plays = record.get("plays", [])
    asked = [tuple(p) for p in r["plays"]]
    got = [(p.get("k"), p.get("l"), p.get("g_loss")) if isinstance(p, dict) else None for p in plays]
    cut_short = bool(plays) and isinstance(plays[-1], dict) and plays[-1].get("failure")
    if not record.get("failure") and (got != asked[:len(got)] or (len(got) < len(asked) and not cut_short)):
        return _zero(task, "the round's record does not match the plays the grader asked for")
    try:
        steps, returns = round_exercise.judge_round(record, r["seed"], d_objective, g_losses, *_extra_variants())
    except (TypeError, ValueError, KeyError, IndexError, RuntimeError) as err:
        return _zero(task, f"the submission's record of its round could not be read ({type(err).__name__})")
    if steps:
        return _zero(task, steps)
    if returns:
        return Result(task.name, task.function, task.parts[0][1], task.points, False, returns)
    shown = ", then ".join(f"k = {k}, l = {l}" for k, l, _ in r["plays"])
    return Result(task.name, task.function, task.points, task.points, True,
                  f"played with {shown} and two different g_loss: every step right, the right values returned")


def _zero(task: Task, message: str) -> Result:
    return Result(task.name, task.function, 0, task.points, False, message)


def _verdicts(raw: dict | None, plan: dict, exercises: dict, stopped: str | None) -> list[Result]:
    tasks = raw["tasks"] if raw else {}
    problems = raw.get("definition_problems", []) if raw else []
    results = []
    for task in TASKS:
        entry = tasks.get(task.function)
        if not isinstance(entry, dict):
            results.append(_zero(task, f"not checked: {stopped}" if stopped else "not checked: no answer came back"))
        elif entry.get("missing"):
            why = f" ({'; '.join(map(str, problems[:2]))})" if problems else ""
            results.append(_zero(task, f"not defined: the notebook never defined {task.function}{why}"))
        elif task.function == "train_round":
            results.append(_round_result(task, plan, entry))
        else:
            results.append(_loss_result(task, exercises[task.function], entry))
    return results


def grade_notebook(path: Path, timeout: float = 120.0, hide: tuple[Path, ...] = ()) -> tuple[list[Result], str | None, float]:
    """Grade the notebook at ``path`` in a sandbox: (one Result per task, what stopped the run if anything, seconds).

    ``timeout`` bounds the whole run of the submission's code; ``hide``: more folders the sandbox must not see.
    """
    sandbox.require()
    try:
        nb = nbformat.read(path, as_version=4)
    except Exception as err:  # noqa: BLE001 -- an unreadable file still gets its row
        problem = f"not a notebook: {type(err).__name__}"
        return [_zero(t, f"not checked: {problem}") for t in TASKS], problem, 0.0
    plan = _probe_plan(secrets.randbits(63))
    exercises = _exercises(plan)
    with tempfile.TemporaryDirectory(prefix="gan-course-grade-") as tmp:
        work = Path(tmp)
        _prepare(work, _job(nb, plan, exercises))
        hidden = [CHECKOUT, PACKAGE, Path(path).resolve().parent, *hide]
        outcome = sandbox.run(work, [sys.executable, "-I", str(work / "runner.py"), str(work)], hidden, timeout)
        raw = _read_raw(work)
    stopped = None
    if outcome.timed_out:
        stopped = f"the submission's code was still running at the time limit ({timeout:g} s) and was stopped"
    elif outcome.returncode != 0:
        last = outcome.stderr.strip().splitlines()[-1:] or [""]
        stopped = f"the submission's process ended with exit code {outcome.returncode} before it finished {last[0][:200]}".rstrip()
    return _verdicts(raw, plan, exercises, stopped), stopped, outcome.seconds


# --- tables, files, the gradebook -------------------------------------------------------------------

@functools.lru_cache(maxsize=1)
def checker_version() -> str:
    """A short hash of everything that decides a grade: the grader, the reference, the sandbox, the engine."""
    h = hashlib.sha256()
    here = Path(__file__).parent
    mine = [here / n for n in ("grading.py", "reference.py", "runner.py", "sandbox.py")]
    for path in sorted([*mine, *(ENGINE / n for n in ("diagnosis.py", "round_steps.py", "round_exercise.py",
                                                       "exercises.py", "expected.json"))]):
        h.update(path.name.encode() + path.read_bytes())
    return h.hexdigest()[:12]


def table(results: list[Result], notebook: str, problem: str | None, seconds: float) -> str:
    """The printed table: one row per task, then the total and what stopped the run."""
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
    return {"notebook": notebook, "student": Path(notebook).stem, "checker": checker_version(),
            "seconds": round(seconds, 1), "notebook_problem": problem,
            "score": sum(r.points for r in results), "max_score": sum(r.max_points for r in results),
            "tasks": [asdict(r) for r in results]}


def write_file(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` all at once, mode 0644 (:func:`gan_course.outdir.write_atomic`)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(path, text)


def _reason(results: list[Result], problem: str | None) -> str:
    if problem:
        return problem
    return next((f"{r.task}: {r.message}" for r in results if not r.passed), "")[:300]


def gradebook(rows: list[tuple[str, list[Result], str | None]]) -> str:
    """The CSV: student, one column per task, total, max, checker version, reason."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["student", *(t.name for t in TASKS), "total", "max", "checker", "reason"])
    version = checker_version()
    for student, results, problem in rows:
        writer.writerow([student, *(r.points for r in results), sum(r.points for r in results),
                         sum(r.max_points for r in results), version, _reason(results, problem)])
    return out.getvalue()


def feedback(student: str, results: list[Result], problem: str | None, seconds: float) -> str:
    """What a student reads: the table, then each task's message in full."""
    lines = [f"Notebook 07, graded for {student} (checker {checker_version()})", "",
             table(results, f"{student}.ipynb", problem, seconds), ""]
    for r in results:
        lines += [f"## {r.task}: {r.points}/{r.max_points}", r.message, ""]
    return "\n".join(lines)


def _check_input(path: Path, timeout: float) -> None:
    if not path.exists():
        raise FileNotFoundError(f"not found: {path}")
    if path.is_file():
        try:
            nbformat.validate(nbformat.read(path, as_version=4))
        except Exception as err:  # noqa: BLE001 -- any unreadable file gets the same one line
            raise ValueError(f"not a notebook: {path} ({(str(err).strip().splitlines() or [type(err).__name__])[0]})") from None
    if not 1 <= timeout <= 24 * 3600:
        raise ValueError(f"--timeout must be from 1 to 86,400 seconds, got {timeout:g}")


def _inside(path: Path, folder: Path) -> bool:
    return folder.resolve() in (path.resolve(), *path.resolve().parents)


def run_grade(path: Path, json_out: Path | None = None, timeout: float = 120.0, csv_out: Path | None = None,
              feedback_dir: Path | None = None) -> int:
    """The ``grade`` command on a notebook or a folder of notebooks: print each table, write the files asked for.

    0 if every task of every submission passed, else 1.
    """
    path = Path(path)
    _check_input(path, timeout)
    if json_out is not None and json_out.is_dir():
        raise ValueError(f"--json {json_out} is a folder; give a file name like grade.json")
    if csv_out is not None and (csv_out.is_dir() or csv_out.suffix != ".csv"):
        raise ValueError(f"--csv {csv_out}: expected a file name ending in .csv, like gradebook.csv")
    if not sandbox.available():
        raise sandbox.Missing(sandbox.INSTALL)
    notebooks = sorted(p for p in path.glob("*.ipynb")) if path.is_dir() else [path]
    if not notebooks:
        raise ValueError(f"no notebooks (*.ipynb) in {path}")
    if feedback_dir is None and csv_out is not None:
        feedback_dir = csv_out.parent / "feedback"
        if path.is_dir() and _inside(feedback_dir, path):
            feedback_dir = None  # never inside the submissions unless asked with --feedback
    hide = tuple(p.resolve().parent for p in (json_out, csv_out) if p is not None)
    hide += (feedback_dir.resolve(),) if feedback_dir is not None else ()
    rows, records, all_passed = [], [], True
    for notebook in notebooks:
        results, problem, seconds = grade_notebook(notebook, timeout, hide)
        print(table(results, notebook.name, problem, seconds), flush=True)
        print(flush=True)
        rows.append((notebook.stem, results, problem))
        records.append(as_json(results, notebook.name, problem, seconds))
        all_passed &= all(r.passed for r in results)
        if feedback_dir is not None:
            write_file(feedback_dir / f"{notebook.stem}.feedback.txt", feedback(notebook.stem, results, problem, seconds))
    if csv_out is not None:
        write_file(csv_out, gradebook(rows))
        print(f"wrote {csv_out}" + (f" and {len(rows)} feedback files in {feedback_dir}" if feedback_dir else ""))
    if json_out is not None:
        write_file(json_out, json.dumps(records[0] if path.is_file() else records, indent=1) + "\n")
    return 0 if all_passed else 1
