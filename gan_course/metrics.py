"""Measures the notebooks assert on: sample quality of digits, mode coverage on the ring."""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import torch

from gan_course.classifier import load_classifier
from gan_course.data import Ring, load_mnist
from gan_course.seeding import fixed_noise

N_RING_METRIC = 2500  # samples behind "modes covered" and "high-quality %" on the ring
RING_METRIC_SEED = 1234  # seed of the fixed z behind them


def _check_images(images: torch.Tensor) -> torch.Tensor:
    if not isinstance(images, torch.Tensor):
        raise TypeError(f"expected a tensor of images, got {type(images).__name__}")
    if images.dim() == 2 and images.shape[1] == 784:
        images = images.view(-1, 1, 28, 28)
    if images.dim() != 4 or tuple(images.shape[1:]) != (1, 28, 28):
        raise ValueError(f"expected images of shape (N, 1, 28, 28) or (N, 784), got {tuple(images.shape)}")
    return images.detach().float().cpu()


@torch.no_grad()
def classify(images: torch.Tensor, batch_size: int = 500) -> tuple[torch.Tensor, torch.Tensor]:
    """Predicted classes (N,) and classifier features (N, 128) of images in [-1, 1]."""
    images = _check_images(images)
    model = load_classifier()
    feats = torch.cat([model.features(images[i:i + batch_size]) for i in range(0, len(images), batch_size)])
    return model.head(feats).argmax(1), feats


@torch.no_grad()
def generated_digits(generator: torch.nn.Module, n: int, latent_dim: int, seed: int = 0) -> torch.Tensor:
    """n digits (n, 1, 28, 28) on the CPU from an unconditional G on fixed noise: the same z for the same seed."""
    device = next(generator.parameters()).device
    return generator(fixed_noise(n, latent_dim, seed).to(device)).view(-1, 1, 28, 28).cpu()


def class_histogram(images: torch.Tensor) -> np.ndarray:
    """Share of images the classifier assigns to each digit class, shape (10,), sums to 1."""
    predicted, _ = classify(images)
    return np.bincount(predicted.numpy(), minlength=10) / len(predicted)


def _gaussian_stats(feats: torch.Tensor) -> tuple[np.ndarray, np.ndarray]:
    f = feats.double().numpy()
    return f.mean(0), np.cov(f, rowvar=False)


def _sqrtm_psd(m: np.ndarray) -> np.ndarray:
    vals, vecs = np.linalg.eigh((m + m.T) / 2)
    return (vecs * np.sqrt(np.clip(vals, 0, None))) @ vecs.T


def frechet_distance(feats_a: torch.Tensor, feats_b: torch.Tensor) -> float:
    r"""Frechet distance between Gaussians fitted to two feature sets (N, F):
    $\|\mu_a - \mu_b\|^2 + \mathrm{tr}(\Sigma_a + \Sigma_b - 2(\Sigma_a^{1/2}\Sigma_b\Sigma_a^{1/2})^{1/2})$."""
    mu_a, cov_a = _gaussian_stats(feats_a)
    mu_b, cov_b = _gaussian_stats(feats_b)
    root_a = _sqrtm_psd(cov_a)
    cross = _sqrtm_psd(root_a @ cov_b @ root_a)
    return float(((mu_a - mu_b) ** 2).sum() + np.trace(cov_a) + np.trace(cov_b) - 2 * np.trace(cross))


@lru_cache(maxsize=2)
def _real_features(source: str) -> torch.Tensor:
    digits = load_mnist(verbose=False)
    return classify(digits.images[:10000])[1]


def digit_fd(images: torch.Tensor) -> float:
    """Frechet distance of generated digits to real MNIST, in the classifier's 128-d features."""
    _, feats = classify(images)
    return frechet_distance(feats, _real_features(load_mnist(verbose=False).source))


def digit_quality(images: torch.Tensor) -> dict:
    """Frechet distance, class histogram and the largest class share of generated digits."""
    hist = class_histogram(images)
    return {"fd": digit_fd(images), "class_hist": hist, "max_class_share": float(hist.max()),
            "classes_present": int((hist >= 0.02).sum())}


