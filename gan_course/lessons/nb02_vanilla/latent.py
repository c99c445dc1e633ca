r"""Is z disentangled? Move G's noise along one direction and measure what changes in the digit.

A sweep sets the component of z along a unit direction $u$ to the values $v$: $z' = z - (z \cdot u)\,u + v\,u$;
for $u = e_i$ that sets the coordinate $z_i$ to $v$ and leaves the others alone. Three factors are measured
on each digit: its class (the course's classifier), its thickness (ink: the mean brightness) and its slant
(from the second moments of the ink: how far the stroke moves right per row, up the digit).
"""

from __future__ import annotations

from dataclasses import dataclass

import matplotlib.pyplot as plt
import numpy as np
import torch

from gan_course.metrics import classify
from gan_course.plots import image_grid
from gan_course.seeding import fixed_noise

SWEEP = (-2.0, -1.0, 0.0, 1.0, 2.0)  # values of z along the direction: +-2 sd of the prior
COORDINATES = tuple(range(6))  # the coordinates of z that notebook 02 moves, one at a time
N_POPULATION = 500  # random digits whose spread of ink and slant is the unit of change
MOVES = 0.10  # notebook 02's claim: each coordinate changes the class of >= 10% of digits (ink and slant: reported)
LIKE_RANDOM = 2.0  # ... and moves each property within this factor of what a random direction does


def _brightness(images: torch.Tensor) -> torch.Tensor:
    """Pixels (N, 28, 28) in [0, 1] from images (N, 1, 28, 28) or (N, 784) in [-1, 1]."""
    return ((images.detach().float().reshape(-1, 28, 28) + 1) / 2).clamp(0, 1)


def ink(images: torch.Tensor) -> torch.Tensor:
    """Thickness of each digit (N,): its mean brightness in [0, 1] (0 is a black image)."""
    return _brightness(images).mean((1, 2))


def slant(images: torch.Tensor) -> torch.Tensor:
    r"""Slant of each digit (N,): $-\mathrm{cov}(row, col) / \mathrm{var}(row)$ of the ink, columns per row.

    0 is upright; 0.3 means the stroke moves 0.3 pixels right per row going up (leans right).
    """
    w = _brightness(images) + 1e-8  # (N, 28, 28) weights; a black image is upright
    rows = torch.arange(28.0).view(1, 28, 1)
    cols = torch.arange(28.0).view(1, 1, 28)
    mass = w.sum((1, 2))
    r = rows - ((w * rows).sum((1, 2)) / mass).view(-1, 1, 1)
    c = cols - ((w * cols).sum((1, 2)) / mass).view(-1, 1, 1)
    return -(w * r * c).sum((1, 2)) / (w * r * r).sum((1, 2))


@torch.no_grad()
def sweep(generator: torch.nn.Module, base: torch.Tensor, direction: torch.Tensor,
          values=SWEEP) -> torch.Tensor:
    """Digits (N, V, 1, 28, 28) from base z (N, d) with its component along ``direction`` (d,) set to each value."""
    u = direction.float() / direction.norm()
    along = base @ u  # (N,)
    values = torch.as_tensor(values, dtype=torch.float32)
    z = base.unsqueeze(1) + (values.view(1, -1) - along.view(-1, 1)).unsqueeze(2) * u  # (N, V, d)
    device = next(generator.parameters()).device
    images = generator(z.reshape(-1, base.shape[1]).to(device)).cpu()
    return images.view(len(base), len(values), 1, 28, 28)


@dataclass
class Effect:
    """What moving z along one direction from the sweep's first value to its last does to N digits.

    ``class_changed``: share of digits whose class changes somewhere along the sweep. For the digits that keep
    their class, the median |change| of ink and of slant in units of their spread among random digits, and the
    share of them where it moves the way most of them do (1: the same direction for every digit, a rule; about
    0.5: no rule, the direction depends on the digit).
    """

    class_changed: float
    ink_change: float
    ink_same_way: float
    slant_change: float
    slant_same_way: float


