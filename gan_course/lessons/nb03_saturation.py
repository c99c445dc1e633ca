r"""Notebook 03: the saturating and the non-saturating G loss, as curves, as the slide's chain, and in training.

With $D = \sigma(\ell)$, the chain from G's loss to a fake x is
$\frac{\partial L}{\partial x} = \frac{\partial L}{\partial D}\, D(1 - D)\, \frac{\partial \ell}{\partial x}$:
$\frac{\partial L}{\partial D} = -\frac{1}{1 - D}$ for the saturating loss $\log(1 - D)$ and $-\frac{1}{D}$ for the
non-saturating $-\log D$. :func:`chain_on_fakes` measures each factor on fakes; :func:`compare_losses` trains
both losses from one initialisation; :func:`head_start` gives D a lead before the game starts.
"""

from __future__ import annotations

import copy
import time
from dataclasses import dataclass
from functools import partial
from typing import Callable

import ipywidgets as w
import matplotlib.pyplot as plt
import numpy as np
import torch
import torch.nn.functional as F

from gan_course.checkpoints import load_or_train
from gan_course.config import GANConfig
from gan_course.data import N_CLASSES
from gan_course.device import get_device, threads
from gan_course.experiments import get_preset
from gan_course.losses import LOSSES, discriminator_loss, generator_loss, loss_curves
from gan_course.metrics import digit_fd, generated_digits
from gan_course.seeding import fixed_noise
from gan_course.train import TrainResult, TrainState, new_state, train, train_round
from gan_course.widgets import PROBE, redraw

NAMES = {"saturating": "saturating  log(1 - D)", "non_saturating": "non-saturating  -log D"}  # as plots label them
GLoss = Callable[[torch.Tensor, str], torch.Tensor]  # (fake logits (B,), loss name) -> scalar
PROBE_SEED = 999  # seed of the fixed z of the fakes the chain is measured on
HEAD_START = 200  # D-steps D trains against the initial G before the game starts
WINDOW = (101, 400)  # rounds over which G's gradient norms are compared
AFTER_HEAD_START = 1000  # rounds played after D's head start


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


def chain_on_fakes(generator: torch.nn.Module, discriminator: torch.nn.Module, n: int = 256,
                   seed: int = PROBE_SEED) -> dict[str, float]:
    r"""The slide's chain on n fakes x = G(z) from a fixed z: medians over the fakes, each by autograd.

    ``d`` $= D(x)$; ``dl_dx`` $= |\partial \ell / \partial x|$; ``sigmoid_slope`` $= D(1 - D)$;
    ``dD_dx`` $= |\partial D / \partial x|$; ``saturating`` and ``non_saturating`` $= |\partial L / \partial x|$
    of each G loss; ``ratio`` = the median of non-saturating over saturating, fake by fake.
    """
    device = next(generator.parameters()).device
    was_training = discriminator.training
    discriminator.eval()
    with torch.no_grad():
        x = generator(fixed_noise(n, generator.latent_dim, seed).to(device))  # (n, 784)
    x.requires_grad_()
    logits = discriminator(x)  # (n,): one logit per fake, so the gradient of a sum is each fake's own
    discriminator.train(was_training)

    def norms(values: torch.Tensor) -> torch.Tensor:
        (grad,) = torch.autograd.grad(values.sum(), x, retain_graph=True)
        return grad.flatten(1).norm(dim=1)  # (n,)

    d = torch.sigmoid(logits)
    per_fake = {"d": d.detach(), "dl_dx": norms(logits), "sigmoid_slope": (d * (1 - d)).detach(), "dD_dx": norms(d),
                "saturating": norms(F.logsigmoid(-logits)), "non_saturating": norms(-F.logsigmoid(logits))}
    per_fake["ratio"] = per_fake["non_saturating"] / per_fake["saturating"]
    return {key: float(values.median()) for key, values in per_fake.items()}


