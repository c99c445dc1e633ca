r"""One alternating training loop for every GAN in the course: k D-steps, then l G-steps.

:func:`train_round` is the game itself, the lines notebook 02 shows; :func:`train` wraps it with the
plumbing: a seeded data stream, a step or time budget, a learning-rate schedule, a progress bar, a
history, snapshots from a fixed z, a NaN guard, and a :class:`TrainState` to continue from. The same
seed gives bit-identical weights on the CPU, on any number of threads (see :mod:`gan_course.device`).
"""

from __future__ import annotations

import math
import time
from contextlib import nullcontext
from dataclasses import dataclass, field
from typing import Any, Callable

import torch
import torch.nn.functional as F
from torch import nn
from tqdm.auto import tqdm

from gan_course.config import GANConfig, check_fits_memory, check_seconds, check_steps
from gan_course.data import N_CLASSES, load_dataset
from gan_course.device import device_of, get_device, threads
from gan_course.losses import discriminator_loss, generator_loss
from gan_course.models import Discriminator, Generator
from gan_course.seeding import seed_everything

# Logged every `log_every` rounds, from the last D-step of the round: its losses, G's gradient norm, D's mean
# output and accuracy on real and fake, and f_acc's two terms, E[log D(x)] and E[log(1 - D(G(z)))].
HISTORY_KEYS = ("step", "d_loss", "g_loss", "g_grad_norm", "d_real", "d_fake", "d_acc_real", "d_acc_fake",
                "log_d_real", "log_1m_d_fake", "time")
SMALL_MODEL = 100_000  # parameters; nets this small train faster on one thread (the ring's: 20 s on 1, 24 s on 2)

DLoss = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]
GLoss = Callable[[torch.Tensor], torch.Tensor]


class TrainingDiverged(RuntimeError):
    """A loss became NaN or infinite."""


def build_models(config: GANConfig, data_dim: int = 784, n_classes: int = N_CLASSES) -> tuple[Generator, Discriminator]:
    """The generator and discriminator a config describes (freshly initialised)."""
    n_classes = n_classes if config.conditional else 0
    generator = Generator(config.latent_dim, config.g_hidden, data_dim, n_classes, tanh=config.dataset == "mnist")
    discriminator = Discriminator(data_dim, config.d_hidden, n_classes, config.input_dropout, config.d_dropout, config.pack)
    return generator, discriminator


@dataclass
class Round:
    """What one round leaves: the last D-step's and G-step's losses, and D's logits in the last D-step."""

    d_loss: torch.Tensor
    g_loss: torch.Tensor
    real_logits: torch.Tensor
    fake_logits: torch.Tensor


def train_round(generator: Generator, discriminator: Discriminator, opt_g: torch.optim.Optimizer,
                opt_d: torch.optim.Optimizer, real_batch: Callable[[], tuple], noise: Callable[[int], tuple],
                config: GANConfig, d_loss_fn: DLoss = discriminator_loss, g_loss_fn: GLoss | None = None) -> Round:
    r"""One round of the game $\min_G \max_D f_{acc}$: k D-steps, then l G-steps.

    (1) $k$ times, D ascends $f_{acc} = \mathbb{E}_x[\log D(x)] + \mathbb{E}_z[\log(1 - D(G(z)))]$
    (minimises ``d_loss_fn`` $= -f_{acc}$) on a fake that is ``detach()``-ed, so no gradient reaches G.
    (2) $l$ times, G descends its loss (``config.loss``, or ``g_loss_fn``) through D, whose parameters are
    frozen: gradient flows through D into G, and D's ``.grad`` stays empty.
    ``real_batch()`` gives real x (B, dim) and labels (B,) or None; ``noise(n)`` gives z (n, latent_dim)
    and random labels (n,) or None. A conditional D-step gives the fakes the real batch's labels.
    """
    g_loss_fn = g_loss_fn or (lambda fake_logits: generator_loss(fake_logits, config.loss))
    for _ in range(config.d_steps):  # (1) Update D: maximise log D(x) + log(1 - D(G(z))), G frozen by detach()
        real, labels = real_batch()
        z, _ = noise(len(real))
        fake = generator(z, labels).detach()
        real_logits, fake_logits = discriminator(real, labels), discriminator(fake, labels)
        d_loss = d_loss_fn(real_logits, fake_logits)
        opt_d.zero_grad(set_to_none=True)
        d_loss.backward()
        opt_d.step()
    discriminator.requires_grad_(False)  # (2) Update G: minimise its loss through D, D's parameters frozen
    for _ in range(config.g_steps):
        z, labels = noise(config.batch_size)
        g_loss = g_loss_fn(discriminator(generator(z, labels), labels))
        opt_g.zero_grad(set_to_none=True)
        g_loss.backward()
        opt_g.step()
    discriminator.requires_grad_(True)
    return Round(d_loss, g_loss, real_logits, fake_logits)


