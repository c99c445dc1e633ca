"""``python -m tools seeds NAME ... --seeds 0-9 [--save]``: does a claim hold on every seed?

A *study* trains once per seed and returns the figures a notebook asserts. Every preset is a study
(modes covered and high-quality % on the ring, label accuracy and Frechet distance for the c-GAN, the
Frechet distance and the largest class for the other MNIST presets); experiments that are not one preset
register their own in a module of :mod:`tools.studies`, one per notebook. ``seeds`` prints one
line per (study, seed); with ``--save`` it also writes ``notebooks/results/NAME.json``, which a notebook's instructor section reads with
:func:`load_results` and renders, so that no number in a notebook's prose is typed by hand. The file
records what the figures depend on (the study's *fingerprint*, e.g. the preset's config); when that
changes, :func:`load_results` says the file is stale and gives the command that remakes it.
"""

from __future__ import annotations

import datetime
import json
import math
import platform
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch

from gan_course.device import cpu_kernels
from tools.studies import Study, collect

RESULTS_DIR = Path(__file__).resolve().parents[1] / "notebooks" / "results"
MAX_SEEDS = 1000  # one training each: more would run for days

STUDIES: dict[str, Study] = collect()
__all__ = ["Study", "STUDIES", "StaleResults", "build_here", "get_study", "load_every_build", "load_results", "parse_seeds",
           "results_path", "run_seeds", "save_results", "unequal_figures"]


def get_study(name: str) -> Study:
    """The study called ``name``; a ValueError lists the known names otherwise."""
    if name not in STUDIES:
        raise ValueError(f"unknown preset or study {name!r}; known: {', '.join(STUDIES)}")
    return STUDIES[name]


def parse_seeds(text: str) -> list[int]:
    """'0-9' or '0,3,5' or '4' -> a list of seeds (each from 0 to 2**63 - 1, at most 1,000 of them)."""
    seeds: list[int] = []
    for part in text.split(","):
        lo_text, dash, hi_text = part.strip().partition("-")
        try:
            lo, hi = int(lo_text), int(hi_text) if dash else int(lo_text)
        except ValueError:
            raise ValueError(f"--seeds must look like 0-9 or 0,3,5 (seeds are integers >= 0), got {text!r}") from None
        if hi < lo:
            raise ValueError(f"--seeds {part.strip()}: the range runs backwards; write {hi}-{lo}")
        if hi >= 2**63:
            raise ValueError(f"--seeds {part.strip()}: a seed must be at most 2**63 - 1")
        if len(seeds) + hi - lo + 1 > MAX_SEEDS:
            raise ValueError(f"--seeds {text}: at most {MAX_SEEDS} seeds (one training each), got more")
        seeds += range(lo, hi + 1)
    return seeds


def _plain(value: Any) -> Any:
    """Numbers as JSON numbers: NumPy and torch scalars and arrays become floats, ints and lists."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, (np.ndarray, torch.Tensor)):
        return _plain(value.tolist())
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (np.floating,)):
        return float(value)
    return value


def build_here() -> tuple[str, str]:
    """This machine's torch version and CPU kernels (:func:`gan_course.device.cpu_kernels`): on one of each, a
    study trains the same nets bit for bit."""
    return torch.__version__, cpu_kernels()


def results_path(name: str, directory: Path = RESULTS_DIR, build: tuple[str, str] | None = None) -> Path:
    """Where study ``name``'s results file is: ``NAME.json``, the table the notebooks render; with ``build``
    (torch version, CPU kernels), the same table made on that build, kept under ``builds/`` for the tests."""
    if build is None:
        return directory / f"{name}.json"
    slug = "".join(c if c.isalnum() or c in ".+-" else "-" for c in f"torch-{build[0]}-{build[1]}")
    return directory / "builds" / slug / f"{name}.json"


def _made_elsewhere(study: Study, directory: Path) -> bool:
    """Whether ``NAME.json`` holds a fresh table of ``study`` made on another torch build or kind of CPU."""
    try:
        record = load_results(study.name, directory)
    except (OSError, ValueError):  # missing, unreadable or stale (StaleResults is a ValueError)
        return False
    return (record.get("torch"), record.get("cpu")) != build_here()


def save_results(study: Study, per_seed: dict[int, dict], steps: int | None, directory: Path = RESULTS_DIR) -> Path:
    """Write the figures of every seed, the study's fingerprint and the command that remakes them.

    Into ``NAME.json``, unless that holds a fresh table made on another torch build or kind of CPU: that one
    stays (the notebooks render it), and this machine's goes beside it (:func:`results_path` with the build),
    where the tests of this kind of machine find it.
    """
    seeds = sorted(per_seed)
    command = f"python -m tools seeds {study.name} --seeds {','.join(map(str, seeds))}" + \
        (f" --steps {steps}" if steps else "") + " --save"
    torch_version, cpu = build_here()
    record = {"study": study.name, "notebook": study.notebook, "command": command,
              "fingerprint": _plain(study.fingerprint()), "steps": steps,
              "machine": f"{platform.machine()} {platform.processor() or ''}".strip(),
              "torch": torch_version, "cpu": cpu, "date": datetime.date.today().isoformat(),
              "seeds": {str(s): _plain(per_seed[s]) for s in seeds}}
    path = results_path(study.name, directory)
    if steps is None and _made_elsewhere(study, directory):
        path = results_path(study.name, directory, build_here())
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".json.partial")
    tmp.write_text(json.dumps(record, indent=1) + "\n")
    tmp.replace(path)
    return path


class StaleResults(ValueError):
    """A results file no longer matches the code that would make it."""


def load_results(name: str, directory: Path = RESULTS_DIR, build: tuple[str, str] | None = None) -> dict[str, Any]:
    """The saved figures of study ``name``: ``{"seeds": {seed: figures}, "command": ..., ...}``, checked fresh;
    with ``build``, those made on that torch build and kind of CPU (see :func:`save_results`).

    Raises FileNotFoundError or :class:`StaleResults` with the command that (re)makes the file.
    """
    return _load_checked(results_path(name, directory, build), get_study(name))


def _load_checked(path: Path, study: Study) -> dict[str, Any]:
    """The results file at ``path``, checked to be what ``study``'s code makes now (see :func:`load_results`)."""
    remake = f"python -m tools seeds {study.name} --seeds 0-9 --save"
    if not path.is_file():
        raise FileNotFoundError(f"no saved results for {study.name!r} at {path}; make them with `{remake}`")
    record = json.loads(path.read_text())
    if record.get("fingerprint") != _plain(study.fingerprint()) or record.get("steps") is not None:
        raise StaleResults(f"{path} was made with other settings than the code now has; remake it with "
                           f"`{record.get('command', remake)}`")
    record["seeds"] = {int(s): figures for s, figures in record["seeds"].items()}
    return record


