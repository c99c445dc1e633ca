"""Inside the sandbox: define the student's functions, play the grader's probes on them, write raw numbers.

``python -I runner.py WORK`` reads ``WORK/job.json`` (the student's statements, the probes, the round's plays),
and writes ``WORK/raw.json``: each function's values and gradients on each probe, or why it could not give them,
and every step of the round. It computes no verdict: the grader does, in its own process, from these numbers.

Only the notebook's top-level ``import`` and ``def`` statements run, each on its own (a failing one is noted and
skipped). The course package is not in the sandbox: ``gan_course``, ``classroom`` and ``tools`` resolve to
tripwires, which record any use and raise, so a submission that calls the course's own losses or round gets
"uses the reference solution". The checker engine (no solution in it) is loaded from ``WORK/engine/``. The job holds the probes' inputs
only, never the values expected there.
"""

from __future__ import annotations

import importlib.abc
import importlib.util
import json
import sys
import types
from pathlib import Path

HIDDEN = ("gan_course", "classroom", "tools")
ENGINE = "gan_course.lessons.nb07_exercise"
HITS: list[str] = []  # what the student's code called of the course's package


class _Tripwire:
    """Stands for anything of the course's package: records each call and raises."""

    def __init__(self, name: str):
        self._name = name

    def __getattr__(self, attr: str) -> "_Tripwire":
        if attr.startswith("__"):
            raise AttributeError(attr)
        return _Tripwire(f"{self._name}.{attr}")

    def __call__(self, *args, **kwargs):
        HITS.append(self._name)
        raise RuntimeError(f"uses the reference solution: {self._name} is the course's own code, not yours")


class _TripwireModule(types.ModuleType):
    def __getattr__(self, attr: str):
        if attr.startswith("__"):
            raise AttributeError(attr)
        return _Tripwire(f"{self.__name__}.{attr}")


class _Finder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Any import of the course's package gets a tripwire module."""

    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in HIDDEN:
            return importlib.util.spec_from_loader(name, self, is_package=True)
        return None

    def create_module(self, spec):
        module = _TripwireModule(spec.name)
        module.__path__ = []
        return module

    def exec_module(self, module):
        return None


def _load_engine(folder: Path) -> dict[str, types.ModuleType]:
    """The checker engine's three modules, under their package names, from ``folder``."""
    for name in ("gan_course", "gan_course.lessons", ENGINE):
        package = types.ModuleType(name)
        package.__path__ = []
        sys.modules[name] = package
    modules = {}
    for short in ("diagnosis", "round_steps", "round_exercise"):
        spec = importlib.util.spec_from_file_location(f"{ENGINE}.{short}", folder / f"{short}.py")
        module = importlib.util.module_from_spec(spec)
        sys.modules[spec.name] = module
        spec.loader.exec_module(module)
        modules[short] = module
    for name in ("gan_course", "gan_course.lessons", ENGINE):  # the student's imports meet the tripwires
        del sys.modules[name]
    return modules


def _define(statements: list[dict]) -> tuple[dict, list[str]]:
    """Run the student's imports and defs, each on its own; (namespace, the problems met)."""
    import torch
    namespace: dict = {"__name__": "__submission__", "torch": torch, "F": torch.nn.functional, "nn": torch.nn}
    problems = []
    for st in statements:
        try:
            exec(compile(st["source"], f"<cell {st['cell']}>", "exec"), namespace)
        except BaseException as err:  # noqa: BLE001 -- one bad statement does not stop the others
            problems.append(f"cell {st['cell']}: {type(err).__name__}: {str(err).splitlines()[0] if str(err) else ''}")
    return namespace, problems


def main(work: Path) -> None:
    job = json.loads((work / "job.json").read_text())
    engine = _load_engine(work / "engine")
    sys.meta_path.insert(0, _Finder())
    diagnosis, round_steps, round_exercise = engine["diagnosis"], engine["round_steps"], engine["round_exercise"]
    namespace, problems = _define(job["statements"])
    raw: dict = {"definition_problems": problems, "tasks": {}}
    _write(work, raw)
    for task in job["losses"]:
        HITS.clear()
        fn = namespace.get(task["function"])
        if fn is None:
            raw["tasks"][task["function"]] = {"missing": True}
            _write(work, raw)
            continue
        ex = diagnosis.exercise_from_dict(task["exercise"])
        seen, extremes = diagnosis.observe(ex, fn)
        raw["tasks"][task["function"]] = {"seen": [o.__dict__ for o in seen], "extremes": [o.__dict__ for o in extremes],
                                          "hits": list(HITS)}
        _write(work, raw)
    HITS.clear()
    fn = namespace.get("train_round")
    if fn is None:
        raw["tasks"]["train_round"] = {"missing": True}
    else:
        r = job["round"]
        d_objective = round_steps.ProbeLoss(tuple(map(tuple, r["d_objective"])))
        g_losses = [round_steps.ProbeLoss(tuple(map(tuple, c))) for c in r["g_losses"]]
        record = round_exercise.play(fn, [tuple(p) for p in r["plays"]], r["seed"], d_objective, g_losses)
        raw["tasks"]["train_round"] = {"record": record, "hits": list(HITS)}
    _write(work, raw)


def _write(work: Path, raw: dict) -> None:
    """Write what is known so far, so that a later hang loses nothing before it."""
    (work / "raw.partial").write_text(json.dumps(raw))
    (work / "raw.partial").replace(work / "raw.json")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
