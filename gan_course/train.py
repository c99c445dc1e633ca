"""One alternating training loop for every GAN in the course: k D-steps, then l G-steps.

The same seed gives bit-identical results on the CPU: all noise and data batches come
from one seeded ``torch.Generator``.
"""

from __future__ import annotations

import math
import time
from dataclasses import asdict, dataclass, field, fields
from typing import Any, Callable

import torch
from torch import nn

from gan_course.data import load_dataset
from gan_course.device import cpu_threads, get_device, seed_everything
from gan_course.losses import G_LOSS_KINDS, discriminator_loss, generator_loss
from gan_course.models import Discriminator, Generator

HISTORY_KEYS = ("step", "d_loss", "g_loss", "g_grad_norm", "d_real", "d_fake", "d_acc_real", "d_acc_fake", "time")


class TrainingDiverged(RuntimeError):
    """A loss became NaN or infinite."""


@dataclass
class GANConfig:
    """Everything that defines a training run. ``d_steps`` is k, ``g_steps`` is l."""

    dataset: str = "mnist"  # "mnist" or "ring"
    latent_dim: int = 100
    g_hidden: tuple[int, ...] = (256, 512)
    d_hidden: tuple[int, ...] = (512, 256)
    conditional: bool = False  # one-hot label concatenated to z (G) and to x (D)
    input_dropout: float = 0.0  # dropout on D's input pixels
    d_dropout: float = 0.0  # dropout after D's hidden layers
    pack: int = 1  # PacGAN: D judges `pack` samples at once
    loss: str = "non_saturating"  # G's loss: "non_saturating" or "saturating"
    d_steps: int = 1  # k
    g_steps: int = 1  # l
    optimizer: str = "adam"  # "adam" or "sgd"
    lr_d: float = 2e-4
    lr_g: float = 2e-4
    lr_schedule: str = "constant"  # or "cosine": both lrs anneal to 0 over the step budget
    beta1: float = 0.5  # Adam's beta1
    momentum: float = 0.0  # SGD's momentum
    batch_size: int = 64
    steps: int = 3000  # default budget (G updates)
    log_every: int = 10
    snapshot_every: int = 250
    n_snapshot: int = 64  # size of the fixed latent batch whose samples are snapshotted

    def __post_init__(self) -> None:
        self.g_hidden = tuple(self.g_hidden)
        self.d_hidden = tuple(self.d_hidden)
        self.validate()

    def validate(self) -> "GANConfig":
        """Raise a ValueError naming the first bad field and what was expected."""
        positive_ints = ("latent_dim", "d_steps", "g_steps", "batch_size", "steps", "log_every",
                         "snapshot_every", "n_snapshot", "pack")
        for name in positive_ints:
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                what = {"d_steps": "k, the D-steps per round", "g_steps": "l, the G-steps per round"}.get(name, name)
                raise ValueError(f"{name} must be an integer >= 1 ({what}), got {value!r}")
        for name in ("lr_d", "lr_g"):
            value = getattr(self, name)
            if not isinstance(value, (int, float)) or not math.isfinite(value) or value <= 0:
                raise ValueError(f"{name} (learning rate) must be > 0, got {value!r}")
        for name in ("input_dropout", "d_dropout"):
            value = getattr(self, name)
            if not 0.0 <= value < 1.0:
                raise ValueError(f"{name} must be in [0, 1), got {value!r}")
        if not 0.0 <= self.beta1 < 1.0 or not 0.0 <= self.momentum < 1.0:
            raise ValueError(f"beta1 and momentum must be in [0, 1), got {self.beta1!r} and {self.momentum!r}")
        if self.loss not in G_LOSS_KINDS:
            raise ValueError(f"loss must be one of {G_LOSS_KINDS}, got {self.loss!r}")
        if self.lr_schedule not in ("constant", "cosine"):
            raise ValueError(f"lr_schedule must be 'constant' or 'cosine', got {self.lr_schedule!r}")
        if self.optimizer not in ("adam", "sgd"):
            raise ValueError(f"optimizer must be 'adam' or 'sgd', got {self.optimizer!r}")
        if self.dataset not in ("mnist", "ring"):
            raise ValueError(f"dataset must be 'mnist' or 'ring', got {self.dataset!r}")
        if self.batch_size % self.pack:
            raise ValueError(f"batch_size ({self.batch_size}) must be a multiple of pack ({self.pack})")
        if self.conditional and self.dataset != "mnist":
            raise ValueError("conditional=True needs labelled data: dataset must be 'mnist'")
        if any(h < 1 for h in (*self.g_hidden, *self.d_hidden)):
            raise ValueError(f"hidden layer sizes must be >= 1, got g_hidden={self.g_hidden}, d_hidden={self.d_hidden}")
        return self

    def replace(self, **changes: Any) -> "GANConfig":
        """A copy with some fields changed (validated)."""
        unknown = set(changes) - {f.name for f in fields(self)}
        if unknown:
            raise ValueError(f"unknown config field(s) {sorted(unknown)}; fields are {[f.name for f in fields(self)]}")
        return GANConfig(**{**asdict(self), **changes})

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["g_hidden"], d["d_hidden"] = list(self.g_hidden), list(self.d_hidden)
        return d