def make_optimizer(config: GANConfig, params, lr: float) -> torch.optim.Optimizer:
    """Adam with betas (beta1, 0.999), or SGD with the config's momentum."""
    if config.optimizer == "adam":
        return torch.optim.Adam(params, lr=lr, betas=(config.beta1, 0.999))
    return torch.optim.SGD(params, lr=lr, momentum=config.momentum)


def lr_factor(config: GANConfig, step: int, total: int) -> float:
    r"""The learning rate's factor in round ``step + 1`` of ``total``: 1, or $\tfrac12(1 + \cos(\pi t / T))$ for "cosine"."""
    if config.lr_schedule == "constant":
        return 1.0
    return 0.5 * (1 + math.cos(math.pi * min(step, total) / total))


@dataclass
class TrainState:
    """Everything needed to continue a run: the nets, their optimisers, the random stream and the round count."""

    generator: Generator
    discriminator: Discriminator
    opt_g: torch.optim.Optimizer
    opt_d: torch.optim.Optimizer
    rng: torch.Generator
    fixed_z: torch.Tensor
    fixed_labels: torch.Tensor | None
    step: int = 0
    horizon: int | None = None  # the round at which a cosine schedule reaches 0 (default: the config's steps)


def new_state(config: GANConfig, data_dim: int, n_classes: int = N_CLASSES, seed: int = 0,
              device: torch.device | str = "cpu") -> TrainState:
    """Fresh nets and optimisers for ``config``, seeded: the same seed gives the same start."""
    rng = seed_everything(seed)
    generator, discriminator = build_models(config, data_dim, n_classes)
    generator, discriminator = generator.to(device), discriminator.to(device)
    opt_g = make_optimizer(config, generator.parameters(), config.lr_g)
    opt_d = make_optimizer(config, discriminator.parameters(), config.lr_d)
    fixed_z = torch.randn(config.n_snapshot, config.latent_dim, generator=rng)
    fixed_labels = torch.arange(config.n_snapshot) % N_CLASSES if config.conditional else None
    return TrainState(generator, discriminator, opt_g, opt_d, rng, fixed_z, fixed_labels)


@dataclass
class TrainResult:
    """What a run leaves: the two nets, the history, snapshots from the fixed latent batch, and its state."""

    config: GANConfig
    generator: Generator
    discriminator: Discriminator
    history: dict[str, list[float]]
    snapshots: list[dict[str, Any]] = field(default_factory=list)
    fixed_z: torch.Tensor | None = None
    fixed_labels: torch.Tensor | None = None
    seconds: float = 0.0
    data_source: str = ""
    state: TrainState | None = None


def grad_norm(module: nn.Module) -> float:
    """L2 norm of all parameter gradients of ``module`` (0 when none).

    Summed row by row, so the result does not depend on the number of threads.
    """
    squares = [p.grad.detach().pow(2).reshape(len(p.grad), -1).sum(1).sum() for p in module.parameters()
               if p.grad is not None]
    return float(torch.stack(squares).sum().sqrt()) if squares else 0.0


def _check_finite(value: float, name: str, step: int) -> None:
    if not math.isfinite(value):
        raise TrainingDiverged(
            f"{name} became {value} at step {step}: training diverged. Try a smaller learning rate, "
            "or the numerically stable (logits) form of the loss."
        )


def _streams(config: GANConfig, data, rng: torch.Generator, device: torch.device) -> tuple[Callable, Callable]:
    """``real_batch()`` and ``noise(n)`` for :func:`train_round`, both drawn from the run's one seeded stream."""
    data_on_device = data.to(device)

    def real_batch() -> tuple:
        real, labels = data_on_device.sample(config.batch_size, rng)
        return real.to(device), (labels if config.conditional else None)

    def noise(n: int) -> tuple:
        z = torch.randn(n, config.latent_dim, generator=rng).to(device)
        labels = torch.randint(N_CLASSES, (n,), generator=rng).to(device) if config.conditional else None
        return z, labels

    return real_batch, noise