@torch.no_grad()
def nearest_distances(images: torch.Tensor, reference: torch.Tensor, exclude: torch.Tensor | None = None,
                      batch_size: int = 256) -> torch.Tensor:
    r"""Euclidean pixel distance from each image (N, 784) to its nearest reference image (M, 784), shape (N,).

    $d(x) = \min_j \|x - r_j\|_2$ on pixels in [-1, 1]. ``exclude`` (N,) gives, per image, the index of one
    reference image to skip (the image itself, for leave-one-out); -1 skips nothing.
    """
    x, ref = _check_images(images).flatten(1), _check_images(reference).flatten(1)
    out = []
    for i in range(0, len(x), batch_size):
        dist = torch.cdist(x[i:i + batch_size].double(), ref.double())  # (b, M)
        if exclude is not None:
            rows = torch.arange(len(dist))
            skip = exclude[i:i + batch_size].long()
            keep = skip >= 0
            dist[rows[keep], skip[keep]] = float("inf")
        out.append(dist.min(1).values.float())
    return torch.cat(out)


def nearest_neighbour_ratio(images: torch.Tensor, train_images: torch.Tensor, n_real: int = 2000,
                            seed: int = 0) -> dict:
    r"""Memorisation check: how close generated digits lie to the training set, relative to real digits.

    $\text{ratio} = \operatorname{median}_{x \sim G}\, d(x, T) \,/\, \operatorname{median}_{x \in H}\, d(x, T \setminus \{x\})$,
    with $d$ the pixel distance to the nearest training digit (:func:`nearest_distances`), $T$ the training
    digits and $H$ ``n_real`` of them, each held out from $T$ when its own distance is measured (leave-one-out:
    a real digit that G never saw). Near 1: as far from the training set as a fresh real digit; well below 1:
    copies of training digits (the training set itself scores 0). Returns ``ratio``, both medians and
    ``generated`` (N,) distances.
    """
    train_images = _check_images(train_images)
    g = torch.Generator().manual_seed(seed)
    held_out = torch.randperm(len(train_images), generator=g)[:n_real]
    real = nearest_distances(train_images[held_out], train_images, exclude=held_out)
    generated = nearest_distances(images, train_images)
    real_median, generated_median = float(real.median()), float(generated.median())
    return {"ratio": generated_median / real_median, "generated_median": generated_median,
            "real_median": real_median, "generated": generated}


def mode_coverage(points: torch.Tensor, modes: torch.Tensor, sd: float, n_sd: float = 3.0) -> dict:
    """Modes covered and high-quality % of 2-D samples (N, 2) around ``modes`` (M, 2).

    A sample is high quality when it lies within ``n_sd`` sd of its nearest mode; a mode is
    covered when it is the nearest mode of at least one high-quality sample.
    """
    points = torch.as_tensor(points, dtype=torch.float32).detach().cpu()
    if points.dim() != 2 or points.shape[1] != 2:
        raise ValueError(f"expected 2-D points of shape (N, 2), got {tuple(points.shape)}")
    dist = torch.cdist(points, modes.float().cpu())  # (N, M)
    nearest_dist, nearest = dist.min(1)
    good = nearest_dist <= n_sd * sd
    per_mode = torch.bincount(nearest[good], minlength=len(modes))
    return {"modes_covered": int((per_mode > 0).sum()), "high_quality": float(good.float().mean() * 100),
            "per_mode": per_mode.tolist()}


@torch.no_grad()
def ring_points(generator: torch.nn.Module, n: int = N_RING_METRIC, seed: int = RING_METRIC_SEED) -> torch.Tensor:
    """``n`` samples (n, 2) of G, in eval mode and on the CPU, from a fixed-seed z: the points :func:`ring_metrics`
    measures."""
    device = next(generator.parameters()).device
    was_training = generator.training
    generator.eval()
    points = generator(fixed_noise(n, generator.latent_dim, seed).to(device)).cpu()  # (n, 2)
    generator.train(was_training)
    return points


def ring_metrics(generator: torch.nn.Module, ring: Ring | None = None, n: int = N_RING_METRIC,
                 seed: int = RING_METRIC_SEED) -> dict:
    """Modes covered and high-quality % of ``n`` samples of G from a fixed-seed z (see :func:`mode_coverage`)."""
    ring = ring or Ring()
    return mode_coverage(ring_points(generator, n, seed), ring.modes, ring.sd)
