"""Seeds: the same seed gives the same weights, noise and pictures every time."""

from __future__ import annotations

import random

import numpy as np
import torch

MAX_SEED = 2**63 - 1


def check_seed(seed: int, name: str = "seed") -> int:
    """``seed`` as an int, or a ValueError that names ``name`` (e.g. ``--seed``) and the allowed range."""
    if not isinstance(seed, (int, np.integer)) or isinstance(seed, bool):
        raise ValueError(f"{name} must be an integer, got {seed!r}")
    if not 0 <= int(seed) <= MAX_SEED:
        raise ValueError(f"{name} must be an integer from 0 to 2**63 - 1, got {seed}")
    return int(seed)


def seed_everything(seed: int) -> torch.Generator:
    """Seed Python, NumPy and torch; return a torch.Generator seeded with ``seed`` too."""
    seed = check_seed(seed)
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)
    return torch.Generator().manual_seed(seed)


def fixed_noise(n: int, latent_dim: int, seed: int) -> torch.Tensor:
    """Standard-normal noise (n, latent_dim) from its own generator: the same z for the same seed, every time."""
    return torch.randn(n, latent_dim, generator=torch.Generator().manual_seed(seed))
