"""Notebook 01's claims: where each cut stops gradient, and what freezing D does in the G-step."""

import pytest
import torch

from gan_course.config import GANConfig
from gan_course.lessons.nb01_gradient_flow import GradientFlowWidget, freezing_effect, g_step, gradient_flow
from gan_course.train import build_models
from gan_course.widgets import PROBE


def test_gradient_flow_detach_cuts_everything_before_it():
    grads = gradient_flow(detach_after="f")
    assert grads["f"] is None and grads["g"] is not None and grads["h"] is not None


def test_gradient_flow_frozen_module_still_passes_gradient_through():
    grads = gradient_flow(frozen=("g",))
    assert grads["g"] is None and grads["f"] is not None


def test_gradient_flow_no_grad_stops_the_module_and_everything_before():
    grads = gradient_flow(no_grad=("g",))
    assert grads["f"] is None and grads["g"] is None and grads["h"] is not None


def test_gradient_flow_rejects_an_unknown_stage():
    with pytest.raises(ValueError, match="unknown stage 'x'"):
        gradient_flow(detach_after="x")


def test_gradient_flow_widget_redraws_when_the_cut_moves():
    widget = GradientFlowWidget()
    before = dict(widget.shown)
    widget.detach.value = "g"
    assert widget.shown != before and widget.shown["g"] is None
    assert PROBE in widget.detach._dom_classes


@pytest.fixture(scope="module")
def effect():
    return freezing_effect(seed=0, repeats=1, n=2)


def test_the_g_step_leaves_d_unchanged_whether_d_is_frozen_or_not(effect):
    assert effect["d_change_frozen"] == 0 and effect["d_change_not_frozen"] == 0


def test_a_frozen_d_gets_no_grad_and_an_unfrozen_one_does(effect):
    assert effect["d_grad_frozen"] is None and effect["d_grad_not_frozen"] > 0


def test_freezing_d_does_not_change_what_g_learns(effect):
    assert effect["g_identical"]


def test_the_g_step_leaves_d_trainable_afterwards():
    generator, discriminator = build_models(GANConfig(g_hidden=(8,), d_hidden=(8,)))
    g_step(generator, discriminator, torch.optim.SGD(generator.parameters(), lr=0.1), torch.randn(4, 100))
    assert all(p.requires_grad for p in discriminator.parameters())


@pytest.mark.slow
@pytest.mark.parametrize("seed", range(5))
def test_on_every_seed_freezing_changes_no_update_and_makes_the_g_step_cheaper(seed):
    effect = freezing_effect(seed)
    assert effect["d_change_frozen"] == 0 == effect["d_change_not_frozen"] and effect["g_identical"]
    assert effect["d_grad_frozen"] is None and effect["d_grad_not_frozen"] > 0
    assert effect["seconds_frozen"] < effect["seconds_not_frozen"], (
        f"seed {seed}: {effect['seconds_frozen'] * 1000:.2f} ms frozen vs {effect['seconds_not_frozen'] * 1000:.2f} ms")
