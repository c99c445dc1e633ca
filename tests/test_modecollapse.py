"""The GAN-Lab view and the ring playground of notebook 04, driven without a browser."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import math

import pytest
import torch

from gan_course.data import Ring
from gan_course.config import GANConfig
from gan_course.losses import generator_loss
from gan_course.metrics import mode_coverage
from gan_course.experiments import get_preset
from gan_course.lessons.nb04_mode_collapse import (LIM, PLAYGROUND_STEPS, Playground, SnapshotViewer, decision_map, frame_recorder,
                                     generator_push, playground_config, plot_frame, real_points,
                                     where_samples_lie)
from gan_course.train import build_models, train
from gan_course.widgets import PROBE
from helpers import figure_pixels

TINY = GANConfig(dataset="ring", latent_dim=2, g_hidden=(16, 16), d_hidden=(16, 16), batch_size=32, steps=20,
                 snapshot_every=10, lr_d=1e-3, lr_g=1e-3)


@pytest.fixture(scope="module")
def run():
    return train(TINY, Ring(), seed=0, device="cpu", progress=False, callback=frame_recorder(n_fake=64, grid_size=20))


def test_callback_records_heatmap_fakes_push_and_metrics_at_every_snapshot(run):
    assert [s["step"] for s in run.snapshots] == [0, 10, 20]
    for frame in run.snapshots:
        assert frame["heatmap"].shape == (20, 20)
        assert 0 <= frame["heatmap"].min() and frame["heatmap"].max() <= 1
        assert frame["fake"].shape == frame["push"].shape == (64, 2)
        assert set(frame["metrics"]) >= {"modes_covered", "high_quality"}


def test_heatmap_is_sigmoid_of_d_on_the_grid_with_row_zero_at_the_bottom():
    torch.manual_seed(0)
    _, D = build_models(TINY, data_dim=2)
    heat = decision_map(D, torch.zeros(4, 2), lim=LIM, size=5)
    corner = torch.sigmoid(D(torch.tensor([[LIM, -LIM]]))).item()  # x = +LIM, y = -LIM
    assert heat[0, -1] == pytest.approx(corner, abs=1e-6)


def test_push_is_minus_the_gradient_of_each_samples_generator_loss():
    torch.manual_seed(0)
    _, D = build_models(TINY, data_dim=2)
    x = torch.randn(6, 2)
    push = generator_push(D, x)
    one = x[2:3].clone().requires_grad_(True)
    (grad,) = torch.autograd.grad(generator_loss(D(one)), one)
    assert torch.allclose(push[2], -grad[0], atol=1e-6)
    assert all(p.requires_grad for p in D.parameters())  # D is left trainable


def test_packed_discriminator_gets_a_heatmap_and_a_push():
    torch.manual_seed(0)
    _, D = build_models(TINY.replace(pack=2), data_dim=2)
    fake = torch.randn(8, 2)
    assert decision_map(D, fake, size=7).shape == (7, 7)
    assert generator_push(D, fake).shape == (8, 2)


def test_plot_draws_one_frame(run):
    ax, _ = plot_frame(run.snapshots[-1], real_points())
    assert "step 20" in ax.get_title()


def test_slider_redraws_a_different_picture_for_a_different_snapshot(run):
    viewer = SnapshotViewer(run.snapshots, real_points())
    assert viewer.slider.value == viewer.slider.max == 2
    last = figure_pixels(viewer.figure)
    viewer.slider.value = 0  # what the browser does; the observer redraws
    first = figure_pixels(viewer.figure)
    assert viewer.label.value == "step 0"
    assert first.shape == last.shape and (first != last).any()
    assert PROBE in viewer.slider._dom_classes


def test_viewer_without_frames_says_how_to_record_them():
    with pytest.raises(ValueError, match="frame_recorder"):
        SnapshotViewer([{"step": 0, "samples": torch.zeros(2, 2)}], real_points())


@pytest.fixture
def playground():
    return Playground(TINY, steps_per_click=5)


def test_train_button_advances_steps_and_updates_the_readout(playground):
    assert playground.state.step == 0
    before = playground.readout.value
    playground.train_button.click()
    assert playground.state.step == 5
    assert "step 5" in playground.readout.value and playground.readout.value != before
    assert "modes covered" in playground.readout.value and "high-quality" in playground.readout.value


def test_changing_k_l_and_learning_rates_applies_to_the_next_steps(playground):
    playground.k.value, playground.l.value, playground.lr_d.value, playground.lr_g.value = 3, 2, 5e-4, 2e-4
    playground.train_clicked()
    assert (playground.config.d_steps, playground.config.g_steps) == (3, 2)
    assert playground.state.opt_d.param_groups[0]["lr"] == 5e-4
    assert playground.state.opt_g.param_groups[0]["lr"] == 2e-4
    assert "k = 3, l = 2" in playground.readout.value


def test_remedy_switches_to_a_packed_discriminator_and_restarts(playground):
    playground.train_clicked()
    playground.remedy.value = True
    assert playground.state.step == 0 and playground.state.discriminator.pack == 2
    playground.train_clicked()
    assert playground.state.step == 5 and "PacGAN pack 2" in playground.readout.value


def test_same_seed_and_controls_give_the_same_readout():
    a, b = Playground(TINY, steps_per_click=5), Playground(TINY, steps_per_click=5)
    a.train_clicked()
    b.train_clicked()
    assert a.readout.value == b.readout.value


@pytest.mark.parametrize("control, value, message", [
    ("k", 0, "d_steps must be an integer from 1 to 100 (k, the D-steps per round), got 0"),
    ("k", 10**9, "d_steps must be an integer from 1 to 100 (k, the D-steps per round), got 1000000000"),
    ("l", 0, "g_steps must be an integer from 1 to 100 (l, the G-steps per round), got 0"),
    ("lr_d", 0.0, "lr_d (learning rate) must be > 0, got 0.0"),
    ("lr_g", -1e-3, "lr_g (learning rate) must be > 0, got -0.001"),
    ("lr_g", 1e300, "lr_g (learning rate) must be at most 10, got 1e+300"),
    ("n_steps", 0, "N steps must be a whole number from 1 to 5,000"),
    ("n_steps", 10**9, "N steps must be a whole number from 1 to 5,000 (about 2 s a thousand), got 1000000000"),
])
def test_bad_input_shows_a_clear_message_instead_of_a_traceback(playground, control, value, message):
    getattr(playground, control).value = value
    playground.train_clicked()  # must not raise, and must not start a long run
    assert message in playground.readout.value
    assert playground.state.step == 0


def test_bad_input_then_fixed_input_trains_again(playground):
    playground.k.value = 0
    playground.train_clicked()
    playground.k.value = 2
    playground.train_clicked()
    assert playground.state.step == 5 and "modes covered" in playground.readout.value


def test_divergence_is_reported_not_raised():
    playground = Playground(TINY.replace(optimizer="sgd"), steps_per_click=200)
    playground.lr_d.value = playground.lr_g.value = 1.0
    playground.train_clicked()
    assert "training diverged" in playground.readout.value
    assert "Try a smaller learning rate" in playground.readout.value and "press reset" in playground.readout.value


def test_playground_follows_the_configs_optimizer_and_l():
    playground = Playground(TINY.replace(optimizer="sgd", momentum=0.5, g_steps=2), steps_per_click=3)
    playground.train_clicked()
    assert isinstance(playground.state.opt_g, torch.optim.SGD)
    assert playground.state.opt_g.param_groups[0]["momentum"] == 0.5


def test_playground_rounds_are_the_training_loops_rounds():
    """Clicking N steps continues the same run that train() would make in one go."""
    playground = Playground(TINY, steps_per_click=6, seed=4)
    playground.train_clicked()
    playground.train_clicked()
    direct = train(TINY, Ring(), seed=4, steps=12, progress=False, device="cpu")
    for a, b in zip(playground.state.generator.parameters(), direct.generator.parameters()):
        assert torch.equal(a, b)


def test_playground_starts_from_section_1_s_collapse_preset():
    assert playground_config() == get_preset("ring-collapse").config
    assert playground_config().steps == PLAYGROUND_STEPS
    assert Playground(playground_config(), steps_per_click=5).k.value == 4


def test_packing_m_samples_is_one_reshape_to_m_samples_side_by_side():
    """Notebook 04's pack(): row i of the packed batch holds samples i*m ... i*m + m - 1, one input of D."""
    torch.manual_seed(0)
    _, D = build_models(TINY.replace(pack=3, batch_size=30), data_dim=2)
    x = torch.randn(6, 2)
    packed = x.reshape(len(x) // 3, 3 * x.shape[1])  # (2, 6)
    assert torch.equal(packed[1], torch.cat([x[3], x[4], x[5]]))
    with torch.no_grad():
        assert torch.equal(D.net(packed).squeeze(1), D(x))


def test_a_collapsed_cluster_reaches_one_mode_whatever_its_distance_to_it():
    ring = Ring()
    off_mode = ring.modes[2] * 1.2 + 0.001 * torch.randn(500, 2, generator=torch.Generator().manual_seed(0))
    assert mode_coverage(off_mode, ring.modes, ring.sd)["modes_covered"] == 0
    assert where_samples_lie(off_mode, ring)["modes_reached"] == 1


def test_a_blurry_cover_reaches_every_mode_though_it_covers_none():
    ring = Ring()
    points, _ = Ring(sd=8 * ring.sd).sample(2500, torch.Generator().manual_seed(0))  # the ring, 8x too wide
    assert mode_coverage(points, ring.modes, ring.sd)["high_quality"] < 20
    assert where_samples_lie(points, ring)["modes_reached"] == 8


def test_real_samples_lie_a_median_of_sqrt_2_ln_2_sd_from_their_mode():
    ring = Ring()
    points, _ = ring.sample(20000, torch.Generator().manual_seed(0))
    lie = where_samples_lie(points, ring)
    assert lie["modes_reached"] == 8
    assert lie["median_sd"] == pytest.approx(math.sqrt(2 * math.log(2)), rel=0.03)  # median of a Rayleigh(1)
