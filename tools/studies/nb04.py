"""Notebook 04: the ring presets measured in full, and ring settings that are not presets."""

from __future__ import annotations

from typing import Any, Callable

from gan_course.data import load_dataset
from gan_course.experiments import get_preset
from tools.studies import Study
from tools.studies.presets import line_head
from gan_course.train import train


def _ring_line(f: dict) -> str:
    return (line_head(f) + f"modes {f['modes']}/8  high-quality {f['high_quality']:5.1f}%  reached {f['modes_reached']}/8  "
            f"median {f['median_sd']:6.1f} sd")


def _ring_study(name: str, description: str, make_config: Callable[[], Any], pack_share: bool = False) -> Study:
    """Train ``make_config()`` on the ring and measure notebook 04's ``ring_figures``, with its rounds and seconds."""
    from gan_course.lessons.nb04_mode_collapse import ring_figures  # widgets load only when a ring study runs

    def measure(seed: int, steps: int | None) -> dict:
        config = make_config()
        data = load_dataset("ring", verbose=False)
        run = train(config, data, seed=seed, steps=steps, progress=False)
        return {"seconds": run.seconds, "steps": int(run.history["step"][-1]),
                **ring_figures(run.generator, data, pack_share)}

    return Study(name, "04", description, measure, lambda: {"config": make_config().to_dict()}, _ring_line)


def _ring_variant(preset: str, **changes: Any) -> Callable[[], Any]:
    return lambda: get_preset(preset).config.replace(**changes)


STUDIES = [
    *(_ring_study(name, get_preset(name).description, _ring_variant(name), pack_share=name == "ring-fast-g")
      for name in ("ring", "ring-collapse", "ring-fast-g", "ring-fast-g-pacgan")),  # the ring presets, in full
    # ring-collapse one change at a time: what its collapse needs, and what packing alone does to it
    _ring_study("ring-collapse-k1", "ring-collapse with k = 1: the part of D's four steps", _ring_variant("ring-collapse", d_steps=1)),
    _ring_study("ring-collapse-equal-lr", "ring-collapse with G's lr equal to D's (l = 2 kept): the part of the fast G",
                _ring_variant("ring-collapse", lr_g=1e-3)),
    _ring_study("ring-collapse-pacgan", "ring-collapse with PacGAN packing (pack=2): the playground's remedy switch",
                _ring_variant("ring-collapse", pack=2)),
]
