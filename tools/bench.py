"""``python -m tools bench``: the course's presets against PyTorch-GAN's gan.py recipe, side by side.

One run trains, on the same data and thread count, and scores on the same number of samples:
real digits (the training set itself: the floor of the measures), ``vanilla``, gan.py for as long
as ``vanilla`` took and for 5x that, and ``cgan``. Each row gives steps per second, the Frechet
distance (FD) in the shipped classifier's features and its ratio to gan.py's at equal time, the
classes present and the smallest and largest class shares, and the nearest-neighbour ratio
(:func:`gan_course.metrics.nearest_neighbour_ratio`, below 1 means closer to the training digits than
a fresh real digit is). Self-contained: it needs the train loop, the presets and the metrics only.

``--try vanilla lr_g=2e-3 batch_size=128`` adds a row under the preset's own: the preset with those
fields changed, trained on the same seed and budget, so a recipe is judged beside the one it would replace
in one run. ``--skip-baseline`` leaves out the two gan.py rows (about half the time).
"""

from __future__ import annotations

import os
import platform
import time
from typing import Callable, Sequence

import torch
from torch import nn

from gan_course.lessons.nb06_conditional.conditional import generate, label_accuracy
from gan_course.config import GANConfig, check_seconds, check_steps
from gan_course.data import Digits, load_mnist
from gan_course.device import cpu_threads, get_device, threads
from gan_course.experiments import apply_overrides, get_preset
from gan_course.metrics import class_histogram, digit_fd, nearest_neighbour_ratio
from gan_course.seeding import fixed_noise, seed_everything
from gan_course.train import TrainResult, train

N_EVAL = 2000  # digits scored per row
MAX_BASELINE_FACTOR = 20  # gan.py trains at most 20 times as long as vanilla
PRESET_ROWS = ("vanilla", "cgan")  # the presets a --try row can change
EVAL_SEED = 12345  # the noise they are drawn from, the same for every row
EQUAL_TIME = "gan.py, equal time"  # the row every FD is divided by


class BaselineGenerator(nn.Module):
    """gan.py's G: 100 -> 128 -> 256 -> 512 -> 1024 -> 784, BatchNorm1d(eps=0.8), LeakyReLU(0.2), Tanh."""

    def __init__(self, latent_dim: int = 100):
        super().__init__()

        def block(a: int, b: int, norm: bool = True) -> list[nn.Module]:
            return [nn.Linear(a, b), *([nn.BatchNorm1d(b, 0.8)] if norm else []), nn.LeakyReLU(0.2)]

        self.latent_dim = latent_dim
        self.net = nn.Sequential(*block(latent_dim, 128, norm=False), *block(128, 256), *block(256, 512),
                                 *block(512, 1024), nn.Linear(1024, 784), nn.Tanh())

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.net(z)  # (B, 784)


class BaselineDiscriminator(nn.Module):
    """gan.py's D: 784 -> 512 -> 256 -> 1 with LeakyReLU(0.2) (the sigmoid sits in the loss here)."""

    def __init__(self):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(784, 512), nn.LeakyReLU(0.2), nn.Linear(512, 256), nn.LeakyReLU(0.2),
                                 nn.Linear(256, 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x.flatten(1)).squeeze(1)  # (B,)


def train_baseline(seconds: float, seed: int = 0, data: Digits | None = None, device=None) -> tuple[nn.Module, int]:
    """gan.py's loop (Adam 2e-4, betas (0.5, 0.999), batch 64, BCE, non-saturating G) for ``seconds``.

    Returns G in eval mode and the number of steps taken.
    """
    device = device or get_device()
    data = (data or load_mnist(verbose=False)).to(device)
    rng = seed_everything(seed)
    generator, discriminator = BaselineGenerator().to(device), BaselineDiscriminator().to(device)
    opt_g = torch.optim.Adam(generator.parameters(), lr=2e-4, betas=(0.5, 0.999))
    opt_d = torch.optim.Adam(discriminator.parameters(), lr=2e-4, betas=(0.5, 0.999))
    bce = nn.BCEWithLogitsLoss()
    ones, zeros = torch.ones(64, device=device), torch.zeros(64, device=device)
    start, steps = time.perf_counter(), 0
    with threads():  # the same threads as train() uses
        while time.perf_counter() - start < seconds:
            real, _ = data.sample(64, rng)
            z = torch.randn(64, 100, generator=rng).to(device)
            fake = generator(z)
            g_loss = bce(discriminator(fake), ones)  # gan.py updates G first
            opt_g.zero_grad()
            g_loss.backward()
            opt_g.step()
            d_loss = (bce(discriminator(real.to(device)), ones) + bce(discriminator(fake.detach()), zeros)) / 2
            opt_d.zero_grad()
            d_loss.backward()
            opt_d.step()
            steps += 1
    return generator.eval(), steps


