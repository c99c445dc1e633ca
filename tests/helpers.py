"""Helpers shared by the tests (not part of the package)."""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np
import pytest
import torch
from matplotlib.backends.backend_agg import FigureCanvasAgg

from gan_course.checkpoints import SHIPPED_RUNS, load_config
from gan_course.device import cpu_kernels


def figure_pixels(fig) -> np.ndarray:
    """The rendered RGBA pixels of a figure (H, W, 4): lets tests compare pictures."""
    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    return np.asarray(canvas.buffer_rgba()).copy()


def same_build(name: str) -> None:
    """Skip unless this machine's torch and CPU kernels are the ones that trained the shipped run ``name``."""
    _, meta = load_config(SHIPPED_RUNS / name)
    if (meta.get("torch"), meta.get("cpu")) != (torch.__version__, cpu_kernels()):
        pytest.skip(f"the shipped {name!r} was trained with torch {meta.get('torch')} on {meta.get('cpu')}; this is "
                    f"torch {torch.__version__} on {cpu_kernels()}: bit-equal weights are not expected")


@dataclass(frozen=True)
class StudyFigures:
    """A study's table rows (seed -> figures), seed ``checked``'s trained here; ``stale``: why the table is not what
    the study's code makes now (None when it is)."""
    name: str
    rows: dict
    checked: int
    stale: str | None


@functools.cache
def study_figures(name: str, seeds: tuple[int, ...], check: int, directory=None) -> StudyFigures:
    """Study ``name``'s table rows for ``seeds``, with seed ``check``'s replaced by a training on this machine: a
    claim asserted on every row holds on the committed seeds and on whatever CPU runs the tests (a claim that one
    retrained seed breaks is not robust). Cached per test process."""
    from gan_course.results import load_results
    from tools.robustness import RESULTS_DIR, StaleResults, get_study, load_results as load_checked

    directory, stale = directory or RESULTS_DIR, None
    try:
        record = load_checked(name, directory)
    except StaleResults as err:
        record, stale = load_results(name, directory), str(err)
    missing = sorted(set(seeds) - set(record["seeds"]) - {check})
    if missing:
        raise LookupError(f"{name}.json has no row for seed(s) {missing}; remake it with `{record['command']}`")
    rows = {s: record["seeds"][s] for s in seeds if s != check} | {check: get_study(name).measure(check, None)}
    return StudyFigures(name, dict(sorted(rows.items())), check, stale)


def study_fixture(name: str, seeds: tuple[int, ...], check: int):
    """A module's ``study`` fixture (:func:`study_figures`, once per module): ``study = study_fixture(NAME, ...)``."""
    return pytest.fixture(scope="module", name="study")(lambda: study_figures(name, seeds, check))


def study_fixtures(name: str, seeds: tuple[int, ...], check: int):
    """``study`` (:func:`study_fixture`) and ``figures``, one ``(seed, figures)`` per seed."""

    @pytest.fixture(params=seeds, ids=lambda seed: f"seed{seed}")
    def figures(request, study):
        return request.param, study.rows[request.param]

    return study_fixture(name, seeds, check), figures


def assert_table_reproduced(figures: StudyFigures) -> None:
    """Fail when the study's table is stale: made with other settings than its code now has."""
    assert figures.stale is None, figures.stale
