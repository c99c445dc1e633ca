"""Notebook 03's claims: the curves' gradients, the slide's chain on fakes, and the measured effects across seeds."""

import pytest
import torch

from gan_course.config import GANConfig
from gan_course.data import load_mnist
from gan_course.experiments import get_preset
from gan_course.losses import loss_curves
from gan_course.lessons.nb03_saturation import (CHECKPOINT_NAMES, LossCurveWidget, chain_on_fakes, compare_losses,
                                   differs_from_package, early_values, head_start, play_from, strong_d_config)
from gan_course.train import new_state, train
from helpers import assert_table_reproduced, study_fixtures

TINY = GANConfig(g_hidden=(32,), d_hidden=(32,), batch_size=16, log_every=1, snapshot_every=5, n_snapshot=8)


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


def test_against_d_the_saturating_loss_is_nowhere_flatter_than_slope_minus_one():
    curves = loss_curves(torch.linspace(0.002, 0.998, 499, dtype=torch.float64))
    assert bool((curves["saturating"]["d_p"] <= -1).all())


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


def test_the_chain_on_one_fake_multiplies_out_as_the_slide_writes_it():
    state = new_state(TINY, 784, seed=3)
    c = chain_on_fakes(state.generator, state.discriminator, n=1)
    assert c["dD_dx"] == pytest.approx(c["sigmoid_slope"] * c["dl_dx"], rel=1e-4)
    assert c["saturating"] == pytest.approx(c["dD_dx"] / (1 - c["d"]), rel=1e-4)
    assert c["non_saturating"] == pytest.approx(c["dD_dx"] / c["d"], rel=1e-4)
    assert c["ratio"] == pytest.approx((1 - c["d"]) / c["d"], rel=1e-4)


def test_a_head_start_trains_d_and_leaves_the_initial_g_of_that_seed():
    digits = load_mnist(verbose=False)
    fresh, started = new_state(TINY, 784, seed=2), head_start(TINY, digits, seed=2, head_start_steps=3)
    assert all(torch.equal(a, b) for a, b in zip(fresh.generator.parameters(), started.generator.parameters()))
    assert not all(torch.equal(a, b) for a, b in zip(fresh.discriminator.parameters(), started.discriminator.parameters()))


def test_compare_losses_uses_the_loss_it_is_given():
    calls = []

    def g_loss(fake_logits, loss):
        calls.append(loss)
        return -torch.nn.functional.logsigmoid(fake_logits).mean()

    compare_losses(TINY, load_mnist(verbose=False), steps=2, window=(1, 2), progress=False, g_loss=g_loss)
    assert set(calls) == {"saturating", "non_saturating"}


def _cell_loss(fake_logits, loss):  # notebook 03's g_loss cell
    if loss == "saturating":
        return torch.nn.functional.logsigmoid(-fake_logits).mean()
    return -torch.nn.functional.logsigmoid(fake_logits).mean()


def _unstable_loss(fake_logits, loss):  # the same maths, without the logits form: -inf where D is sure
    if loss == "saturating":
        return torch.log(1 - torch.sigmoid(fake_logits)).mean()
    return -torch.nn.functional.logsigmoid(fake_logits).mean()


def test_the_notebooks_g_loss_is_the_packages_and_other_losses_are_named():
    assert differs_from_package(_cell_loss) is None
    assert "saturating loss is -inf" in differs_from_package(_unstable_loss)
    assert "non_saturating loss is" in differs_from_package(lambda logits, loss: logits.mean())


def test_the_gradient_counts_too():
    def same_value_other_gradient(fake_logits, loss):
        value = _cell_loss(fake_logits, loss)
        return value + 1e-3 * (fake_logits - fake_logits.detach()).sum()  # adds 0 to the value, not to the gradient

    assert "another gradient" in differs_from_package(same_value_other_gradient)