def build_models(config: GANConfig, data_dim: int = 784, n_classes: int = 10) -> tuple[Generator, Discriminator]:
    """The generator and discriminator a config describes (freshly initialised)."""
    n_classes = n_classes if config.conditional else 0
    generator = Generator(config.latent_dim, config.g_hidden, data_dim, n_classes, tanh=config.dataset == "mnist")
    discriminator = Discriminator(data_dim, config.d_hidden, n_classes, config.input_dropout, config.d_dropout, config.pack)
    return generator, discriminator


@dataclass
class TrainResult:
    """What a run leaves: the two nets, the history, snapshots from the fixed latent batch."""

    config: GANConfig
    generator: Generator
    discriminator: Discriminator
    history: dict[str, list[float]]
    snapshots: list[dict[str, Any]] = field(default_factory=list)
    fixed_z: torch.Tensor | None = None
    fixed_labels: torch.Tensor | None = None
    seconds: float = 0.0
    data_source: str = ""


def grad_norm(module: nn.Module) -> float:
    """L2 norm of all parameter gradients of ``module`` (0 when none)."""
    norms = [p.grad.detach().norm() for p in module.parameters() if p.grad is not None]
    return float(torch.linalg.vector_norm(torch.stack(norms))) if norms else 0.0


def _optimizer(config: GANConfig, params, lr: float) -> torch.optim.Optimizer:
    if config.optimizer == "adam":
        return torch.optim.Adam(params, lr=lr, betas=(config.beta1, 0.999))
    return torch.optim.SGD(params, lr=lr, momentum=config.momentum)


def _schedulers(config: GANConfig, optimizers, total: int) -> list:
    r"""Per-round lr schedules: none for "constant"; for "cosine" $\eta_t = \eta \cdot \tfrac12(1 + \cos(\pi t / T))$, 0 after T."""
    if config.lr_schedule == "constant":
        return []
    factor = lambda t: 0.5 * (1 + math.cos(math.pi * min(t, total) / total))  # noqa: E731
    return [torch.optim.lr_scheduler.LambdaLR(opt, factor) for opt in optimizers]


def _check_finite(value: float, name: str, step: int) -> None:
    if not math.isfinite(value):
        raise TrainingDiverged(
            f"{name} became {value} at step {step}: training diverged. Try a smaller learning rate, "
            "or the numerically stable (logits) form of the loss."
        )


