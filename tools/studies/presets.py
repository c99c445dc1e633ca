"""Every MNIST preset as a study: train it, measure what its notebook asserts (FD and the largest class; label
accuracy and FD for the c-GAN)."""

from __future__ import annotations

import numpy as np
import torch

from gan_course.lessons.nb06_conditional.conditional import d_score_matrix, diagonal_dominance, generate, label_accuracy
from gan_course.data import N_CLASSES, Digits, load_dataset
from gan_course.experiments import PRESETS, get_preset
from gan_course.metrics import digit_fd, digit_quality, generated_digits
from tools.studies import Study
from gan_course.train import TrainResult, train


def _measure_preset(name: str, seed: int, steps: int | None = None) -> dict:
    """Train preset ``name`` with ``seed``; the figures its notebook asserts, and the training seconds."""
    config = get_preset(name).config
    data = load_dataset(config.dataset, verbose=False)
    return preset_figures(train(config, data, seed=seed, steps=steps, progress=False), data, seed)


def preset_figures(run: TrainResult, data: Digits, seed: int) -> dict:
    """A trained MNIST preset's figures. The c-GAN: label accuracy (overall and per class) and FD on 100 digits
    of each class, and how much D's score on real digits prefers their true label; others: FD and the largest
    class on 2,000 samples."""
    config = run.config
    figures: dict = {"seconds": run.seconds, "steps": int(run.history["step"][-1])}
    if config.conditional:
        labels = torch.arange(100 * N_CLASSES) % N_CLASSES  # 100 of each class
        images = generate(run.generator, labels, seed=1000 + seed)
        hit = label_accuracy(images, labels)
        dominance = diagonal_dominance(d_score_matrix(run.discriminator, data))
        figures.update(label_accuracy=hit["overall"], per_class=hit["per_class"], fd=digit_fd(images),
                       d_diagonal_mean=dominance["diagonal_mean"], d_off_diagonal_mean=dominance["off_diagonal_mean"])
    else:
        q = digit_quality(generated_digits(run.generator, 2000, config.latent_dim, seed=0))
        figures.update(fd=q["fd"], largest_class=int(np.argmax(q["class_hist"])), largest_share=q["max_class_share"])
    return figures


def line_head(f: dict) -> str:
    """The start of every trained run's line: its rounds and training seconds."""
    return f"{f['steps']:5d} steps {f['seconds']:6.1f} s  "


def _preset_line(f: dict) -> str:
    if "label_accuracy" in f:
        return line_head(f) + f"label accuracy {f['label_accuracy']:6.1%}  FD {f['fd']:6.1f}"
    return line_head(f) + f"FD {f['fd']:6.1f}  largest class {f['largest_class']} at {f['largest_share']:5.1%}"


def preset_study(name: str) -> Study:
    """The study of one preset: train it, measure what its notebook asserts."""
    preset = get_preset(name)
    return Study(name, preset.notebook, preset.description,
                 lambda seed, steps: _measure_preset(name, seed, steps),
                 lambda: {"config": get_preset(name).config.to_dict()}, _preset_line)


# The ring presets are measured in full, with where their samples lie, by notebook 04's module (nb04).
STUDIES = [preset_study(name) for name, preset in PRESETS.items() if preset.config.dataset != "ring"]
