r"""Neuron co-adaptation in D (notebook 05): the always-black border of MNIST, the noise G
leaves there, and how D's first layer weighs it.

Real digits are 0 (black; -1 on the [-1, 1] scale) on a frame of pixels near the border.
A hidden unit of D whose weights there come in pairs $+a, -a$ answers
$a x_1 - a x_2 = 0$ to every real digit *and* to every fake whose noise is equal on the pair:
the noise cancels and passes. Dropout on D's input breaks such pairs at random, so each
pathway has to judge on its own.
"""

from __future__ import annotations

from typing import Sequence

import ipywidgets as w
import matplotlib.pyplot as plt
import numpy as np
import torch

from gan_course.plots import show_grid
from gan_course.train import train
from gan_course.widgets import PROBE, redraw


def _flat(images: torch.Tensor) -> torch.Tensor:
    """Images (N, 1, 28, 28), (N, 28, 28) or (N, 784) in [-1, 1] as (N, 784) on the CPU."""
    images = torch.as_tensor(images).detach().float().cpu()
    if images.dim() < 2 or images[0].numel() != 784:
        raise ValueError(f"expected images of shape (N, 1, 28, 28) or (N, 784), got {tuple(images.shape)}")
    return images.reshape(len(images), 784)


def border_mask(images: torch.Tensor) -> torch.Tensor:
    """Pixels (28, 28) that are 0 (black, -1 on the [-1, 1] scale) in EVERY image (N, 1, 28, 28) in [-1, 1]."""
    pixels = (_flat(images) + 1) / 2  # (N, 784) in [0, 1]
    return pixels.amax(0).eq(0).view(28, 28)


def border_energy(images: torch.Tensor, mask: torch.Tensor) -> float:
    r"""Mean $|p|$ on the masked pixels of images in [-1, 1], on the [0, 1] pixel scale $p = (x + 1) / 2$.

    0 for a clean black border, 0.5 for a mid-gray one.
    """
    mask = torch.as_tensor(mask, dtype=torch.bool).flatten().cpu()
    if mask.numel() != 784 or not mask.any():
        raise ValueError(f"mask must select some of the 28 x 28 pixels, got {mask.numel()} entries, {int(mask.sum())} set")
    pixels = (_flat(images) + 1) / 2  # (N, 784)
    return float(pixels[:, mask].abs().mean())


def late_samples(snapshots: Sequence[dict], last: float = 0.5) -> torch.Tensor:
    """The snapshot samples (fixed z) of the last ``last`` share of training, stacked: (n_late * N, 1, 28, 28)."""
    if not snapshots:
        raise ValueError("no snapshots: train first")
    final = snapshots[-1]["step"]
    return torch.cat([s["samples"] for s in snapshots if s["step"] >= (1 - last) * final])


def late_border_energy(snapshots: Sequence[dict], mask: torch.Tensor, last: float = 0.5) -> float:
    """Border energy of the snapshot samples over the last ``last`` share of training (default: its second half).

    G oscillates from one snapshot to the next; the average over many is the steadier number.
    """
    return border_energy(late_samples(snapshots, last), mask)


def first_layer_weights(discriminator: torch.nn.Module) -> torch.Tensor:
    """D's first-layer weights on the 784 pixels, (hidden, 784) (a conditional D's label columns dropped)."""
    return discriminator.net[0].weight.detach().cpu()[:, :784]


def border_weights(discriminator: torch.nn.Module, mask: torch.Tensor) -> torch.Tensor:
    """D's first-layer weights on the masked pixels, (hidden, n_masked)."""
    mask = torch.as_tensor(mask, dtype=torch.bool).flatten().cpu()
    return first_layer_weights(discriminator)[:, mask]


def cancellation(weights: torch.Tensor) -> torch.Tensor:
    r"""How much each row of weights (H, P) cancels itself: $1 - |\sum_i w_i| / \sum_i |w_i|$, shape (H,).

    1 for pairs $+a, -a$ (a border lit evenly adds nothing to the unit), 0 when all weights
    have one sign (any light on the border moves the unit). An all-zero row counts as 0.
    """
    weights = torch.as_tensor(weights, dtype=torch.float32)
    if weights.dim() == 1:
        weights = weights.unsqueeze(0)
    total = weights.abs().sum(1)
    return torch.where(total > 0, 1 - weights.sum(1).abs() / total.clamp_min(1e-12), torch.zeros_like(total))


