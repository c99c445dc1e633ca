"""Helpers shared by the tests (not part of the package)."""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np
import pytest
import torch
from matplotlib.backends.backend_agg import FigureCanvasAgg

from gan_course.checkpoints import SHIPPED_RUNS, load_config
from tools.robustness import build_here


def figure_pixels(fig) -> np.ndarray:
    """The rendered RGBA pixels of a figure (H, W, 4): lets tests compare pictures."""
    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    return np.asarray(canvas.buffer_rgba()).copy()


def same_build(name: str) -> None:
    """Skip unless this machine's torch and CPU kernels are the ones that trained the shipped run."""
    _, meta = load_config(SHIPPED_RUNS / name)
    here = build_here()
    if (meta.get("torch"), meta.get("cpu")) != here:
        pytest.skip(f"the shipped {name!r} was trained with torch {meta.get('torch')}, CPU kernels {meta.get('cpu')}; "
                    f"this is torch {here[0]}, {here[1]}: bit-equal weights are not expected")


def unequal_nets(a, b) -> list[str]:
    """The nets ("generator", "discriminator") whose weights differ between two training results, bit for bit."""
    differ = []
    for net in ("generator", "discriminator"):
        x, y = getattr(a, net).state_dict(), getattr(b, net).state_dict()
        if x.keys() != y.keys() or not all(torch.equal(x[k], y[k]) for k in x):
            differ.append(net)
    return differ


@dataclass(frozen=True)
class StudyFigures:
    """A study's figures on some seeds, and where they come from.

    ``rows``: seed -> figures. ``checked``: the seed trained again here whose figures equal its saved row, to six
    significant digits (None when the saved table was not used). ``not_reused``: why every seed was trained here
    instead (None when the table was used); ``other_build`` says the reason is a torch build or CPU other than the
    table's.
    """

    name: str
    rows: dict
    checked: int | None
    not_reused: str | None
    other_build: bool = False


@functools.cache
def study_figures(name: str, seeds: tuple[int, ...], check: int, directory=None) -> StudyFigures:
    """The figures of study ``name`` on ``seeds``, from its results file when training seed ``check`` again gives
    that seed's saved row (see :func:`tools.robustness.unequal_figures`); otherwise every seed is trained
    here (and ``not_reused`` says why).

    On one torch build and kind of CPU a study trains the same nets bit for bit, so one seed retrained stands for the
    table being what the code makes now: a claim asserted on the rows is asserted on figures this code gives, over
    every seed, for the price of one training. The table is ``NAME.json``, or, when that was made on another build,
    the one made on this build beside it (:func:`tools.robustness.results_path`). Cached per test
    process: the tests of one file share each study.
    """
    from tools.robustness import (RESULTS_DIR, StaleResults, get_study, load_results, results_path,
                                             unequal_figures)

    study, seeds, directory = get_study(name), tuple(dict.fromkeys((check, *seeds))), directory or RESULTS_DIR

    def trained_here(reason: str, other_build: bool = False, done: dict | None = None) -> StudyFigures:
        rows = {**(done or {}), **{s: study.measure(s, None) for s in seeds if s not in (done or {})}}
        rows = dict(sorted(rows.items()))
        return StudyFigures(name, rows, None, reason, other_build)

    try:
        record = load_results(name, directory)
    except (FileNotFoundError, StaleResults) as e:
        return trained_here(str(e))
    here, table = build_here(), f"{name}.json"
    if (record.get("torch"), record.get("cpu")) != here:
        try:
            record, table = load_results(name, directory, here), str(results_path(name, directory, here))
        except (FileNotFoundError, StaleResults):
            return trained_here(f"{name}.json was made with torch {record.get('torch')}, CPU kernels "
                                f"{record.get('cpu')}; this is torch {here[0]}, {here[1]}: equal figures are not "
                                f"expected, and no fresh table of this build is beside it (`{record['command']}` "
                                f"writes one)", other_build=True)
    missing = [s for s in seeds if s not in record["seeds"]]
    if missing:
        return trained_here(f"{table} has no row for seed(s) {missing}; remake it with `{record['command']}`")
    measured = study.measure(check, None)
    differ = unequal_figures(measured, record["seeds"][check])
    if differ:
        return trained_here(f"training seed {check} of {name!r} again gives other {', '.join(differ)} than "
                            f"{table}: remake it with `{record['command']}`", done={check: measured})
    return StudyFigures(name, {s: measured if s == check else record["seeds"][s] for s in sorted(seeds)}, check, None)


def study_fixture(name: str, seeds: tuple[int, ...], check: int):
    """A module's ``study`` fixture (:func:`study_figures`, once per module), so that the table's test and the
    claims' tests read one call. Use as ``study = study_fixture(NAME, SEEDS, check=...)``."""

    @pytest.fixture(scope="module")
    def study():
        return study_figures(name, seeds, check)

    return study


def study_fixtures(name: str, seeds: tuple[int, ...], check: int):
    """Two fixtures for a test module: ``study`` (:func:`study_fixture`) and ``figures``, one ``(seed, figures)``
    per seed. Use as ``study, figures = study_fixtures(NAME, SEEDS, check=...)``."""
    study = study_fixture(name, seeds, check)

    @pytest.fixture(params=seeds, ids=lambda seed: f"seed{seed}")
    def figures(request, study):
        return request.param, study.rows[request.param]

    return study, figures


def assert_table_reproduced(figures: StudyFigures) -> None:
    """Fail when the study's results file is not what its code makes now (skip on another torch build or CPU)."""
    if figures.other_build:
        pytest.skip(figures.not_reused)
    assert figures.not_reused is None, figures.not_reused
