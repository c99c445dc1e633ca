r"""Mode collapse on the 2-D ring (notebook 04): a GAN-Lab-style view of training, and a playground.

At every snapshot :func:`frame_recorder` records what GAN Lab draws: D's decision heatmap
$D(x) = \sigma(\ell(x))$ on a grid, G's samples from a fixed $z$, and the direction each sample is
pushed, $-\partial \mathcal{L}_G / \partial x$ at $x = G(z)$. :func:`plot_frame` draws one frame;
:class:`SnapshotViewer` scrubs through them with a slider; :class:`Playground` continues one run of
:func:`gan_course.train.train` N rounds at a time, with k, l, the learning rates and PacGAN packing under
the student's control.
"""

from __future__ import annotations

from typing import Any, Callable, Sequence

import ipywidgets as w
import matplotlib.pyplot as plt
import numpy as np
import torch

from gan_course.config import GANConfig
from gan_course.data import Ring
from gan_course.experiments import get_preset
from gan_course.losses import generator_loss
from gan_course.metrics import RING_METRIC_SEED, mode_coverage, ring_metrics, ring_points
from gan_course.models import Discriminator, Generator
from gan_course.seeding import fixed_noise
from gan_course.train import TrainingDiverged, TrainState, new_state, train
from gan_course.widgets import PROBE, redraw

LIM = 1.6  # the view is the square [-LIM, LIM]^2


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


def frame_recorder(ring: Ring | None = None, n_fake: int = 512, grid_size: int = 60, lim: float = LIM,
                   loss: str = "non_saturating", seed: int = RING_METRIC_SEED) -> Callable[[int, Any, Any], dict]:
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
            fake = generator(fixed_noise(n_fake, generator.latent_dim, seed + 1).to(device))  # (n_fake, 2)
        frame = {"fake": fake.cpu(), "push": generator_push(discriminator, fake, loss),
                 "heatmap": decision_map(discriminator, fake, lim, grid_size), "lim": lim,
                 "metrics": ring_metrics(generator, ring)}
        discriminator.train(d_training)
        return frame

    return callback


def plot_frame(frame: dict, real: torch.Tensor, ax=None, title: str | None = None, arrows: int = 64):
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


def where_samples_lie(points: torch.Tensor, ring: Ring | None = None, min_share: float = 0.02) -> dict:
    """Where samples (N, 2) lie at ANY distance from a mode, which tells collapse from a blurry cover.

    ``modes_reached``: modes that are the nearest mode of at least ``min_share`` of the samples (a collapsed G
    reaches few, a blurry cover all 8, while both can have 0 modes covered); ``median_sd``: the median distance
    to the nearest mode, in the ring's sd (real data: about 1.2).
    """
    ring = ring or Ring()
    nearest_dist, nearest = torch.cdist(torch.as_tensor(points, dtype=torch.float32), ring.modes).min(1)  # (N,)
    shares = torch.bincount(nearest, minlength=ring.n_modes) / len(nearest)  # (n_modes,)
    return {"modes_reached": int((shares >= min_share).sum()), "median_sd": float(nearest_dist.median() / ring.sd)}


def same_mode_share(points: torch.Tensor, ring: Ring | None = None) -> float:
    """The share of packs of 2 (consecutive samples of ``points`` (N, 2)) whose two samples have the same nearest mode.

    Real packs: about 1 in ``ring.n_modes``; a collapsed G's, far more (notebook 04 reads it before packing D's input).
    """
    ring = ring or Ring()
    nearest = torch.cdist(torch.as_tensor(points, dtype=torch.float32), ring.modes).argmin(1).reshape(-1, 2)  # (N/2, 2)
    return (nearest[:, 0] == nearest[:, 1]).float().mean().item()


# What notebook 04 calls each outcome, on the two measures of VEEGAN and PacGAN (and where the samples lie).
COLLAPSE_MODES, COLLAPSE_HQ, COVER_HQ, OFF_RING_SD = 3, 80.0, 90.0, 5.0


