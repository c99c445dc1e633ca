r"""The optimal discriminator for a fixed G, measured on a 1-D toy where both densities are known.

For a fixed G, $f_{acc}(D) = \int p_{data}(x) \log D(x) + p_g(x) \log(1 - D(x))\,dx$ is maximised point by
point: $a \log y + b \log(1 - y)$ peaks at $y = a / (a + b)$, so
$D^*(x) = p_{data}(x) / (p_{data}(x) + p_g(x))$. Its value is $-\log 4 + 2\,\mathrm{JSD}(p_{data} \| p_g)$,
which is $-\log 4$ when $p_g = p_{data}$ (then $D^* = \tfrac12$ everywhere). No D classifies better than
$D^*$, whose accuracy on a half-real, half-fake batch is $\tfrac12(1 + \mathrm{TV}(p_{data}, p_g))$.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import matplotlib.pyplot as plt
import torch

from gan_course.device import threads
from gan_course.losses import discriminator_loss
from gan_course.models import Discriminator

GRID = torch.linspace(-6.0, 6.0, 1201, dtype=torch.float64)  # x of the toy's integrals: all but 2e-6 of the mass
SUPPORT = 0.05  # D is compared with D* where (p_data + p_g) / 2 is at least this share of its peak


@dataclass(frozen=True)
class Mixture:
    """A 1-D mixture of Gaussians with a known density: ``pdf(x)`` and ``sample(n, rng) -> (n, 1)``."""

    means: tuple[float, ...]
    sds: tuple[float, ...]
    weights: tuple[float, ...] | None = None  # default: equal

    def _weights(self) -> torch.Tensor:
        w = torch.tensor(self.weights or [1.0] * len(self.means), dtype=torch.float64)
        return w / w.sum()

    def pdf(self, x: torch.Tensor) -> torch.Tensor:
        """Density at x (N,), float64."""
        x = torch.as_tensor(x, dtype=torch.float64).reshape(-1, 1)
        means, sds = torch.tensor(self.means, dtype=torch.float64), torch.tensor(self.sds, dtype=torch.float64)
        parts = torch.exp(-0.5 * ((x - means) / sds) ** 2) / (sds * math.sqrt(2 * math.pi))  # (N, K)
        return parts @ self._weights()

    def sample(self, n: int, rng: torch.Generator) -> torch.Tensor:
        """n samples (n, 1), float32."""
        k = torch.multinomial(self._weights().float(), n, replacement=True, generator=rng)
        means, sds = torch.tensor(self.means)[k], torch.tensor(self.sds)[k]
        return (means + sds * torch.randn(n, generator=rng)).unsqueeze(1)


DATA = Mixture((-1.5, 1.5), (0.5, 0.5))  # P_data: two modes
FIXED_G = Mixture((0.0,), (1.25,))  # a fixed G, x = 1.25 z: one broad mode between the two


def optimal_discriminator(p_data: Mixture, p_g: Mixture, x: torch.Tensor = GRID) -> torch.Tensor:
    r"""$D^*(x) = p_{data}(x) / (p_{data}(x) + p_g(x))$ at x (N,)."""
    return p_data.pdf(x) / (p_data.pdf(x) + p_g.pdf(x))


def _integral(values: torch.Tensor, x: torch.Tensor = GRID) -> float:
    return float(torch.trapezoid(values, x))


def f_acc_exact(d: torch.Tensor, p_data: Mixture, p_g: Mixture, x: torch.Tensor = GRID) -> float:
    r"""$\int p_{data} \log D + p_g \log(1 - D)\,dx$ for D's values d (N,) on x (N,)."""
    d = d.double().clamp(1e-12, 1 - 1e-12)
    return _integral(p_data.pdf(x) * d.log() + p_g.pdf(x) * (1 - d).log(), x)


def optimal_value(p_data: Mixture, p_g: Mixture) -> float:
    r"""$\max_D f_{acc} = f_{acc}(D^*) = -\log 4 + 2\,\mathrm{JSD}(p_{data} \| p_g)$."""
    return f_acc_exact(optimal_discriminator(p_data, p_g), p_data, p_g)


def optimal_accuracy(p_data: Mixture, p_g: Mixture) -> float:
    r"""$D^*$'s accuracy on half real, half fake: $\tfrac12 (1 + \mathrm{TV}) = \tfrac12 \int \max(p_{data}, p_g)$."""
    return 0.5 * _integral(torch.maximum(p_data.pdf(GRID), p_g.pdf(GRID)))


