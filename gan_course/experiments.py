"""Named experiment presets, shared by the notebooks and the command line.

Each preset is a :class:`GANConfig` whose ``steps`` is the budget its notebook uses.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, fields
from typing import Any

from gan_course.config import GANConfig


@dataclass(frozen=True)
class Preset:
    name: str
    description: str
    config: GANConfig
    notebook: str


_VANILLA = GANConfig(
    dataset="mnist",
    latent_dim=100,
    g_hidden=(256, 512),
    d_hidden=(512, 256),
    d_dropout=0.3,
    loss="non_saturating",
    lr_d=5e-4,
    # Separate learning rates for D and G, as in the two time-scale update rule (TTUR, Heusel et al., NeurIPS
    # 2017), but with G the faster player: at this budget G is still far from done. 2x D's rate: FD 82-99 on
    # seeds 0-4 on the AMD EPYC (seed 0: 92, where equal rates 5e-4 gave 104; on the Intel Xeon 84 and 116, from
    # `bench --skip-baseline --try vanilla lr_g=5e-4`); 4x (2e-3) collapsed to 8 classes.
    lr_g=1e-3,
    steps=6000,
)

# Notebook 03's regime, "D is fairly good": k = 2, no dropout in D, lr 2e-4; G's gradient norm logged every round.
_STRONG_D = _VANILLA.replace(d_steps=2, d_dropout=0.0, lr_d=2e-4, lr_g=2e-4, steps=1000, log_every=1)

# Notebook 04's ring. The plain setting: one D-step and one G-step a round, equal constant learning rates.
_RING = GANConfig(dataset="ring", latent_dim=2, g_hidden=(64,) * 5, d_hidden=(128, 128), lr_d=1e-3, lr_g=1e-3,
                  batch_size=128, steps=8000, snapshot_every=500)
# A fast G: l = 2 G-steps a round at 6x D's lr, both annealed to 0 by a cosine schedule. Unpacked, it ends with its
# samples in one spot, on a mode or beside the ring; packed (PacGAN), it covers the ring.
_RING_FAST_G = _RING.replace(g_steps=2, lr_g=6e-3, lr_schedule="cosine")
# The slide's collapse: the same fast G against a D that takes k = 4 steps a round, constant lrs. G moves all its
# samples to where D says "real" before D adapts; D's four steps keep them on the ring, on one or a few modes.
_RING_COLLAPSE = _RING_FAST_G.replace(d_steps=4, lr_schedule="constant", steps=4000)

PRESETS: dict[str, Preset] = {
    p.name: p
    for p in [
        Preset("vanilla", "MLP G and D on MNIST, non-saturating G loss, G's lr twice D's (notebook 02)", _VANILLA,
               "02"),
        Preset("saturating", "vanilla with the original, saturating G loss log(1 - D(G(z))), equal lrs 5e-4",
               _VANILLA.replace(loss="saturating", lr_g=5e-4), "03"),
        Preset("strong-d", "vanilla with a fairly good D (k=2, no dropout in D, lr 2e-4), 1,000 rounds, G's gradient "
               "norm logged every round (notebook 03)", _STRONG_D, "03"),
        Preset("strong-d-saturating", "strong-d with the saturating G loss (notebook 03)",
               _STRONG_D.replace(loss="saturating"), "03"),
        Preset("ring", "8 Gaussians on a ring, plain GAN: k = l = 1, equal constant learning rates (notebook 04)",
               _RING, "04"),
        Preset("ring-collapse", "ring with a fast G (l = 2 at 6x D's lr) and k = 4 D-steps, constant lr, 4,000 rounds: "
               "realistic samples of at most 3 of 8 modes (notebook 04)", _RING_COLLAPSE, "04"),
        Preset("ring-fast-g", "ring with a fast G (l = 2 at 6x D's lr), cosine schedule: its samples end in one spot "
               "(notebook 04)", _RING_FAST_G, "04"),
        Preset("ring-fast-g-pacgan", "ring-fast-g with PacGAN packing (pack=2): all 8 modes, >= 90% high-quality "
               "(notebook 04)", _RING_FAST_G.replace(pack=2), "04"),
        Preset("cgan", "conditional GAN: one-hot label concatenated to z for G and to x for D, k=3 D-steps, "
               "G's lr twice D's (notebook 06)",
               # lr_g 2e-3 (was 1e-3) learns the labels sooner: on seed 0 on the AMD EPYC, 97.2% of requested
               # digits and FD 27.5 after 3,000 rounds, where lr_g 1e-3 had 95.6% and FD 36.1 (96.5%, 34.4 after
               # 3,500); on the Intel Xeon 96.5% and 27.1 against 95.6% and 31.8 (`bench --try cgan lr_g=1e-3`).
               _VANILLA.replace(conditional=True, latent_dim=16, d_hidden=(256, 128), d_dropout=0.0, d_steps=3,
                                lr_d=1e-3, lr_g=2e-3, batch_size=128, steps=3000), "06"),
        Preset("dropout", "original-GAN-style SGD + momentum, D with 20% input dropout; control: "
               "--set input_dropout=0 (notebook 05)",
               GANConfig(dataset="mnist", latent_dim=100, g_hidden=(128, 256), d_hidden=(256, 128), input_dropout=0.2,
                         d_dropout=0.5, optimizer="sgd", lr_d=0.05, lr_g=0.05, momentum=0.7, batch_size=100,
                         steps=1000, snapshot_every=100), "05"),
    ]
}


def get_preset(name: str) -> Preset:
    """The preset called ``name``; a ValueError lists the known names otherwise."""
    if name not in PRESETS:
        raise ValueError(f"unknown preset {name!r}; known presets: {', '.join(PRESETS)}")
    return PRESETS[name]


def _parse_value(key: str, text: str, current: Any) -> Any:
    """Parse ``text`` to the type of the config field ``key`` (whose value is ``current``)."""
    kind = type(current)
    try:
        if kind is bool:
            lowered = text.strip().lower()
            if lowered not in ("true", "false", "1", "0", "yes", "no"):
                raise ValueError
            return lowered in ("true", "1", "yes")
        if kind is int:
            return int(text)
        if kind is float:
            return float(text)
        if kind is tuple:
            parts = [p for p in text.replace("(", "").replace(")", "").split(",") if p.strip()]
            return tuple(int(p) for p in parts)
        if kind is str:
            return text
        return ast.literal_eval(text)
    except ValueError:
        pass
    example = {bool: "true or false", int: "an integer", float: "a number", tuple: "integers like 256,512"}.get(kind, kind.__name__)
    raise ValueError(f"--set {key}={text}: expected {example}")


def apply_overrides(config: GANConfig, overrides: list[str]) -> GANConfig:
    """Apply ``KEY=VALUE`` strings to a config; ValueError names a bad key or value."""
    names = {f.name for f in fields(config)}
    changes: dict[str, Any] = {}
    for item in overrides:
        if "=" not in item:
            raise ValueError(f"--set expects KEY=VALUE, got {item!r}")
        key, text = item.split("=", 1)
        key = key.strip()
        if key not in names:
            raise ValueError(f"--set {key}: unknown config key; known keys: {', '.join(sorted(names))}")
        changes[key] = _parse_value(key, text, getattr(config, key))
    return config.replace(**changes)
