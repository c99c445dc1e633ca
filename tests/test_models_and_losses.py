import pytest
import torch
import torch.nn.functional as F

from gan_course.losses import discriminator_loss, generator_loss
from gan_course.models import Discriminator, Generator, as_one_hot


def test_generator_maps_100d_noise_to_784_pixels_in_minus_one_to_one():
    x = Generator()(torch.randn(5, 100))
    assert x.shape == (5, 784) and x.abs().max() <= 1


def test_discriminator_gives_one_logit_per_image_for_flat_or_image_input():
    d = Discriminator()
    assert d(torch.randn(5, 784)).shape == (5,)
    assert d(torch.randn(5, 1, 28, 28)).shape == (5,)


def test_wrong_noise_shape_is_named():
    with pytest.raises(ValueError, match=r"\(B, 100\).*\(5, 64\)"):
        Generator()(torch.randn(5, 64))


def test_wrong_image_shape_is_named():
    with pytest.raises(ValueError, match="784 features.*(5, 100)"):
        Discriminator()(torch.randn(5, 100))


@pytest.mark.parametrize("bad, message", [
    (torch.tensor([3, 10]), "class label 10 is outside 0..9"),
    (torch.tensor([-1]), "class label -1 is outside 0..9"),
    (torch.tensor([0.5]), "must be integers"),
    (torch.zeros(2, 9), "width 10"),
    (2.5, "must be an integer"),
])
def test_bad_class_labels_get_a_clear_error(bad, message):
    with pytest.raises(ValueError, match=message):
        as_one_hot(bad, 10, batch=2)


def test_conditional_models_concatenate_a_one_hot_label():
    g, d = Generator(n_classes=10), Discriminator(n_classes=10)
    assert g.net[0].in_features == 110 and d.net[0].in_features == 794
    x = g(torch.randn(4, 100), torch.tensor([0, 1, 2, 3]))
    assert d(x, F.one_hot(torch.tensor([0, 1, 2, 3]), 10)).shape == (4,)


def test_losses_match_the_probability_form_of_the_slides():
    logits = torch.randn(100)
    d_real, d_fake = torch.sigmoid(logits), torch.sigmoid(logits.flip(0))
    f_acc = torch.log(d_real).mean() + torch.log(1 - d_fake).mean()
    assert torch.allclose(discriminator_loss(logits, logits.flip(0)), -f_acc, atol=1e-5)
    assert torch.allclose(generator_loss(logits, "saturating"), torch.log(1 - d_real).mean(), atol=1e-5)
    assert torch.allclose(generator_loss(logits, "non_saturating"), -torch.log(d_real).mean(), atol=1e-5)


def test_losses_stay_finite_where_d_is_0_or_1():
    logits = torch.tensor([-200.0, 200.0])
    for value in (discriminator_loss(logits, logits), generator_loss(logits, "saturating"),
                  generator_loss(logits, "non_saturating")):
        assert torch.isfinite(value)


def test_unknown_generator_loss_kind_is_named():
    with pytest.raises(ValueError, match="'minimax'"):
        generator_loss(torch.zeros(3), "minimax")


def test_input_dropout_turns_dropped_pixels_black_and_rescales_the_rest_around_black():
    from gan_course.models import PixelDropout

    torch.manual_seed(0)
    layer = PixelDropout(0.2).train()
    x = torch.full((200, 784), 0.5)  # p = 0.75 on the [0, 1] scale
    y = layer(x)
    dropped = y == -1
    assert 0.17 < dropped.float().mean() < 0.23  # about 20% of the pixels are black
    assert torch.allclose(y[~dropped], torch.tensor((0.5 + 1) / 0.8 - 1))  # p / 0.8, back on [-1, 1]
    black = torch.full((4, 784), -1.0)
    assert torch.equal(layer(black), black)  # a black border stays black, dropped or not
    assert torch.equal(layer.eval()(x), x)  # no dropout at evaluation


def test_input_dropout_rate_outside_0_1_is_named():
    from gan_course.models import PixelDropout

    with pytest.raises(ValueError, match="input_dropout must be a number in \\[0, 1\\), got 1.0"):
        PixelDropout(1.0)
