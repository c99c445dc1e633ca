"""The memorisation check: nearest training digit of generated digits against that of held-out real digits."""

import pytest
import torch

from gan_course.data import load_mnist
from gan_course.metrics import nearest_distances, nearest_neighbour_ratio


@pytest.fixture(scope="module")
def digits():
    return load_mnist(verbose=False)


def test_nearest_distance_is_the_smallest_pixel_distance():
    reference = torch.zeros(3, 784)
    reference[1] += 1.0  # distance sqrt(784) = 28 from the zero image
    reference[2] -= 0.5  # distance 14
    images = torch.zeros(2, 784)
    images[1] += 0.75  # 0.25 from reference 1: distance 7
    assert torch.allclose(nearest_distances(images, reference), torch.tensor([0.0, 7.0]))


def test_excluding_an_image_itself_gives_its_nearest_other_image():
    reference = torch.stack([torch.zeros(784), torch.full((784,), 0.5)])  # 14 apart
    d = nearest_distances(reference, reference, exclude=torch.tensor([0, -1]))
    assert torch.allclose(d, torch.tensor([14.0, 0.0]))


def test_copies_of_training_digits_score_zero(digits):
    copies = digits.images[:500]
    assert nearest_neighbour_ratio(copies, digits.images, n_real=500)["ratio"] < 1e-3


def test_held_out_real_digits_are_measured_leave_one_out(digits):
    # the held-out real digits against themselves: the ratio's reference point
    held_out = torch.randperm(len(digits), generator=torch.Generator().manual_seed(0))[:500]
    real = nearest_distances(digits.images[held_out], digits.images, exclude=held_out)
    result = nearest_neighbour_ratio(digits.images, digits.images, n_real=500, seed=0)
    assert result["real_median"] == pytest.approx(float(real.median()))


def test_uniform_noise_lies_far_from_every_training_digit(digits):
    noise = torch.rand(200, 784, generator=torch.Generator().manual_seed(0)) * 2 - 1
    assert nearest_neighbour_ratio(noise, digits.images, n_real=500)["ratio"] > 2


def test_images_of_the_wrong_shape_are_named(digits):
    with pytest.raises(ValueError, match=r"expected images of shape \(N, 1, 28, 28\) or \(N, 784\)"):
        nearest_neighbour_ratio(torch.zeros(4, 100), digits.images)
