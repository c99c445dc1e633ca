"""The configuration of a training run: one dataclass, validated with errors that name the bad field."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, fields
from typing import Any

from gan_course.losses import LOSSES
from gan_course.models import check_rate

DATASETS = ("mnist", "ring")
OPTIMIZERS = ("adam", "sgd")
LR_SCHEDULES = ("constant", "cosine")
MAX_LR = 10.0  # a learning rate above this is a typo, and overflows the updates


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


def check_steps(steps: int | None) -> None:
    """A ValueError unless ``--steps`` is absent or from 1 to 10**9."""
    if steps is not None and not 1 <= steps <= 10**9:
        raise ValueError(f"--steps must be from 1 to 10**9, got {steps}")
