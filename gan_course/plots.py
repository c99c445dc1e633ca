"""Sample grids and training curves."""

from __future__ import annotations

from typing import Sequence

import matplotlib.pyplot as plt
import numpy as np
import torch


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


def plot_history(history: dict, smooth: int = 5, axes=None):
    """Losses, D's mean output on real and fake, and G's gradient norm against step."""
    if axes is None:
        _, axes = plt.subplots(1, 3, figsize=(13, 3.2))
    step = history["step"]
    axes[0].plot(step, _smooth(history["d_loss"], smooth), label="D loss  $-f_{acc}$")
    axes[0].plot(step, _smooth(history["g_loss"], smooth), label="G loss")
    axes[0].set_title("losses")
    axes[1].plot(step, _smooth(history["d_real"], smooth), label="D(x), real")
    axes[1].plot(step, _smooth(history["d_fake"], smooth), label="D(G(z)), fake")
    axes[1].axhline(0.5, color="gray", ls=":", label="equilibrium 0.5")
    axes[1].set_ylim(0, 1)
    axes[1].set_title("D's mean output")
    axes[2].plot(step, _smooth(history["g_grad_norm"], smooth), color="C2")
    axes[2].set_yscale("log")
    axes[2].set_title("G's gradient norm")
    for ax in axes:
        ax.set_xlabel("step")
        if ax.get_legend_handles_labels()[0]:
            ax.legend(fontsize=8)
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