def ring_figures(generator: torch.nn.Module, ring: Ring | None = None, pack_share: bool = False) -> dict:
    """A ring generator's figures on ring_metrics' fixed z: modes covered, high-quality %, where its samples lie at
    any distance (:func:`where_samples_lie`) and, with ``pack_share``, :func:`same_mode_share`."""
    ring = ring or Ring()
    points = ring_points(generator)  # (2500, 2), the points ring_metrics measures
    m = mode_coverage(points, ring.modes, ring.sd)
    figures = {"modes": m["modes_covered"], "high_quality": m["high_quality"], **where_samples_lie(points, ring)}
    return figures | ({"same_mode_share": same_mode_share(points, ring)} if pack_share else {})


def outcome(figures: dict) -> str:
    """The outcome a run's figures show: collapse (at most 3 of 8 modes covered, >= 80% of the samples high
    quality), covering the ring (8 of 8, >= 90%), samples off the ring (median distance over 5 sd), or neither."""
    if figures["modes"] <= COLLAPSE_MODES and figures["high_quality"] >= COLLAPSE_HQ:
        return "collapse"
    if figures["modes"] == 8 and figures["high_quality"] >= COVER_HQ:
        return "covers the ring"
    return "off the ring" if figures["median_sd"] > OFF_RING_SD else "neither"


def outcomes(rows: dict) -> dict[str, int]:
    """How many rows (seed -> figures) show each :func:`outcome`, and how many cover at most 3 modes."""
    found = [outcome(f) for f in rows.values()]
    return {o: found.count(o) for o in ("collapse", "covers the ring", "off the ring", "neither")} | {
        "at most 3 modes": sum(f["modes"] <= COLLAPSE_MODES for f in rows.values()), "seeds": len(found)}


def _frame_figure(frame: dict, real: torch.Tensor):
    fig, ax = plt.subplots(figsize=(4.4, 4.4))
    plot_frame(frame, real, ax=ax)
    return fig


class SnapshotViewer:
    """A slider over the GAN-Lab frames of a run (recorded with :func:`frame_recorder`)."""

    def __init__(self, snapshots: Sequence[dict], real: torch.Tensor, description: str = "snapshot", probe: bool = True):
        frames = [s for s in snapshots if "heatmap" in s]
        if not frames:
            raise ValueError("no GAN-Lab frames in these snapshots: train with callback=frame_recorder()")
        self.frames, self.real = frames, real
        self.slider = w.IntSlider(value=len(frames) - 1, min=0, max=len(frames) - 1, description=description,
                                  continuous_update=False)
        if probe:  # the one control per notebook that the browser test moves
            self.slider.add_class(PROBE)
        self.label = w.HTML()
        self.out = w.Output()
        self.figure = None
        self.slider.observe(lambda change: self.show(change["new"]), names="value")
        self.widget = w.VBox([w.HBox([self.slider, self.label]), self.out])
        self.show(self.slider.value)

    def show(self, index: int):
        """Draw frame ``index`` into the output; returns the matplotlib Figure."""
        frame = self.frames[int(index)]
        self.label.value = f"step {frame['step']}"
        self.figure = redraw(self.out, lambda: _frame_figure(frame, self.real))
        return self.figure


PLAYGROUND_STEPS = 4000  # the rounds (8 clicks of 500) after which notebook 04 says what the playground shows


def playground_config() -> GANConfig:
    """The playground's start: ``ring-collapse``, section 1's run, whose constant learning rates let it go on."""
    return get_preset("ring-collapse").config.replace(steps=PLAYGROUND_STEPS)


# Rounds per click: a typed 10**9 must not hang the kernel. k, l and the learning rates are bounded where every
# config is, in GANConfig.validate.
MAX_STEPS_PER_CLICK = 5000


