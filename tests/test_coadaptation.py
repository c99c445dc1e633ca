"""Notebook 05 on MNIST: the border mask and energy, each step of the co-adaptation chain against its baseline."""

import numpy as np
import pytest
import torch

from tools.__main__ import main
from gan_course.lessons.nb05_coadaptation.mnist import (
    border_energy,
    border_gradient,
    border_mask,
    border_weights,
    evenly_lit_response,
    final_samples,
    mnist_chain,
    neighbour_pairs,
    noise_pair_correlation,
    pair_correlation,
    pixels_01,
    shifted_digits,
    shuffled_pairs,
    start_from_pixel_means,
    train_arm,
    weight_pair_correlation,
)
from gan_course.lessons.nb05_coadaptation.plots import plot_paired_seeds, plot_seed_ratios, show_border_map, show_unit_weights
from gan_course.data import load_mnist
from gan_course.experiments import get_preset
from gan_course.models import Discriminator, Generator
from helpers import assert_table_reproduced, study_fixture


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


def test_border_weights_are_the_first_layer_columns_of_the_masked_pixels(mask):
    discriminator = Discriminator(hidden=(8, 4))
    weights = border_weights(discriminator, mask)
    assert weights.shape == (8, int(mask.sum()))
    assert torch.equal(weights, discriminator.net[0].weight.detach()[:, mask.flatten()])


# ------------------------------------------------------------- the chain's measures and their baselines
def test_evenly_lit_response_of_plus_a_minus_a_pairs_is_zero():
    assert evenly_lit_response(torch.tensor([0.7, -0.7, 0.2, -0.2])).item() == pytest.approx(0.0, abs=1e-12)


def test_evenly_lit_response_of_equal_weights_is_the_number_of_pixels():
    assert evenly_lit_response(torch.full((1, 121), 0.3)).item() == pytest.approx(121.0)


def test_evenly_lit_response_of_random_sign_weights_is_one_on_average():
    rows = torch.randn(4000, 121, generator=torch.Generator().manual_seed(0))
    assert evenly_lit_response(rows).mean().item() == pytest.approx(1.0, abs=0.06)


def test_evenly_lit_response_of_an_untrained_discriminator_is_near_one(mask):
    torch.manual_seed(0)
    assert 0.8 < evenly_lit_response(border_weights(Discriminator(), mask)).mean().item() < 1.2


def test_neighbour_pairs_are_side_by_side_and_inside_the_mask(mask):
    pairs = neighbour_pairs(mask)
    where = mask.flatten().nonzero().flatten()[pairs]  # (n_pairs, 2) flat pixel indices
    rows, cols = where // 28, where % 28
    assert len(pairs) > 0
    assert torch.all((rows[:, 0] - rows[:, 1]).abs() + (cols[:, 0] - cols[:, 1]).abs() == 1)


def test_pair_correlation_of_cancelling_pairs_is_minus_one():
    rows = torch.randn(8, 10, generator=torch.Generator().manual_seed(0))
    rows[:, 1::2] = -rows[:, 0::2]
    pairs = torch.arange(10).view(5, 2)
    assert pair_correlation(rows, pairs) == pytest.approx(-1.0)


def test_shuffled_pairs_join_two_different_pixels():
    pairs = shuffled_pairs(7, 500)
    assert torch.all(pairs[:, 0] != pairs[:, 1]) and pairs.min() >= 0 and pairs.max() < 7


def test_weight_pair_correlation_of_random_weights_is_near_zero_for_neighbours_and_shuffled(mask):
    weights = torch.randn(256, int(mask.sum()), generator=torch.Generator().manual_seed(1))
    figures = weight_pair_correlation(weights, mask)
    assert abs(figures["neighbours"]) < 0.05 and abs(figures["shuffled"]) < 0.05


def noisy_borders(mask, shared: bool, n: int = 400):
    """Black images with border noise in [0, 0.2] (pixel scale): one level per image (shared) or per pixel."""
    g = torch.Generator().manual_seed(0)
    pixels = int(mask.sum())
    level = torch.rand(n, 1, generator=g).expand(n, pixels) if shared else torch.rand(n, pixels, generator=g)
    level = level + 0.01 * torch.rand(n, pixels, generator=g)  # every pixel varies a little on its own
    images = blank(n)
    images[:, 0][:, mask] = 0.2 * level * 2 - 1
    return images


