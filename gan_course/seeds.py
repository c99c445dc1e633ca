"""``python -m gan_course seeds NAME ... --seeds 0-9``: does a preset's claim hold on every seed?

Trains each preset once per seed, one run at a time, and prints one line per run with the figure
its notebook asserts: modes covered and high-quality % on the ring (notebook 04), label accuracy
and Frechet distance for the c-GAN (notebook 06), and for the unconditional MNIST presets the
Frechet distance and the share of the largest class. The slow tests assert the same figures.
"""

from __future__ import annotations

import time

import numpy as np
import torch


def parse_seeds(text: str) -> list[int]:
    """'0-9' or '0,3,5' or '4' -> a list of seeds."""
    try:
        seeds: list[int] = []
        for part in text.split(","):
            lo, _, hi = part.strip().partition("-")
            seeds += list(range(int(lo), int(hi) + 1)) if hi else [int(lo)]
    except ValueError:
        raise ValueError(f"--seeds must look like 0-9 or 0,3,5, got {text!r}") from None
    if not seeds:
        raise ValueError(f"--seeds names no seed: {text!r}")
    return seeds


def measure(name: str, seed: int, steps: int | None = None) -> dict:
    """Train preset ``name`` with ``seed``; the figures its notebook asserts, and the training seconds."""
    from gan_course.data import load_dataset
    from gan_course.experiments import get_preset
    from gan_course.train import train

    config = get_preset(name).config
    data = load_dataset(config.dataset, verbose=False)
    run = train(config, data, seed=seed, steps=steps, progress=False)
    figures: dict = {"seconds": run.seconds, "steps": int(run.history["step"][-1])}
    if config.dataset == "ring":
        from gan_course.ganlab import ring_metrics

        m = ring_metrics(run.generator, data)
        figures.update(modes=m["modes_covered"], high_quality=m["high_quality"])
    elif config.conditional:
        from gan_course.conditional import generate, label_accuracy
        from gan_course.metrics import digit_fd

        labels = torch.arange(1000) % 10  # 100 of each class
        images = generate(run.generator, labels, seed=1000 + seed)
        figures.update(label_accuracy=label_accuracy(images, labels)["overall"], fd=digit_fd(images))
    else:
        from gan_course.metrics import digit_quality, generated_digits

        q = digit_quality(generated_digits(run.generator, 2000, config.latent_dim, seed=0))
        figures.update(fd=q["fd"], largest_class=int(np.argmax(q["class_hist"])), largest_share=q["max_class_share"])
    return figures


def _line(name: str, seed: int, f: dict) -> str:
    head = f"{name:<20s} seed {seed:2d}  {f['steps']:5d} steps {f['seconds']:6.1f} s  "
    if "modes" in f:
        return head + f"modes {f['modes']}/8  high-quality {f['high_quality']:5.1f}%"
    if "label_accuracy" in f:
        return head + f"label accuracy {f['label_accuracy']:6.1%}  FD {f['fd']:6.1f}"
    return head + f"FD {f['fd']:6.1f}  largest class {f['largest_class']} at {f['largest_share']:5.1%}"


def run_seeds(names: list[str], seeds: list[int], steps: int | None = None) -> int:
    """Print one line per (preset, seed)."""
    from gan_course.experiments import get_preset

    for name in names:
        get_preset(name)  # an unknown name fails before any training
    start = time.perf_counter()
    for name in names:
        for seed in seeds:
            print(_line(name, seed, measure(name, seed, steps)), flush=True)
    print(f"{len(names) * len(seeds)} runs in {time.perf_counter() - start:.0f} s")
    return 0
