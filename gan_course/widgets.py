"""The notebooks' slider experiments.

Every widget is a small class: ``.widget`` is what the notebook displays, the callbacks
are plain methods (tested in pytest without a browser), and ``.shown`` keeps what was
drawn last so a test can see that moving a control changed the picture.
"""

from __future__ import annotations

from typing import Any, Callable, Sequence

import ipywidgets as w
import matplotlib.pyplot as plt
import torch
from IPython.display import display

from gan_course.plots import plot_history, show_grid
from gan_course.train import train

PROBE = "gan-course-probe"  # CSS class of the control the browser tests move


def redraw(output: w.Output, draw: Callable[[], Any]) -> Any:
    """Clear ``output``, run ``draw`` (which makes one matplotlib figure) and show the figure there; ``draw``'s result."""
    with output:
        output.clear_output(wait=True)
        result = draw()
        plt.show()
    return result


class SnapshotScrubber:
    """A slider over training snapshots of samples from a fixed z."""

    def __init__(self, snapshots: Sequence[dict], nrow: int = 8, title: str = "samples from a fixed z"):
        if not snapshots:
            raise ValueError("no snapshots to scrub through: train first")
        self.snapshots, self.nrow, self.title = list(snapshots), nrow, title
        steps = [s["step"] for s in self.snapshots]
        self.slider = w.SelectionSlider(options=[(str(s), i) for i, s in enumerate(steps)], value=len(steps) - 1,
                                        description="step", continuous_update=False,
                                        layout=w.Layout(width="420px"))
        self.slider.add_class(PROBE)
        self.output = w.Output()
        self.slider.observe(lambda change: self.show(change["new"]), names="value")
        self.widget = w.VBox([self.slider, self.output])
        self.shown: torch.Tensor | None = None
        self.show(self.slider.value)

    def show(self, index: int) -> torch.Tensor:
        """Draw snapshot ``index``; returns its samples."""
        snap = self.snapshots[index]

        def draw():
            show_grid(snap["samples"], self.nrow, f"{self.title}, step {snap['step']}")
            return snap["samples"]

        self.shown = redraw(self.output, draw)
        return self.shown


@torch.no_grad()
def interpolate(generator: torch.nn.Module, z0: torch.Tensor, z1: torch.Tensor, t: float,
                labels: torch.Tensor | None = None) -> torch.Tensor:
    """G((1 - t) z0 + t z1) as images (N, 1, 28, 28); z0, z1 are (N, latent_dim)."""
    if not 0.0 <= t <= 1.0:
        raise ValueError(f"t must be in [0, 1], got {t}")
    if z0.shape != z1.shape:
        raise ValueError(f"z0 and z1 must have the same shape, got {tuple(z0.shape)} and {tuple(z1.shape)}")
    return generator((1 - t) * z0 + t * z1, labels).view(-1, 1, 28, 28)


class LatentInterpolation:
    """A slider t in [0, 1] that walks from z0 to z1 for a row of samples."""

    def __init__(self, generator: torch.nn.Module, n: int = 8, seed: int = 0):
        g = torch.Generator().manual_seed(seed)
        self.generator = generator.eval()
        self.z0 = torch.randn(n, generator.latent_dim, generator=g)
        self.z1 = torch.randn(n, generator.latent_dim, generator=g)
        self.slider = w.FloatSlider(value=0.0, min=0.0, max=1.0, step=0.05, description="t",
                                    continuous_update=False)
        self.output = w.Output()
        self.slider.observe(lambda change: self.show(change["new"]), names="value")
        self.widget = w.VBox([self.slider, self.output])
        self.shown: torch.Tensor | None = None
        self.show(0.0)

    def show(self, t: float) -> torch.Tensor:
        device = next(self.generator.parameters()).device
        images = interpolate(self.generator, self.z0.to(device), self.z1.to(device), t).cpu()

        def draw():
            show_grid(images, len(images), f"G((1 - t) z0 + t z1), t = {t:.2f}")
            return images

        self.shown = redraw(self.output, draw)
        return self.shown


class RetrainWidget:
    """k and l sliders and a button that re-trains a short run and shows samples and curves."""

    def __init__(self, config, data, steps: int = 1000, seed: int = 0):
        self.config, self.data, self.steps, self.seed = config, data, steps, seed
        self.k = w.IntSlider(value=config.d_steps, min=1, max=5, description="k (D-steps)")
        self.l = w.IntSlider(value=config.g_steps, min=1, max=5, description="l (G-steps)")
        self.button = w.Button(description=f"re-train {steps} steps", button_style="primary")
        self.button.on_click(lambda _: self.retrain(self.k.value, self.l.value))
        self.output = w.Output()
        self.widget = w.VBox([w.HBox([self.k, self.l, self.button]), self.output])
        self.result = None

    def retrain(self, k: int, l: int):
        """Train ``steps`` rounds with k D-steps and l G-steps; show samples and curves."""
        try:
            config = self.config.replace(d_steps=int(k), g_steps=int(l))
        except ValueError as err:
            with self.output:
                self.output.clear_output()
                print(f"cannot train: {err}")
            return None

        def draw():
            result = train(config, self.data, seed=self.seed, steps=self.steps)
            fig = plt.figure(figsize=(13, 3.4))
            show_grid(result.snapshots[-1]["samples"][:32], 8, f"k={k}, l={l}: step {self.steps}",
                      ax=fig.add_subplot(1, 4, 1))
            plot_history(result.history, axes=[fig.add_subplot(1, 4, i) for i in (2, 3, 4)])
            return result

        self.result = redraw(self.output, draw)
        return self.result


def show(widget_object) -> None:
    """Display a widget object's ``.widget``."""
    display(widget_object.widget)
