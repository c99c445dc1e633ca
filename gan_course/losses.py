r"""The GAN objectives, written on D's logits for numerical stability.

With $D(x) = \sigma(\ell(x))$, $\log D = \log\sigma(\ell)$ and $\log(1 - D) = \log\sigma(-\ell)$.
"""

from __future__ import annotations

from typing import Callable, Mapping

import torch
import torch.nn.functional as F

LOSSES = ("non_saturating", "saturating")  # G's two losses, by the name a config's `loss` field uses


def discriminator_loss(real_logits: torch.Tensor, fake_logits: torch.Tensor) -> torch.Tensor:
    r"""$-f_{acc} = -\mathbb{E}[\log D(x)] - \mathbb{E}[\log(1 - D(G(z)))]$, a scalar D minimises."""
    return -(F.logsigmoid(real_logits).mean() + F.logsigmoid(-fake_logits).mean())


def generator_loss(fake_logits: torch.Tensor, loss: str = "non_saturating") -> torch.Tensor:
    r"""G's loss on D's logits for fakes, a scalar G minimises.

    ``"saturating"``: $\mathbb{E}[\log(1 - D(G(z)))]$ (the original minimax term);
    ``"non_saturating"``: $-\mathbb{E}[\log D(G(z))]$ (Goodfellow's modified loss).
    """
    if loss == "non_saturating":
        return -F.logsigmoid(fake_logits).mean()
    if loss == "saturating":
        return F.logsigmoid(-fake_logits).mean()
    raise ValueError(f"unknown generator loss {loss!r}: expected one of {LOSSES}")


def loss_curves(p: torch.Tensor, losses: Mapping[str, Callable[[torch.Tensor], torch.Tensor]] | None = None
                ) -> dict[str, dict[str, torch.Tensor]]:
    r"""Each G loss at $D(G(z)) = p$ (N,), with its derivatives w.r.t. $D$ and w.r.t. D's logit $\ell$.

    ``losses`` maps a name to a loss written on logits (N,) -> scalar mean (default: the two losses above).
    Per point: ``value``, ``d_logit`` $= \partial L / \partial \ell$ and ``d_p`` $= \partial L / \partial D
    = \partial L / \partial \ell \,/\, (D (1 - D))$, by autograd through the logits form, for one sample
    (the batch mean is undone, so each point is its own example).
    """
    p = torch.as_tensor(p, dtype=torch.float64).reshape(-1)
    if not bool(((p > 0) & (p < 1)).all()):
        raise ValueError(f"D(G(z)) must lie strictly between 0 and 1, got values in [{float(p.min())}, {float(p.max())}]")
    losses = losses or {name: (lambda logits, name=name: generator_loss(logits, name)) for name in LOSSES}
    out = {}
    for name, loss in losses.items():
        values, d_logits = [], []
        for logit in torch.logit(p):  # one example at a time: a student's loss may only take batches of (B,)
            logit = logit.reshape(1).float().requires_grad_()
            value = loss(logit)
            (d_logit,) = torch.autograd.grad(value, logit)
            values.append(float(value.detach()))
            d_logits.append(float(d_logit))
        d_logit = torch.tensor(d_logits, dtype=torch.float64)
        out[name] = {"value": torch.tensor(values, dtype=torch.float64), "d_logit": d_logit,
                     "d_p": d_logit / (p * (1 - p))}  # chain rule: d logit / d p = 1 / (p (1 - p))
    return out
