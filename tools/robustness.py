"""``python -m tools seeds NAME ... --seeds 0-9 [--save]``: does a claim hold on every seed?

A *study* (:mod:`tools.studies`) trains once per seed and returns the figures a notebook asserts. ``seeds``
prints one line per (study, seed); with ``--save`` it writes ``notebooks/results/NAME.json``, the one table of the
study that the notebook renders (:func:`gan_course.results.load_results`) and the slow tests assert the claims on.
The table records what its figures depend on (the study's *fingerprint*, e.g. the preset's config); when that
changes, :func:`load_results` here says the table is stale and gives the command that remakes it.
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

from gan_course import results
from gan_course.device import cpu_kernels
from gan_course.outdir import write_atomic
from tools.studies import Study, collect

RESULTS_DIR = Path(__file__).resolve().parents[1] / "notebooks" / "results"
MAX_SEEDS = 1000  # one training each: more would run for days

STUDIES: dict[str, Study] = collect()
__all__ = ["STUDIES", "StaleResults", "Study", "get_study", "load_results", "parse_seeds", "run_seeds",
           "save_results", "unequal_figures"]


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
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return float(value)
    return value


def save_results(study: Study, per_seed: dict[int, dict], steps: int | None, directory: Path = RESULTS_DIR) -> Path:
    """Write ``NAME.json``: the figures of every seed, the study's fingerprint, the command that remakes them and
    where they were made (torch, CPU kernels, date)."""
    seeds = sorted(per_seed)
    command = f"python -m tools seeds {study.name} --seeds {','.join(map(str, seeds))}" + \
        (f" --steps {steps}" if steps else "") + " --save"
    record = {"study": study.name, "notebook": study.notebook, "command": command,
              "fingerprint": _plain(study.fingerprint()), "steps": steps,
              "machine": f"{platform.machine()} {platform.processor() or ''}".strip(),
              "torch": torch.__version__, "cpu": cpu_kernels(), "date": datetime.date.today().isoformat(),
              "seeds": {str(s): _plain(per_seed[s]) for s in seeds}}
    path = Path(directory) / f"{study.name}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(path, json.dumps(record, indent=1) + "\n")
    return path


class StaleResults(ValueError):
    """A results table no longer matches the code that would make it."""


def load_results(name: str, directory: Path = RESULTS_DIR) -> dict[str, Any]:
    """Study ``name``'s table (as :func:`gan_course.results.load_results`), checked fresh: FileNotFoundError or
    :class:`StaleResults` give the command that (re)makes it."""
    study = get_study(name)
    remake = f"python -m tools seeds {name} --seeds 0-9 --save"
    try:
        record = results.load_results(name, directory)
    except FileNotFoundError:
        raise FileNotFoundError(f"no saved results for {name!r} in {directory}; make them with `{remake}`") from None
    if record.get("fingerprint") != _plain(study.fingerprint()) or record.get("steps") is not None:
        raise StaleResults(f"{name}.json was made with other settings than the code now has; remake it with "
                           f"`{record.get('command', remake)}`")
    return record


REL_TOL = 1e-6  # how far a figure may move with the thread count (see unequal_figures)


def _untimed(figures: Any) -> Any:
    """Figures without their timings (``seconds``, ``control_seconds``, ...), which no two runs share."""
    if isinstance(figures, dict):
        return {k: _untimed(v) for k, v in figures.items() if not (k == "seconds" or k.endswith("_seconds"))}
    if isinstance(figures, list):
        return [_untimed(v) for v in figures]
    return figures


def _close(a: Any, b: Any) -> bool:
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_close(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_close(x, y) for x, y in zip(a, b))
    if isinstance(a, float) or isinstance(b, float):
        return isinstance(a, (int, float)) and isinstance(b, (int, float)) and math.isclose(a, b, rel_tol=REL_TOL)
    return a == b


def unequal_figures(measured: dict, saved: dict) -> list[str]:
    """The figures (top-level keys) that differ between two measurements of one trained run, timings aside: a shipped
    run's and a fresh training's of the same seed on the machine that trained the shipped one (tests/test_ring.py).

    There the nets are equal bit for bit; what is left is rounding of sums over large tensors with another thread
    count (measured: at most 8e-8 of a figure). Floats are compared to :data:`REL_TOL` of themselves, the rest exactly.
    """
    a, b = _untimed(_plain(measured)), _untimed(_plain(saved))
    return sorted(k for k in a.keys() | b.keys() if k not in a or k not in b or not _close(a[k], b[k]))


def run_seeds(names: list[str], seeds: list[int], steps: int | None = None, save: bool = False,
              directory: Path = RESULTS_DIR) -> int:
    """Print one line per (study, seed); with ``save``, write each study's results table."""
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
