"""A small MNIST classifier, independent of any GAN, used to judge generated digits.

Its weights ship with the package (``assets/classifier.pt``); ``python -m
gan_course.classifier`` retrains them from the shipped digits, deterministically.
"""

from __future__ import annotations

import sys
from functools import lru_cache
from pathlib import Path

import torch
from torch import nn
import torch.nn.functional as F
from tqdm.auto import tqdm

from gan_course.data import load_mnist

WEIGHTS = Path(__file__).parent / "assets" / "classifier.pt"
N_TEST_PER_CLASS = 100  # held-out real digits per class, never trained on


class Classifier(nn.Module):
    """CNN: images (B, 1, 28, 28) in [-1, 1] -> class logits (B, 10); ``features`` gives (B, 128)."""

    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Sequential(
            nn.Conv2d(1, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),  # (B, 32, 14, 14)
            nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),  # (B, 64, 7, 7)
        )
        self.fc = nn.Linear(64 * 7 * 7, 128)
        self.head = nn.Linear(128, 10)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        x = x.reshape(-1, 1, 28, 28)
        return F.relu(self.fc(self.conv(x).flatten(1)))  # (B, 128)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(x))  # (B, 10)


def _shift(x: torch.Tensor, g: torch.Generator, max_shift: int = 2) -> torch.Tensor:
    """Random translation by up to ``max_shift`` pixels (background is -1)."""
    padded = F.pad(x, [max_shift] * 4, value=-1.0)
    dx, dy = torch.randint(0, 2 * max_shift + 1, (2,), generator=g).tolist()
    return padded[:, :, dy:dy + 28, dx:dx + 28]


def train_classifier(images: torch.Tensor, labels: torch.Tensor, epochs: int = 12, seed: int = 0,
                     progress: bool = True) -> Classifier:
    """Train the CNN on images (N, 1, 28, 28) in [-1, 1] with small random shifts."""
    torch.manual_seed(seed)
    g = torch.Generator().manual_seed(seed)
    model = Classifier()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=3e-3, total_steps=epochs * ((len(labels) + 63) // 64))
    for _ in tqdm(range(epochs), desc="classifier", disable=not progress):
        order = torch.randperm(len(labels), generator=g)
        for i in range(0, len(labels), 64):
            idx = order[i:i + 64]
            loss = F.cross_entropy(model(_shift(images[idx], g)), labels[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
    return model.eval()


@torch.no_grad()
def accuracy(model: Classifier, images: torch.Tensor, labels: torch.Tensor) -> float:
    """Share of ``images`` the classifier labels correctly."""
    return float((model(images).argmax(1) == labels).float().mean())


@lru_cache(maxsize=1)
def load_classifier() -> Classifier:
    """The shipped classifier (CPU, eval mode). Loaded with ``weights_only=True``."""
    model = Classifier()
    try:
        state = torch.load(WEIGHTS, map_location="cpu", weights_only=True)
        model.load_state_dict(state)
    except Exception as err:
        raise RuntimeError(
            f"the classifier weights at {WEIGHTS} are missing or corrupt ({err}); "
            "rebuild them with `python -m gan_course.classifier`"
        ) from err
    return model.eval()


def main() -> int:
    """Retrain the shipped classifier on the offline digits and report held-out accuracy."""
    digits = load_mnist(offline=True)
    train_set, test_set = digits.split(N_TEST_PER_CLASS, seed=0)
    torch.set_num_threads(max(1, torch.get_num_threads()))
    model = train_classifier(train_set.images, train_set.labels)
    acc = accuracy(model, test_set.images, test_set.labels)
    print(f"held-out accuracy on {len(test_set)} real digits: {acc:.2%}")
    WEIGHTS.parent.mkdir(parents=True, exist_ok=True)
    torch.save(model.state_dict(), WEIGHTS)
    print(f"saved {WEIGHTS}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
