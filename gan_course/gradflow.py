"""Notebook 01's picture: which parameters of a chain a -> f -> g -> h -> loss receive gradient.

Three ways to stop gradient are compared: ``x.detach()`` on a tensor,
``module.requires_grad_(False)`` on a module, and running a module under ``torch.no_grad()``.
"""

from __future__ import annotations

import contextlib

import ipywidgets as w
import matplotlib.pyplot as plt
import torch
from matplotlib.patches import FancyBboxPatch
from torch import nn

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