class Playground:
    """Train G and D on the ring N rounds at a time with your k, l, learning rates and remedy.

    It continues one :func:`~gan_course.train.train` run (its :class:`~gan_course.train.TrainState`), so it
    follows every field of its config: the optimiser, the batch size, a learning-rate schedule (whose
    horizon is the config's ``steps``: a cosine schedule stops moving the nets there, so give the
    playground a constant one). Every control's callback is a plain method (``train_clicked``,
    ``reset_clicked``), so it runs in pytest without a browser. Changing k, l or a learning rate applies to
    the next rounds; switching the remedy (PacGAN packing) on or off starts a fresh pair of nets, because a
    packed D has a different input layer.
    """

    def __init__(self, config: GANConfig, seed: int = 0, steps_per_click: int = 500, remedy_pack: int = 2,
                 ring: Ring | None = None):
        self.base, self.seed, self.ring = config, seed, ring or Ring()
        self.remedy_pack = remedy_pack if config.pack == 1 else config.pack
        self.real = real_points(self.ring)
        self.k = w.IntText(value=config.d_steps, description="k (D-steps)")
        self.l = w.IntText(value=config.g_steps, description="l (G-steps)")
        self.lr_d = w.FloatText(value=config.lr_d, description="lr D", step=1e-4)
        self.lr_g = w.FloatText(value=config.lr_g, description="lr G", step=1e-4)
        self.remedy = w.Checkbox(value=config.pack > 1, description=f"remedy: PacGAN (pack {self.remedy_pack})")
        self.n_steps = w.IntText(value=steps_per_click, description="N steps")
        self.train_button = w.Button(description="train N steps", button_style="primary")
        self.reset_button = w.Button(description="reset")
        self.readout = w.HTML()
        self.out = w.Output()
        self.train_button.on_click(lambda _: self.train_clicked())
        self.reset_button.on_click(lambda _: self.reset_clicked())
        self.remedy.observe(lambda _: self.reset_clicked(), names="value")
        self.widget = w.VBox([
            w.HBox([self.k, self.l, self.n_steps]),
            w.HBox([self.lr_d, self.lr_g]),
            w.HBox([self.remedy, self.train_button, self.reset_button]),
            self.readout, self.out,
        ])
        self.config: GANConfig = config
        self.state: TrainState | None = None
        self.frame: dict | None = None
        self.reset_clicked()

    # ------------------------------------------------------------------ callbacks
    def current_config(self) -> GANConfig:
        """The config the controls describe; a ValueError names a bad control value."""
        pack = self.remedy_pack if self.remedy.value else 1
        return self.base.replace(d_steps=self.k.value, g_steps=self.l.value, lr_d=self.lr_d.value,
                                 lr_g=self.lr_g.value, pack=pack)

    def _steps(self) -> int:
        n = self.n_steps.value
        if isinstance(n, bool) or not isinstance(n, int) or not 1 <= n <= MAX_STEPS_PER_CLICK:
            raise ValueError(f"N steps must be a whole number from 1 to {MAX_STEPS_PER_CLICK:,} "
                             f"(about 2 s a thousand), got {n!r}")
        return n

    def reset_clicked(self) -> None:
        """Fresh nets (same seed) for the current controls."""
        try:
            self.config = self.current_config()
        except ValueError as err:
            self._error(err)
            return
        self.state = new_state(self.config, self.ring.dim, seed=self.seed)
        self._record()
        self.draw()

    def train_clicked(self) -> None:
        """Train N more rounds with the current k, l and learning rates, then update the readout and picture."""
        try:
            config, n = self.current_config(), self._steps()
        except ValueError as err:
            self._error(err)
            return
        if self.state is None or config.pack != self.config.pack:
            self.config = config
            self.reset_clicked()
        self.config = config
        try:
            train(config, self.ring, state=self.state, steps=n, progress=False)
        except TrainingDiverged as err:
            self._error(f"{err} Then press reset.")
            return
        self._record()
        self.draw()

    # ------------------------------------------------------------------ display
    def _record(self) -> None:
        s, c = self.state, self.config
        self.frame = frame_recorder(self.ring, loss=c.loss)(s.step, s.generator, s.discriminator)
        self.frame["step"] = s.step
        m = self.frame["metrics"]
        remedy = f"PacGAN pack {c.pack}" if c.pack > 1 else "none"
        self.readout.value = (f"<b>step {s.step}</b> &middot; k = {c.d_steps}, l = {c.g_steps} &middot; lr D {c.lr_d:g}, "
                              f"lr G {c.lr_g:g} &middot; remedy: {remedy} &middot; "
                              f"<b>modes covered {m['modes_covered']}/8</b> &middot; "
                              f"<b>high-quality {m['high_quality']:.1f}%</b>")

    def _error(self, err: Exception | str) -> None:
        self.readout.value = f"<span style='color:#b00'>&#9888; {err}</span>"

    def draw(self) -> None:
        """Draw the current frame into the output."""
        redraw(self.out, lambda: _frame_figure(self.frame, self.real))

    @property
    def metrics(self) -> dict:
        """Modes covered and high-quality % of the current G."""
        return self.frame["metrics"]
