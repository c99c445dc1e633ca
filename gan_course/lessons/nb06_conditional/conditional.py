"""Notebook 06's helpers: the conditional GAN's class grid, D's (class, label) score matrix,
label accuracy under the shipped classifier, the per-class comparison, and the class explorer.

A conditional G takes noise z (B, latent_dim) and labels (B,) in 0..9 (or one-hot (B, 10));
a conditional D takes images (B, 784) and labels. See :mod:`gan_course.models`.
"""

from __future__ import annotations

from typing import Sequence

import ipywidgets as w
import matplotlib.pyplot as plt
import numpy as np
import torch

from gan_course.data import N_CLASSES, Digits
from gan_course.device import device_of, threads
from gan_course.losses import discriminator_loss
from gan_course.metrics import classify, frechet_distance
from gan_course.models import Discriminator
from gan_course.plots import image_grid
from gan_course.seeding import fixed_noise, seed_everything
from gan_course.train import build_models
from gan_course.widgets import PROBE, redraw


@torch.no_grad()
def generate(generator: torch.nn.Module, labels: torch.Tensor | Sequence[int], seed: int = 0,
             z: torch.Tensor | None = None) -> torch.Tensor:
    """G(z, labels) as images (N, 1, 28, 28) on the CPU; z (N, latent_dim) drawn from ``seed`` unless given."""
    labels = torch.as_tensor(labels)
    z = fixed_noise(len(labels), generator.latent_dim, seed) if z is None else z
    device = device_of(generator)
    return generator(z.to(device), labels.to(device)).view(-1, 1, 28, 28).cpu()


@torch.no_grad()
def class_grid(generator: torch.nn.Module, n_per_class: int = 10, seed: int = 0) -> torch.Tensor:
    """Images (10 * n, 1, 28, 28): row c is class c; column j uses the same z_j in every row."""
    z = fixed_noise(n_per_class, generator.latent_dim, seed).repeat(N_CLASSES, 1)  # (10 n, latent_dim)
    labels = torch.arange(N_CLASSES).repeat_interleave(n_per_class)  # 0,0,...,1,1,...
    return generate(generator, labels, z=z)


def class_subset(digits: Digits, label: int) -> Digits:
    """The digits of one class (about 500 of the shipped 5,000)."""
    if not 0 <= int(label) < digits.n_classes:
        raise ValueError(f"class label must be in 0..{digits.n_classes - 1}, got {label!r}")
    keep = digits.labels == int(label)
    return Digits(digits.images[keep], digits.labels[keep], f"{digits.source}, class {label} only")


@torch.no_grad()
def d_score_matrix(discriminator: torch.nn.Module, digits: Digits, n_per_class: int = 100) -> torch.Tensor:
    r"""Mean $D(x, f) = \sigma(\ell)$ over real images x of true class c (rows) given label f (columns), (10, 10)."""
    discriminator.eval()
    device = device_of(discriminator)
    scores = torch.zeros(N_CLASSES, N_CLASSES)
    for c in range(N_CLASSES):
        x = digits.images[digits.labels == c][:n_per_class].flatten(1).to(device)  # (n, 784)
        for f in range(N_CLASSES):
            logits = discriminator(x, torch.full((len(x),), f, device=device))
            scores[c, f] = torch.sigmoid(logits).mean().cpu()
    return scores


def forger_discriminator(config, digits: Digits, steps: int = 1500, seed: int = 0,
                         lr: float | None = None) -> Discriminator:
    r"""A conditional D (the config's) trained against a perfect forger that ignores the label.

    The forger's fakes are real digits x' with random labels f', so only f can expose them. D minimises
    $-\log D(x, f) - \log(1 - D(x', f'))$ for ``steps`` batches, on the CPU.
    """
    rng = seed_everything(seed)
    _, discriminator = build_models(config.replace(conditional=True))
    opt = torch.optim.Adam(discriminator.parameters(), lr=lr or config.lr_d, betas=(config.beta1, 0.999))
    B = config.batch_size
    with threads():  # as train() would: fewer threads when another process keeps a core busy
        for _ in range(steps):
            real, f = digits.sample(B, rng)  # (B, 784), (B,)
            forged, _ = digits.sample(B, rng)  # realistic digits ...
            f_forged = torch.randint(N_CLASSES, (B,), generator=rng)  # ... with labels that ignore them
            loss = discriminator_loss(discriminator(real, f), discriminator(forged, f_forged))
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
    return discriminator.eval()


def diagonal_dominance(scores: torch.Tensor) -> dict:
    """How strongly a (10, 10) score matrix prefers its diagonal: rows won, means, smallest margin."""
    diag = scores.diag()
    off = scores.masked_fill(torch.eye(len(scores), dtype=torch.bool), float("nan"))
    return {"rows_won": int((scores.argmax(1) == torch.arange(len(scores))).sum()),
            "diagonal_mean": float(diag.mean()), "off_diagonal_mean": float(off.nanmean()),
            "min_margin": float((diag - off.nan_to_num(-1.0).amax(1)).min())}


