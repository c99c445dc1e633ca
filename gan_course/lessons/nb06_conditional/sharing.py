r"""Notebook 06's question "why one c-GAN, not ten per-class GANs?", measured: does sharing weights pay?

One conditional GAN plays ``rounds`` rounds with batch B on all ten classes. Ten unconditional GANs, GAN c on
class c only, get the same total budget in one of two senses (:data:`ARMS`):

- ``same rounds, batch / 10``: each plays as many rounds as the c-GAN, on a tenth of its batch. Each makes as
  many updates as the c-GAN and sees as many digits of its class as the c-GAN sees of that class on average;
  the ten together put as many digits through their nets as the c-GAN (the same arithmetic; small batches take
  longer in wall-clock time). What is left is the shared weights.
- ``a tenth of the rounds``: each plays a tenth of the rounds with the c-GAN's batch: the same arithmetic and the
  same digits a class again, but a tenth of the c-GAN's updates (the comparison that mixes sharing up with
  "the c-GAN made more updates").

Every GAN has the ``cgan`` preset's recipe (the per-class ones without the label) and trains on the digits the
shipped classifier trained on, either all of them (:data:`REGIMES` "all") or :data:`FEW_SHOT` a class. Each is
scored per class on digits no GAN and no classifier saw: the Fréchet distance to the held-out real digits of
that class, and the share the classifier assigns to the class.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
import torch
from PIL import Image

from gan_course.classifier import N_TEST_PER_CLASS
from gan_course.lessons.nb06_conditional.conditional import class_subset, generate, label_accuracy, per_class_fd
from gan_course.config import GANConfig
from gan_course.data import N_CLASSES, Digits
from gan_course.metrics import classify
from gan_course.results import results_dir
from gan_course.seeding import fixed_noise
from gan_course.train import train

ROUNDS = 1000  # rounds of the c-GAN (and of each per-class GAN in the "same rounds" arm)
FEW_SHOT = 50  # digits a class in the few-shot regime
REGIMES = {"all": None, "few-shot": FEW_SHOT}  # digits a class: None = all the classifier's training digits
CGAN = "c-GAN"
ARMS = ("same rounds, batch / 10", "a tenth of the rounds")  # the ten per-class GANs
N_EVAL = 200  # generated digits a class, per GAN
N_KEPT = 6  # generated digits a class kept as pictures (seed 0 only)
EVAL_SEED = 10_000  # the evaluation noise of seed s is fixed_noise(..., EVAL_SEED + s)


def train_and_held_out(digits: Digits) -> tuple[Digits, Digits]:
    """The shipped classifier's split: its training digits (about 400 a class), and 100 a class no GAN sees."""
    return digits.split(N_TEST_PER_CLASS, seed=0)


def few_shot(digits: Digits, n_per_class: int, seed: int) -> Digits:
    """``n_per_class`` digits of each class, drawn with ``seed`` (10 n digits)."""
    g = torch.Generator().manual_seed(seed)
    keep = []
    for c in range(N_CLASSES):
        idx = torch.nonzero(digits.labels == c).flatten()
        if len(idx) < n_per_class:
            raise ValueError(f"class {c} has {len(idx)} digits, fewer than the {n_per_class} asked for")
        keep.append(idx[torch.randperm(len(idx), generator=g)[:n_per_class]])
    keep = torch.cat(keep)
    return Digits(digits.images[keep], digits.labels[keep], f"{digits.source}, {n_per_class} a class")


def class_seed(seed: int, label: int) -> int:
    """The seed of class ``label``'s GAN in run ``seed``: distinct for every (seed, class)."""
    return (seed * N_CLASSES + label + 1) % 2**63


