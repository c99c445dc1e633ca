r"""A toy where the slide's co-adaptation chain can be watched step by step (notebook 05).

Images are ``size`` x ``size`` pixels in [-1, 1]. The interior holds one bright bar (a row or a column);
the one-pixel frame around it is black (-1) in every real image. The frame is cut into pairs of
neighbouring pixels $(x_1, x_2)$, the slide's two pixels.

- $G$ draws the interior freely, and ONE value per frame pair, copied to both pixels: it can only put
  correlated noise on the frame ($x_1 = x_2 = n$).
- $D$ is a one-hidden-layer MLP whose first-layer weights on the frame start (or stay) in cancelling
  pairs $+a, -a$ (``coadapted=True``): the co-adapted $D$ of the slide, set up rather than learned.
  For such a unit a fake with $x_1 = x_2 = n$ gives $a n - a n = 0$, exactly what a real image gives.
- ``input_dropout`` drops $D$'s input pixels to black (:class:`gan_course.models.PixelDropout`).

:func:`toy_chain` trains one run and measures each step of the chain: do $D$'s frame pairs cancel,
does $G$'s gradient on the correlated noise vanish, and how much noise is left on the frame.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, fields
from typing import Sequence

import torch
from torch import nn

from gan_course.config import GANConfig
from gan_course.device import threads
from gan_course.lessons.nb05_coadaptation.mnist import evenly_lit_response
from gan_course.models import Discriminator
from gan_course.train import make_optimizer, train_round


@dataclass
class ToyConfig(GANConfig):
    """A toy run: a :class:`GANConfig` (validated like any other: k, l, optimiser, rates, budget) with the toy's
    own set-up. ``dataset`` plays no part: the toy draws its own images (:func:`toy_data`)."""

    latent_dim: int = 4
    g_hidden: tuple[int, ...] = (32,)  # one hidden layer
    d_hidden: tuple[int, ...] = (8,)
    optimizer: str = "sgd"
    lr_d: float = 0.2  # with 0.05 G had not yet drawn bars after 500 rounds
    lr_g: float = 0.2
    momentum: float = 0.5
    steps: int = 500  # about 1 s of CPU per run: ten seeds with and without dropout fit a notebook
    size: int = 6  # images size x size; the frame is the outer ring of pixels
    coadapted: bool = True  # D's frame weights start as +a / -a pairs
    freeze_frame: bool = False  # keep D's frame weights at their start (the co-adapted D never relearns them)
    pair_scale: float = 1.0  # a, the size of the +a / -a weights

    def validate(self) -> "ToyConfig":
        """The GAN's fields as :meth:`GANConfig.validate` checks them, then the toy's."""
        super().validate()
        if isinstance(self.size, bool) or not isinstance(self.size, int) or not 3 <= self.size <= 64:
            raise ValueError(f"size must be an integer from 3 to 64 (the toy images' side in pixels), got {self.size!r}")
        if len(self.g_hidden) != 1:
            raise ValueError(f"g_hidden must be one layer size for the toy's G, got {self.g_hidden}")
        if isinstance(self.pair_scale, bool) or not isinstance(self.pair_scale, (int, float)) \
                or not 0 < self.pair_scale <= 100:
            raise ValueError(f"pair_scale (a, the size of the +a / -a weights) must be in (0, 100], got {self.pair_scale!r}")
        return self

    def replace(self, **changes) -> "ToyConfig":
        """A copy with some fields changed (validated)."""
        unknown = set(changes) - {f.name for f in fields(self)}
        if unknown:
            raise ValueError(f"unknown toy config field(s) {sorted(unknown)}; fields are {[f.name for f in fields(self)]}")
        return ToyConfig(**{**asdict(self), **changes})


def frame_mask(size: int) -> torch.Tensor:
    """(size, size) bool: True on the one-pixel frame that is black in every real toy image."""
    mask = torch.ones(size, size, dtype=torch.bool)
    mask[1:-1, 1:-1] = False
    return mask


def frame_pairs(size: int) -> torch.Tensor:
    """Neighbouring frame pixels in pairs, as flat pixel indices (n_pairs, 2), walking once around the ring."""
    ring = ([(0, c) for c in range(size)] + [(r, size - 1) for r in range(1, size)]
            + [(size - 1, c) for c in range(size - 2, -1, -1)] + [(r, 0) for r in range(size - 2, 0, -1)])
    flat = torch.tensor([r * size + c for r, c in ring])  # (4 size - 4,)
    return flat.view(-1, 2)


def toy_data(n: int, size: int = 6, generator: torch.Generator | None = None) -> torch.Tensor:
    """n real toy images (n, size * size) in [-1, 1]: one white bar (a row or a column) inside a black frame."""
    inner = size - 2
    which = torch.randint(2 * inner, (n,), generator=generator)
    images = -torch.ones(n, size, size)
    rows, cols = which < inner, which >= inner
    images[rows.nonzero().flatten(), 1 + which[rows], 1:-1] = 1.0
    images[cols.nonzero().flatten(), 1:-1, 1 + which[cols] - inner] = 1.0
    return images.flatten(1)


class PairedFrameGenerator(nn.Module):
    """G: z (B, latent_dim) -> image (B, size * size) in [-1, 1]; one value per frame pair, copied to both pixels."""

    def __init__(self, size: int = 6, latent_dim: int = 4, hidden: int = 32):
        super().__init__()
        self.size, self.latent_dim = size, latent_dim
        self.register_buffer("pairs", frame_pairs(size))
        self.register_buffer("interior", (~frame_mask(size)).flatten().nonzero().flatten())
        n_out = len(self.interior) + len(self.pairs)
        self.net = nn.Sequential(nn.Linear(latent_dim, hidden), nn.LeakyReLU(0.2), nn.Linear(hidden, n_out), nn.Tanh())

    def forward(self, z: torch.Tensor, labels: None = None) -> torch.Tensor:
        """``labels`` is always None (the toy is unconditional): the signature of the course's G."""
        out = self.net(z)  # (B, n_interior + n_pairs)
        inner, pair_values = out[:, :len(self.interior)], out[:, len(self.interior):]
        image = out.new_empty(len(z), self.size * self.size)
        image[:, self.interior] = inner
        image[:, self.pairs[:, 0]] = pair_values  # x1 = x2 = n on every pair
        image[:, self.pairs[:, 1]] = pair_values
        return image


