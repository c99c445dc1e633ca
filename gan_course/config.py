"""The configuration of a training run: one dataclass, validated with errors that name the bad field."""

from __future__ import annotations

import math
import os
from dataclasses import asdict, dataclass, fields
from itertools import pairwise
from typing import Any

from gan_course.losses import LOSSES
from gan_course.models import check_rate

DATASETS = ("mnist", "ring")
OPTIMIZERS = ("adam", "sgd")
LR_SCHEDULES = ("constant", "cosine")
MAX_LR = 10.0  # a learning rate above this is a typo, and overflows the updates
MAX_LAYERS = 8  # hidden layers of G or of D; the course's nets have one or two
MAX_STEPS = 10**9
MAX_SECONDS = 10**7


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
    steps: int = 3000  # default budget (rounds of k D-steps and l G-steps)
    log_every: int = 10
    snapshot_every: int = 250
    n_snapshot: int = 64  # size of the fixed latent batch whose samples are snapshotted

    def __post_init__(self) -> None:
        self.g_hidden = tuple(self.g_hidden)
        self.d_hidden = tuple(self.d_hidden)
        self.validate()

    def validate(self) -> "GANConfig":
        """Raise a ValueError naming the first bad field and what was expected."""
        for name, low, high in (("latent_dim", 1, 1_000), ("d_steps", 1, 100), ("g_steps", 1, 100),
                                ("batch_size", 1, 10_000), ("steps", 1, 10**9), ("log_every", 1, 10**9),
                                ("snapshot_every", 1, 10**9), ("n_snapshot", 1, 10_000), ("pack", 1, 64)):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
                what = {"d_steps": "k, the D-steps per round", "g_steps": "l, the G-steps per round"}.get(name, name)
                raise ValueError(f"{name} must be an integer from {low:,} to {high:,} ({what}), got {value!r}")
        for name in ("lr_d", "lr_g"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value <= 0:
                raise ValueError(f"{name} (learning rate) must be > 0, got {value!r}")
            if value > MAX_LR:
                raise ValueError(f"{name} (learning rate) must be at most {MAX_LR:g}, got {value!r}")
        for name in ("input_dropout", "d_dropout"):
            check_rate(name, getattr(self, name))
        for name in ("beta1", "momentum"):
            check_rate(name, getattr(self, name))
        for name, allowed in (("loss", LOSSES), ("lr_schedule", LR_SCHEDULES), ("optimizer", OPTIMIZERS),
                              ("dataset", DATASETS)):
            if getattr(self, name) not in allowed:
                raise ValueError(f"{name} must be one of {allowed}, got {getattr(self, name)!r}")
        if self.batch_size % self.pack:
            raise ValueError(f"batch_size ({self.batch_size}) must be a multiple of pack ({self.pack})")
        if self.conditional and self.dataset != "mnist":
            raise ValueError("conditional=True needs labelled data: dataset must be 'mnist'")
        for name in ("g_hidden", "d_hidden"):
            sizes = getattr(self, name)
            if len(sizes) > MAX_LAYERS:
                raise ValueError(f"{name} must have at most {MAX_LAYERS} hidden layers, got {len(sizes)}")
            if not all(isinstance(h, int) and not isinstance(h, bool) and 1 <= h <= 10_000 for h in sizes):
                raise ValueError(f"{name} must be layer sizes from 1 to 10,000, got {sizes}")
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


def check_steps(steps: int | None, name: str = "steps") -> None:
    """A ValueError naming ``name`` (e.g. ``--steps``) unless ``steps`` is absent or an integer from 1 to 10**9."""
    if steps is not None and (isinstance(steps, bool) or not isinstance(steps, int) or not 1 <= steps <= MAX_STEPS):
        raise ValueError(f"{name} must be an integer from 1 to 10**9, got {steps!r}")


def check_seconds(seconds: float | None, name: str = "seconds") -> None:
    """A ValueError naming ``name`` (e.g. ``--seconds``) unless ``seconds`` is absent or from > 0 to 10**7."""
    if seconds is not None and (isinstance(seconds, bool) or not isinstance(seconds, (int, float))
                                or not 0 < seconds <= MAX_SECONDS):
        raise ValueError(f"{name} must be > 0 (and at most 10**7), got {seconds!r}")


def memory_needed(config: GANConfig, data_dim: int = 784, training: bool = True) -> int:
    """About how many bytes G and D of ``config`` take: float32 weights (with their gradients and Adam's two
    moments when ``training``) and, when training, the activations of one batch kept for the backward pass."""
    labels = 10 if config.conditional else 0
    g_sizes = [config.latent_dim + labels, *config.g_hidden, data_dim]
    d_sizes = [config.pack * (data_dim + labels), *config.d_hidden, 1]
    params = sum((a + 1) * b for sizes in (g_sizes, d_sizes) for a, b in pairwise(sizes))  # weights and biases
    if not training:
        return 4 * params
    # G's layers on one batch; D's on a real and a fake batch; each kept about 3 times (output, activation, grad)
    activations = config.batch_size * (sum(g_sizes) + 2 * sum(d_sizes) // config.pack) * 3
    return 4 * (4 * params + activations)


def _memory_free() -> int | None:
    """The bytes of memory free for a new computation (Linux's MemAvailable, else the total); None if unknown."""
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (AttributeError, ValueError, OSError):
        return None


def check_fits_memory(config: GANConfig, data_dim: int = 784, training: bool = True) -> None:
    """A ValueError naming the fields to change when G and D of ``config`` do not fit in this machine's free memory."""
    needed, free = memory_needed(config, data_dim, training), _memory_free()
    if free is not None and needed > free:
        names = "g_hidden, d_hidden and batch_size" if training else "g_hidden and d_hidden"
        raise ValueError(f"{names} need about {needed / 1e9:.1f} GB of memory to {'train' if training else 'load'}, "
                         f"and this machine has {free / 1e9:.1f} GB free; choose fewer or smaller layers"
                         + (" or a smaller batch_size" if training else ""))