def effect(generator: torch.nn.Module, base: torch.Tensor, direction: torch.Tensor, spread: dict[str, float],
           values=SWEEP) -> Effect:
    """The :class:`Effect` of a sweep along ``direction`` from base z (N, d); ``spread`` = {"ink": sd, "slant": sd}."""
    images = sweep(generator, base, direction, values)  # (N, V, 1, 28, 28)
    n, v = images.shape[:2]
    classes = classify(images.reshape(-1, 1, 28, 28))[0].view(n, v)
    kept = (classes == classes[:, :1]).all(1)  # (N,) the class never changes along the sweep
    figures = {}
    for name, measure in (("ink", ink), ("slant", slant)):
        ends = measure(images[:, [0, -1]].reshape(-1, 1, 28, 28)).view(n, 2)
        change = (ends[:, 1] - ends[:, 0])[kept] / spread[name]
        up = float((change > 0).float().mean()) if len(change) else 0.5
        figures[name] = (float(change.abs().median()) if len(change) else 0.0, max(up, 1 - up))
    return Effect(1 - float(kept.float().mean()), *figures["ink"], *figures["slant"])


@torch.no_grad()
def spread(generator: torch.nn.Module, latent_dim: int, seed: int = 0) -> dict[str, float]:
    """Standard deviation of ink and of slant over N_POPULATION random digits of G."""
    device = next(generator.parameters()).device
    images = generator(fixed_noise(N_POPULATION, latent_dim, seed).to(device)).cpu()
    return {"ink": float(ink(images).std()), "slant": float(slant(images).std())}


def random_directions(n: int, latent_dim: int, seed: int = 0) -> torch.Tensor:
    """n random unit directions (n, latent_dim): the reference a coordinate axis is compared with."""
    d = fixed_noise(n, latent_dim, seed)
    return d / d.norm(dim=1, keepdim=True)


def disentanglement_study(generator: torch.nn.Module, latent_dim: int, coordinates=COORDINATES, n_random: int = 6,
                          n_digits: int = 48, seed: int = 0) -> dict[str, list[Effect]]:
    """Effects of sweeping each coordinate, and of as many random directions, on the same ``n_digits`` base z."""
    was_training = generator.training
    generator.eval()
    try:
        units = spread(generator, latent_dim, seed=10_000 + seed)
        base = fixed_noise(n_digits, latent_dim, seed)
        axes = [effect(generator, base, torch.eye(latent_dim)[i], units) for i in coordinates]
        randoms = [effect(generator, base, u, units) for u in random_directions(n_random, latent_dim, 20_000 + seed)]
    finally:
        generator.train(was_training)
    return {"coordinates": axes, "random": randoms}


def effect_table(study: dict[str, list[Effect]], coordinates=COORDINATES) -> str:
    """A markdown table: one row per coordinate, and the mean of the random directions."""
    head = ("| moved | class changes | ink change (sd) | ink: same way | slant change (sd) | slant: same way |\n"
            "|---|---|---|---|---|---|\n")

    def row(name: str, e: Effect) -> str:
        return (f"| {name} | {e.class_changed:.0%} | {e.ink_change:.2f} | {e.ink_same_way:.0%} | "
                f"{e.slant_change:.2f} | {e.slant_same_way:.0%} |\n")

    mean = Effect(*np.mean([list(vars(e).values()) for e in study["random"]], axis=0).tolist())
    rows = [row(f"$z_{{{i}}}$", e) for i, e in zip(coordinates, study["coordinates"])]
    return head + "".join(rows) + row(f"random direction (mean of {len(study['random'])})", mean)


def plot_sweeps(generator: torch.nn.Module, latent_dim: int, coordinates=COORDINATES, seeds=(0, 1),
                values=(-2.0, -1.0, 0.0, 1.0, 2.0)):
    """For each base z (one per seed), a grid: one row per coordinate, one column per value of it; returns axes."""
    fig, axes = plt.subplots(1, len(seeds), figsize=(3.2 * len(seeds), 0.55 * len(coordinates) + 0.8))
    axes = np.atleast_1d(axes)
    was_training = generator.training
    generator.eval()
    for ax, seed in zip(axes, seeds):
        base = fixed_noise(1, latent_dim, seed)
        rows = [sweep(generator, base, torch.eye(latent_dim)[i], values)[0] for i in coordinates]
        ax.imshow(image_grid(torch.cat(rows), len(values)), cmap="gray", vmin=0, vmax=1)
        ax.set_xticks([15 + 30 * j for j in range(len(values))], [f"{v:+g}" for v in values])
        ax.set_yticks([15 + 30 * j for j in range(len(coordinates))], [f"$z_{{{i}}}$" for i in coordinates])
        ax.set_xlabel("value of the coordinate")
        ax.set_title(f"digit {seed + 1}: one coordinate at a time", fontsize=9)
        for side in ax.spines.values():
            side.set_visible(False)
    generator.train(was_training)
    plt.tight_layout()
    return axes
