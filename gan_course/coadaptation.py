r"""Neuron co-adaptation in D (notebook 05): the always-black border of MNIST, the noise G
leaves there, and how D's first layer weighs it.

Real digits are 0 (black; -1 on the [-1, 1] scale) on a frame of pixels near the border.
A hidden unit of D whose weights there come in pairs $+a, -a$ answers
$a x_1 - a x_2 = 0$ to every real digit *and* to every fake whose noise is equal on the pair:
the noise cancels and passes. Dropout on D's input breaks such pairs at random, so each
pathway has to judge on its own.
"""

from __future__ import annotations

from typing import Sequence

import ipywidgets as w
import matplotlib.pyplot as plt
import numpy as np
import torch

from gan_course.plots import show_grid
from gan_course.train import train
from gan_course.widgets import PROBE, redraw


def _flat(images: torch.Tensor) -> torch.Tensor:
    """Images (N, 1, 28, 28), (N, 28, 28) or (N, 784) in [-1, 1] as (N, 784) on the CPU."""
    images = torch.as_tensor(images).detach().float().cpu()
    if images.dim() < 2 or images[0].numel() != 784:
        raise ValueError(f"expected images of shape (N, 1, 28, 28) or (N, 784), got {tuple(images.shape)}")
    return images.reshape(len(images), 784)


def border_mask(images: torch.Tensor) -> torch.Tensor:
    """Pixels (28, 28) that are 0 (black, -1 on the [-1, 1] scale) in EVERY image (N, 1, 28, 28) in [-1, 1]."""
    pixels = (_flat(images) + 1) / 2  # (N, 784) in [0, 1]
    return pixels.amax(0).eq(0).view(28, 28)


def border_energy(images: torch.Tensor, mask: torch.Tensor) -> float:
    r"""Mean $|p|$ on the masked pixels of images in [-1, 1], on the [0, 1] pixel scale $p = (x + 1) / 2$.

    0 for a clean black border, 0.5 for a mid-gray one.
    """
    mask = torch.as_tensor(mask, dtype=torch.bool).flatten().cpu()
    if mask.numel() != 784 or not mask.any():
        raise ValueError(f"mask must select some of the 28 x 28 pixels, got {mask.numel()} entries, {int(mask.sum())} set")
    pixels = (_flat(images) + 1) / 2  # (N, 784)
    return float(pixels[:, mask].abs().mean())


def late_samples(snapshots: Sequence[dict], last: float = 0.5) -> torch.Tensor:
    """The snapshot samples (fixed z) of the last ``last`` share of training, stacked: (n_late * N, 1, 28, 28)."""
    if not snapshots:
        raise ValueError("no snapshots: train first")
    final = snapshots[-1]["step"]
    return torch.cat([s["samples"] for s in snapshots if s["step"] >= (1 - last) * final])


def late_border_energy(snapshots: Sequence[dict], mask: torch.Tensor, last: float = 0.5) -> float:
    """Border energy of the snapshot samples over the last ``last`` share of training (default: its second half).

    G oscillates from one snapshot to the next; the average over many is the steadier number.
    """
    return border_energy(late_samples(snapshots, last), mask)


def first_layer_weights(discriminator: torch.nn.Module) -> torch.Tensor:
    """D's first-layer weights on the 784 pixels, (hidden, 784) (a conditional D's label columns dropped)."""
    return discriminator.net[0].weight.detach().cpu()[:, :784]


def border_weights(discriminator: torch.nn.Module, mask: torch.Tensor) -> torch.Tensor:
    """D's first-layer weights on the masked pixels, (hidden, n_masked)."""
    mask = torch.as_tensor(mask, dtype=torch.bool).flatten().cpu()
    return first_layer_weights(discriminator)[:, mask]


def cancellation(weights: torch.Tensor) -> torch.Tensor:
    r"""How much each row of weights (H, P) cancels itself: $1 - |\sum_i w_i| / \sum_i |w_i|$, shape (H,).

    1 for pairs $+a, -a$ (a border lit evenly adds nothing to the unit), 0 when all weights
    have one sign (any light on the border moves the unit). An all-zero row counts as 0.
    """
    weights = torch.as_tensor(weights, dtype=torch.float32)
    if weights.dim() == 1:
        weights = weights.unsqueeze(0)
    total = weights.abs().sum(1)
    return torch.where(total > 0, 1 - weights.sum(1).abs() / total.clamp_min(1e-12), torch.zeros_like(total))


