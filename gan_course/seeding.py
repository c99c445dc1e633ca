"""Seeds: the same seed gives the same weights, noise and pictures every time."""

from __future__ import annotations

import os
import random
import sys

import numpy as np
import torch

from gan_course import STRICT_MKL
from gan_course.device import reproducible_threads

MAX_SEED = 2**63 - 1


def check_seed(seed: int, name: str = "seed") -> int:
    """``seed`` as an int, or a ValueError that names ``name`` (e.g. ``--seed``) and the allowed range."""
    if not isinstance(seed, (int, np.integer)) or isinstance(seed, bool):
        raise ValueError(f"{name} must be an integer, got {seed!r}")
    if not 0 <= int(seed) <= MAX_SEED:
        raise ValueError(f"{name} must be an integer from 0 to 2**63 - 1, got {seed}")
    return int(seed)


_warned = False


def _warn_if_not_reproducible() -> None:
    """Print once, on stderr, why the same seed will not give the course's pictures here, when MKL runs in a
    non-strict mode (see :func:`gan_course.device.reproducible_threads`)."""
    global _warned
    if _warned or not torch.backends.mkl.is_available() or reproducible_threads():
        return
    _warned = True
    setting = os.environ.get("MKL_CBWR", "")
    why = (f"MKL_CBWR is set to {setting!r}, not {STRICT_MKL!r}" if setting != STRICT_MKL else
           "torch computed before `import gan_course`, so MKL started in its non-strict mode")
    print(f"Note: the same seed will not give the course's pictures in this process: {why}; restart Python (the "
          "notebook's kernel) and import gan_course before torch computes anything", file=sys.stderr)


def seed_everything(seed: int) -> torch.Generator:
    """Seed Python, NumPy and torch; return a torch.Generator seeded with ``seed`` too.

    Says once, in one line, when this process cannot give the course's pictures from the same seed: MKL started
    in a non-strict mode because torch computed before ``import gan_course`` (or ``MKL_CBWR`` is set otherwise).
    """
    seed = check_seed(seed)
    _warn_if_not_reproducible()
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)
    return torch.Generator().manual_seed(seed)


def fixed_noise(n: int, latent_dim: int, seed: int) -> torch.Tensor:
    """Standard-normal noise (n, latent_dim) from its own generator: the same z for the same seed, every time."""
    return torch.randn(n, latent_dim, generator=torch.Generator().manual_seed(seed))
