"""Figures and the slider of notebook 05: MNIST's border, D's border weights, per-seed comparisons with and
without input dropout, toy samples, the toy's chain seed by seed, and the toy's input-dropout slider."""

from __future__ import annotations

from typing import Sequence

import ipywidgets as w
import matplotlib.pyplot as plt
import numpy as np
import torch

from gan_course.lessons.nb05_coadaptation.mnist import first_layer_weights, pixels_01
from gan_course.widgets import PROBE, redraw


# --------------------------------------------------------------------------- MNIST
def show_border_map(images: torch.Tensor, mask: torch.Tensor, title: str = "", ax=None, vmax: float = 0.1):
    """Mean pixel (on [0, 1]) of images (N, 1, 28, 28) in [-1, 1] on the border pixels; the digit area blank."""
    mean = pixels_01(images).mean(0).view(28, 28).numpy()  # (28, 28)
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


# ------------------------------------------------------------------------ per seed
def plot_paired_seeds(with_dropout: Sequence[float], control: Sequence[float], ylabel: str, ax=None,
                      labels: tuple[str, str] = ("input dropout", "control"), log: bool = False,
                      linthresh: float | None = None):
    """One line per seed from its control value to its value with input dropout: the per-seed distribution.

    ``log`` draws a log axis; ``linthresh`` a symmetric-log axis that is linear below it, so an exact 0 shows.
    """
    if len(with_dropout) != len(control) or not len(control):
        raise ValueError(f"need one value per seed in both runs, got {len(with_dropout)} and {len(control)}")
    if ax is None:
        _, ax = plt.subplots(figsize=(3.2, 3))
    for a, b in zip(control, with_dropout):
        ax.plot([0, 1], [a, b], color="C0", alpha=0.6, marker="o", ms=4)
    ax.set_xticks([0, 1], [labels[1], labels[0]])
    ax.set_xlim(-0.3, 1.3)
    ax.set_ylabel(ylabel)
    if linthresh is not None:
        ax.set_yscale("symlog", linthresh=linthresh)
    elif log:
        ax.set_yscale("log")
    return ax


def plot_seed_ratios(ratios: Sequence[float], live: float | None = None, ax=None,
                     label: str = "with / without input dropout"):
    """The table's per-seed ratios as dots, their median as a dashed line, 1 (no effect) in gray, and ``live``
    (the seed trained here) as a star: one draw from the spread. The title gives the median and the range."""
    ratios = np.asarray(ratios, dtype=float)
    if not len(ratios):
        raise ValueError("need at least one seed's ratio, got none")
    if ax is None:
        _, ax = plt.subplots(figsize=(4, 3))
    median = float(np.median(ratios))
    ax.scatter(np.arange(len(ratios)), ratios, color="C0", zorder=3, label="the table's seeds")
    ax.axhline(median, color="C0", ls="--", lw=1, label=f"median {median:.2f}")
    ax.axhline(1.0, color="0.75", lw=1)
    top = max(1.1, float(ratios.max()) * 1.05)
    if live is not None:
        ax.scatter([len(ratios)], [live], marker="*", s=120, color="C3", zorder=4, label="trained here")
        top = max(top, live * 1.05)
    ax.set_xticks(np.arange(len(ratios)))
    ax.set_xlabel("seed")
    ax.set_ylabel(label)
    ax.set_ylim(0, top)
    ax.legend(fontsize=7, loc="lower right")
    ax.set_title(f"median {median:.2f}; single seeds {ratios.min():.2f}-{ratios.max():.2f}", fontsize=9)
    return ax