# ------------------------------------------------------------- the slide's chain, measured
# Each measure comes with the value it takes by chance, so that a number reads against a baseline:
# an untrained D, shuffled pixel pairs, or noise of the same energy placed independently.
def _border_index(mask: torch.Tensor) -> torch.Tensor:
    """Flat indices (P,) of the masked pixels of a (28, 28) or (784,) mask."""
    mask = torch.as_tensor(mask, dtype=torch.bool).flatten().cpu()
    if mask.numel() != 784 or not mask.any():
        raise ValueError(f"mask must select some of the 28 x 28 pixels, got {mask.numel()} entries, {int(mask.sum())} set")
    return mask.nonzero().flatten()


def neighbour_pairs(mask: torch.Tensor) -> torch.Tensor:
    """Pairs of masked pixels side by side (right or below), as positions in the masked vector: (n_pairs, 2)."""
    mask = torch.as_tensor(mask, dtype=torch.bool).view(28, 28).cpu()
    position = torch.full((28, 28), -1, dtype=torch.long)
    position[mask] = torch.arange(int(mask.sum()))
    pairs = []
    for a, b in ((position[:, :-1], position[:, 1:]), (position[:-1, :], position[1:, :])):
        both = (a >= 0) & (b >= 0)
        pairs.append(torch.stack([a[both], b[both]], dim=1))
    return torch.cat(pairs)


def evenly_lit_response(rows: torch.Tensor) -> torch.Tensor:
    r"""Squared response of each row (H, P) to an evenly lit border over its mean response to random-sign noise
    of the same energy: $(\sum_j w_j)^2 / \sum_j w_j^2$, shape (H,).

    The slide's two pixels: $+a, -a$ gives 0 (the pair cancels, $a n - a n = 0$). Weights of random signs
    give 1 on average (an untrained D). A row of one sign, a detector of light on the border, gives up to P.
    Applied to D's gradient on the border, it compares the feedback G gets for noise that is equal on all
    border pixels with the feedback for independent noise of the same energy.
    """
    rows = torch.as_tensor(rows, dtype=torch.float64)
    if rows.dim() == 1:
        rows = rows.unsqueeze(0)
    norm2 = rows.pow(2).sum(1)
    return torch.where(norm2 > 0, rows.sum(1).pow(2) / norm2.clamp_min(1e-300), torch.zeros_like(norm2)).float()


def pair_correlation(rows: torch.Tensor, pairs: torch.Tensor) -> float:
    """Pearson correlation of the two values of each pair, pooled over rows (H, P) and pairs (n_pairs, 2).

    Negative when the pairs tend to hold $+a, -a$ (cancelling), positive when they tend to share a sign.
    """
    rows = torch.as_tensor(rows, dtype=torch.float64)
    a, b = rows[:, pairs[:, 0]].flatten(), rows[:, pairs[:, 1]].flatten()
    a, b = a - a.mean(), b - b.mean()
    return float((a * b).sum() / (a.norm() * b.norm()).clamp_min(1e-300))


def shuffled_pairs(n_pixels: int, n_pairs: int, seed: int = 0) -> torch.Tensor:
    """Random pairs (n_pairs, 2) of distinct positions among ``n_pixels``: the baseline for neighbour pairs."""
    g = torch.Generator().manual_seed(seed)
    first = torch.randint(n_pixels, (n_pairs,), generator=g)
    second = (first + torch.randint(1, n_pixels, (n_pairs,), generator=g)) % n_pixels
    return torch.stack([first, second], dim=1)


def weight_pair_correlation(weights: torch.Tensor, mask: torch.Tensor, seed: int = 0) -> dict[str, float]:
    """Correlation of D's first-layer weights (H, P) on neighbouring border pixels, and on random border pairs."""
    pairs = neighbour_pairs(mask)
    return {"neighbours": pair_correlation(weights, pairs),
            "shuffled": pair_correlation(weights, shuffled_pairs(weights.shape[1], 4 * len(pairs), seed))}


