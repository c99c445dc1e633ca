"""Device choice and seeding, so that the same seed gives the same picture."""

from __future__ import annotations

import os
import random

import numpy as np
import torch


def get_device(prefer: str | None = None) -> torch.device:
    """The best available device: CUDA, then Apple's MPS, then the CPU.

    ``prefer`` (or the environment variable ``GAN_COURSE_DEVICE``) forces one, e.g. "cpu".
    """
    name = prefer or os.environ.get("GAN_COURSE_DEVICE")
    if name:
        return torch.device(name)
    if torch.cuda.is_available():
        return torch.device("cuda")
    mps = getattr(torch.backends, "mps", None)
    if mps is not None and mps.is_available():
        return torch.device("mps")
    return torch.device("cpu")


def seed_everything(seed: int) -> torch.Generator:
    """Seed Python, NumPy and torch; return a torch.Generator seeded with ``seed`` too."""
    if not isinstance(seed, (int, np.integer)) or isinstance(seed, bool):
        raise ValueError(f"seed must be an integer, got {seed!r}")
    seed = int(seed)
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)
    return torch.Generator().manual_seed(seed)


def cpu_threads() -> int:
    """Threads for training on the CPU: ``$GAN_COURSE_THREADS``, else all cores but one.

    The course's MLPs gain little from many threads, while threads that outnumber the free
    cores make every step wait (on a 2-core laptop running a browser, 2 threads train
    about 20x slower than 1 under load). Leaving one core free keeps a live run smooth.
    """
    value = os.environ.get("GAN_COURSE_THREADS", "").strip()
    if value:
        if not value.isdigit() or int(value) < 1:
            raise ValueError(f"GAN_COURSE_THREADS must be an integer >= 1, got {value!r}")
        return int(value)
    return max(1, min(torch.get_num_threads(), (os.cpu_count() or 1) - 1))
