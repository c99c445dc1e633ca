"""Moving z along one direction, and what the digit's class, thickness and slant do."""

import pytest
import torch
from torch import nn

from gan_course.lessons.nb02_vanilla.latent import (COORDINATES, Effect, disentanglement_study, effect, effect_table, ink, slant,
                               spread, sweep)


class Recorder(nn.Module):
    """A stand-in G that remembers the z it was given and draws black images."""

    latent_dim = 4

    def __init__(self):
        super().__init__()
        self.weight = nn.Parameter(torch.zeros(1))
        self.z = None

    def forward(self, z):
        self.z = z.clone()
        return torch.full((len(z), 784), -1.0)


def bar(shear: float) -> torch.Tensor:
    """A one-pixel stroke from row 4 to row 23 that moves ``shear`` pixels right per row going up."""
    image = torch.full((28, 28), -1.0)
    for row in range(4, 24):
        image[row, round(14 - shear * (row - 13.5))] = 1.0
    return image.view(1, 1, 28, 28)


def test_ink_is_0_for_a_black_image_and_1_for_a_white_one():
    images = torch.stack([torch.full((1, 28, 28), -1.0), torch.full((1, 28, 28), 1.0)])
    assert ink(images).tolist() == [0.0, 1.0]


def test_an_upright_stroke_has_no_slant_and_a_sheared_one_has_its_shear():
    assert float(slant(bar(0.0))) == pytest.approx(0.0, abs=1e-6)
    assert float(slant(bar(0.3))) == pytest.approx(0.3, abs=0.03)
    assert float(slant(bar(-0.3))) == pytest.approx(-0.3, abs=0.03)


def test_a_sweep_sets_the_coordinate_and_leaves_the_others():
    g, base = Recorder(), torch.randn(3, 4)
    images = sweep(g, base, torch.eye(4)[2], values=(-1.0, 0.5))
    z = g.z.view(3, 2, 4)
    assert images.shape == (3, 2, 1, 28, 28)
    assert torch.allclose(z[:, :, 2], torch.tensor([[-1.0, 0.5]] * 3))
    for i in (0, 1, 3):
        assert torch.allclose(z[:, :, i], base[:, i:i + 1].expand(3, 2))


def test_a_sweep_along_any_direction_sets_z_along_it_to_the_value():
    g, base, u = Recorder(), torch.randn(5, 4), torch.tensor([1.0, 2.0, -2.0, 0.0])
    sweep(g, base, u, values=(1.5,))
    assert torch.allclose(g.z @ (u / u.norm()), torch.full((5,), 1.5), atol=1e-6)


def test_a_direction_g_ignores_changes_nothing():
    torch.manual_seed(0)
    g = nn.Sequential(nn.Linear(4, 784), nn.Tanh())
    with torch.no_grad():
        g[0].weight[:, 0] = 0  # G never reads z_0
    g.latent_dim = 4
    units = spread(g, 4)
    moved = effect(g, torch.randn(16, 4), torch.eye(4)[0], units)
    assert moved.class_changed == 0 and moved.ink_change == 0 and moved.slant_change == 0


def test_the_study_measures_every_coordinate_and_as_many_random_directions():
    torch.manual_seed(0)
    g = nn.Sequential(nn.Linear(8, 784), nn.Tanh())
    study = disentanglement_study(g, 8, coordinates=(0, 3), n_random=3, n_digits=6)
    assert len(study["coordinates"]) == 2 and len(study["random"]) == 3
    assert all(isinstance(e, Effect) and 0 <= e.class_changed <= 1 and 0.5 <= e.ink_same_way <= 1
               for e in study["coordinates"] + study["random"])


def test_the_table_has_a_row_per_coordinate_and_one_for_the_random_directions():
    e = Effect(0.5, 0.2, 0.9, 0.3, 0.6)
    table = effect_table({"coordinates": [e] * len(COORDINATES), "random": [e, e]})
    assert table.count("\n") == 2 + len(COORDINATES) + 1
    assert "| random direction (mean of 2) | 50% | 0.20 | 90% | 0.30 | 60% |" in table