def test_noise_pair_correlation_sees_a_border_that_brightens_as_one(mask):
    figures = noise_pair_correlation(noisy_borders(mask, shared=True), mask)
    assert figures["neighbours"] > 0.9 and figures["random_pairs"] > 0.9 and abs(figures["independent"]) < 0.1


def test_noise_pair_correlation_of_independent_pixels_is_near_zero(mask):
    figures = noise_pair_correlation(noisy_borders(mask, shared=False), mask)
    assert abs(figures["neighbours"]) < 0.05 and abs(figures["random_pairs"]) < 0.05


def linear_discriminator(weights: torch.Tensor) -> torch.nn.Module:
    """A D whose logit is weights . x: (784,) -> one logit."""
    net = torch.nn.Sequential(torch.nn.Linear(784, 1, bias=False))
    with torch.no_grad():
        net[0].weight.copy_(weights.view(1, 784))
    return torch.nn.Sequential(torch.nn.Flatten(), net, torch.nn.Flatten(0))


def test_border_gradient_is_twice_the_weight_on_the_0_1_pixel_scale(mask):
    weights = torch.randn(784, generator=torch.Generator().manual_seed(0))
    gradient = border_gradient(linear_discriminator(weights), blank(3), mask)
    assert torch.allclose(gradient, 2 * weights[mask.flatten()].expand(3, -1))


def test_border_gradient_leaves_the_discriminator_in_its_mode_and_trainable(mask):
    discriminator = Discriminator(hidden=(8,), input_dropout=0.2)
    discriminator.eval()
    border_gradient(discriminator, blank(2), mask, n_masks=3)
    assert not discriminator.training and all(p.requires_grad for p in discriminator.parameters())


def test_border_gradient_averaged_over_dropout_draws_differs_from_the_deployed_one(mask):
    torch.manual_seed(0)
    discriminator = Discriminator(hidden=(8,), input_dropout=0.5)
    images = torch.rand(2, 1, 28, 28) * 2 - 1
    assert not torch.allclose(border_gradient(discriminator, images, mask),
                              border_gradient(discriminator, images, mask, n_masks=4))


def test_shifted_digits_light_pixels_of_the_border(digits, mask):
    moved = shifted_digits(digits, 4, seed=0)
    assert moved.images.shape == digits.images.shape
    assert (moved.images[:, 0][:, mask] > -1).any()


def test_final_samples_are_the_same_for_the_same_seed_and_within_range():
    generator = torch.nn.Sequential(torch.nn.Linear(5, 784), torch.nn.Tanh())
    a, b = final_samples(generator, 5, 10), final_samples(generator, 5, 10)
    assert a.shape == (10, 1, 28, 28) and torch.equal(a, b) and a.abs().max() <= 1


def test_seed_ratio_plot_titles_the_median_and_the_range_of_the_seeds():
    ax = plot_seed_ratios([0.2, 0.5, 0.6, 0.9], live=1.4)
    assert ax.get_title() == "median 0.55; single seeds 0.20-0.90" and ax.get_ylim()[1] >= 1.4


def test_paired_seed_plot_draws_one_line_per_seed():
    ax = plot_paired_seeds([0.1, 0.2, 0.3], [0.2, 0.2, 0.1], "border energy")
    assert len(ax.get_lines()) == 3


def test_paired_seed_plot_rejects_unpaired_values():
    with pytest.raises(ValueError, match="one value per seed"):
        plot_paired_seeds([0.1], [0.2, 0.3], "border energy")


def test_pixels_on_the_0_1_scale_are_x_plus_one_over_two():
    assert pixels_01(torch.tensor([[-1.0, 0.0, 1.0] + [0.0] * 781])).tolist()[0][:3] == [0.0, 0.5, 1.0]


def test_a_generator_started_from_pixel_means_draws_a_black_border(digits, mask):
    torch.manual_seed(0)
    generator = Generator(8, (16,))
    start_from_pixel_means(generator, digits.images)
    assert border_energy(final_samples(generator, 8, 50), mask) < 1e-6