def head_start(config: GANConfig, data, seed: int = 0, head_start_steps: int = HEAD_START) -> TrainState:
    r"""The start ``train(config, seed=seed)`` would have, after ``head_start_steps`` D-steps against the fixed initial G.

    This is a lead D takes before the game starts, not $k$ (``config.d_steps``, the D-steps of every round).

    Each D-step descends $-\mathbb{E}[\log D(x)] - \mathbb{E}[\log(1 - D(G(z)))]$ on a fresh batch; G does not move.
    Pass the state to ``train(..., state=...)`` to play the game from there.
    """
    device = get_device()
    state = new_state(config, data.dim, data.n_classes or N_CLASSES, seed, device)
    data = data.to(device)
    with threads():  # the threads train() would use
        for _ in range(head_start_steps):
            real, _ = data.sample(config.batch_size, state.rng)
            z = torch.randn(config.batch_size, config.latent_dim, generator=state.rng).to(device)
            with torch.no_grad():
                fake = state.generator(z)
            d_loss = discriminator_loss(state.discriminator(real.to(device)), state.discriminator(fake))
            state.opt_d.zero_grad(set_to_none=True)
            d_loss.backward()
            state.opt_d.step()
    return state


def sample_fd(generator: torch.nn.Module, n: int = 2000) -> float:
    """Frechet distance to real digits of n samples from a fixed z (seed 0), in the course classifier's features."""
    return digit_fd(generated_digits(generator, n, generator.latent_dim, seed=0))


def _round(g_loss: GLoss | None, loss: str):
    """The round :func:`~gan_course.train.train` plays: the course's, or one whose G minimises ``g_loss(logits, loss)``."""
    return train_round if g_loss is None else partial(train_round, g_loss_fn=lambda fake_logits: g_loss(fake_logits, loss))


def play_from(state: TrainState, config: GANConfig, data, steps: int, g_loss: GLoss | None = None,
              progress: bool = True, pretrained: bool = False, seed: int | None = None) -> dict[str, TrainResult]:
    """Play the game from (a copy of) ``state`` with each G loss for ``steps`` rounds, logging every round.

    With ``pretrained`` and the ``seed`` that :func:`head_start` made ``state`` with, the saved runs after D's
    head start (:data:`HEAD_START_NAMES`, seed 0, shipped with the course) stand in when
    :func:`gan_course.checkpoints.load_or_train` finds them usable, as in :func:`compare_losses`."""
    live = not (pretrained and seed is not None and _package_loss(g_loss))
    return {loss: load_or_train(HEAD_START_NAMES[loss], config.replace(loss=loss, log_every=1), data,
                                seed=0 if seed is None else seed, steps=steps, live=live, state=copy.deepcopy(state),
                                round_fn=_round(g_loss, loss), progress=progress)
            for loss in LOSSES}


def _package_loss(g_loss: GLoss | None) -> bool:
    """Whether runs trained with gan_course's G loss may stand in for training with ``g_loss``; if not, one line
    says why."""
    reason = None if g_loss is None else differs_from_package(g_loss)
    if reason is not None:
        print(f"Not using pre-trained runs: they were trained with gan_course's G loss, and this g_loss differs "
              f"({reason}). Training live with it.")
    return reason is None


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


CHECKPOINT_NAMES = {"non_saturating": "strong-d", "saturating": "strong-d-saturating"}
HEAD_START_NAMES = {loss: f"{name}-after-head-start" for loss, name in CHECKPOINT_NAMES.items()}


def differs_from_package(g_loss: GLoss) -> str | None:
    """How ``g_loss(fake_logits, loss)`` differs from gan_course's G loss, or None when, for each loss, its value
    and its gradient are gan_course's bit for bit on a probe of 66 logits (64 drawn, and -30 and 30)."""
    probe = torch.cat([torch.randn(64, generator=torch.Generator().manual_seed(PROBE_SEED)) * 4,
                       torch.tensor([-30.0, 30.0])])
    for loss in LOSSES:
        values, grads = [], []
        for fn in (g_loss, generator_loss):
            logits = probe.clone().requires_grad_(True)
            value = fn(logits, loss)
            values.append(value.detach())
            grads.append(torch.autograd.grad(value, logits)[0])
        if not torch.equal(*values):
            return f"its {loss} loss is {values[0].tolist()} on the probe, gan_course's {values[1].tolist()}"
        if not torch.equal(*grads):
            return f"its {loss} loss has another gradient than gan_course's on the probe"
    return None


