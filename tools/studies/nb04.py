"""Notebook 04: the ring presets measured in full, and ring settings that are not presets."""

from __future__ import annotations

from typing import Any, Callable

import torch

from gan_course.data import load_dataset
from gan_course.experiments import get_preset
from gan_course.metrics import ring_metrics
from tools.studies import Study
from tools.studies.presets import line_head
from gan_course.train import train


def _ring_line(f: dict) -> str:
    return (line_head(f) + f"modes {f['modes']}/8  high-quality {f['high_quality']:5.1f}%  reached {f['modes_reached']}/8  "
            f"median {f['median_sd']:6.1f} sd")


def ring_figures(generator: torch.nn.Module, ring: Any, latent_dim: int, pack_share: bool = False) -> dict:
    """A ring generator's figures: modes covered, high-quality %, where its samples lie at any distance and (with
    ``pack_share``) how often a pack of 2 of them shares a mode, all on ring_metrics' fixed z."""
    from gan_course.metrics import RING_METRIC_SEED
    from gan_course.lessons.nb04_mode_collapse import same_mode_share, where_samples_lie  # widgets load only when this study runs
    from gan_course.seeding import fixed_noise

    m = ring_metrics(generator, ring)
    with torch.no_grad():
        z = fixed_noise(2500, latent_dim, RING_METRIC_SEED)  # the z behind ring_metrics
        points = generator(z.to(next(generator.parameters()).device)).cpu()  # (2500, 2)
    figures = {"modes": m["modes_covered"], "high_quality": m["high_quality"], **where_samples_lie(points, ring)}
    if pack_share:
        figures["same_mode_share"] = same_mode_share(points, ring)
    return figures


def _ring_study(name: str, description: str, make_config: Callable[[], Any], pack_share: bool = False) -> Study:
    """Train ``make_config()`` on the ring and measure :func:`ring_figures`, with its rounds and seconds."""

    def measure(seed: int, steps: int | None) -> dict:
        config = make_config()
        data = load_dataset("ring", verbose=False)
        run = train(config, data, seed=seed, steps=steps, progress=False)
        return {"seconds": run.seconds, "steps": int(run.history["step"][-1]),
                **ring_figures(run.generator, data, config.latent_dim, pack_share)}

    return Study(name, "04", description, measure, lambda: {"config": make_config().to_dict()}, _ring_line)


def _ring_variant(preset: str, **changes: Any) -> Callable[[], Any]:
    return lambda: get_preset(preset).config.replace(**changes)


def _playground(**changes: Any) -> Callable[[], Any]:
    def make_config() -> Any:
        from gan_course.lessons.nb04_mode_collapse import playground_config  # widgets load only when this study runs

        return playground_config().replace(**changes)

    return make_config


STUDIES = [
    *(_ring_study(name, get_preset(name).description, _ring_variant(name), pack_share=name == "ring-fast-g")
      for name in ("ring", "ring-fast-g", "ring-fast-g-pacgan")),  # the ring presets, measured in full
    _ring_study("ring-playground", "notebook 04's playground as it starts: ring-fast-g, constant lr, 4,000 rounds",
                _playground()),
    _ring_study("ring-playground-pacgan", "the playground with the remedy switched on (pack=2)", _playground(pack=2)),
    *(_ring_study(f"ring-playground-k{k}", f"the playground with k = {k} D-steps a round (04's Question 5)",
                  _playground(d_steps=k)) for k in (2, 4)),
    _ring_study("ring-fast-g-constant", "ring-fast-g with a constant lr schedule (8,000 rounds): the schedule's part",
                _ring_variant("ring-fast-g", lr_schedule="constant")),
    _ring_study("ring-fast-g-l1", "ring-fast-g with l = 1 (G still at 6x D's lr): the part of l = 2",
                _ring_variant("ring-fast-g", g_steps=1)),
    _ring_study("ring-fast-g-equal-lr", "ring-fast-g with G's lr equal to D's (l = 2 kept): the part of the 6x lr",
                _ring_variant("ring-fast-g", lr_g=1e-3)),
]
