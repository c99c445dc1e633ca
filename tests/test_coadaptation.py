"""Notebook 05's measures: the border mask, border energy, cancelling weights, the dropout slider."""

import pytest
import torch

from gan_course.coadaptation import (
    DropoutRateWidget,
    border_energy,
    border_mask,
    border_weights,
    cancellation,
    late_border_energy,
)
from gan_course.data import load_mnist
from gan_course.models import Discriminator
from gan_course.widgets import PROBE


@pytest.fixture(scope="module")
def digits():
    return load_mnist(verbose=False)


@pytest.fixture(scope="module")
def mask(digits):
    return border_mask(digits.images)


def blank(n: int = 4) -> torch.Tensor:
    return -torch.ones(n, 1, 28, 28)  # black images on the [-1, 1] scale


def test_border_mask_is_black_in_every_real_digit(digits, mask):
    assert mask.shape == (28, 28) and mask.sum() > 0
    assert torch.all(digits.images[:, 0][:, mask] == -1)


def test_border_mask_leaves_out_a_pixel_lit_in_a_single_image():
    images = blank()
    images[2, 0, 0, 5] = -0.9
    mask = border_mask(images)
    assert not mask[0, 5] and int(mask.sum()) == 783


def test_border_mask_lies_in_the_frame_around_the_digits(mask):
    assert not mask[4:24, 4:24].any()


def test_border_energy_is_the_mean_border_pixel_on_the_0_1_scale(mask):
    images = blank(100)
    noise = torch.rand(100, int(mask.sum()))  # [0, 1] scale
    images[:, 0][:, mask] = noise * 2 - 1
    assert border_energy(images, mask) == pytest.approx(float(noise.mean()), abs=1e-6)


def test_border_energy_ignores_the_interior(mask):
    images = blank()
    images[:, 0, 10:18, 10:18] = 1.0
    assert border_energy(images, mask) == 0.0


def test_border_energy_of_a_mid_gray_border_is_one_half(mask):
    assert border_energy(torch.zeros(3, 784), mask) == pytest.approx(0.5)


def test_border_energy_rejects_a_mask_of_the_wrong_size():
    with pytest.raises(ValueError, match="mask must select"):
        border_energy(blank(), torch.ones(27, 27, dtype=torch.bool))


def test_late_border_energy_averages_the_second_half_of_the_snapshots(mask):
    gray, black = torch.zeros(2, 1, 28, 28), blank(2)
    snapshots = [{"step": s, "samples": x} for s, x in [(0, gray), (100, gray), (200, black), (300, gray)]]
    assert late_border_energy(snapshots, mask) == pytest.approx(0.25)  # mean of 0.0 (step 200) and 0.5 (step 300)


def test_cancellation_of_paired_plus_a_minus_a_weights_is_one():
    assert cancellation(torch.tensor([0.3, -0.3, 1.2, -1.2])).item() == pytest.approx(1.0)


def test_cancellation_of_same_sign_weights_is_zero():
    assert cancellation(torch.tensor([0.1, 0.4, 2.0])).item() == pytest.approx(0.0)


def test_cancellation_is_the_share_of_absolute_weight_that_cancels():
    rows = torch.tensor([[3.0, -1.0], [0.0, 0.0]])
    assert cancellation(rows).tolist() == pytest.approx([0.5, 0.0])  # 1 - |3 - 1| / (3 + 1); an all-zero row: 0


def test_border_weights_are_the_first_layer_columns_of_the_masked_pixels(mask):
    discriminator = Discriminator(hidden=(8, 4))
    weights = border_weights(discriminator, mask)
    assert weights.shape == (8, int(mask.sum()))
    assert torch.equal(weights, discriminator.net[0].weight.detach()[:, mask.flatten()])


def make_sweep(mask):
    gray, black = torch.zeros(4, 1, 28, 28), blank(4)
    return {0.0: {"samples": gray, "late_samples": gray, "border_energy": border_energy(gray, mask)},
            0.2: {"samples": black, "late_samples": black, "border_energy": border_energy(black, mask)}}


def test_dropout_slider_shows_the_run_of_the_chosen_rate(mask):
    widget = DropoutRateWidget(make_sweep(mask), mask)
    assert widget.shown["border_energy"] == pytest.approx(0.5)
    widget.slider.value = 0.2
    assert widget.shown["border_energy"] == 0.0
    assert PROBE in widget.slider._dom_classes


def test_dropout_slider_rejects_a_rate_that_was_not_trained(mask):
    widget = DropoutRateWidget(make_sweep(mask), mask)
    with pytest.raises(ValueError, match="no run with input dropout 0.5"):
        widget.show(0.5)


@pytest.mark.slow
def test_input_dropout_halves_late_border_energy_on_average_over_10_seeds(digits, mask):
    """Notebook 05's claims, seeds 0-9: lower in every seed, <= 0.65x in at least 8, halved on average."""
    from gan_course.experiments import get_preset
    from gan_course.train import train

    config = get_preset("dropout").config
    assert config.input_dropout == 0.2
    energies = [[late_border_energy(train(config.replace(input_dropout=rate), digits, seed=seed, progress=False,
                                          device="cpu").snapshots, mask) for rate in (0.2, 0.0)]
                for seed in range(10)]
    ratios = [with_dropout / without for with_dropout, without in energies]
    detail = f"with / without input dropout, per seed: {[round(r, 2) for r in ratios]}"
    assert all(r < 1 for r in ratios), detail
    assert sum(r <= 0.65 for r in ratios) >= 8, detail
    mean_with, mean_without = (sum(e[i] for e in energies) / len(energies) for i in (0, 1))
    assert mean_with / mean_without <= 0.55, f"mean {mean_with:.4f} vs {mean_without:.4f}; {detail}"