# ------------------------------------------------------------------------------- plots
def show_border_map(images: torch.Tensor, mask: torch.Tensor, title: str = "", ax=None, vmax: float = 0.1):
    """Mean pixel (on [0, 1]) of images (N, 1, 28, 28) in [-1, 1] on the border pixels; the digit area blank."""
    mean = ((_flat(images) + 1) / 2).mean(0).view(28, 28).numpy()  # (28, 28)
    shown = np.where(torch.as_tensor(mask, dtype=torch.bool).view(28, 28).numpy(), mean, np.nan)
    if ax is None:
        _, ax = plt.subplots(figsize=(2.6, 2.6))
    image = ax.imshow(shown, cmap="magma", vmin=0, vmax=vmax)
    ax.set_facecolor("0.85")
    ax.set_title(title, fontsize=9)
    ax.set_xticks([]), ax.set_yticks([])
    plt.colorbar(image, ax=ax, fraction=0.046, pad=0.04)
    return image


def show_unit_weights(discriminator: torch.nn.Module, mask: torch.Tensor, units: Sequence[int], axes=None):
    """Draw the first-layer weights (28 x 28) of some hidden units on the border pixels only (the rest gray)."""
    mask = torch.as_tensor(mask, dtype=torch.bool).view(28, 28)
    weights = first_layer_weights(discriminator)[list(units)].view(-1, 28, 28)  # (U, 28, 28)
    limit = float(weights[:, mask].abs().max())
    if axes is None:
        _, axes = plt.subplots(1, len(units), figsize=(1.9 * len(units), 2.2))
    axes = np.atleast_1d(axes)
    for ax, unit, img in zip(axes, units, weights):
        ax.imshow(np.where(mask.numpy(), img.numpy(), np.nan), cmap="RdBu_r", vmin=-limit, vmax=limit)
        ax.set_facecolor("0.85")
        ax.set_title(f"unit {unit}", fontsize=9)
        ax.set_xticks([]), ax.set_yticks([])
    return axes


# ------------------------------------------------------------------------------ sweep
def dropout_sweep(config, data, rates: Sequence[float], mask: torch.Tensor, *, seed: int = 0,
                  runs: dict | None = None) -> dict[float, dict]:
    """Train ``config`` once per input-dropout rate; per rate: last samples, late samples, late border energy.

    ``runs`` maps a rate to a TrainResult already trained with this config and seed, so that
    a notebook does not train its main runs twice.
    """
    sweep: dict[float, dict] = {}
    for rate in rates:
        rate = float(rate)
        run = (runs or {}).get(rate)
        if run is None:
            run = train(config.replace(input_dropout=rate), data, seed=seed, progress=False)
        sweep[rate] = {"samples": run.snapshots[-1]["samples"], "late_samples": late_samples(run.snapshots),
                       "border_energy": late_border_energy(run.snapshots, mask)}
    return sweep


class DropoutRateWidget:
    """A slider over the input-dropout rates of a sweep: the run's last samples, its mean border
    pixels, and the late border energy of every rate with the chosen one highlighted."""

    def __init__(self, sweep: dict[float, dict], mask: torch.Tensor, start: float | None = None):
        if not sweep:
            raise ValueError("the sweep is empty: train at least one input-dropout rate")
        self.sweep, self.mask = dict(sorted(sweep.items())), mask
        rates = list(self.sweep)
        start = rates[0] if start is None else float(start)
        if start not in self.sweep:
            raise ValueError(f"start rate {start} is not in the sweep; rates are {rates}")
        self.slider = w.SelectionSlider(options=[(f"{r:.2f}", r) for r in rates], value=start,
                                        description="input dropout", continuous_update=False,
                                        style={"description_width": "initial"}, layout=w.Layout(width="420px"))
        self.slider.add_class(PROBE)
        self.output = w.Output()
        self.slider.observe(lambda change: self.show(change["new"]), names="value")
        self.widget = w.VBox([self.slider, self.output])
        self.shown: dict | None = None
        self.show(start)

    def show(self, rate: float) -> dict:
        """Draw the run trained with input dropout ``rate``; returns its entry of the sweep."""
        if rate not in self.sweep:
            raise ValueError(f"no run with input dropout {rate}; rates are {list(self.sweep)}")
        entry = self.sweep[rate]

        def draw():
            fig, axes = plt.subplots(1, 3, figsize=(12, 3.2), gridspec_kw={"width_ratios": [1.3, 1, 1.2]})
            show_grid(entry["samples"][:16], 4, f"input dropout {rate:.2f}: last samples", ax=axes[0])
            show_border_map(entry["late_samples"], self.mask, "mean border pixel, 2nd half", ax=axes[1])
            rates = list(self.sweep)
            energies = [self.sweep[r]["border_energy"] for r in rates]
            axes[2].bar([f"{r:.2f}" for r in rates], energies, color=["C3" if r == rate else "C0" for r in rates])
            axes[2].set_xlabel("input dropout rate")
            axes[2].set_title("late border energy (2nd half of training)", fontsize=9)
            plt.tight_layout()
            return entry

        self.shown = redraw(self.output, draw)
        return self.shown
