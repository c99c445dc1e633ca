r"""A GAN-Lab-style view of a GAN on 2-D data, and the ring playground (notebook 04).

At every snapshot :func:`ganlab_callback` records what GAN Lab draws: D's decision
heatmap $D(x) = \sigma(\ell(x))$ on a grid, G's samples from a fixed $z$, and the direction
each sample is pushed, $-\partial \mathcal{L}_G / \partial x$ at $x = G(z)$.
:func:`plot_ganlab` draws one snapshot; :class:`SnapshotViewer` scrubs through them with a
slider; :class:`Playground` trains G and D on the ring in small chunks with k, the
learning rates and PacGAN packing under the student's control.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Callable, Sequence

import matplotlib.pyplot as plt
import numpy as np
import torch

from gan_course.data import Ring
from gan_course.device import fixed_noise
from gan_course.losses import discriminator_loss, generator_loss
from gan_course.metrics import mode_coverage
from gan_course.models import Discriminator, Generator
from gan_course.train import GANConfig, TrainingDiverged, build_models
from gan_course.widgets import PROBE

LIM = 1.6  # the view is the square [-LIM, LIM]^2
N_METRIC = 2500  # samples behind "modes covered" and "high-quality %"
METRIC_SEED = 1234  # seed of the fixed z behind the metrics


def fixed_latent(n: int, latent_dim: int, seed: int = METRIC_SEED) -> torch.Tensor:
    """The same standard-normal noise (n, latent_dim) every time for the same seed (the metrics' seed by default)."""
    return fixed_noise(n, latent_dim, seed)


@torch.no_grad()
def ring_metrics(generator: Generator, ring: Ring | None = None, n: int = N_METRIC, seed: int = METRIC_SEED) -> dict:
    """Modes covered and high-quality % of ``n`` samples of G from a fixed-seed z (see metrics.mode_coverage)."""
    ring = ring or Ring()
    device = next(generator.parameters()).device
    was_training = generator.training
    generator.eval()
    points = generator(fixed_latent(n, generator.latent_dim, seed).to(device)).cpu()  # (n, 2)
    generator.train(was_training)
    return mode_coverage(points, ring.modes, ring.sd)


def _grid(lim: float, size: int) -> torch.Tensor:
    axis = torch.linspace(-lim, lim, size)
    yy, xx = torch.meshgrid(axis, axis, indexing="ij")
    return torch.stack([xx.flatten(), yy.flatten()], dim=1)  # (size*size, 2), row-major from y=-lim


@torch.no_grad()
def decision_map(discriminator: Discriminator, fake: torch.Tensor, lim: float = LIM, size: int = 60,
                 n_partner_packs: int = 8) -> np.ndarray:
    """D's probability of "real", shape (size, size), on a grid over [-lim, lim]^2 (row 0 at y = -lim).

    A packed D (PacGAN) judges ``pack`` points at once: there the map shows D on a pack
    holding the grid point and ``pack - 1`` of G's samples ``fake``, averaged over packs.
    """
    device = next(discriminator.parameters()).device
    grid = _grid(lim, size).to(device)  # (P, 2)
    pack = discriminator.pack
    if pack == 1:
        prob = torch.sigmoid(discriminator(grid))
    else:
        gen = torch.Generator().manual_seed(0)
        prob = torch.zeros(len(grid), device=device)
        for _ in range(n_partner_packs):
            partners = fake[torch.randint(len(fake), (pack - 1,), generator=gen)].to(device)  # (pack-1, 2)
            packs = torch.cat([grid[:, None, :], partners.expand(len(grid), -1, -1)], dim=1)  # (P, pack, 2)
            prob += torch.sigmoid(discriminator(packs.reshape(-1, 2)))
        prob /= n_partner_packs
    return prob.view(size, size).cpu().numpy()


def generator_push(discriminator: Discriminator, fake: torch.Tensor, loss: str = "non_saturating") -> torch.Tensor:
    r"""Where G's loss pushes each fake point: $-\partial \mathcal{L}_G / \partial x$, shape (N, 2).

    Summed (not averaged) over the batch, so each arrow is one sample's own push.
    """
    was = [p.requires_grad for p in discriminator.parameters()]
    discriminator.requires_grad_(False)
    try:
        x = fake.detach().clone().requires_grad_(True)  # (N, 2)
        logits = discriminator(x)  # (N / pack,)
        total = generator_loss(logits, loss) * len(logits)
        (grad,) = torch.autograd.grad(total, x)
    finally:
        for p, flag in zip(discriminator.parameters(), was):
            p.requires_grad_(flag)
    return -grad.detach().cpu()


def ganlab_callback(ring: Ring | None = None, n_fake: int = 512, grid_size: int = 60, lim: float = LIM,
                    loss: str = "non_saturating", seed: int = METRIC_SEED) -> Callable[[int, Any, Any], dict]:
    """A ``train(..., callback=)`` that records one GAN-Lab frame per snapshot.

    Each frame: ``heatmap`` (grid_size, grid_size) of D(x), ``fake`` (n_fake, 2) from a fixed z,
    ``push`` (n_fake, 2) = minus G's loss gradient at the fakes, and the ring ``metrics``
    (modes covered, high-quality %) on 2,500 samples.
    """
    ring = ring or Ring()

    def callback(step: int, generator: Generator, discriminator: Discriminator) -> dict:
        device = next(generator.parameters()).device
        d_training = discriminator.training
        discriminator.eval()
        with torch.no_grad():
            z = fixed_latent(n_fake, generator.latent_dim, seed + 1).to(device)
            fake = generator(z)  # (n_fake, 2)
        frame = {
            "fake": fake.cpu(),
            "push": generator_push(discriminator, fake, loss),
            "heatmap": decision_map(discriminator, fake, lim, grid_size),
            "lim": lim,
            "metrics": ring_metrics(generator, ring),
        }
        discriminator.train(d_training)
        return frame

    return callback


def plot_ganlab(frame: dict, real: torch.Tensor, ax=None, title: str | None = None, arrows: int = 64):
    """Draw one snapshot GAN-Lab style: D's heatmap, real (green) and fake (purple) points, G's push (arrows)."""
    if ax is None:
        _, ax = plt.subplots(figsize=(4.4, 4.4))
    lim = frame.get("lim", LIM)
    im = ax.imshow(frame["heatmap"], origin="lower", extent=(-lim, lim, -lim, lim), cmap="PiYG",
                   vmin=0, vmax=1, alpha=0.75, interpolation="bilinear")
    real = torch.as_tensor(real)
    fake, push = frame["fake"], frame["push"]
    ax.scatter(real[:, 0], real[:, 1], s=4, c="#1a7f37", label="real")
    ax.scatter(fake[:, 0], fake[:, 1], s=4, c="#6f2da8", alpha=0.6, label="fake G(z)")
    n = min(arrows, len(fake))
    norms = push[:n].norm(dim=1, keepdim=True)
    scale = float(norms.max()) if n and float(norms.max()) > 0 else 1.0
    direction = push[:n] / scale * 0.3  # longest arrow 0.3 long: lengths are relative within a frame
    ax.quiver(fake[:n, 0], fake[:n, 1], direction[:, 0], direction[:, 1], angles="xy", scale_units="xy",
              scale=1, width=0.003, color="black", alpha=0.6)
    ax.set_xlim(-lim, lim)
    ax.set_ylim(-lim, lim)
    ax.set_aspect("equal")
    ax.set_xticks([])
    ax.set_yticks([])
    if title is None:
        m = frame.get("metrics")
        title = f"step {frame.get('step', '?')}"
        if m:
            title += f": {m['modes_covered']}/8 modes, {m['high_quality']:.0f}% HQ"
    ax.set_title(title, fontsize=10)
    ax.legend(loc="lower right", fontsize=7, markerscale=2, framealpha=0.8)
    return ax, im


def real_points(ring: Ring | None = None, n: int = 400, seed: int = 0) -> torch.Tensor:
    """A fixed sample (n, 2) of the real data to draw under every frame."""
    ring = ring or Ring()
    return ring.sample(n, torch.Generator().manual_seed(seed))[0]


class SnapshotViewer:
    """A slider over the snapshots of a run that redraws the GAN-Lab view into an Output."""

    def __init__(self, snapshots: Sequence[dict], real: torch.Tensor, description: str = "snapshot", probe: bool = True):
        import ipywidgets as widgets

        frames = [s for s in snapshots if "heatmap" in s]
        if not frames:
            raise ValueError("no GAN-Lab frames in these snapshots: train with callback=ganlab_callback()")
        self.frames, self.real = frames, real
        self.slider = widgets.IntSlider(value=len(frames) - 1, min=0, max=len(frames) - 1, description=description,
                                        continuous_update=False)
        if probe:  # the one control per notebook that the browser test moves
            self.slider.add_class(PROBE)
        self.label = widgets.HTML()
        self.out = widgets.Output()
        self.figure = None
        self.slider.observe(lambda change: self.show(change["new"]), names="value")
        self.widget = widgets.VBox([widgets.HBox([self.slider, self.label]), self.out])
        self.show(self.slider.value)

    def show(self, index: int):
        """Draw frame ``index`` into the output; returns the matplotlib Figure."""
        from IPython.display import display

        frame = self.frames[int(index)]
        fig, ax = plt.subplots(figsize=(4.4, 4.4))
        plot_ganlab(frame, self.real, ax=ax)
        self.label.value = f"step {frame['step']}"
        self.figure = fig
        with self.out:
            self.out.clear_output(wait=True)
            display(fig)
        plt.close(fig)
        return fig


def figure_pixels(fig) -> np.ndarray:
    """The rendered RGBA pixels of a figure (H, W, 4): lets tests compare pictures."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    return np.asarray(canvas.buffer_rgba()).copy()


@dataclass
class PlaygroundState:
    """The playground's nets and where they are."""

    config: GANConfig
    generator: Generator
    discriminator: Discriminator
    opt_g: torch.optim.Optimizer
    opt_d: torch.optim.Optimizer
    rng: torch.Generator
    step: int = 0


class Playground:
    """Train G and D on the ring N steps at a time with your k, learning rates and remedy.

    Every control's callback is a plain method (``train_clicked``, ``reset_clicked``), so it
    runs in pytest without a browser. Changing k or a learning rate applies to the next
    steps; switching the remedy (PacGAN packing) on or off starts a fresh pair of nets,
    because a packed D has a different input layer.
    """

    def __init__(self, config: GANConfig, seed: int = 0, steps_per_click: int = 500, remedy_pack: int = 2,
                 ring: Ring | None = None):
        import ipywidgets as widgets

        self.base, self.seed, self.ring = config, seed, ring or Ring()
        self.remedy_pack = remedy_pack if config.pack == 1 else config.pack
        self.real = real_points(self.ring)
        self.k = widgets.IntText(value=config.d_steps, description="k (D-steps)")
        self.lr_d = widgets.FloatText(value=config.lr_d, description="lr D", step=1e-4)
        self.lr_g = widgets.FloatText(value=config.lr_g, description="lr G", step=1e-4)
        self.remedy = widgets.Checkbox(value=config.pack > 1, description=f"remedy: PacGAN (pack {self.remedy_pack})")
        self.n_steps = widgets.IntText(value=steps_per_click, description="N steps")
        self.train_button = widgets.Button(description="train N steps", button_style="primary")
        self.reset_button = widgets.Button(description="reset")
        self.readout = widgets.HTML()
        self.out = widgets.Output()
        self.train_button.on_click(lambda _: self.train_clicked())
        self.reset_button.on_click(lambda _: self.reset_clicked())
        self.remedy.observe(lambda _: self.reset_clicked(), names="value")
        self.widget = widgets.VBox([
            widgets.HBox([self.k, self.n_steps]),
            widgets.HBox([self.lr_d, self.lr_g]),
            widgets.HBox([self.remedy, self.train_button, self.reset_button]),
            self.readout, self.out,
        ])
        self.state: PlaygroundState | None = None
        self.frame: dict | None = None
        self.reset_clicked()

    # ------------------------------------------------------------------ callbacks
    def current_config(self) -> GANConfig:
        """The config the controls describe; a ValueError names a bad control value."""
        pack = self.remedy_pack if self.remedy.value else 1
        k = self.k.value
        if not isinstance(k, int) or k < 1:
            raise ValueError(f"k (D-steps per round) must be a whole number >= 1, got {k!r}")
        for name, w in (("lr D", self.lr_d), ("lr G", self.lr_g)):
            if not (isinstance(w.value, (int, float)) and math.isfinite(w.value) and w.value > 0):
                raise ValueError(f"{name} (learning rate) must be a number > 0, e.g. 1e-3; got {w.value!r}")
        return self.base.replace(d_steps=k, lr_d=float(self.lr_d.value), lr_g=float(self.lr_g.value), pack=pack)

    def reset_clicked(self) -> None:
        """Fresh nets (same seed) for the current controls."""
        try:
            config = self.current_config()
        except ValueError as err:
            self._error(err)
            return
        rng = torch.Generator().manual_seed(self.seed)
        torch.manual_seed(self.seed)
        generator, discriminator = build_models(config, data_dim=2)
        opt_g = torch.optim.Adam(generator.parameters(), config.lr_g, betas=(config.beta1, 0.999))
        opt_d = torch.optim.Adam(discriminator.parameters(), config.lr_d, betas=(config.beta1, 0.999))
        self.state = PlaygroundState(config, generator, discriminator, opt_g, opt_d, rng)
        self._record()
        self.draw()

    def train_clicked(self) -> None:
        """Train N more steps with the current k and learning rates, then update the readout and picture."""
        try:
            config = self.current_config()
            n = self.n_steps.value
            if not isinstance(n, int) or n < 1:
                raise ValueError(f"N steps must be a whole number >= 1, got {n!r}")
        except ValueError as err:
            self._error(err)
            return
        if self.state is None or config.pack != self.state.config.pack:
            self.reset_clicked()
        try:
            self.train_steps(n, config)
        except TrainingDiverged as err:
            self._error(err)
            return
        self._record()
        self.draw()

    # ------------------------------------------------------------------ training
    def train_steps(self, n: int, config: GANConfig) -> None:
        """n rounds of k D-steps and one G-step with the learning rates in ``config``."""
        s = self.state
        s.config = config
        for group in s.opt_d.param_groups:
            group["lr"] = config.lr_d
        for group in s.opt_g.param_groups:
            group["lr"] = config.lr_g
        B, G, D = config.batch_size, s.generator, s.discriminator
        for _ in range(n):
            # (1) k D-steps: maximise log D(x) + log(1 - D(G(z))), G frozen via detach()
            for _ in range(config.d_steps):
                real, _ = self.ring.sample(B, s.rng)
                fake = G(torch.randn(B, config.latent_dim, generator=s.rng)).detach()
                d_loss = discriminator_loss(D(real), D(fake))
                s.opt_d.zero_grad(set_to_none=True)
                d_loss.backward()
                s.opt_d.step()
            # (2) l G-steps: minimise -log D(G(z)), D frozen
            D.requires_grad_(False)
            for _ in range(config.g_steps):
                g_loss = generator_loss(D(G(torch.randn(B, config.latent_dim, generator=s.rng))), config.loss)
                s.opt_g.zero_grad(set_to_none=True)
                g_loss.backward()
                s.opt_g.step()
            D.requires_grad_(True)
            s.step += 1
            if not (math.isfinite(d_loss.item()) and math.isfinite(g_loss.item())):
                raise TrainingDiverged(f"training diverged at step {s.step}: try smaller learning rates, then press reset")

    def _record(self) -> None:
        s = self.state
        self.frame = ganlab_callback(self.ring, loss=s.config.loss)(s.step, s.generator, s.discriminator)
        self.frame["step"] = s.step
        m = self.frame["metrics"]
        remedy = f"PacGAN pack {s.config.pack}" if s.config.pack > 1 else "none"
        self.readout.value = (f"<b>step {s.step}</b> &middot; k = {s.config.d_steps} &middot; lr D {s.config.lr_d:g}, "
                              f"lr G {s.config.lr_g:g} &middot; remedy: {remedy} &middot; "
                              f"<b>modes covered {m['modes_covered']}/8</b> &middot; "
                              f"<b>high-quality {m['high_quality']:.1f}%</b>")

    def _error(self, err: Exception) -> None:
        self.readout.value = f"<span style='color:#b00'>&#9888; {err}</span>"

    def draw(self) -> None:
        from IPython.display import display

        fig, ax = plt.subplots(figsize=(4.4, 4.4))
        plot_ganlab(self.frame, self.real, ax=ax)
        with self.out:
            self.out.clear_output(wait=True)
            display(fig)
        plt.close(fig)

    @property
    def metrics(self) -> dict:
        """Modes covered and high-quality % of the current G."""
        return self.frame["metrics"]
