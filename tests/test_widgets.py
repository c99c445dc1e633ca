"""The callbacks behind notebook 02's widgets, without a browser (notebook 01's: tests/test_gradflow.py)."""

import math

import matplotlib.pyplot as plt
import pytest
import torch

from gan_course.data import load_mnist
from gan_course.config import GANConfig
from gan_course.plots import plot_history
from gan_course.train import train
from gan_course.lessons.nb02_vanilla.widgets import LatentInterpolation, LiveView, RetrainWidget, SnapshotScrubber, interpolate
from gan_course.widgets import PROBE

TINY = GANConfig(g_hidden=(32,), d_hidden=(32,), batch_size=16, snapshot_every=5, n_snapshot=8)


@pytest.fixture(scope="module")
def run():
    return train(TINY, load_mnist(verbose=False), steps=10, progress=False, device="cpu")


def test_snapshot_slider_shows_the_chosen_snapshot(run):
    scrubber = SnapshotScrubber(run.snapshots)
    assert torch.equal(scrubber.shown, run.snapshots[-1]["samples"])
    scrubber.slider.value = 0
    assert torch.equal(scrubber.shown, run.snapshots[0]["samples"])
    assert not torch.equal(run.snapshots[0]["samples"], run.snapshots[-1]["samples"])


def test_moving_a_slider_leaves_no_figure_open(run):
    """Outside the notebook's inline backend, a figure each slider move drew would stay open for good."""
    open_before = set(plt.get_fignums())
    scrubber = SnapshotScrubber(run.snapshots)
    for index in (0, 1, 0):
        scrubber.slider.value = index
    assert set(plt.get_fignums()) == open_before


def test_snapshot_scrubber_needs_snapshots():
    with pytest.raises(ValueError, match="no snapshots"):
        SnapshotScrubber([])


def test_interpolation_ends_at_z0_and_z1(run):
    walk = LatentInterpolation(run.generator, n=4)
    start = walk.shown.clone()
    walk.slider.value = 1.0
    with torch.no_grad():
        expected = run.generator(walk.z1).view(-1, 1, 28, 28)
    assert torch.allclose(walk.shown, expected) and not torch.allclose(start, walk.shown)


def test_interpolation_rejects_t_outside_0_1(run):
    z = torch.zeros(2, TINY.latent_dim)
    with pytest.raises(ValueError, match="t must be in"):
        interpolate(run.generator, z, z, 1.5)


def test_retrain_button_trains_with_the_chosen_k_and_l():
    widget = RetrainWidget(TINY, load_mnist(verbose=False), steps=4)
    widget.k.value, widget.l.value = 3, 2
    widget.button.click()
    assert widget.result is not None
    assert (widget.result.config.d_steps, widget.result.config.g_steps) == (3, 2)
    assert widget.result.history["step"][-1] == 4


def test_the_live_view_leaves_the_run_exactly_as_it_is_without_it():
    config, digits = TINY.replace(d_dropout=0.3), load_mnist(verbose=False)  # dropout: D's forward draws randomness
    plain = train(config, digits, steps=10, progress=False, device="cpu")
    watched = train(config, digits, steps=10, progress=False, device="cpu", callback=LiveView(digits, config.latent_dim))
    for a, b in zip([*plain.generator.parameters(), *plain.discriminator.parameters()],
                    [*watched.generator.parameters(), *watched.discriminator.parameters()]):
        assert torch.equal(a, b)


def test_the_live_view_measures_both_terms_of_f_acc_at_every_snapshot():
    digits = load_mnist(verbose=False)
    live = LiveView(digits, TINY.latent_dim, n_samples=4, n_measure=8)
    result = train(TINY, digits, steps=10, progress=False, device="cpu", callback=live)
    assert live.trace["step"] == [s["step"] for s in result.snapshots]
    assert all(v < 0 for v in live.trace["log_d_real"] + live.trace["log_1m_d_fake"])  # logs of probabilities
    assert live.shown.shape == (4, 1, 28, 28)
    assert result.generator.training is False and result.discriminator.training is False


def test_the_history_plot_marks_each_curve_s_value_at_the_equilibrium(run):
    axes = plot_history(run.history)
    levels = [line.get_ydata()[0] for ax in axes for line in ax.get_lines() if line.get_linestyle() == ":"]
    plt.close("all")
    assert levels == pytest.approx([math.log(4), math.log(2), -math.log(2), 0.5])


def test_only_one_control_of_notebook_02_carries_the_probe_class(run):
    scrubber, walk = SnapshotScrubber(run.snapshots), LatentInterpolation(run.generator)
    retrain = RetrainWidget(TINY, load_mnist(verbose=False), steps=2)
    controls = [scrubber.slider, walk.slider, retrain.k, retrain.l, retrain.button]
    assert [c for c in controls if PROBE in c._dom_classes] == [scrubber.slider]