def test_a_g_loss_that_differs_from_the_packages_trains_live_and_says_why(tmp_path, monkeypatch, capsys):
    from gan_course.checkpoints import save_run

    digits = load_mnist(verbose=False)
    monkeypatch.setenv("GAN_COURSE_CHECKPOINTS", str(tmp_path))
    for loss, name in CHECKPOINT_NAMES.items():
        save_run(train(TINY.replace(loss=loss, log_every=1, steps=4), digits, seed=0, progress=False), tmp_path / name)
    compare_losses(TINY, digits, steps=4, window=(1, 4), progress=False, pretrained=True, g_loss=_cell_loss)
    assert capsys.readouterr().out.count("Using the pre-trained run in") == 2
    result = compare_losses(TINY, digits, steps=4, window=(1, 4), progress=False, pretrained=True, g_loss=_unstable_loss)
    out = capsys.readouterr().out
    assert "this g_loss differs (its saturating loss is -inf" in out and "Training live with it" in out
    assert "Using the pre-trained" not in out and result.saturating.history["step"][-1] == 4


def test_the_saturating_preset_is_vanilla_with_the_saturating_loss_and_equal_lrs():
    vanilla = get_preset("vanilla").config
    assert get_preset("saturating").config == vanilla.replace(loss="saturating", lr_g=vanilla.lr_d)


def test_notebook_03_presets_differ_only_in_the_loss_and_are_the_strong_d_setting():
    strong = get_preset("strong-d").config
    assert get_preset("strong-d-saturating").config == strong.replace(loss="saturating")
    assert strong == get_preset("vanilla").config.replace(d_steps=2, d_dropout=0.0, lr_d=2e-4, lr_g=2e-4, steps=1000,
                                                          log_every=1)
    assert strong_d_config() == strong


# --- the claims, on every seed (each seed trains 1,000 rounds twice and plays twice after the head start) ---
# Read from notebooks/results/saturation.json, which notebook 03's instructor section renders, once training seed 1
# again gives its row to six significant digits (otherwise every seed is trained here, and the first test says why).
study, figures = study_fixtures("saturation", tuple(range(5)), check=1)


@pytest.mark.slow
def test_the_saturation_table_is_what_training_gives_now(study):
    assert_table_reproduced(study)


@pytest.mark.slow
def test_after_the_head_start_d_wins_on_the_fakes(figures):
    seed, f = figures
    assert f["chain"]["d"] < 0.01, f"seed {seed}: median D(G(z)) {f['chain']['d']:.4f}"


@pytest.mark.slow
def test_the_head_start_makes_d_s_logit_steeper_and_its_output_flatter(figures):
    seed, f = figures
    before, after = f["chain_before"], f["chain"]
    assert after["dl_dx"] > before["dl_dx"], f"seed {seed}: |dl/dx| {before['dl_dx']:.3f} -> {after['dl_dx']:.3f}"
    assert after["dD_dx"] < before["dD_dx"], f"seed {seed}: |dD/dx| {before['dD_dx']:.4f} -> {after['dD_dx']:.4f}"


@pytest.mark.slow
def test_on_the_head_started_d_the_modified_loss_gives_over_100x_the_gradient_at_x(figures):
    seed, f = figures
    assert f["chain"]["ratio"] > 100, f"seed {seed}: {f['chain']['ratio']:.0f}x"


@pytest.mark.slow
def test_from_scratch_the_modified_loss_gets_10x_the_gradient_early(figures):
    seed, f = figures
    assert f["grad_ratio"] >= 10, f"seed {seed}: median ratio {f['grad_ratio']:.1f}"


@pytest.mark.slow
def test_from_scratch_the_modified_loss_gives_better_samples(figures):
    seed, f = figures
    fd = f["fd_scratch"]
    assert fd["non_saturating"] < fd["saturating"], f"seed {seed}: FD {fd['non_saturating']:.0f} vs {fd['saturating']:.0f}"


@pytest.mark.slow
@pytest.mark.parametrize("seed", range(5))
def test_after_the_head_start_d_g_z_climbs_above_0_1_within_20_rounds_with_either_loss(seed):
    """Notebook 03's "why worse" cell: D's lead does not last (Adam scales even the original loss's tiny gradient
    up), while D still calls the fakes fake."""
    config, digits = strong_d_config(), load_mnist(verbose=False)
    for loss, run in play_from(head_start(config, digits, seed), config, digits, 20, progress=False).items():
        d_fake, real, fake = (run.history[key] for key in ("d_fake", "d_acc_real", "d_acc_fake"))
        accuracy = (sum(real[-5:]) + sum(fake[-5:])) / 10
        assert max(d_fake) > 0.1 and accuracy > 0.95, f"seed {seed}, {loss}: D(G(z)) at most {max(d_fake):.3f}, " \
                                                       f"D's accuracy in rounds 16-20 {accuracy:.0%}"