def test_starting_from_pixel_means_changes_only_the_output_biases():
    torch.manual_seed(0)
    generator = Generator(8, (16,))
    before = {k: v.clone() for k, v in generator.state_dict().items()}
    start_from_pixel_means(generator, torch.rand(10, 784) * 2 - 1)
    changed = [k for k, v in generator.state_dict().items() if not torch.equal(v, before[k])]
    assert changed == ["net.2.bias"]


def test_a_black_start_run_keeps_a_black_border(digits, mask):
    run = train_arm(get_preset("dropout").config.replace(steps=2), digits, 0, black_start=True)
    assert border_energy(final_samples(run.generator, 100, 50), mask) < 1e-4


def test_the_chain_of_one_seed_measures_every_arm_against_the_untrained_discriminator(digits, mask):
    figures = mnist_chain(get_preset("dropout").config.replace(steps=2), digits, 0, mask)
    for arm in ("dropout", "control", "shifted"):
        assert {f"{arm}_{k}" for k in ("border_energy", "evenly_lit", "noise_corr", "grad_evenly_lit")} <= set(figures)
    assert figures["ratio"] == pytest.approx(figures["dropout_border_energy"] / figures["control_border_energy"])
    assert 0.5 < figures["untrained_evenly_lit"] < 1.5


def test_border_map_and_unit_weights_draw_only_the_border(mask):
    image = show_border_map(blank(3), mask)
    shown = np.ma.filled(image.get_array(), np.nan)
    assert np.isnan(shown[14, 14]) and shown[0, 0] == 0.0
    assert len(show_unit_weights(Discriminator(hidden=(8,)), mask, [0, 3])) == 2


def test_seeds_command_prints_the_chain_of_the_coadaptation_study(capsys):
    assert main(["seeds", "coadaptation-mnist", "--seeds", "0", "--steps", "2"]) == 0
    out = capsys.readouterr().out
    assert "with /" in out and "ratio" in out and "evenly lit" in out and "shifted digits" in out


study = study_fixture("coadaptation-mnist", tuple(range(10)), check=0)


@pytest.mark.slow
def test_the_coadaptation_mnist_table_is_fresh(study):
    assert_table_reproduced(study)


@pytest.mark.slow
def test_on_mnist_input_dropout_lowers_final_border_energy_modestly_and_d_learns_detectors_not_pairs(study):
    """The `dropout` preset over seeds 0-9, on the final generator (2,000 samples from fixed noise): what notebook 05
    reads from notebooks/results/coadaptation-mnist.json, with seed 0 trained again on the machine that runs the test.

    The claim is the effect's size, which one retrained seed cannot move far: the median ratio with / without input
    dropout (0.57 on the table, 0.63 on an Intel Xeon, where seed 0 alone gave 1.37), and the border already low
    without dropout (0.012-0.043, against 0.496 for the untrained G). Single seeds spread widely (0.38-0.96 on the
    table), so no count of seeds below 1 is claimed. The slide's mechanism is not what happens: D's border weights
    lean to one sign, D's gradient is largest on an evenly lit border, and G's noise is as correlated on random pairs
    as on neighbours.
    """
    rows = list(study.rows.values())
    ratios = np.array([r["ratio"] for r in rows])
    control = np.array([r["control_border_energy"] for r in rows])
    detail = f"final-generator ratios per seed: {np.round(ratios, 2).tolist()}"
    assert 0.35 <= float(np.median(ratios)) <= 0.85, detail
    assert control.max() < 0.1, f"control border energies {np.round(control, 3).tolist()}"
    assert all(0.75 < r["untrained_evenly_lit"] < 1.3 for r in rows)
    assert all(r[f"{arm}_evenly_lit"] > 3 for r in rows for arm in ("control", "dropout", "shifted"))
    assert all(r[f"{arm}_grad_evenly_lit"] > 20 and r[f"{arm}_grad_mean"] < 0 for r in rows for arm in ("control", "dropout"))
    assert all(abs(r[f"{arm}_noise_corr"] - r[f"{arm}_noise_corr_random"]) < 0.05 for r in rows
               for arm in ("control", "dropout"))
