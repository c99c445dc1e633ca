"""Sample grids and training curves."""

from __future__ import annotations

from typing import Sequence

import matplotlib.pyplot as plt
import numpy as np
import torch

from gan_course.curves import equilibrium_values


def image_grid(images: torch.Tensor, nrow: int = 8) -> np.ndarray:
    """Tile images (N, 1, 28, 28) in [-1, 1] into one array (H, W) in [0, 1]."""
    images = torch.as_tensor(images).detach().float().cpu().reshape(-1, 28, 28)
    n = len(images)
    ncol = min(nrow, n)
    rows = (n + ncol - 1) // ncol
    grid = np.ones((rows * 30, ncol * 30), dtype=np.float32)
    for i, img in enumerate(((images.clamp(-1, 1) + 1) / 2).numpy()):
        r, c = divmod(i, ncol)
        grid[r * 30 + 1:r * 30 + 29, c * 30 + 1:c * 30 + 29] = img
    return grid


def show_grid(images: torch.Tensor, nrow: int = 8, title: str | None = None, ax=None):
    """Show images (N, 1, 28, 28) in [-1, 1] as a grid; returns the axes."""
    if ax is None:
        _, ax = plt.subplots(figsize=(nrow * 0.45 + 0.5, (len(images) + nrow - 1) // nrow * 0.45 + 0.6))
    ax.imshow(image_grid(images, nrow), cmap="gray", vmin=0, vmax=1)
    ax.set_axis_off()
    if title:
        ax.set_title(title)
    return ax


def _smooth(values: Sequence[float], window: int) -> np.ndarray:
    values = np.asarray(values, dtype=float)
    if window <= 1 or len(values) < window:
        return values
    kernel = np.ones(window) / window
    return np.convolve(np.pad(values, (window // 2, window - 1 - window // 2), mode="edge"), kernel, "valid")


def plot_history(history: dict, smooth: int = 5, axes=None, loss: str = "non_saturating"):
    """Losses, f_acc's two terms, D's accuracy and G's gradient norm against step; dotted: the equilibrium's values."""
    if axes is None:
        _, axes = plt.subplots(1, 4, figsize=(16, 3.2))
    step, at_eq = history["step"], equilibrium_values(loss)
    curve = lambda ax, key, **kw: ax.plot(step, _smooth(history[key], smooth), **kw)  # noqa: E731
    curve(axes[0], "d_loss", label="D loss  $-f_{acc}$")
    curve(axes[0], "g_loss", label="G loss")
    axes[0].axhline(at_eq["d_loss"], color="C0", ls=":", label=f"D loss at equilibrium: log 4 = {at_eq['d_loss']:.3f}")
    axes[0].axhline(at_eq["g_loss"], color="C1", ls=":", label=f"G loss at equilibrium: {at_eq['g_loss']:.3f}")
    axes[0].set_title("losses")
    curve(axes[1], "log_d_real", label="E[log D(x)]: real called real")
    curve(axes[1], "log_1m_d_fake", label="E[log(1 - D(G(z)))]: fake called fake")
    axes[1].axhline(at_eq["log_d_real"], color="gray", ls=":", label="equilibrium: log 1/2")
    axes[1].set_title("the two terms of $f_{acc}$")
    curve(axes[2], "d_acc_real", label="on real")
    curve(axes[2], "d_acc_fake", label="on fake")
    axes[2].axhline(at_eq["d_acc"], color="gray", ls=":", label="equilibrium: 50%")
    axes[2].set_ylim(0, 1.02)
    axes[2].set_title("D's accuracy")
    curve(axes[3], "g_grad_norm", color="C2")
    axes[3].set_yscale("log")
    axes[3].set_title("G's gradient norm")
    for ax in axes:
        ax.set_xlabel("step")
        if ax.get_legend_handles_labels()[0]:
            ax.legend(fontsize=7)
    plt.tight_layout()
    return axes


def plot_class_histogram(hist: np.ndarray, ax=None, title: str = "classes of generated digits"):
    """Bar chart of a class histogram (10,), with the uniform 10% marked."""
    if ax is None:
        _, ax = plt.subplots(figsize=(4.5, 2.6))
    ax.bar(range(10), np.asarray(hist) * 100, color="C0")
    ax.axhline(10, color="gray", ls=":")
    ax.set_xticks(range(10))
    ax.set_xlabel("class (by the classifier)")
    ax.set_ylabel("% of samples")
    ax.set_title(title)
    return ax
