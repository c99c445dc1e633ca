"""Notebook 01: which parameters of a chain a -> f -> g -> h -> loss receive gradient, and what freezing D does.

Three ways to stop gradient are compared: ``x.detach()`` on a tensor,
``module.requires_grad_(False)`` on a module, and running a module under ``torch.no_grad()``.
:func:`freezing_effect` runs the GAN's G-step with D frozen and not, on the course's MNIST-sized nets:
D's weights stay put either way (G's optimiser holds only G's parameters); freezing skips D's weight
gradients, so it is cheaper and leaves D's ``.grad`` empty.
"""

from __future__ import annotations

import contextlib
import copy
import statistics
import time
from typing import Any, Callable

import ipywidgets as w
import matplotlib.pyplot as plt
import torch
from matplotlib.patches import FancyBboxPatch
from torch import nn

from gan_course.config import GANConfig
from gan_course.device import threads
from gan_course.losses import generator_loss
from gan_course.train import build_models
from gan_course.widgets import PROBE, redraw

STAGES = ("f", "g", "h")


def make_chain(seed: int = 0) -> dict[str, nn.Module]:
    """Three small linear layers f, g, h (4 -> 4 each), seeded."""
    torch.manual_seed(seed)
    return {name: nn.Linear(4, 4) for name in STAGES}


def gradient_flow(detach_after: str | None = None, frozen: tuple[str, ...] = (), no_grad: tuple[str, ...] = (),
                  seed: int = 0) -> dict[str, float | None]:
    """Backprop ``h(g(f(a))).sum()`` with the given cuts; the grad norm of each module's weight.

    ``detach_after``: "f" or "g" detaches that module's output; ``frozen`` modules get
    ``requires_grad_(False)``; ``no_grad`` modules run under ``torch.no_grad()``.
    A value of None means the weight's ``.grad`` stayed None: no gradient reached it.
    """
    for name in (*frozen, *no_grad, *([detach_after] if detach_after else [])):
        if name not in STAGES:
            raise ValueError(f"unknown stage {name!r}: expected one of {STAGES}")
    chain = make_chain(seed)
    for name in frozen:
        chain[name].requires_grad_(False)
    x = torch.randn(8, 4, generator=torch.Generator().manual_seed(seed))  # a: (8, 4)
    for name in STAGES:
        with torch.no_grad() if name in no_grad else contextlib.nullcontext():
            x = chain[name](x)
        if name == detach_after:
            x = x.detach()
    if x.requires_grad:
        x.sum().backward()
    return {name: (None if m.weight.grad is None else float(m.weight.grad.norm())) for name, m in chain.items()}


def draw_flow(grads: dict[str, float | None], title: str = "", ax=None):
    """Boxes a -> f -> g -> h -> loss; green where the weight got a gradient, gray where not."""
    if ax is None:
        _, ax = plt.subplots(figsize=(8, 1.9))
    names = ["a", *STAGES, "loss"]
    for i, name in enumerate(names):
        grad = grads.get(name)
        color = "#d9d9d9" if name in STAGES and grad is None else ("#8fd18f" if name in STAGES else "white")
        ax.add_patch(FancyBboxPatch((i * 2, 0), 1.2, 1, boxstyle="round,pad=0.05", fc=color, ec="black"))
        ax.text(i * 2 + 0.6, 0.5, name, ha="center", va="center", fontsize=14)
        if name in STAGES:
            label = "no grad" if grad is None else f"|grad| {grad:.2f}"
            ax.text(i * 2 + 0.6, -0.35, label, ha="center", va="center", fontsize=9)
        if i < len(names) - 1:
            ax.annotate("", xy=(i * 2 + 1.9, 0.5), xytext=(i * 2 + 1.3, 0.5), arrowprops={"arrowstyle": "->"})
    ax.set_xlim(-0.3, len(names) * 2 - 0.6)
    ax.set_ylim(-0.7, 1.3)
    ax.set_axis_off()
    ax.set_title(title)
    return ax