@dataclass
class ToyFit:
    """A D trained against a fixed G: the net, f_acc at every D-step, and what it is compared with."""

    discriminator: Discriminator
    f_acc: list[float]
    p_data: Mixture
    p_g: Mixture

    @torch.no_grad()
    def d_of(self, x: torch.Tensor = GRID) -> torch.Tensor:
        """D(x) (N,) of the trained D."""
        return torch.sigmoid(self.discriminator(x.float().reshape(-1, 1))).double()

    def support(self, x: torch.Tensor = GRID) -> torch.Tensor:
        """Where D is compared with D*: (p_data + p_g) / 2 at least SUPPORT of its peak, a mask (N,)."""
        mass = (self.p_data.pdf(x) + self.p_g.pdf(x)) / 2
        return mass >= SUPPORT * mass.max()

    def max_gap(self) -> float:
        """max |D(x) - D*(x)| over the support."""
        return float((self.d_of() - optimal_discriminator(self.p_data, self.p_g)).abs()[self.support()].max())

    def value(self) -> float:
        """f_acc of the trained D, integrated exactly against both densities."""
        return f_acc_exact(self.d_of(), self.p_data, self.p_g)

    def accuracy(self) -> float:
        """The trained D's accuracy on half real, half fake (exact, by the densities)."""
        right = torch.where(self.d_of() > 0.5, self.p_data.pdf(GRID), self.p_g.pdf(GRID))
        return 0.5 * _integral(right)


def train_to_convergence(p_data: Mixture = DATA, p_g: Mixture = FIXED_G, steps: int = 500, seed: int = 0,
                         batch_size: int = 512, lr: float = 2e-2, hidden: tuple[int, ...] = (32, 32)) -> ToyFit:
    r"""Repeat the D-step against a fixed G: minimise $-f_{acc}$ on fresh samples, lr annealed to 0 (cosine).

    One thread: a net this small trains fastest on one (as :func:`gan_course.train.train` does for small nets).
    """
    rng = torch.Generator().manual_seed(seed)
    torch.manual_seed(seed)
    discriminator = Discriminator(1, hidden)
    opt = torch.optim.Adam(discriminator.parameters(), lr=lr)
    schedule = torch.optim.lr_scheduler.CosineAnnealingLR(opt, steps)
    values = []
    with threads(1):  # a 1-D toy: a second thread only adds overhead
        for _ in range(steps):
            real, fake = p_data.sample(batch_size, rng), p_g.sample(batch_size, rng)  # (B, 1) each
            d_loss = discriminator_loss(discriminator(real), discriminator(fake))  # -f_acc
            opt.zero_grad(set_to_none=True)
            d_loss.backward()
            opt.step()
            schedule.step()
            values.append(-d_loss.item())
    return ToyFit(discriminator.eval(), values, p_data, p_g)


def plot_equilibrium(apart: ToyFit, equal: ToyFit, axes=None):
    """D beside D* for a G unlike the data and for G = data, and f_acc over the D-steps; returns the axes."""
    if axes is None:
        _, axes = plt.subplots(1, 3, figsize=(14, 3.4))
    x = GRID
    for ax, fit, title in ((axes[0], apart, "G unlike the data"), (axes[1], equal, "G draws from $P_{data}$")):
        ax.fill_between(x, fit.p_data.pdf(x), color="C0", alpha=0.25, label="$p_{data}$")
        ax.fill_between(x, fit.p_g.pdf(x), color="C1", alpha=0.25, label="$p_g$")
        ax.plot(x, fit.d_of(), color="k", lw=2, label="trained D(x)")
        ax.plot(x, optimal_discriminator(fit.p_data, fit.p_g), color="C3", ls="--", lw=1.5,
                label="$D^* = p_{data} / (p_{data} + p_g)$")
        ax.set_ylim(0, 1.02)
        ax.set_xlim(-4, 4)
        ax.set_xlabel("x")
        ax.set_title(title)
    axes[1].legend(fontsize=7, loc="upper center")
    window = 20
    for fit, color, name in ((apart, "C1", "G unlike the data"), (equal, "C0", "G = data")):
        smooth = torch.tensor(fit.f_acc).unfold(0, window, 1).mean(1)
        axes[2].plot(range(window, len(fit.f_acc) + 1), smooth, color=color, label=f"trained D, {name}")
        axes[2].axhline(optimal_value(fit.p_data, fit.p_g), color=color, ls="--", lw=1)
    axes[2].axhline(-math.log(4), color="gray", ls=":", label=r"$-\log 4$")
    axes[2].set_xlabel("D-step")
    axes[2].set_title("$f_{acc}$ (dashed: $f_{acc}(D^*)$)")
    axes[2].legend(fontsize=7)
    plt.tight_layout()
    return axes