def load_every_build(name: str, directory: Path = RESULTS_DIR) -> list[dict[str, Any]]:
    """Study ``name``'s tables from every build on disk, each checked fresh (as :func:`load_results`): ``NAME.json``
    first, then those made on other torch builds or kinds of CPU (``builds/*/NAME.json``). The same seeds train other
    nets on each, so a weak effect shows here how far its count moves with the rounding alone."""
    study = get_study(name)
    return [load_results(name, directory)] + [_load_checked(path, study)
                                              for path in sorted((directory / "builds").glob(f"*/{name}.json"))]


def _untimed(figures: Any) -> Any:
    """Figures without their timings (``seconds``, ``control_seconds``, ...), which no two runs share."""
    if isinstance(figures, dict):
        return {k: _untimed(v) for k, v in figures.items() if not (k == "seconds" or k.endswith("_seconds"))}
    if isinstance(figures, list):
        return [_untimed(v) for v in figures]
    return figures


REL_TOL = 1e-6  # how far a figure may move with the thread count (see unequal_figures)


def _close(a: Any, b: Any) -> bool:
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_close(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_close(x, y) for x, y in zip(a, b))
    if isinstance(a, float) or isinstance(b, float):
        return isinstance(a, (int, float)) and isinstance(b, (int, float)) and math.isclose(a, b, rel_tol=REL_TOL)
    return a == b


def unequal_figures(measured: dict, saved: dict) -> list[str]:
    """The figures (top-level keys) that differ between a seed measured now and its saved row, timings aside.

    On the torch build and CPU that made the file a study trains the same nets, bit for bit, so a change to the
    training code moves its figures far. What is left is rounding: a sum over a large tensor adds in another order
    with another number of threads (a results file is made with every core, the tests run one thread per worker),
    which moves a float figure by a few units in its last place (measured: at most 8e-8 of itself). Floats are
    therefore compared to :data:`REL_TOL` of themselves, and everything else exactly.
    """
    a, b = _untimed(_plain(measured)), _untimed(_plain(saved))
    return sorted(k for k in a.keys() | b.keys() if k not in a or k not in b or not _close(a[k], b[k]))


def run_seeds(names: list[str], seeds: list[int], steps: int | None = None, save: bool = False,
              directory: Path = RESULTS_DIR) -> int:
    """Print one line per (study, seed); with ``save``, write each study's results file."""
    studies = [get_study(name) for name in names]  # an unknown name fails before any training
    start = time.perf_counter()
    for study in studies:
        per_seed = {}
        for seed in seeds:
            per_seed[seed] = study.measure(seed, steps)
            print(f"{study.name:<20s} seed {seed:2d}  {study.line(per_seed[seed])}", flush=True)
        if save:
            print(f"saved {save_results(study, per_seed, steps, directory)}")
    print(f"{len(names) * len(seeds)} runs in {time.perf_counter() - start:.0f} s")
    return 0