def label_accuracy(images: torch.Tensor, labels: torch.Tensor) -> dict:
    """Share of images (N, 1, 28, 28) the shipped classifier assigns to their requested labels (N,).

    Returns ``overall`` (a float), ``per_class`` (10,) and the classifier's ``predicted`` (N,) and ``feats`` (N, 128).
    """
    predicted, feats = classify(images)
    labels = torch.as_tensor(labels).cpu()
    hit = (predicted == labels).float()
    per_class = np.array([float(hit[labels == c].mean()) if (labels == c).any() else float("nan")
                          for c in range(N_CLASSES)])
    return {"overall": float(hit.mean()), "per_class": per_class, "predicted": predicted, "feats": feats}


def per_class_fd(feats: torch.Tensor, labels: torch.Tensor, real_feats: torch.Tensor,
                 real_labels: torch.Tensor) -> np.ndarray:
    """Frechet distance of each class's generated features to the real features of that class, (10,)."""
    labels, real_labels = torch.as_tensor(labels).cpu(), torch.as_tensor(real_labels).cpu()
    return np.array([frechet_distance(feats[labels == c], real_feats[real_labels == c]) for c in range(N_CLASSES)])


def plot_score_matrix(scores: torch.Tensor, ax=None, title: str = "D's mean score $D(x, f)$ on real digits"):
    """Heatmap of a (10, 10) score matrix: rows = true class of x, columns = label f given to D."""
    if ax is None:
        _, ax = plt.subplots(figsize=(4.6, 4))
    im = ax.imshow(scores.numpy(), cmap="viridis", vmin=0, vmax=1)
    for c in range(N_CLASSES):
        for f in range(N_CLASSES):
            ax.text(f, c, f"{float(scores[c, f]):.2f}"[1:], ha="center", va="center", fontsize=6,
                    color="black" if scores[c, f] > 0.6 else "white")
    ax.set_xticks(range(N_CLASSES))
    ax.set_yticks(range(N_CLASSES))
    ax.set_xlabel("label f given to D")
    ax.set_ylabel("true class of the real x")
    ax.set_title(title, fontsize=10)
    plt.colorbar(im, ax=ax, fraction=0.046)
    return ax


class ClassExplorer:
    """A class picker and a noise slider for a conditional generator.

    Top row: ten samples of the picked class. Bottom row: ONE noise vector z_t given each
    label 0..9 (the slider t moves z_t from z_0 to z_1; the style should follow it in every class).
    """

    def __init__(self, generator: torch.nn.Module, n: int = 10, seed: int = 0):
        if not getattr(generator, "n_classes", 0):
            raise ValueError("ClassExplorer needs a conditional generator (built with conditional=True)")
        self.generator = generator.eval()
        g = torch.Generator().manual_seed(seed)
        self.z0 = torch.randn(n, generator.latent_dim, generator=g)  # (n, latent_dim)
        self.z1 = torch.randn(n, generator.latent_dim, generator=g)
        self.picker = w.ToggleButtons(options=list(range(N_CLASSES)), value=0, description="class",
                                      style={"button_width": "32px"})
        self.noise = w.FloatSlider(value=0.0, min=0.0, max=1.0, step=0.1, description="z: z0 → z1",
                                   continuous_update=False, layout=w.Layout(width="420px"))
        self.noise.add_class(PROBE)
        self.output = w.Output()
        self.picker.observe(lambda change: self.show(change["new"], self.noise.value), names="value")
        self.noise.observe(lambda change: self.show(self.picker.value, change["new"]), names="value")
        self.widget = w.VBox([self.picker, self.noise, self.output])
        self.shown: dict[str, torch.Tensor] | None = None
        self.show(self.picker.value, self.noise.value)

    def z_at(self, t: float) -> torch.Tensor:
        """The noise batch (n, latent_dim) at t: (1 - t) z_0 + t z_1."""
        if not 0.0 <= t <= 1.0:
            raise ValueError(f"t must be in [0, 1], got {t}")
        return (1 - t) * self.z0 + t * self.z1

    def show(self, label: int, t: float) -> dict[str, torch.Tensor]:
        """Draw the picked class for n noise vectors, and the first noise vector for every class."""
        z = self.z_at(t)
        one_class = generate(self.generator, torch.full((len(z),), int(label)), z=z)
        every_class = generate(self.generator, torch.arange(N_CLASSES), z=z[:1].expand(N_CLASSES, -1))

        def draw():
            fig, axes = plt.subplots(2, 1, figsize=(6.5, 1.9))
            axes[0].imshow(image_grid(one_class, len(one_class)), cmap="gray", vmin=0, vmax=1)
            axes[0].set_title(f"class {label}, {len(one_class)} noise vectors (t = {t:.1f})", fontsize=9)
            axes[1].imshow(image_grid(every_class, N_CLASSES), cmap="gray", vmin=0, vmax=1)
            axes[1].set_title("the first noise vector with each label 0..9", fontsize=9)
            for ax in axes:
                ax.set_axis_off()
            plt.tight_layout()
            return {"one_class": one_class, "every_class": every_class}

        self.shown = redraw(self.output, draw)
        return self.shown