def toy_discriminator(config: ToyConfig) -> Discriminator:
    r"""D for the toy; with ``coadapted`` its first-layer frame weights are $\pm a$ pairs (random sign per unit and pair)."""
    size = config.size
    discriminator = Discriminator(size * size, config.d_hidden, input_dropout=config.input_dropout)
    if config.coadapted:
        pairs = frame_pairs(size)
        with torch.no_grad():
            weight = discriminator.net[0].weight  # (H, size * size)
            sign = torch.randint(2, (config.d_hidden[0], len(pairs))).float() * 2 - 1  # (H, n_pairs)
            weight[:, pairs[:, 0]] = config.pair_scale * sign
            weight[:, pairs[:, 1]] = -config.pair_scale * sign
    return discriminator


@dataclass
class ToyRun:
    """A trained toy: the two nets, their config and the D before training."""

    config: ToyConfig
    generator: PairedFrameGenerator
    discriminator: Discriminator
    untrained_discriminator: Discriminator
    seconds: float


def train_toy(config: ToyConfig, seed: int = 0) -> ToyRun:
    r"""``config.steps`` rounds of :func:`gan_course.train.train_round` (k D-steps, then l G-steps, G's loss
    ``config.loss``) on toy images, from ``seed``.

    D stays in training mode for the G-step, so with input dropout G's feedback also passes through dropped
    pixels, as in the original GAN.
    """
    rng = torch.Generator().manual_seed(seed)
    torch.manual_seed(seed)
    generator = PairedFrameGenerator(config.size, config.latent_dim, config.g_hidden[0])
    discriminator = toy_discriminator(config)
    untrained = toy_discriminator(config)
    untrained.load_state_dict(discriminator.state_dict())
    if config.freeze_frame:
        frame = frame_mask(config.size).flatten()
        discriminator.net[0].weight.register_hook(lambda grad: grad.masked_fill(frame, 0.0))
    opt_d = make_optimizer(config, discriminator.parameters(), config.lr_d)
    opt_g = make_optimizer(config, generator.parameters(), config.lr_g)

    def real_batch() -> tuple[torch.Tensor, None]:
        return toy_data(config.batch_size, config.size, rng), None  # (B, size * size), no labels

    def noise(n: int) -> tuple[torch.Tensor, None]:
        return torch.randn(n, config.latent_dim, generator=rng), None  # (n, latent_dim), no labels

    start = time.process_time()
    with threads(1):  # nets this small only lose time to a second thread
        for _ in range(config.steps):
            train_round(generator, discriminator, opt_g, opt_d, real_batch, noise, config)
    generator.eval()
    return ToyRun(config, generator, discriminator, untrained, time.process_time() - start)


def toy_samples(generator: PairedFrameGenerator, n: int = 2000, seed: int = 0) -> torch.Tensor:
    """n samples (n, size * size) in [-1, 1] from fixed noise."""
    z = torch.randn(n, generator.latent_dim, generator=torch.Generator().manual_seed(seed))
    with torch.no_grad():
        return generator(z)


def frame_energy(images: torch.Tensor, size: int) -> float:
    """Mean frame pixel of toy images (N, size * size) in [-1, 1], on the [0, 1] scale: 0 for a black frame."""
    return float(((images[:, frame_mask(size).flatten()] + 1) / 2).mean())


def pair_cancellation(discriminator: Discriminator, size: int) -> float:
    r"""Mean over D's units and frame pairs of $(w_1 + w_2)^2 / (w_1^2 + w_2^2)$: 0 for $+a, -a$ pairs,
    1 for weights of random signs, 2 for equal weights."""
    weight = discriminator.net[0].weight.detach()
    pairs = frame_pairs(size)
    rows = torch.stack([weight[:, pairs[:, 0]], weight[:, pairs[:, 1]]], dim=-1).reshape(-1, 2)  # (H * n_pairs, 2)
    return float(evenly_lit_response(rows).mean())