# ----------------------------------------------------------------------------- toy
def show_toy_samples(images: torch.Tensor, size: int = 6, nrow: int = 8, title: str = "", ax=None):
    """A grid of toy images (N, size * size) in [-1, 1], black = -1, with a gray gap between images."""
    images = ((images.detach().cpu()[: nrow * nrow] + 1) / 2).view(-1, size, size).numpy()
    rows = -(-len(images) // nrow)
    grid = np.full((rows * (size + 1) + 1, nrow * (size + 1) + 1), 0.35)
    for i, img in enumerate(images):
        r, c = divmod(i, nrow)
        grid[1 + r * (size + 1):1 + r * (size + 1) + size, 1 + c * (size + 1):1 + c * (size + 1) + size] = img
    if ax is None:
        _, ax = plt.subplots(figsize=(3, 3 * rows / nrow))
    ax.imshow(grid, cmap="gray", vmin=0, vmax=1)
    ax.set_title(title, fontsize=9)
    ax.set_axis_off()
    return ax


def plot_toy_chain(rows: list[dict], axes=None):
    """The chain seed by seed, control against input dropout, one panel per step: D's frame pairs, G's feedback
    on the correlated noise (in training), and the noise left on the frame. ``rows`` from :func:`toy_seeds`."""
    if axes is None:
        _, axes = plt.subplots(1, 3, figsize=(11, 3.2))
    steps = [("pairs_trained", "1. D's frame pairs: (w1 + w2)² / (w1² + w2²)\n0 = +a, -a pairs; 1 = random signs", None),
             ("feedback_correlated", "2. G's feedback on correlated noise, |g1 + g2|\n(mean over dropout draws)", 1e-3),
             ("frame_energy", "3. noise left on the frame\n(mean pixel, 0 = black)", 1e-3)]
    for ax, (key, title, linthresh) in zip(axes, steps):
        plot_paired_seeds([r["dropout"][key] for r in rows], [r["control"][key] for r in rows], "", ax=ax,
                          linthresh=linthresh)
        ax.set_title(title, fontsize=9)
        if linthresh is not None:
            ax.set_ylim(bottom=0)
    axes[0].axhline(1.0, color="0.6", ls="--", lw=1)
    axes[0].set_ylim(-0.05, max(1.5, 1.1 * max(r[k]["pairs_trained"] for r in rows for k in ("control", "dropout"))))
    plt.tight_layout()
    return axes


class ToyDropoutWidget:
    """A slider over the input-dropout rates of a :func:`toy_sweep`: the samples of the chosen rate, and the frame
    energy of every rate with the chosen one highlighted."""

    def __init__(self, sweep: dict[float, dict], size: int = 6, start: float | None = None):
        if not sweep:
            raise ValueError("the sweep is empty: train at least one input-dropout rate")
        self.sweep, self.size = dict(sorted(sweep.items())), size
        start = next(iter(self.sweep)) if start is None else float(start)
        if start not in self.sweep:
            raise ValueError(f"start rate {start} is not in the sweep; rates are {list(self.sweep)}")
        self.slider = w.SelectionSlider(options=[(f"{r:.2f}", r) for r in self.sweep], value=start,
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
        entry, rates = self.sweep[rate], list(self.sweep)

        def draw():
            _, axes = plt.subplots(1, 2, figsize=(8, 3.2), gridspec_kw={"width_ratios": [1, 1.3]})
            show_toy_samples(entry["samples"], self.size, title=f"input dropout {rate:.2f}: samples", ax=axes[0])
            axes[1].bar([f"{r:.2f}" for r in rates], [self.sweep[r]["frame_energy"] for r in rates],
                        color=["C3" if r == rate else "C0" for r in rates])
            axes[1].set_xlabel("input dropout rate")
            axes[1].set_title("noise left on the frame (mean pixel, 0 = black)", fontsize=9)
            plt.tight_layout()
            return entry

        self.shown = redraw(self.output, draw)
        return self.shown


def plot_toy_presets(results: dict[str, list[dict]], axes=None):
    """The toy's presets side by side, one dot per seed: D's frame pairs after training and the frame noise left
    without input dropout, and the frame noise with over without it. ``results`` maps a preset to its
    :func:`~gan_course.lessons.nb05_coadaptation.toy.toy_seeds` rows."""
    if axes is None:
        _, axes = plt.subplots(1, 3, figsize=(12, 3.3))
    names = list(results)
    panels = [(lambda r: r["control"]["pairs_trained"], "D's frame pairs after training, no input dropout\n"
               "0 = +a, -a pairs; 1 = random signs"),
              (lambda r: r["control"]["frame_energy"], "noise left on the frame, no input dropout\n(mean pixel, 0 = black)"),
              (lambda r: r["ratio"], "frame noise with / without input dropout")]
    for ax, (value, title) in zip(axes, panels):
        for i, name in enumerate(names):
            ys = [value(r) for r in results[name]]
            ax.scatter(i + np.linspace(-0.15, 0.15, len(ys)), ys, color="C0", s=14, zorder=3)
        ax.set_xticks(range(len(names)), names, fontsize=8)
        ax.set_title(title, fontsize=9)
    axes[0].axhline(1.0, color="0.6", ls="--", lw=1)
    axes[1].set_yscale("log")
    axes[2].set_yscale("log")
    axes[2].axhline(0.5, color="0.4", ls="--", lw=1)
    axes[2].axhline(1.0, color="0.75", lw=1)
    plt.tight_layout()
    return axes