def train(
    config: GANConfig,
    data=None,
    *,
    seed: int = 0,
    steps: int | None = None,
    seconds: float | None = None,
    device: torch.device | str | None = None,
    d_loss_fn: Callable[[torch.Tensor, torch.Tensor], torch.Tensor] | None = None,
    g_loss_fn: Callable[[torch.Tensor], torch.Tensor] | None = None,
    callback: Callable[[int, Generator, Discriminator], dict | None] | None = None,
    progress: bool = True,
) -> TrainResult:
    """Train a GAN with alternating k D-steps and l G-steps for ``steps`` rounds or ``seconds``.

    ``d_loss_fn(real_logits, fake_logits)`` and ``g_loss_fn(fake_logits)`` replace the
    library losses (notebook 07 trains with the student's own). ``callback(step, G, D)``
    runs at every snapshot; a dict it returns is stored in that snapshot.
    """
    config.validate()
    if steps is not None and (not isinstance(steps, int) or steps < 1):
        raise ValueError(f"steps must be an integer >= 1, got {steps!r}")
    if seconds is not None and not seconds > 0:
        raise ValueError(f"seconds must be > 0, got {seconds!r}")
    budget_steps = steps if steps is not None else (None if seconds is not None else config.steps)
    device = torch.device(device) if device is not None else get_device()
    data = load_dataset(config.dataset) if data is None else data
    data_on_device = data.to(device)

    rng = seed_everything(seed)
    generator, discriminator = build_models(config, data.dim, data.n_classes or 10)
    generator, discriminator = generator.to(device), discriminator.to(device)
    opt_g = _optimizer(config, generator.parameters(), config.lr_g)
    opt_d = _optimizer(config, discriminator.parameters(), config.lr_d)
    schedulers = _schedulers(config, (opt_d, opt_g), budget_steps or config.steps)
    d_loss_fn = d_loss_fn or discriminator_loss
    g_loss_fn = g_loss_fn or (lambda fake_logits: generator_loss(fake_logits, config.loss))

    B, k, l = config.batch_size, config.d_steps, config.g_steps
    fixed_z = torch.randn(config.n_snapshot, config.latent_dim, generator=rng)
    fixed_labels = torch.arange(config.n_snapshot) % 10 if config.conditional else None

    def noise(n: int):
        z = torch.randn(n, config.latent_dim, generator=rng).to(device)
        labels = torch.randint(10, (n,), generator=rng).to(device) if config.conditional else None
        return z, labels

    history: dict[str, list[float]] = {key: [] for key in HISTORY_KEYS}
    snapshots: list[dict[str, Any]] = []

    def snapshot(step: int) -> None:
        with torch.no_grad():
            labels = fixed_labels.to(device) if fixed_labels is not None else None
            samples = generator(fixed_z.to(device), labels).cpu()
        if data.dim == 784:
            samples = samples.view(-1, 1, 28, 28)
        snap: dict[str, Any] = {"step": step, "samples": samples}
        if callback is not None:
            snap.update(callback(step, generator, discriminator) or {})
        snapshots.append(snap)

    from tqdm.auto import tqdm

    bar = tqdm(total=budget_steps if budget_steps else None, disable=not progress, desc=f"training ({config.loss})",
               unit="step", leave=False)
    threads = torch.get_num_threads()
    if device.type == "cpu":  # the 2-D ring's nets are too small to gain from threads (20 s with 1, 24 s with 2)
        torch.set_num_threads(1 if data.dim == 2 else cpu_threads())
    snapshot(0)
    start = time.perf_counter()
    step = 0
    try:
        while True:
            step += 1
            # (1) Update D k times: maximise log D(x) + log(1 - D(G(z))), G frozen via detach()
            for _ in range(k):
                real, real_labels = data_on_device.sample(B, rng)
                real = real.to(device)
                real_labels = real_labels if config.conditional else None
                z, fake_labels = noise(B)
                if config.conditional:
                    fake_labels = real_labels  # same label mix for real and fake
                fake = generator(z, fake_labels).detach()
                real_logits = discriminator(real, real_labels)
                fake_logits = discriminator(fake, fake_labels)
                d_loss = d_loss_fn(real_logits, fake_logits)
                opt_d.zero_grad(set_to_none=True)
                d_loss.backward()
                opt_d.step()
            # (2) Update G l times: minimise its loss, D frozen
            discriminator.requires_grad_(False)
            for _ in range(l):
                z, fake_labels = noise(B)
                g_loss = g_loss_fn(discriminator(generator(z, fake_labels), fake_labels))
                opt_g.zero_grad(set_to_none=True)
                g_loss.backward()
                opt_g.step()
            discriminator.requires_grad_(True)
            for scheduler in schedulers:
                scheduler.step()

            d_value, g_value = d_loss.item(), g_loss.item()
            _check_finite(d_value, "the discriminator loss", step)
            _check_finite(g_value, "the generator loss", step)
            elapsed = time.perf_counter() - start
            done = (budget_steps is not None and step >= budget_steps) or (
                budget_steps is None and elapsed >= seconds
            )
            if step == 1 or step % config.log_every == 0 or done:
                with torch.no_grad():
                    p_real, p_fake = torch.sigmoid(real_logits), torch.sigmoid(fake_logits)
                values = (step, d_value, g_value, grad_norm(generator), float(p_real.mean()),
                          float(p_fake.mean()), float((p_real > 0.5).float().mean()),
                          float((p_fake < 0.5).float().mean()), elapsed)
                for key, value in zip(HISTORY_KEYS, values):
                    history[key].append(value)
                bar.set_postfix(d_loss=f"{d_value:.3f}", g_loss=f"{g_value:.3f}", refresh=False)
            if step % config.snapshot_every == 0 or done:
                snapshot(step)
            bar.update(1)
            if done:
                break
    finally:
        torch.set_num_threads(threads)
        bar.close()
        discriminator.requires_grad_(True)
    generator.eval()
    discriminator.eval()
    return TrainResult(config, generator, discriminator, history, snapshots, fixed_z, fixed_labels,
                       time.perf_counter() - start, getattr(data, "source", ""))
