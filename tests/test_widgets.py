"""The callbacks behind notebook 02's widgets, without a browser (notebook 01's: tests/test_gradflow.py)."""

import pytest
import torch

from gan_course.data import load_mnist
from gan_course.config import GANConfig
from gan_course.train import train
from gan_course.widgets import LatentInterpolation, RetrainWidget, SnapshotScrubber, interpolate

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