def compare_losses(config: GANConfig, data, seed: int = 0, steps: int = 1000, window: tuple[int, int] = WINDOW,
                   progress: bool = True, pretrained: bool = False, g_loss: GLoss | None = None) -> LossComparison:
    """Train ``config`` with each G loss (same seed, same initial weights); measure the gradient ratio and FD.

    ``g_loss(fake_logits, loss)`` replaces the package's G loss (the notebook passes its own lines). With
    ``pretrained``, saved runs of ``strong-d`` and ``strong-d-saturating`` (the instructor's ``checkpoints/``, or
    those shipped with the course) stand in for training when :func:`gan_course.checkpoints.load_or_train` finds
    them usable. They were trained with the package's loss, so a ``g_loss`` that is not the package's (see
    :func:`differs_from_package`) trains live, and one line says why.
    """
    pretrained = pretrained and _package_loss(g_loss)

    def run(loss: str) -> TrainResult:
        loss_config = config.replace(loss=loss, log_every=1)
        if pretrained:
            return load_or_train(CHECKPOINT_NAMES[loss], loss_config, data, seed=seed, steps=steps, progress=progress,
                                 round_fn=_round(g_loss, loss))
        return train(loss_config, data, seed=seed, steps=steps, progress=progress, round_fn=_round(g_loss, loss))

    runs = {loss: run(loss) for loss in ("non_saturating", "saturating")}
    ns, sat = runs["non_saturating"], runs["saturating"]
    ns_norms, sat_norms = (early_values(r.history, "g_grad_norm", window) for r in (ns, sat))
    return LossComparison(ns, sat, window, float(np.median(ns_norms) / np.median(sat_norms)),
                          float(ns_norms.mean() / sat_norms.mean()),
                          sample_fd(ns.generator), sample_fd(sat.generator))


def strong_d_config() -> GANConfig:
    """The slide's regime, "D is fairly good": the vanilla preset with k = 2, no dropout in D, Adam lr 2e-4."""
    return get_preset("strong-d").config


def saturation_figures(seed: int, steps: int | None = None, rounds: int = AFTER_HEAD_START) -> dict:
    """Everything notebook 03 asserts, for one seed: the chain before and after D's head start, both losses from
    scratch (``steps`` rounds, default 1,000) and both losses after the head start (``rounds``): FDs at the start
    and the end, G's median gradient norm after the head start, and the seconds it all took."""
    from gan_course.data import load_mnist

    config, data = strong_d_config(), load_mnist(verbose=False)
    start = time.perf_counter()
    initial = head_start(config, data, seed, head_start_steps=0)
    before = chain_on_fakes(initial.generator, initial.discriminator)
    state = head_start(config, data, seed)
    after = chain_on_fakes(state.generator, state.discriminator)
    scratch = compare_losses(config, data, seed=seed, steps=steps or 1000, progress=False)
    played = play_from(state, config, data, rounds, progress=False)
    return {"chain_before": before, "chain": after, "grad_ratio": scratch.grad_ratio,
            "mean_grad_ratio": scratch.mean_grad_ratio, "fd_start": sample_fd(state.generator),
            "fd_scratch": {"non_saturating": scratch.fd_non_saturating, "saturating": scratch.fd_saturating},
            "fd_head_start": {loss: sample_fd(run.generator) for loss, run in played.items()},
            "grad_head_start": {loss: float(np.median(run.history["g_grad_norm"])) for loss, run in played.items()},
            "seconds": time.perf_counter() - start}