def arm_settings(config: GANConfig, rounds: int) -> dict[str, tuple[int, int]]:
    """(rounds, batch size) of each per-class GAN in each arm: the same total compute as the c-GAN's."""
    return {ARMS[0]: (rounds, max(1, config.batch_size // N_CLASSES)),
            ARMS[1]: (max(1, rounds // N_CLASSES), config.batch_size)}


def train_per_class(config: GANConfig, data: Digits, rounds: int, batch_size: int, seed: int) -> tuple[list, float]:
    """Ten unconditional GANs with ``config``'s recipe, GAN c on class c only: (generators, training seconds)."""
    config = config.replace(conditional=False, batch_size=batch_size)
    generators, seconds = [], 0.0
    for c in range(N_CLASSES):
        run = train(config, class_subset(data, c), seed=class_seed(seed, c), steps=rounds, progress=False)
        generators.append(run.generator.cpu().eval())
        seconds += run.seconds
    return generators, seconds


@torch.no_grad()
def draw_per_class(generators: list, z: torch.Tensor) -> torch.Tensor:
    """GAN c's digits for noise z (n, latent_dim), class after class: (10 n, 1, 28, 28)."""
    return torch.cat([g(z).view(-1, 1, 28, 28) for g in generators])


def score(images: torch.Tensor, labels: torch.Tensor, held_out: Digits, held_feats: torch.Tensor) -> dict:
    """Per class (10,): FD to the held-out real digits of the class, and the share classified as the class."""
    judged = label_accuracy(images, labels)
    return {"fd": per_class_fd(judged["feats"], labels, held_feats, held_out.labels), "accuracy": judged["per_class"]}


PICTURES = "cgan-sharing"  # seed 0's pictures: results/cgan-sharing/REGIME_ARM.png beside the table


def picture_path(regime: str, arm: str, directory: str | Path | None = None) -> Path:
    """The PNG of seed 0's digits of one regime and arm (in ``directory``, default results/cgan-sharing/)."""
    slug = re.sub(r"[^A-Za-z0-9]+", "-", f"{regime} {arm}").strip("-")  # "few-shot-same-rounds-batch-10"
    return Path(directory if directory is not None else results_dir() / PICTURES) / f"{slug}.png"


def save_picture(images: torch.Tensor, path: str | Path) -> Path:
    """Digits (10 N_KEPT, 1, 28, 28) in [-1, 1], class after class, as one lossless 8-bit PNG: row c is class c."""
    pixels = ((images.clamp(-1, 1) + 1) * 127.5).round().to(torch.uint8)  # (10 N_KEPT, 1, 28, 28)
    grid = pixels.view(N_CLASSES, -1, 28, 28).permute(0, 2, 1, 3).reshape(N_CLASSES * 28, -1)  # (280, 28 N_KEPT)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(grid.numpy(), mode="L").save(path)
    return path


def load_picture(path: str | Path) -> torch.Tensor:
    """The inverse of :func:`save_picture`: digits (10 N_KEPT, 1, 28, 28) in [-1, 1], class after class."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no picture at {path}: the notebooks' results/ folder is missing or incomplete")
    grid = torch.from_numpy(np.array(Image.open(path).convert("L")))  # (280, 28 N_KEPT)
    tiles = grid.view(N_CLASSES, 28, -1, 28).permute(0, 2, 1, 3).reshape(-1, 1, 28, 28)
    return tiles.float() / 127.5 - 1


def compare(config: GANConfig, digits: Digits, seed: int, rounds: int | None = None,
            pictures: str | Path | None = None) -> dict[str, Any]:
    """One seed: ``{regime: {arm: {"fd", "accuracy": (10,), "seconds"}}}`` for the c-GAN and both arms.
    With ``pictures`` (a folder), seed 0 also writes N_KEPT digits a class of every GAN there, one PNG per regime
    and arm (:func:`picture_path`). ``rounds``: default :data:`ROUNDS`."""
    rounds = rounds or ROUNDS
    train_set, held_out = train_and_held_out(digits)
    held_feats = classify(held_out.images)[1]
    labels = torch.arange(N_CLASSES).repeat_interleave(N_EVAL)  # (10 N_EVAL,) class after class
    z = fixed_noise(N_EVAL, config.latent_dim, EVAL_SEED + seed)  # the same noise for every GAN
    kept = torch.cat([torch.arange(c * N_EVAL, c * N_EVAL + N_KEPT) for c in range(N_CLASSES)])
    figures: dict[str, Any] = {}
    for regime, n_per_class in REGIMES.items():
        data = train_set if n_per_class is None else few_shot(train_set, n_per_class, seed)
        run = train(config.replace(conditional=True), data, seed=seed, steps=rounds, progress=False)
        images = {CGAN: generate(run.generator.cpu().eval(), labels, z=z.repeat(N_CLASSES, 1))}
        seconds = {CGAN: run.seconds}
        for arm, (arm_rounds, batch) in arm_settings(config, rounds).items():
            generators, seconds[arm] = train_per_class(config, data, arm_rounds, batch, seed)
            images[arm] = draw_per_class(generators, z)
        figures[regime] = {arm: {**score(x, labels, held_out, held_feats), "seconds": seconds[arm]}
                           for arm, x in images.items()}
        if seed == 0 and pictures is not None:
            for arm, x in images.items():
                save_picture(x[kept], picture_path(regime, arm, pictures))
    return figures


def fingerprint(config: GANConfig) -> dict[str, Any]:
    """What the comparison's figures depend on: the recipe and the comparison's settings."""
    return {"config": config.to_dict(), "rounds": ROUNDS, "regimes": REGIMES, "arms": list(ARMS), "n_eval": N_EVAL,
            "held_out_per_class": N_TEST_PER_CLASS, "eval_seed": EVAL_SEED, "function": "sharing.compare"}


def summary_line(figures: dict) -> str:
    """One seed's mean per-class FD and classifier share of every GAN, in every regime."""
    parts = []
    for regime in REGIMES:
        cells = "  ".join(f"{arm} {np.mean(f['fd']):4.0f} / {np.mean(f['accuracy']):4.0%}"
                          for arm, f in figures[regime].items())
        parts.append(f"{regime}: FD / share {cells}")
    return " | ".join(parts)


def per_seed(record: dict, regime: str, arm: str, key: str = "fd") -> np.ndarray:
    """The figure ``key`` of one arm in one regime for every seed of a results record, (seeds, 10)."""
    return np.array([record["seeds"][s][regime][arm][key] for s in sorted(record["seeds"])])


def plot_comparison(record: dict, key: str = "fd", axes=None, ylabel: str = "FD to held-out digits of the class"):
    """Per class, the mean over seeds (bars) and each seed (dots) of ``key``, one panel per regime."""
    if axes is None:
        _, axes = plt.subplots(1, len(REGIMES), figsize=(11, 2.8), sharey=True)
    arms = [CGAN, *ARMS]
    width = 0.8 / len(arms)
    for ax, regime in zip(axes, REGIMES):
        for i, arm in enumerate(arms):
            values = per_seed(record, regime, arm, key)  # (seeds, 10)
            x = np.arange(N_CLASSES) + (i - (len(arms) - 1) / 2) * width
            ax.bar(x, values.mean(0), width, label=arm, color=f"C{i}", alpha=0.8)
            ax.plot(np.repeat(x[None], len(values), 0).ravel(), values.ravel(), "k.", ms=2)
        title = "all training digits" if REGIMES[regime] is None else f"{REGIMES[regime]} digits a class"
        ax.set_title(title, fontsize=10)
        ax.set_xticks(range(N_CLASSES))
        ax.set_xlabel("class")
    axes[0].set_ylabel(ylabel)
    axes[-1].legend(fontsize=7)
    plt.tight_layout()
    return axes
