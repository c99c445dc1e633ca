"""Notebook 03: the saturating and the non-saturating G loss, as curves and in training."""

from __future__ import annotations

from dataclasses import dataclass

import ipywidgets as w
import matplotlib.pyplot as plt
import numpy as np
import torch

from gan_course.checkpoints import load_or_train
from gan_course.config import GANConfig
from gan_course.experiments import get_preset
from gan_course.losses import loss_curves
from gan_course.metrics import digit_quality, generated_digits
from gan_course.train import TrainResult, train
from gan_course.widgets import PROBE, redraw

NAMES = {"saturating": "saturating  log(1 - D)", "non_saturating": "non-saturating  -log D"}  # as plots label them


def plot_loss_curves(point: float | None = None, axes=None):
    """Values, d/dD and d/d(logit) of both losses against D(G(z)); ``point`` is marked."""
    p = torch.linspace(0.002, 0.998, 499, dtype=torch.float64)
    curves = loss_curves(p)
    if axes is None:
        _, axes = plt.subplots(1, 3, figsize=(13, 3.2))
    titles = {"value": "loss", "d_p": "d loss / d D(G(z))", "d_logit": "d loss / d logit"}
    marks = loss_curves(torch.tensor([point], dtype=torch.float64)) if point is not None else None
    for ax, key in zip(axes, ("value", "d_p", "d_logit")):
        for i, (name, c) in enumerate(curves.items()):
            ax.plot(p, c[key], label=NAMES[name], color=f"C{i}")
            if marks:
                ax.plot([point], [float(marks[name][key][0])], "o", color=f"C{i}")
        ax.set_title(titles[key])
        ax.set_xlabel("D(G(z))")
        ax.axhline(0, color="gray", lw=0.5)
    axes[1].set_ylim(-20, 2)
    axes[0].legend(fontsize=8)
    plt.tight_layout()
    return axes


class LossCurveWidget:
    """A slider on D(G(z)): both losses' value and gradients at that point."""

    def __init__(self, value: float = 0.05):
        self.slider = w.FloatSlider(value=value, min=0.01, max=0.99, step=0.01, description="D(G(z))",
                                    continuous_update=False)
        self.slider.add_class(PROBE)
        self.table = w.HTML()
        self.output = w.Output()
        self.slider.observe(lambda change: self.update(change["new"]), names="value")
        self.widget = w.VBox([self.slider, self.table, self.output])
        self.shown: dict | None = None
        self.update(value)

    def update(self, point: float) -> dict[str, dict[str, float]]:
        """Redraw the curves with ``point`` marked; returns the numbers in the table."""
        marks = loss_curves(torch.tensor([point], dtype=torch.float64))
        numbers = {name: {k: float(v[0]) for k, v in m.items()} for name, m in marks.items()}
        rows = "".join(f"<tr><td>{NAMES[name]}</td><td>{n['value']:.3f}</td><td>{n['d_p']:.3f}</td><td>{n['d_logit']:.3f}</td></tr>"
                       for name, n in numbers.items())
        self.table.value = (f"<table><tr><th>G loss at D(G(z)) = {point:.2f}</th><th>value</th><th>d/dD</th>"
                            f"<th>d/d logit</th></tr>{rows}</table>")
        redraw(self.output, lambda: plot_loss_curves(point))
        self.shown = numbers
        return numbers


@dataclass
class LossComparison:
    """Two runs from the same seed and initialisation that differ only in G's loss."""

    non_saturating: TrainResult
    saturating: TrainResult
    window: tuple[int, int]
    grad_ratio: float  # ratio of the median gradient norms over the window
    mean_grad_ratio: float  # ratio of the mean gradient norms (sensitive to rare spikes)
    fd_non_saturating: float
    fd_saturating: float


def early_values(history: dict, key: str, window: tuple[int, int]) -> np.ndarray:
    """``history[key]`` over the logged steps in [window[0], window[1]]."""
    values = [v for s, v in zip(history["step"], history[key]) if window[0] <= s <= window[1]]
    if not values:
        raise ValueError(f"no logged steps in {window}: train longer or log more often")
    return np.asarray(values)


def _samples(result: TrainResult, n: int = 2000) -> torch.Tensor:
    return generated_digits(result.generator, n, result.config.latent_dim, seed=0)


CHECKPOINT_NAMES = {"non_saturating": "strong-d", "saturating": "strong-d-saturating"}


def compare_losses(config: GANConfig, data, seed: int = 0, steps: int = 1000,
                   window: tuple[int, int] = (101, 400), progress: bool = True,
                   pretrained: bool = False) -> LossComparison:
    """Train ``config`` with each G loss (same seed, same initial weights); measure the gradient ratio and FD.

    With ``pretrained``, a matching ``checkpoints/strong-d`` and ``checkpoints/strong-d-saturating`` are
    used instead of training (see :func:`gan_course.checkpoints.load_or_train`).
    """
    def run(loss: str) -> TrainResult:
        loss_config = config.replace(loss=loss, log_every=1)
        if pretrained:
            return load_or_train(CHECKPOINT_NAMES[loss], loss_config, data, seed=seed, steps=steps, progress=progress)
        return train(loss_config, data, seed=seed, steps=steps, progress=progress)

    runs = {loss: run(loss) for loss in ("non_saturating", "saturating")}
    ns, sat = runs["non_saturating"], runs["saturating"]
    ns_norms, sat_norms = (early_values(r.history, "g_grad_norm", window) for r in (ns, sat))
    return LossComparison(ns, sat, window, float(np.median(ns_norms) / np.median(sat_norms)),
                          float(ns_norms.mean() / sat_norms.mean()),
                          digit_quality(_samples(ns))["fd"], digit_quality(_samples(sat))["fd"])


def strong_d_config() -> GANConfig:
    """The slide's regime, "D is fairly good": the vanilla preset with k = 2, no dropout in D and lr 2e-4."""
    return get_preset("strong-d").config