def noise_pair_correlation(images: torch.Tensor, mask: torch.Tensor, seed: int = 0) -> dict[str, float]:
    """Does G's border noise correlate across pixel pairs? Over samples (N, 1, 28, 28): the mean correlation of
    neighbouring border pixels, of random pairs of border pixels, and of random pairs after each pixel's values
    were shuffled over the samples on their own (chance: 0)."""
    p = (_flat(images)[:, _border_index(mask)].double() + 1) / 2  # (N, P) on the [0, 1] scale
    p = p - p.mean(0)
    std = p.std(0)
    keep = std > 1e-6  # a pixel that never changes has no correlation
    z = p[:, keep] / std[keep]
    n = z.shape[1]
    if n < 2:
        raise ValueError("fewer than two border pixels vary over the samples: no correlation to measure")
    corr = lambda pairs: float((z[:, pairs[:, 0]] * z[:, pairs[:, 1]]).mean(0).mean())  # noqa: E731
    position = torch.full((len(keep),), -1, dtype=torch.long)
    position[keep] = torch.arange(n)
    neighbours = position[neighbour_pairs(mask)]
    neighbours = neighbours[(neighbours >= 0).all(1)]
    g = torch.Generator().manual_seed(seed)
    independent = torch.stack([col[torch.randperm(len(col), generator=g)] for col in z.T], dim=1)
    random_pairs = shuffled_pairs(n, 4 * len(neighbours), seed)
    return {"neighbours": corr(neighbours), "random_pairs": corr(random_pairs),
            "independent": float((independent[:, random_pairs[:, 0]] * independent[:, random_pairs[:, 1]]).mean(0).mean())}


def border_gradient(discriminator: torch.nn.Module, images: torch.Tensor, mask: torch.Tensor,
                    n_masks: int = 0) -> torch.Tensor:
    r"""What D tells G on the border: $\partial \ell / \partial p_j$ of D's logit $\ell$ at each image (N, 1, 28, 28),
    for the border pixels $p_j = (x_j + 1) / 2$ on the [0, 1] scale, shape (N, P).

    ``n_masks`` = 0 evaluates D as it is deployed (eval mode, no dropout). ``n_masks`` = K > 0 averages the
    gradient over K draws of D's dropout in training mode: the mean feedback G gets during training.
    """
    index = _border_index(mask)
    x = _flat(images).clone().requires_grad_(True)  # (N, 784)
    was_training = discriminator.training
    params = [p.requires_grad for p in discriminator.parameters()]
    discriminator.requires_grad_(False)
    try:
        discriminator.train(n_masks > 0)
        total = torch.zeros_like(x)
        for _ in range(max(n_masks, 1)):
            (grad,) = torch.autograd.grad(discriminator(x).sum(), x)
            total += grad
    finally:
        discriminator.train(was_training)
        for p, flag in zip(discriminator.parameters(), params):
            p.requires_grad_(flag)
    return (2 * total / max(n_masks, 1))[:, index]  # dl/dp = 2 dl/dx


def feedback_on_noise(gradient: torch.Tensor, noise: torch.Tensor, n_shuffles: int = 20, seed: int = 0) -> dict[str, float]:
    r"""D's feedback along G's own border noise against the same noise placed independently.

    For each sample, $|g \cdot n|$ with $g$ the border gradient (N, P) and $n$ G's border pixels (N, P), and
    $\mathrm{rms}_\pi |g \cdot \pi(n)|$ over random permutations $\pi$ of the border pixels: the same values, the
    same energy, independent placement. ``ratio`` = median over samples of along / shuffled: 1 by chance, near
    0 when G's noise sits where D's gradient cancels (the slide's "ok"), above 1 when D looks right at it.
    """
    g_, n_ = torch.as_tensor(gradient, dtype=torch.float64), torch.as_tensor(noise, dtype=torch.float64)
    along = (g_ * n_).sum(1).abs()  # (N,)
    gen = torch.Generator().manual_seed(seed)
    shuffled = torch.stack([(g_ * n_[:, torch.randperm(n_.shape[1], generator=gen)]).sum(1) for _ in range(n_shuffles)])
    rms = shuffled.pow(2).mean(0).sqrt()  # (N,)
    ratio = along / rms.clamp_min(1e-300)
    return {"along": float(along.median()), "shuffled": float(rms.median()), "ratio": float(ratio.median())}


