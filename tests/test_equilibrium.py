"""Notebook 02's equilibrium: the optimal D for a fixed G on a 1-D toy, derived and measured."""

import math

import pytest
import torch

from gan_course.lessons.nb02_vanilla.equilibrium import (DATA, FIXED_G, GRID, Mixture, f_acc_exact, optimal_accuracy,
                                    optimal_discriminator, optimal_value, train_to_convergence)

NARROW = Mixture((0.0,), (0.5,))
FAR = Mixture((30.0,), (0.5,))  # no overlap with NARROW on the grid's scale


def test_optimal_d_is_the_data_density_over_the_sum_of_both():
    x = torch.tensor([-1.5, 0.0, 1.5], dtype=torch.float64)
    expected = DATA.pdf(x) / (DATA.pdf(x) + FIXED_G.pdf(x))
    assert torch.allclose(optimal_discriminator(DATA, FIXED_G, x), expected)


def test_optimal_d_is_one_half_everywhere_when_g_draws_from_the_data():
    assert torch.allclose(optimal_discriminator(DATA, DATA), torch.full_like(GRID, 0.5))


def test_no_d_beats_d_star():
    d_star = optimal_discriminator(DATA, FIXED_G)
    for other in (torch.full_like(GRID, 0.5), (d_star + 0.05).clamp(0, 1), d_star.sqrt()):
        assert f_acc_exact(other, DATA, FIXED_G) < f_acc_exact(d_star, DATA, FIXED_G)


def test_the_best_value_is_minus_log_4_when_g_draws_from_the_data():
    assert optimal_value(DATA, DATA) == pytest.approx(-math.log(4), abs=1e-6)


def test_the_best_value_is_minus_log_4_plus_twice_the_jensen_shannon_divergence():
    p, q = DATA.pdf(GRID), FIXED_G.pdf(GRID)
    m = (p + q) / 2
    jsd = 0.5 * float(torch.trapezoid(p * (p / m).log(), GRID) + torch.trapezoid(q * (q / m).log(), GRID))
    assert optimal_value(DATA, FIXED_G) == pytest.approx(-math.log(4) + 2 * jsd, abs=1e-5)


def test_the_best_accuracy_is_one_half_for_equal_densities_and_one_for_disjoint_ones():
    assert optimal_accuracy(DATA, DATA) == pytest.approx(0.5, abs=1e-6)
    assert optimal_accuracy(NARROW, Mixture((3.5,), (0.05,))) == pytest.approx(1.0, abs=1e-3)


def test_mixture_samples_follow_its_density():
    x = DATA.sample(40_000, torch.Generator().manual_seed(0)).squeeze(1)
    assert float(x.mean()) == pytest.approx(0.0, abs=0.03)
    assert float(x.var()) == pytest.approx(1.5 ** 2 + 0.5 ** 2, rel=0.03)  # between-mode + within-mode variance


def test_training_the_toy_leaves_the_thread_count_as_it_was():
    before = torch.get_num_threads()
    train_to_convergence(DATA, FIXED_G, steps=3)
    assert torch.get_num_threads() == before


@pytest.mark.parametrize("seed", [0] + [pytest.param(s, marks=pytest.mark.slow) for s in range(1, 10)])
def test_a_d_trained_against_a_fixed_g_converges_to_d_star(seed):
    fit = train_to_convergence(DATA, FIXED_G, seed=seed)
    assert fit.max_gap() < 0.15, f"seed {seed}"
    assert optimal_value(DATA, FIXED_G) - fit.value() < 0.01, f"seed {seed}"


@pytest.mark.parametrize("seed", [0] + [pytest.param(s, marks=pytest.mark.slow) for s in range(1, 10)])
def test_a_d_trained_against_g_equal_to_the_data_says_one_half(seed):
    fit = train_to_convergence(DATA, DATA, seed=seed)
    assert fit.max_gap() < 0.02, f"seed {seed}"
    assert fit.value() == pytest.approx(-math.log(4), abs=0.002)