class GradientFlowWidget:
    """Toggles for where the graph is cut, and the picture of which weights receive gradient."""

    def __init__(self):
        self.detach = w.ToggleButtons(options=[("no detach", "none"), ("f(a).detach()", "f"), ("g(.).detach()", "g")],
                                      description="detach")
        self.frozen = w.SelectMultiple(options=STAGES, description="requires_grad_(False)", rows=3,
                                       style={"description_width": "initial"})
        self.no_grad = w.SelectMultiple(options=STAGES, description="torch.no_grad()", rows=3,
                                        style={"description_width": "initial"})
        self.detach.add_class(PROBE)
        self.output = w.Output()
        for control in (self.detach, self.frozen, self.no_grad):
            control.observe(lambda _: self.update(), names="value")
        self.widget = w.VBox([self.detach, w.HBox([self.frozen, self.no_grad]), self.output])
        self.shown: dict | None = None
        self.update()

    def update(self) -> dict[str, float | None]:
        detach_after = None if self.detach.value == "none" else self.detach.value
        grads = gradient_flow(detach_after, tuple(self.frozen.value), tuple(self.no_grad.value))
        self.shown = redraw(self.output, lambda: (draw_flow(grads, "which weights receive gradient"), grads)[1])
        return self.shown


def g_step(generator: nn.Module, discriminator: nn.Module, opt_g: torch.optim.Optimizer, z: torch.Tensor,
           freeze_d: bool = True) -> torch.Tensor:
    r"""One G-step: descend $-\mathbb{E}_z[\log D(G(z))]$ in $\theta_G$ for noise z (B, latent_dim); the loss.

    With ``freeze_d``, D's parameters get ``requires_grad_(False)`` for the step: gradient still flows
    through D into G, but D's weight gradients are not computed. ``opt_g`` steps only what it holds.
    """
    if freeze_d:
        discriminator.requires_grad_(False)
    try:
        g_loss = generator_loss(discriminator(generator(z)).reshape(-1))
        opt_g.zero_grad(set_to_none=True)
        g_loss.backward()
        opt_g.step()
    finally:
        discriminator.requires_grad_(True)
    return g_loss.detach()


def _vector(tensors) -> torch.Tensor:
    return torch.cat([t.detach().reshape(-1) for t in tensors])


def _cpu_seconds_per_step(run: Callable[[], Any], n: int) -> float:
    start = time.process_time()
    for _ in range(n):
        run()
    return (time.process_time() - start) / n


GStep = Callable[[nn.Module, nn.Module, torch.optim.Optimizer, torch.Tensor, bool], Any]


def freezing_effect(seed: int = 0, config: GANConfig | None = None, repeats: int = 7, n: int = 20,
                    step: GStep = g_step) -> dict:
    """One G-step (``step(G, D, opt_g, z, freeze_d)``) with D frozen and one without, from the same seeded G and D.

    The nets have the ``config``'s MNIST sizes (default: the course's, without dropout). Returns D's largest
    weight change and D's ``.grad`` norm (None: empty) each way, whether G ends bit-identical, and the CPU
    seconds of one G-step each way (median of ``repeats`` blocks of ``n`` steps, one thread).
    """
    config = config or GANConfig(d_dropout=0.0)
    torch.manual_seed(seed)
    generator, discriminator = build_models(config)
    z = torch.randn(config.batch_size, config.latent_dim, generator=torch.Generator().manual_seed(seed))
    out: dict = {}
    ends = {}
    for freeze_d in (True, False):
        g, d = copy.deepcopy(generator), copy.deepcopy(discriminator)
        before = _vector(d.parameters())
        step(g, d, torch.optim.Adam(g.parameters(), lr=config.lr_g, betas=(config.beta1, 0.999)), z, freeze_d)
        key = "frozen" if freeze_d else "not_frozen"
        grads = [p.grad for p in d.parameters()]
        out[f"d_change_{key}"] = float((_vector(d.parameters()) - before).abs().max())
        out[f"d_grad_{key}"] = None if all(gr is None for gr in grads) else float(_vector(
            gr for gr in grads if gr is not None).norm())
        ends[key] = _vector(g.parameters())
    out["g_identical"] = bool(torch.equal(ends["frozen"], ends["not_frozen"]))
    with threads(1):  # CPU seconds per step are compared on one thread
        opt_g = torch.optim.Adam(generator.parameters(), lr=config.lr_g, betas=(config.beta1, 0.999))
        times: dict[bool, list[float]] = {True: [], False: []}
        for _ in range(repeats + 1):  # the first block of each warms up and is dropped
            for freeze_d in (True, False):
                times[freeze_d].append(_cpu_seconds_per_step(
                    lambda: step(generator, discriminator, opt_g, z, freeze_d), n))
                discriminator.zero_grad(set_to_none=True)
    out["seconds_frozen"] = statistics.median(times[True][1:])
    out["seconds_not_frozen"] = statistics.median(times[False][1:])
    return out