# ------------------------------------------------------------------------------- plots
def show_border_map(images: torch.Tensor, mask: torch.Tensor, title: str = "", ax=None, vmax: float = 0.1):
    """Mean pixel (on [0, 1]) of images (N, 1, 28, 28) in [-1, 1] on the border pixels; the digit area blank."""
    mean = ((_flat(images) + 1) / 2).mean(0).view(28, 28).numpy()  # (28, 28)
    shown = np.where(torch.as_tensor(mask, dtype=torch.bool).view(28, 28).numpy(), mean, np.nan)
    if ax is None:
        _, ax = plt.subplots(figsize=(2.6, 2.6))
    image = ax.imshow(shown, cmap="magma", vmin=0, vmax=vmax)
    ax.set_facecolor("0.85")
    ax.set_title(title, fontsize=9)
    ax.set_xticks([]), ax.set_yticks([])
    plt.colorbar(image, ax=ax, fraction=0.046, pad=0.04)
    return image


def show_unit_weights(discriminator: torch.nn.Module, mask: torch.Tensor, units: Sequence[int], axes=None):
    """Draw the first-layer weights (28 x 28) of some hidden units on the border pixels only (the rest gray)."""
    mask = torch.as_tensor(mask, dtype=torch.bool).view(28, 28)
    weights = first_layer_weights(discriminator)[list(units)].view(-1, 28, 28)  # (U, 28, 28)
    limit = float(weights[:, mask].abs().max())
    if axes is None:
        _, axes = plt.subplots(1, len(units), figsize=(1.9 * len(units), 2.2))
    axes = np.atleast_1d(axes)
    for ax, unit, img in zip(axes, units, weights):
        ax.imshow(np.where(mask.numpy(), img.numpy(), np.nan), cmap="RdBu_r", vmin=-limit, vmax=limit)
        ax.set_facecolor("0.85")
        ax.set_title(f"unit {unit}", fontsize=9)
        ax.set_xticks([]), ax.set_yticks([])
    return axes


# ------------------------------------------------------------------------------ sweep
def dropout_sweep(config, data, rates: Sequence[float], mask: torch.Tensor, *, seed: int = 0,
                  runs: dict | None = None) -> dict[float, dict]:
    """Train ``config`` once per input-dropout rate; per rate: last samples, late samples, late border energy.

    ``runs`` maps a rate to a TrainResult already trained with this config and seed, so that
    a notebook does not train its main runs twice.
    """
    sweep: dict[float, dict] = {}
    for rate in rates:
        rate = float(rate)
        run = (runs or {}).get(rate)
        if run is None:
            run = train(config.replace(input_dropout=rate), data, seed=seed, progress=False)
        sweep[rate] = {"samples": run.snapshots[-1]["samples"], "late_samples": late_samples(run.snapshots),
                       "border_energy": late_border_energy(run.snapshots, mask)}
    return sweep


class DropoutRateWidget:
    """A slider over the input-dropout rates of a sweep: the run's last samples, its mean border
    pixels, and the late border energy of every rate with the chosen one highlighted."""

    def __init__(self, sweep: dict[float, dict], mask: torch.Tensor, start: float | None = None):
        if not sweep:
            raise ValueError("the sweep is empty: train at least one input-dropout rate")
        self.sweep, self.mask = dict(sorted(sweep.items())), mask
        rates = list(self.sweep)
        start = rates[0] if start is None else float(start)
        if start not in self.sweep:
            raise ValueError(f"start rate {start} is not in the sweep; rates are {rates}")
        self.slider = w.SelectionSlider(options=[(f"{r:.2f}", r) for r in rates], value=start,
                                        description="input dropout", continuous_update=False,
                                        style={"description_width": "initial"}, layout=w.Layout(width="420px"))
        self.slider.add_class(PROBE)
        self.output = w.Output()
        self.slider.observe(lambda change: self.show(change["new"]), names="value")
        self.widget = w.VBox([self.slider, self.output])
        self.shown: dict | None = None
        self.show(start)

    def show(self, rate: float) -> dict:
        """Draw the run trained with input dropout ``rate``; returns its entry of the sweep."""
        if rate not in self.sweep:
            raise ValueError(f"no run with input dropout {rate}; rates are {list(self.sweep)}")
        entry = self.sweep[rate]

        def draw():
            fig, axes = plt.subplots(1, 3, figsize=(12, 3.2), gridspec_kw={"width_ratios": [1.3, 1, 1.2]})
            show_grid(entry["samples"][:16], 4, f"input dropout {rate:.2f}: last samples", ax=axes[0])
            show_border_map(entry["late_samples"], self.mask, "mean border pixel, 2nd half", ax=axes[1])
            rates = list(self.sweep)
            energies = [self.sweep[r]["border_energy"] for r in rates]
            axes[2].bar([f"{r:.2f}" for r in rates], energies, color=["C3" if r == rate else "C0" for r in rates])
            axes[2].set_xlabel("input dropout rate")
            axes[2].set_title("late border energy (2nd half of training)", fontsize=9)
            plt.tight_layout()
            return entry

        self.shown = redraw(self.output, draw)
        return self.shown


