r"""The GAN objectives, written on D's logits for numerical stability.

With $D(x) = \sigma(\ell(x))$, $\log D = \log\sigma(\ell)$ and $\log(1 - D) = \log\sigma(-\ell)$.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

G_LOSS_KINDS = ("non_saturating", "saturating")


def discriminator_loss(real_logits: torch.Tensor, fake_logits: torch.Tensor) -> torch.Tensor:
    r"""$-f_{acc} = -\mathbb{E}[\log D(x)] - \mathbb{E}[\log(1 - D(G(z)))]$, a scalar D minimises."""
    return -(F.logsigmoid(real_logits).mean() + F.logsigmoid(-fake_logits).mean())


def generator_loss(fake_logits: torch.Tensor, kind: str = "non_saturating") -> torch.Tensor:
    r"""G's loss on D's logits for fakes, a scalar G minimises.

    ``"saturating"``: $\mathbb{E}[\log(1 - D(G(z)))]$ (the original minimax term);
    ``"non_saturating"``: $-\mathbb{E}[\log D(G(z))]$ (Goodfellow's modified loss).
    """
    if kind == "non_saturating":
        return -F.logsigmoid(fake_logits).mean()
    if kind == "saturating":
        return F.logsigmoid(-fake_logits).mean()
    raise ValueError(f"unknown generator loss kind {kind!r}: expected one of {G_LOSS_KINDS}")
