"""MLP generator and discriminator, optionally conditional on a class label.

The conditional variants follow the slides: a one-hot label ``f`` is concatenated to
``z`` for G and to ``x`` for D.
"""

from __future__ import annotations

from typing import Sequence

import torch
from torch import nn
import torch.nn.functional as F


def as_one_hot(labels: torch.Tensor | int | Sequence[int], n_classes: int, batch: int | None = None) -> torch.Tensor:
    """Class labels (B,) in 0..n_classes-1, or one-hot rows (B, n_classes), as float one-hot (B, n_classes).

    Raises a ValueError that names the bad value for a label outside the range, a
    non-integer label, or a one-hot of the wrong width.
    """
    if isinstance(labels, bool) or (isinstance(labels, float)):
        raise ValueError(f"class label must be an integer in 0..{n_classes - 1}, got {labels!r}")
    if not isinstance(labels, torch.Tensor):
        try:
            labels = torch.as_tensor(labels)
        except (TypeError, ValueError) as err:
            raise ValueError(f"class labels must be integers in 0..{n_classes - 1}, got {labels!r}") from err
    if labels.dim() == 0:
        labels = labels.reshape(1).expand(batch or 1)
    if labels.dim() == 2:
        if labels.shape[1] != n_classes:
            raise ValueError(
                f"one-hot labels must have width {n_classes} (one column per class), got shape {tuple(labels.shape)}"
            )
        if not (((labels == 0) | (labels == 1)).all() and (labels.sum(1) == 1).all()):
            raise ValueError("one-hot labels must have a single 1 per row and 0 elsewhere")
        return labels.float()
    if labels.dim() != 1:
        raise ValueError(f"class labels must have shape (B,) or (B, {n_classes}), got {tuple(labels.shape)}")
    if labels.is_floating_point() or labels.is_complex() or labels.dtype == torch.bool:
        if labels.is_floating_point() and torch.equal(labels, labels.round()):
            labels = labels.long()
        else:
            raise ValueError(f"class labels must be integers in 0..{n_classes - 1}, got {labels.tolist()[:8]}")
    bad = (labels < 0) | (labels >= n_classes)
    if bad.any():
        raise ValueError(f"class label {int(labels[bad][0])} is outside 0..{n_classes - 1}")
    return F.one_hot(labels.long(), n_classes).float()


def check_rate(name: str, rate: float) -> float:
    """``rate`` if it is a number in [0, 1); else a ValueError that names it (dropout rates, beta1, momentum)."""
    if isinstance(rate, bool) or not isinstance(rate, (int, float)) or not 0.0 <= rate < 1.0:
        raise ValueError(f"{name} must be a number in [0, 1), got {rate!r}")
    return float(rate)


def _mlp(sizes: Sequence[int], dropout: float = 0.0) -> list[nn.Module]:
    layers: list[nn.Module] = []
    for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
        layers.append(nn.Linear(a, b))
        if i < len(sizes) - 2:
            layers.append(nn.LeakyReLU(0.2))
            if dropout > 0:
                layers.append(nn.Dropout(dropout))
    return layers


class Generator(nn.Module):
    """G: noise z (B, latent_dim) [+ one-hot label] -> sample (B, out_dim); Tanh for images."""

    def __init__(
        self,
        latent_dim: int = 100,
        hidden: Sequence[int] = (256, 512),
        out_dim: int = 784,
        n_classes: int = 0,
        tanh: bool = True,
    ):
        super().__init__()
        self.latent_dim, self.out_dim, self.n_classes = latent_dim, out_dim, n_classes
        layers = _mlp([latent_dim + n_classes, *hidden, out_dim])
        if tanh:
            layers.append(nn.Tanh())
        self.net = nn.Sequential(*layers)

    def forward(self, z: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        if z.dim() != 2 or z.shape[1] != self.latent_dim:
            raise ValueError(f"generator expects noise of shape (B, {self.latent_dim}), got {tuple(z.shape)}")
        if self.n_classes:
            if labels is None:
                raise ValueError("this generator is conditional: pass labels (B,) in 0..9 or one-hot (B, 10)")
            z = torch.cat([z, as_one_hot(labels, self.n_classes, len(z)).to(z.device)], dim=1)
        elif labels is not None:
            raise ValueError("this generator is unconditional: it takes no labels")
        return self.net(z)  # (B, out_dim)


class PixelDropout(nn.Module):
    r"""Dropout on image pixels in [-1, 1] that turns a dropped pixel BLACK (-1), as in the original GAN.

    The original worked on pixels $p \in [0, 1]$ and multiplied them by a keep mask $m / (1 - r)$, so a
    dropped pixel became 0, black. With $x = 2p - 1$ that is $x' = (x + 1)\,m / (1 - r) - 1$. (``nn.Dropout``
    on $x$ would turn a dropped pixel mid-gray, a value no real border pixel ever has.) Identity in eval mode.
    """

    def __init__(self, rate: float):
        super().__init__()
        self.rate = check_rate("input_dropout", rate)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not self.training or self.rate == 0:
            return x
        keep = torch.rand_like(x) >= self.rate  # (B, D): True with probability 1 - rate
        return (x + 1) * keep / (1 - self.rate) - 1

    def extra_repr(self) -> str:
        return f"rate={self.rate}, dropped pixels -> -1 (black)"


class Discriminator(nn.Module):
    """D: sample (B, in_dim) or images (B, 1, 28, 28) [+ one-hot label] -> one logit (B,).

    ``input_dropout`` drops input pixels to black in training (the original GAN kept each with
    probability 0.8; see :class:`PixelDropout`); ``pack`` > 1 judges ``pack`` samples at once (PacGAN).
    """

    def __init__(
        self,
        in_dim: int = 784,
        hidden: Sequence[int] = (512, 256),
        n_classes: int = 0,
        input_dropout: float = 0.0,
        dropout: float = 0.0,
        pack: int = 1,
    ):
        super().__init__()
        self.in_dim, self.n_classes, self.pack = in_dim, n_classes, pack
        self.input_dropout = PixelDropout(input_dropout) if check_rate("input_dropout", input_dropout) else nn.Identity()
        self.net = nn.Sequential(*_mlp([pack * (in_dim + n_classes), *hidden, 1], check_rate("dropout", dropout)))

    def forward(self, x: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        x = x.flatten(1)  # (B, in_dim)
        if x.shape[1] != self.in_dim:
            raise ValueError(f"discriminator expects inputs with {self.in_dim} features, got shape {tuple(x.shape)}")
        x = self.input_dropout(x)
        if self.n_classes:
            if labels is None:
                raise ValueError("this discriminator is conditional: pass labels (B,) in 0..9 or one-hot (B, 10)")
            x = torch.cat([x, as_one_hot(labels, self.n_classes, len(x)).to(x.device)], dim=1)
        elif labels is not None:
            raise ValueError("this discriminator is unconditional: it takes no labels")
        if self.pack > 1:
            if len(x) % self.pack:
                raise ValueError(f"batch of {len(x)} cannot be packed in groups of {self.pack}")
            x = x.reshape(len(x) // self.pack, -1)  # (B / pack, pack * features)
        return self.net(x).squeeze(1)  # (B,) or (B / pack,) logits