# --------------------------------------------------------------------- per-seed figures on MNIST
def shifted_digits(digits, max_shift: int = 4, seed: int = 0):
    """The digits, each moved by a random (dy, dx) in [-max_shift, max_shift]^2 with black filling in:
    data whose frame carries real strokes, so a D trained on it has no always-black border to exploit."""
    from gan_course.data import Digits

    g = torch.Generator().manual_seed(seed)
    shifts = torch.randint(-max_shift, max_shift + 1, (len(digits), 2), generator=g)
    padded = torch.nn.functional.pad(digits.images.cpu(), (max_shift,) * 4, value=-1.0)  # (N, 1, 28 + 2s, 28 + 2s)
    moved = torch.stack([padded[i, :, max_shift - dy:max_shift - dy + 28, max_shift - dx:max_shift - dx + 28]
                         for i, (dy, dx) in enumerate(shifts.tolist())])
    return Digits(moved, digits.labels.cpu(), f"{digits.source}, shifted by up to {max_shift} pixels")


def final_samples(generator: torch.nn.Module, latent_dim: int, n: int = 2000, seed: int = 0) -> torch.Tensor:
    """What ``python -m gan_course sample RUN --n n --seed seed`` writes: (n, 1, 28, 28) in [-1, 1] from fixed noise."""
    from gan_course.device import fixed_noise

    generator.eval()
    with torch.no_grad():
        return generator(fixed_noise(n, latent_dim, seed)).view(-1, 1, 28, 28).clamp(-1, 1).cpu()


def discriminator_figures(discriminator: torch.nn.Module, mask: torch.Tensor) -> dict[str, float]:
    """D's first-layer border weights: mean evenly-lit response over units (chance 1) and the neighbour-pair
    correlation against random pairs."""
    weights = border_weights(discriminator, mask)
    pairs = weight_pair_correlation(weights, mask)
    return {"evenly_lit": float(evenly_lit_response(weights).mean()),
            "pair_corr": pairs["neighbours"], "pair_corr_shuffled": pairs["shuffled"]}


def feedback_figures(discriminator: torch.nn.Module, fakes: torch.Tensor, mask: torch.Tensor,
                     n_masks: int = 0) -> dict[str, float]:
    """D's gradient to G on the border of fakes (N, 1, 28, 28): evenly-lit response of the gradient (chance 1)
    and the feedback along G's own noise over the same noise shuffled (chance 1)."""
    gradient = border_gradient(discriminator, fakes, mask, n_masks)  # (N, P)
    noise = (_flat(fakes)[:, _border_index(mask)] + 1) / 2  # (N, P)
    along = feedback_on_noise(gradient, noise)
    return {"grad_evenly_lit": float(evenly_lit_response(gradient).median()), "grad_along_noise": along["ratio"],
            "grad_norm": float(gradient.norm(dim=1).median()), "grad_mean": float(gradient.mean(1).median())}