@torch.no_grad()
def _unconditional_samples(generator: nn.Module, n: int) -> torch.Tensor:
    """n digits (n, 1, 28, 28) from noise seeded EVAL_SEED."""
    device = next(generator.parameters()).device
    return generator(fixed_noise(n, generator.latent_dim, EVAL_SEED).to(device)).view(-1, 1, 28, 28).cpu()


def score(images: torch.Tensor, train_images: torch.Tensor, labels: torch.Tensor | None = None) -> dict:
    """FD, class shares, nearest-neighbour ratio (and label accuracy when ``labels`` (N,) were requested)."""
    hist = class_histogram(images)
    row = {"fd": digit_fd(images), "classes": int((hist >= 0.02).sum()), "min_share": float(hist.min()),
           "max_share": float(hist.max()), "nn_ratio": nearest_neighbour_ratio(images, train_images)["ratio"],
           "label_accuracy": None}
    if labels is not None:
        row["label_accuracy"] = label_accuracy(images, labels)["overall"]
    return row


def machine() -> str:
    """One line naming the CPU (or GPU), the core count, and torch's version."""
    name = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            name = next(line.split(":", 1)[1].strip() for line in f if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    device = get_device()
    if device.type == "cuda":
        name = torch.cuda.get_device_name(device)
    return f"{name}, {os.cpu_count()} cores, torch {torch.__version__}, device {device}, {cpu_threads()} threads"


def parse_try(words: Sequence[str]) -> tuple[str, GANConfig, str]:
    """``["vanilla", "lr_g=2e-3", ...]`` -> (preset, its config with the changes, the row's name).

    A ValueError names an unknown preset, a missing change, or a bad key or value.
    """
    if not words or words[0] not in PRESET_ROWS:
        raise ValueError(f"--try expects a preset ({' or '.join(PRESET_ROWS)}) and KEY=VALUE changes, "
                         f"got {' '.join(words) or 'nothing'!r}")
    preset, *changes = words
    if not changes:
        raise ValueError(f"--try {preset}: give at least one KEY=VALUE change (the preset's own row is always there)")
    try:
        config = apply_overrides(get_preset(preset).config, changes)
    except ValueError as err:
        raise ValueError(f"--try {preset}: {str(err).removeprefix('--set ')}") from None
    return preset, config, " ".join(words)


def run_bench(seconds: float | None = None, cgan_seconds: float | None = None, seed: int = 0,
              baseline_factor: float = 5.0, vanilla_steps: int | None = None, cgan_steps: int | None = None,
              n_eval: int = N_EVAL, echo: Callable[[str], None] = print, tries: Sequence[Sequence[str]] = (),
              baseline: bool = True) -> list[dict]:
    """Train and score every row; print the table; return the rows as dicts.

    ``vanilla`` and ``cgan`` train on their presets' step budgets (as their notebooks do) unless
    ``seconds`` / ``cgan_seconds`` or ``vanilla_steps`` / ``cgan_steps`` say otherwise; gan.py trains
    for ``vanilla``'s measured seconds and for ``baseline_factor`` times that (``baseline=False``: not at
    all, and the FD ratio is left empty). Each of ``tries`` (see :func:`parse_try`) adds a row under its
    preset's, trained on the same seed and budget (its own ``steps`` if it changes them and no seconds are given).
    """
    for name, value in (("seconds", seconds), ("cgan_seconds", cgan_seconds)):
        check_seconds(value, f"--{name.replace('_', '-')}")
    if isinstance(baseline_factor, bool) or not isinstance(baseline_factor, (int, float)) \
            or not 0 < baseline_factor <= MAX_BASELINE_FACTOR:
        raise ValueError(f"--baseline-factor must be > 0 and at most {MAX_BASELINE_FACTOR} (times vanilla's seconds), "
                         f"got {baseline_factor}")
    for name, value in (("vanilla_steps", vanilla_steps), ("cgan_steps", cgan_steps)):
        check_steps(value, name)
    if isinstance(n_eval, bool) or not isinstance(n_eval, int) or n_eval < 10:
        raise ValueError(f"n_eval must be an integer >= 10, got {n_eval!r}")
    variants = [parse_try(words) for words in tries]  # bad changes are named before any training
    data = load_mnist(verbose=False)
    echo(f"machine: {machine()}")
    echo(f"data: {data.source}; seed {seed}; {n_eval:,} digits scored per row")
    rows: list[dict] = []

    def add(name: str, steps: int | None, secs: float | None, quality: dict) -> None:
        rows.append({"name": name, "steps": steps, "seconds": secs,
                     "steps_per_s": steps / secs if steps and secs else None, **quality})

    pick = torch.randperm(len(data), generator=torch.Generator().manual_seed(seed))[:n_eval]
    add("real digits (training set)", None, None, score(data.images[pick], data.images))

    def train_row(name: str, config: GANConfig, steps: int | None, secs: float | None) -> TrainResult:
        """Train ``config`` on the row's budget, score it, add its row; its run."""
        run = train(config, data, seed=seed, steps=None if secs is not None else steps or config.steps, seconds=secs,
                    progress=False)
        if config.conditional:
            labels = torch.arange(n_eval) % 10  # the same number of each class
            quality = score(generate(run.generator, labels, seed=EVAL_SEED), data.images, labels)
        else:
            quality = score(_unconditional_samples(run.generator, n_eval), data.images)
        add(name, int(run.history["step"][-1]), run.seconds, quality)
        return run

    def preset_rows(preset: str, steps: int | None, secs: float | None) -> TrainResult:
        """The preset's row, then a row for each of its --try variants, on the same seed and budget; the preset's run."""
        run = train_row(preset, get_preset(preset).config, steps, secs)
        for which, config, name in variants:
            if which == preset:
                train_row(name, config, steps, secs)
        return run

    vanilla = preset_rows("vanilla", vanilla_steps, seconds)
    if baseline:
        for label, factor in ((EQUAL_TIME, 1.0), (f"gan.py, {baseline_factor:g}x time", baseline_factor)):
            start = time.perf_counter()
            generator, steps = train_baseline(vanilla.seconds * factor, seed, data)
            add(label, steps, time.perf_counter() - start, score(_unconditional_samples(generator, n_eval), data.images))
    preset_rows("cgan", cgan_steps, cgan_seconds)

    base_fd = next((row["fd"] for row in rows if row["name"] == EQUAL_TIME), None)
    for row in rows:
        row["fd_ratio"] = row["fd"] / base_fd if base_fd is not None else None
    for line in format_table(rows):
        echo(line)
    return rows


def format_table(rows: list[dict]) -> list[str]:
    """The bench table as lines of text, one per row, under a header."""
    width = max(26, *(len(r["name"]) for r in rows))
    head = (f"{'':{width}s} {'steps':>6s} {'s':>6s} {'steps/s':>8s} {'FD':>7s} {'FD/gan.py':>9s} {'classes':>7s} "
            f"{'min-max class %':>15s} {'NN ratio':>8s} {'label acc':>9s}")
    lines = [head]
    for r in rows:
        dash = lambda v, fmt: format(v, fmt) if v is not None else "-"  # noqa: E731
        shares = f"{r['min_share'] * 100:.1f}-{r['max_share'] * 100:.1f}"
        lines.append(f"{r['name']:{width}s} {dash(r['steps'], '6d'):>6s} {dash(r['seconds'], '6.1f'):>6s} "
                     f"{dash(r['steps_per_s'], '8.1f'):>8s} {r['fd']:7.1f} {dash(r['fd_ratio'], '9.2f'):>9s} {r['classes']:7d} "
                     f"{shares:>15s} {r['nn_ratio']:8.2f} {dash(r['label_accuracy'], '9.1%'):>9s}")
    lines.append("FD: Frechet distance in the shipped classifier's features (lower is better); FD/gan.py: "
                 "ratio to gan.py at equal time; classes: with >= 2% of the digits; NN ratio: median pixel "
                 "distance to the nearest training digit, generated / held-out real (< 1: copies)")
    return lines


if __name__ == "__main__":
    run_bench()
