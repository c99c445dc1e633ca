"""The seed studies, one module per notebook: each trains once per seed and returns the figures its notebook asserts.

A study is a :class:`Study`; each module lists its own in ``STUDIES``. :mod:`tools.robustness` collects
them (``python -m tools seeds NAME``), writes ``notebooks/results/NAME.json`` and reads it back checked fresh.

- :mod:`.presets`: every preset (ring modes, c-GAN label accuracy, MNIST FD)
- :mod:`.nb01`: the G-step with D frozen and not
- :mod:`.nb02`: the optimal D on a 1-D toy, and one `vanilla` run read against the equilibrium
- :mod:`.nb03`: the saturation chain and both G losses
- :mod:`.nb04`: ring settings that are not presets
- :mod:`.nb05`: co-adaptation, on toys and on MNIST
- :mod:`.nb06`: one c-GAN against ten per-class GANs
- :mod:`.nb07`: the gradient gap of the two G losses
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Any, Callable

MODULES = ("presets", "nb01", "nb02", "nb03", "nb04", "nb05", "nb06", "nb07")


@dataclass(frozen=True)
class Study:
    """A measurement repeated over seeds: ``measure(seed, steps)`` returns a dict of numbers."""

    name: str
    notebook: str
    description: str
    measure: Callable[[int, int | None], dict[str, Any]]
    fingerprint: Callable[[], dict[str, Any]]  # what the figures depend on; JSON-serialisable
    line: Callable[[dict[str, Any]], str]  # the figures of one seed, as the table prints them


def collect() -> dict[str, Study]:
    """Every study of every module, by name, in the modules' order; a name used twice is an error."""
    studies: dict[str, Study] = {}
    for module in MODULES:
        for study in importlib.import_module(f"{__name__}.{module}").STUDIES:
            if study.name in studies:
                raise ValueError(f"two studies are called {study.name!r} (the second in studies.{module})")
            studies[study.name] = study
    return studies
