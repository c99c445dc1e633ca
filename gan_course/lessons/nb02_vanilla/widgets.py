"""Notebook 02's widgets: scrub through snapshots, interpolate in the latent space, watch training live, re-train
with other k and l."""

from __future__ import annotations

from typing import Sequence

import ipywidgets as w
import matplotlib.pyplot as plt
import torch
import torch.nn.functional as F
from IPython.display import display

from gan_course.curves import equilibrium_values
from gan_course.plots import image_grid, plot_history, show_grid
from gan_course.train import train
from gan_course.widgets import PROBE, redraw

RETRAIN_STEPS = 1000  # rounds of RetrainWidget's run; the k-steps-02 study measures the same run


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


class LiveView:
    """A training callback: at every snapshot, samples from a fixed z and f_acc's two terms, redrawn in place.

    The two terms are measured on a fixed batch (``n_measure`` real digits, as many fixed z) with both nets in
    eval mode, so the measurement uses no randomness and leaves the run exactly as it would be without it.
    """

    def __init__(self, data, latent_dim: int, n_samples: int = 16, n_measure: int = 256, seed: int = 1):
        g = torch.Generator().manual_seed(seed)
        self.z = torch.randn(n_samples, latent_dim, generator=g)  # (n_samples, latent_dim)
        self.z_measure = torch.randn(n_measure, latent_dim, generator=g)
        self.real = data.sample(n_measure, g)[0].cpu()  # (n_measure, 784)
        self.trace: dict[str, list[float]] = {"step": [], "log_d_real": [], "log_1m_d_fake": []}
        self.handle = None
        self.shown: torch.Tensor | None = None

    @torch.no_grad()
    def measure(self, generator: torch.nn.Module, discriminator: torch.nn.Module) -> tuple[torch.Tensor, float, float]:
        """Samples (n_samples, 1, 28, 28) from the fixed z, E[log D(x)] and E[log(1 - D(G(z)))] on the fixed batch."""
        modes = generator.training, discriminator.training
        generator.eval()
        discriminator.eval()
        try:
            device = next(generator.parameters()).device
            samples = generator(self.z.to(device)).view(-1, 1, 28, 28).cpu()
            log_d_real = F.logsigmoid(discriminator(self.real.to(device))).mean()
            log_1m_d_fake = F.logsigmoid(-discriminator(generator(self.z_measure.to(device)))).mean()
        finally:
            generator.train(modes[0])
            discriminator.train(modes[1])
        return samples, float(log_d_real), float(log_1m_d_fake)

    def __call__(self, step: int, generator: torch.nn.Module, discriminator: torch.nn.Module) -> None:
        samples, log_d_real, log_1m_d_fake = self.measure(generator, discriminator)
        for key, value in zip(self.trace, (step, log_d_real, log_1m_d_fake)):
            self.trace[key].append(value)
        self.shown = samples
        fig = self.draw(samples, step)
        if self.handle is None:
            self.handle = display(fig, display_id=True)
        else:
            self.handle.update(fig)
        plt.close(fig)

    def draw(self, samples: torch.Tensor, step: int):
        """The figure: the samples in one row, and the two terms so far beside their value at the equilibrium.

        The curve panel has no ticks (its numbers are in its title): the frame is redrawn at every snapshot,
        and ticks would double its cost.
        """
        fig = plt.figure(figsize=(8, 1.5))
        grid = fig.add_axes((0.0, 0.0, 0.72, 0.8))
        grid.imshow(image_grid(samples, len(samples)), cmap="gray", vmin=0, vmax=1)
        grid.set_axis_off()
        grid.set_title(f"step {step}: samples from a fixed z", fontsize=8)
        at_eq = equilibrium_values()["log_d_real"]
        real, fake = self.trace["log_d_real"], self.trace["log_1m_d_fake"]
        terms = fig.add_axes((0.74, 0.05, 0.25, 0.75))
        terms.plot(self.trace["step"], real, color="C0")
        terms.plot(self.trace["step"], fake, color="C1")
        terms.axhline(at_eq, color="gray", ls=":")
        terms.set_xticks([])
        terms.set_yticks([])
        terms.set_ylim(min(at_eq, *real, *fake) - 0.1, max(0.0, *real, *fake) + 0.05)
        terms.set_title(f"E[log D(x)] {real[-1]:.2f} (blue)\nE[log(1 - D(G(z)))] {fake[-1]:.2f} (orange)\n"
                        f"dotted: log 1/2 = {at_eq:.2f}", fontsize=7)
        return fig


class RetrainWidget:
    """k and l sliders and a button that re-trains a short run and shows samples and curves (only when clicked)."""

    def __init__(self, config, data, steps: int = RETRAIN_STEPS, seed: int = 0):
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
            fig = plt.figure(figsize=(17, 3.2))
            show_grid(result.snapshots[-1]["samples"][:32], 8, f"k={k}, l={l}: step {self.steps}",
                      ax=fig.add_subplot(1, 5, 1))
            plot_history(result.history, axes=[fig.add_subplot(1, 5, i) for i in (2, 3, 4, 5)], loss=config.loss)
            return result

        self.result = redraw(self.output, draw)
        return self.result
