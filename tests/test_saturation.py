"""Notebook 03's claims: the curves' gradients, and the measured effect across seeds."""

import pytest
import torch

from gan_course.data import load_mnist
from gan_course.experiments import get_preset
from gan_course.losses import loss_curves
from gan_course.saturation import LossCurveWidget, compare_losses, early_values, strong_d_config


def test_gradients_on_the_logit_are_minus_d_and_minus_one_minus_d():
    p = torch.tensor([0.01, 0.3, 0.9], dtype=torch.float64)
    curves = loss_curves(p)
    assert torch.allclose(curves["saturating"]["d_logit"], -p)
    assert torch.allclose(curves["non_saturating"]["d_logit"], -(1 - p))


def test_gradients_on_d_are_minus_one_over_one_minus_d_and_minus_one_over_d():
    p = torch.tensor([0.05, 0.5], dtype=torch.float64)
    curves = loss_curves(p)
    assert torch.allclose(curves["saturating"]["d_p"], -1 / (1 - p))
    assert torch.allclose(curves["non_saturating"]["d_p"], -1 / p)


def test_loss_curves_reject_probabilities_outside_0_1():
    with pytest.raises(ValueError, match="strictly between 0 and 1"):
        loss_curves(torch.tensor([0.0, 0.5]))


def test_the_slider_shows_the_numbers_at_the_chosen_point():
    widget = LossCurveWidget(value=0.05)
    widget.slider.value = 0.8
    numbers = widget.shown["saturating"]
    assert numbers["d_logit"] == pytest.approx(-0.8)
    assert "0.80" in widget.table.value


def test_early_values_names_an_empty_window():
    with pytest.raises(ValueError, match="no logged steps"):
        early_values({"step": [1, 2], "g_grad_norm": [1.0, 2.0]}, "g_grad_norm", (10, 20))


def test_the_saturating_preset_differs_from_vanilla_only_in_the_loss():
    assert get_preset("saturating").config == get_preset("vanilla").config.replace(loss="saturating")


@pytest.mark.slow
@pytest.mark.parametrize("seed", range(5))
def test_non_saturating_gets_10x_the_gradient_and_better_samples(seed):
    result = compare_losses(strong_d_config(), load_mnist(verbose=False), seed=seed, steps=1000, progress=False)
    assert result.grad_ratio >= 10, f"seed {seed}: median ratio {result.grad_ratio:.1f}"
    assert result.fd_non_saturating < result.fd_saturating, (
        f"seed {seed}: FD {result.fd_non_saturating:.0f} vs {result.fd_saturating:.0f}")


def test_notebook_03_presets_differ_only_in_the_loss_and_are_the_strong_d_setting():
    strong = get_preset("strong-d").config
    assert get_preset("strong-d-saturating").config == strong.replace(loss="saturating")
    assert strong == get_preset("vanilla").config.replace(d_steps=2, d_dropout=0.0, lr_d=2e-4, lr_g=2e-4, steps=1000,
                                                          log_every=1)
    assert strong_d_config() == strong
