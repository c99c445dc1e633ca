"""Reading a study's results table: the figures of every seed that a notebook renders and checks.

A table is ``results/NAME.json`` beside the notebooks (``notebooks/results/`` in the checkout, ``results/`` in the
student edition), written by the maintainers' ``python -m tools seeds NAME --seeds 0-9 --save``. Its rows are
``{"seeds": {seed: figures}}``; ``command`` is the line that remakes it. Whether a table is still what the code
makes is the tests' business (``tests/test_robustness.py``), not the notebook's.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from gan_course.outdir import PROJECT_ROOT


def results_dir() -> Path:
    """``results/`` beside the running notebook (the current folder), else the checkout's ``notebooks/results``."""
    here = Path("results")
    if here.is_dir() or PROJECT_ROOT is None:
        return here
    return PROJECT_ROOT / "notebooks" / "results"


def load_results(name: str, directory: str | Path | None = None) -> dict[str, Any]:
    """The table of study ``name`` (``NAME.json``), with its seeds as integers; FileNotFoundError names the file."""
    path = Path(directory if directory is not None else results_dir()) / f"{name}.json"
    if not path.is_file():
        raise FileNotFoundError(f"no results table for {name!r} at {path}: the notebooks' results/ folder is "
                                "missing or incomplete")
    record = json.loads(path.read_text())
    record["seeds"] = {int(s): figures for s, figures in record["seeds"].items()}
    return record