def frame_gradient_pairs(discriminator: Discriminator, images: torch.Tensor, size: int, n_masks: int = 0) -> torch.Tensor:
    """D's logit gradient on the two pixels of every frame pair, (N * n_pairs, 2), at images (N, size * size).

    ``n_masks`` > 0 averages the gradient over that many dropout draws in training mode (what G gets in training);
    0 evaluates D as deployed.
    """
    x = images.detach().clone().requires_grad_(True)
    was_training = discriminator.training
    discriminator.requires_grad_(False)
    discriminator.train(n_masks > 0)
    try:
        grad = sum(torch.autograd.grad(discriminator(x).sum(), x)[0] for _ in range(max(n_masks, 1)))
    finally:
        discriminator.train(was_training)
        discriminator.requires_grad_(True)
    pairs = frame_pairs(size)
    return torch.stack([grad[:, pairs[:, 0]], grad[:, pairs[:, 1]]], dim=-1).reshape(-1, 2) / max(n_masks, 1)


def pair_feedback(discriminator: Discriminator, images: torch.Tensor, size: int, n_masks: int = 0) -> dict[str, float]:
    r"""What G's pair values get from D: for D's logit gradient $(g_1, g_2)$ on the two pixels of a pair,
    ``relative``: median of $(g_1 + g_2)^2 / (g_1^2 + g_2^2)$, the feedback on correlated noise over the feedback
    on independent noise of the same energy (0: correlated noise gets none, the slide's "ok"; 1: chance);
    ``correlated``: median $|g_1 + g_2|$, the gradient on $n$ when $x_1 = x_2 = n$.
    """
    rows = frame_gradient_pairs(discriminator, images, size, n_masks)
    return {"relative": float(evenly_lit_response(rows).median()), "correlated": float(rows.sum(1).abs().median())}


def toy_chain(config: ToyConfig, seed: int) -> dict:
    """Train the toy once from ``seed`` and measure every step of the chain (:func:`measure_toy`)."""
    return {"seed": seed, **measure_toy(train_toy(config, seed))}


def measure_toy(run: ToyRun, n_samples: int = 2000, n_probe: int = 200, n_masks: int = 32) -> dict:
    """Every step of the chain as numbers: pair cancellation of D's frame weights (before and after training),
    G's feedback on the correlated noise (D as deployed, and averaged over dropout draws), frame energy."""
    config = run.config
    samples = toy_samples(run.generator, n_samples)
    probe = samples[:n_probe]
    deployed = pair_feedback(run.discriminator, probe, config.size)
    in_training = pair_feedback(run.discriminator, probe, config.size, n_masks)
    return {
        "input_dropout": config.input_dropout, "seconds": run.seconds,
        "pairs_untrained": pair_cancellation(run.untrained_discriminator, config.size),
        "pairs_trained": pair_cancellation(run.discriminator, config.size),
        "feedback": deployed["relative"], "feedback_in_training": in_training["relative"],
        "feedback_correlated": in_training["correlated"],
        "frame_energy": frame_energy(samples, config.size),
    }


def toy_seeds(config: ToyConfig, seeds=range(10), rate: float = 0.2) -> list[dict]:
    """Per seed, the chain with input dropout ``rate`` and without (control): {"seed", "dropout": {...}, "control": {...},
    "ratio"}, where ratio is the frame energy with dropout over the control's."""
    rows = []
    for seed in seeds:
        with_dropout = toy_chain(config.replace(input_dropout=rate), seed)
        control = toy_chain(config.replace(input_dropout=0.0), seed)
        rows.append({"seed": seed, "dropout": with_dropout, "control": control,
                     "ratio": with_dropout["frame_energy"] / max(control["frame_energy"], 1e-12)})
    return rows


# The toy's three set-ups, one per question: D's frame held in cancelling pairs (the slide's co-adapted D),
# D starting from such pairs but free to relearn them, and D from an ordinary random start.
TOY_PRESETS: dict[str, ToyConfig] = {
    "toy-coadapted": ToyConfig(coadapted=True, freeze_frame=True),
    "toy-relearns": ToyConfig(coadapted=True, freeze_frame=False),
    "toy-free": ToyConfig(coadapted=False),
}


def toy_sweep(config: ToyConfig, rates: Sequence[float], seed: int = 0,
              runs: dict[float, ToyRun] | None = None) -> dict[float, dict]:
    """One toy run per input-dropout rate from ``seed`` (``runs`` holds rates already trained): per rate, 64
    samples from fixed noise and the frame energy of 2,000."""
    sweep = {}
    for rate in sorted(float(r) for r in rates):
        run = (runs or {}).get(rate) or train_toy(config.replace(input_dropout=rate), seed)
        sweep[rate] = {"samples": toy_samples(run.generator, 64),
                       "frame_energy": frame_energy(toy_samples(run.generator), config.size)}
    return sweep