@dataclass
class _Record:
    """The history and the snapshots that one call of :func:`train` leaves."""

    state: TrainState
    image_shape: tuple[int, ...] | None  # (1, 28, 28) for digits; None for points
    callback: Callable[[int, Generator, Discriminator], dict | None] | None
    history: dict[str, list[float]] = field(default_factory=lambda: {key: [] for key in HISTORY_KEYS})
    snapshots: list[dict[str, Any]] = field(default_factory=list)

    def snapshot(self) -> None:
        """G's samples from the fixed z (and what the callback returns), at the current round."""
        s = self.state
        device = device_of(s.generator)
        with torch.no_grad():
            labels = s.fixed_labels.to(device) if s.fixed_labels is not None else None
            samples = s.generator(s.fixed_z.to(device), labels).cpu()
        if self.image_shape is not None:
            samples = samples.view(-1, *self.image_shape)
        snap: dict[str, Any] = {"step": s.step, "samples": samples}
        if self.callback is not None:
            snap.update(self.callback(s.step, s.generator, s.discriminator) or {})
        self.snapshots.append(snap)

    def log(self, played: Round, elapsed: float) -> None:
        """One row of the history from the round just played."""
        with torch.no_grad():
            p_real, p_fake = torch.sigmoid(played.real_logits), torch.sigmoid(played.fake_logits)
            log_d_real = float(F.logsigmoid(played.real_logits).mean())  # log D = log sigmoid(l)
            log_1m_d_fake = float(F.logsigmoid(-played.fake_logits).mean())  # log(1 - D) = log sigmoid(-l)
        values = (self.state.step, played.d_loss.item(), played.g_loss.item(), grad_norm(self.state.generator),
                  float(p_real.mean()), float(p_fake.mean()), float((p_real > 0.5).float().mean()),
                  float((p_fake < 0.5).float().mean()), log_d_real, log_1m_d_fake, elapsed)
        for key, value in zip(HISTORY_KEYS, values):
            self.history[key].append(value)


def _threads(state: TrainState):
    """CPU threads for this run (one for nets too small to gain from more), restored afterwards; none on a GPU."""
    if device_of(state.generator).type != "cpu":
        return nullcontext()
    n_params = sum(p.numel() for net in (state.generator, state.discriminator) for p in net.parameters())
    return threads(1 if n_params < SMALL_MODEL else None)


def train(
    config: GANConfig,
    data=None,
    *,
    seed: int = 0,
    steps: int | None = None,
    seconds: float | None = None,
    device: torch.device | str | None = None,
    callback: Callable[[int, Generator, Discriminator], dict | None] | None = None,
    progress: bool = True,
    state: TrainState | None = None,
    round_fn: Callable[..., Round] = train_round,
) -> TrainResult:
    """Train a GAN with :func:`train_round` for ``steps`` rounds (default ``config.steps``) or ``seconds``.

    ``callback(step, G, D)`` runs at every snapshot; a dict it
    returns is stored in that snapshot. ``state`` (a previous result's ``.state``) continues that run for
    ``steps`` more rounds with this config's k, l and learning rates; ``seed`` then plays no part.
    ``round_fn(generator, discriminator, opt_g, opt_d, real_batch, noise, config)`` plays each round instead of
    :func:`train_round`: ``functools.partial(train_round, g_loss_fn=...)`` trains with another G loss (notebook 03),
    and notebook 07 plays the student's own round.
    """
    config.validate()
    check_steps(steps)
    check_seconds(seconds)
    budget = steps if steps is not None else (None if seconds is not None else config.steps)
    data = load_dataset(config.dataset) if data is None else data
    check_fits_memory(config, data.dim)  # a size within every bound can still exceed this machine's memory
    if state is None:
        device = torch.device(device) if device is not None else get_device()
        state = new_state(config, data.dim, data.n_classes or N_CLASSES, seed, device)
        state.horizon = budget or config.steps
    state.horizon = state.horizon or config.steps
    generator, discriminator = state.generator, state.discriminator
    real_batch, noise = _streams(config, data, state.rng, device_of(generator))
    record = _Record(state, (1, 28, 28) if data.dim == 784 else None, callback)
    bar = tqdm(total=budget, disable=not progress, desc=f"training ({config.loss})", unit="step", leave=False)
    generator.train()
    discriminator.train()
    if state.step == 0:
        record.snapshot()
    start, first = time.perf_counter(), state.step + 1
    with _threads(state):
        try:
            while True:
                for opt, lr in ((state.opt_d, config.lr_d), (state.opt_g, config.lr_g)):
                    for group in opt.param_groups:
                        group["lr"] = lr * lr_factor(config, state.step, state.horizon)
                played = round_fn(generator, discriminator, state.opt_g, state.opt_d, real_batch, noise, config)
                state.step += 1
                _check_finite(played.d_loss.item(), "the discriminator loss", state.step)
                _check_finite(played.g_loss.item(), "the generator loss", state.step)
                elapsed = time.perf_counter() - start
                done = state.step - first + 1 >= budget if budget is not None else elapsed >= seconds
                if state.step == first or state.step % config.log_every == 0 or done:
                    record.log(played, elapsed)
                    bar.set_postfix(d_loss=f"{played.d_loss.item():.3f}", g_loss=f"{played.g_loss.item():.3f}",
                                    refresh=False)
                if state.step % config.snapshot_every == 0 or done:
                    record.snapshot()
                bar.update(1)
                if done:
                    break
        finally:
            bar.close()
            discriminator.requires_grad_(True)
    generator.eval()
    discriminator.eval()
    return TrainResult(config, generator, discriminator, record.history, record.snapshots, state.fixed_z,
                       state.fixed_labels, time.perf_counter() - start, getattr(data, "source", ""), state)
