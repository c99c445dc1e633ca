"""``python -m gan_course bench``: the ``vanilla`` preset against PyTorch-GAN's gan.py recipe.

Both train for a time budget on the same data; each is scored by the Frechet distance in
the shipped classifier's features and by the class histogram of 2,000 generated digits.
"""

from __future__ import annotations

import time

import numpy as np
import torch
from torch import nn

from gan_course.data import load_mnist
from gan_course.device import cpu_threads, get_device
from gan_course.seeding import seed_everything
from gan_course.experiments import get_preset
from gan_course.metrics import digit_quality, generated_digits
from gan_course.train import train

N_EVAL = 2000


class BaselineGenerator(nn.Module):
    """gan.py's G: 100 -> 128 -> 256 -> 512 -> 1024 -> 784, BatchNorm1d(eps=0.8), LeakyReLU(0.2), Tanh."""

    def __init__(self, latent_dim: int = 100):
        super().__init__()

        def block(a: int, b: int, norm: bool = True) -> list[nn.Module]:
            return [nn.Linear(a, b), *([nn.BatchNorm1d(b, 0.8)] if norm else []), nn.LeakyReLU(0.2)]

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
        return self.net(x.flatten(1)).squeeze(1)


def train_baseline(seconds: float, seed: int = 0, data=None, device=None) -> tuple[nn.Module, int]:
    """gan.py's loop (Adam 2e-4, betas (0.5, 0.999), batch 64, BCE, non-saturating G) for ``seconds``."""
    device = device or get_device()
    data = (data or load_mnist(verbose=False)).to(device)
    rng = seed_everything(seed)
    generator, discriminator = BaselineGenerator().to(device), BaselineDiscriminator().to(device)
    opt_g = torch.optim.Adam(generator.parameters(), lr=2e-4, betas=(0.5, 0.999))
    opt_d = torch.optim.Adam(discriminator.parameters(), lr=2e-4, betas=(0.5, 0.999))
    bce = nn.BCEWithLogitsLoss()
    ones, zeros = torch.ones(64, device=device), torch.zeros(64, device=device)
    start, steps = time.perf_counter(), 0
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


def _samples(generator: nn.Module, latent_dim: int = 100) -> torch.Tensor:
    return generated_digits(generator, N_EVAL, latent_dim, seed=12345)


def _report(name: str, seconds: float, steps: int, quality: dict) -> None:
    hist = " ".join(f"{p * 100:4.1f}" for p in quality["class_hist"])
    print(f"{name:<10} {seconds:6.1f} s {steps:7d} steps   FD {quality['fd']:7.1f}   "
          f"max class {quality['max_class_share'] * 100:4.1f}%   classes 0-9 (%): {hist}")


def run_bench(seconds: float = 60.0, baseline_seconds: float | None = None, seed: int = 0) -> int:
    """Train both recipes and print one line each: FD (lower is better) and the class histogram."""
    baseline_seconds = seconds if baseline_seconds is None else baseline_seconds
    if not seconds > 0 or not baseline_seconds > 0:
        raise ValueError(f"--seconds must be > 0, got {seconds} and {baseline_seconds}")
    data = load_mnist()
    print(f"device {get_device()}, {cpu_threads()} training threads, seed {seed}; FD on {N_EVAL} samples, "
          "in the shipped classifier's features (lower is better)")
    real = digit_quality(data.images[torch.randperm(len(data), generator=torch.Generator().manual_seed(0))[:N_EVAL]])
    _report("real data", 0.0, 0, real)
    result = train(get_preset("vanilla").config, data, seed=seed, seconds=seconds, progress=False)
    _report("vanilla", result.seconds, int(result.history["step"][-1]), digit_quality(_samples(result.generator)))
    start = time.perf_counter()
    torch.set_num_threads(cpu_threads())  # the same threads as train() uses
    generator, steps = train_baseline(baseline_seconds, seed, data)
    _report("baseline", time.perf_counter() - start, steps, digit_quality(_samples(generator)))
    return 0


if __name__ == "__main__":
    raise SystemExit(run_bench(*(float(a) for a in __import__("sys").argv[1:3])))