def mnist_chain(config, data, seed: int, mask: torch.Tensor, n_samples: int = 2000, n_probe: int = 500) -> dict:
    """Train ``config`` with its input dropout and without (control) from ``seed``; every step of the slide's
    chain for both, on the final generator (``n_samples`` from fixed noise, seed 0)."""
    from gan_course.device import seed_everything
    from gan_course.train import build_models, train

    seed_everything(seed)
    _, untrained = build_models(config)  # the same initial D as both runs
    figures: dict = {"seed": seed, **{f"untrained_{k}": v for k, v in discriminator_figures(untrained, mask).items()}}
    for name, rate in (("dropout", config.input_dropout), ("control", 0.0)):
        run = train(config.replace(input_dropout=rate), data, seed=seed, progress=False, device="cpu")
        fakes = final_samples(run.generator, config.latent_dim, n_samples)
        noise = noise_pair_correlation(fakes, mask)
        figures.update({
            f"{name}_border_energy": border_energy(fakes, mask),
            f"{name}_late_border_energy": late_border_energy(run.snapshots, mask),
            f"{name}_seconds": run.seconds,
            f"{name}_noise_corr": noise["neighbours"], f"{name}_noise_corr_random": noise["random_pairs"],
            **{f"{name}_{k}": v for k, v in discriminator_figures(run.discriminator, mask).items()},
            **{f"{name}_{k}": v for k, v in feedback_figures(run.discriminator, fakes[:n_probe], mask).items()},
        })
    figures["ratio"] = figures["dropout_border_energy"] / figures["control_border_energy"]
    figures["late_ratio"] = figures["dropout_late_border_energy"] / figures["control_late_border_energy"]
    return figures


def plot_paired_seeds(with_dropout: Sequence[float], control: Sequence[float], ylabel: str, ax=None,
                      labels: tuple[str, str] = ("input dropout", "control"), log: bool = False,
                      linthresh: float | None = None):
    """One line per seed from its control value to its value with input dropout: the per-seed distribution.

    ``log`` draws a log axis; ``linthresh`` a symmetric-log axis that is linear below it, so an exact 0 shows.
    """
    if len(with_dropout) != len(control) or not len(control):
        raise ValueError(f"need one value per seed in both runs, got {len(with_dropout)} and {len(control)}")
    if ax is None:
        _, ax = plt.subplots(figsize=(3.2, 3))
    for a, b in zip(control, with_dropout):
        ax.plot([0, 1], [a, b], color="C0", alpha=0.6, marker="o", ms=4)
    ax.set_xticks([0, 1], [labels[1], labels[0]])
    ax.set_xlim(-0.3, 1.3)
    ax.set_ylabel(ylabel)
    if linthresh is not None:
        ax.set_yscale("symlog", linthresh=linthresh)
    elif log:
        ax.set_yscale("log")
    return ax


def plot_seed_ratios(ratios: Sequence[float], threshold: float = 0.5, ax=None, label: str = "with / without input dropout"):
    """The per-seed ratios as dots against the line ``threshold``; the title counts the seeds at or below it."""
    ratios = np.asarray(ratios, dtype=float)
    if ax is None:
        _, ax = plt.subplots(figsize=(4, 3))
    below = ratios <= threshold
    ax.scatter(np.arange(len(ratios)), ratios, c=np.where(below, "C3", "C0"), zorder=3)
    ax.axhline(threshold, color="0.4", ls="--", lw=1)
    ax.axhline(1.0, color="0.75", lw=1)
    ax.set_xticks(np.arange(len(ratios)))
    ax.set_xlabel("seed")
    ax.set_ylabel(label)
    ax.set_ylim(0, max(1.1, float(ratios.max()) * 1.05))
    ax.set_title(f"{int(below.sum())} of {len(ratios)} seeds at or below {threshold:g}", fontsize=9)
    return ax


def chain_line(figures: dict) -> str:
    """One line for ``python -m gan_course seeds``: final border energies and ratio, then the chain's measures."""
    return (f"border energy {figures['dropout_border_energy']:.4f} with / {figures['control_border_energy']:.4f} "
            f"without input dropout, ratio {figures['ratio']:.2f}  |  D's border weights evenly-lit "
            f"{figures['untrained_evenly_lit']:.1f} untrained, {figures['control_evenly_lit']:.1f} control "
            f"(1 = random signs, 0 = cancelling)  |  G's noise pair corr {figures['control_noise_corr']:.2f} "
            f"neighbours, {figures['control_noise_corr_random']:.2f} random pairs  |  D's gradient evenly-lit "
            f"{figures['control_grad_evenly_lit']:.0f}, along G's noise / shuffled {figures['control_grad_along_noise']:.2f}")
