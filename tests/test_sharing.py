"""Notebook 06's sharing comparison: one c-GAN against ten per-class GANs on an equal budget."""

from __future__ import annotations

import pytest
import torch

from gan_course.data import Digits, load_mnist
from gan_course.experiments import get_preset
from gan_course.lessons.nb06_conditional.sharing import (ARMS, CGAN, N_KEPT, REGIMES, arm_settings, class_seed, compare,
                                                         few_shot, load_picture, picture_path, save_picture,
                                                         train_and_held_out)

CGAN_CONFIG = get_preset("cgan").config
TINY = CGAN_CONFIG.replace(g_hidden=(16,), d_hidden=(16,), batch_size=20, snapshot_every=5, n_snapshot=4)


@pytest.fixture(scope="module")
def digits() -> Digits:
    return load_mnist(verbose=False)


def test_both_arms_cost_the_ten_per_class_gans_what_the_cgan_costs():
    rounds = 1000
    for arm, (arm_rounds, batch) in arm_settings(CGAN_CONFIG, rounds).items():
        ten_gans = 10 * arm_rounds * batch  # digits through D and G, all ten GANs together
        assert 0.9 <= ten_gans / (rounds * CGAN_CONFIG.batch_size) <= 1.0, arm


def test_the_same_rounds_arm_makes_as_many_updates_as_the_cgan():
    assert arm_settings(CGAN_CONFIG, 1000)[ARMS[0]][0] == 1000
    assert arm_settings(CGAN_CONFIG, 1000)[ARMS[1]][0] == 100


def test_held_out_digits_are_100_a_class_and_not_in_the_training_digits(digits):
    train_set, held_out = train_and_held_out(digits)
    assert torch.bincount(held_out.labels).tolist() == [100] * 10
    assert len(train_set) + len(held_out) == len(digits)
    train_keys = {x.numpy().tobytes() for x in train_set.images.flatten(1)}
    assert not any(x.numpy().tobytes() in train_keys for x in held_out.images.flatten(1))


def test_few_shot_keeps_n_digits_of_each_class(digits):
    subset = few_shot(digits, 50, seed=3)
    assert torch.bincount(subset.labels).tolist() == [50] * 10


def test_few_shot_refuses_more_digits_than_a_class_has(digits):
    with pytest.raises(ValueError, match="fewer than the 100000"):
        few_shot(digits, 100_000, seed=0)


def test_every_class_gan_of_every_seed_has_its_own_seed():
    seeds = {class_seed(s, c) for s in range(5) for c in range(10)}
    assert len(seeds) == 50


def test_pictures_survive_their_png_to_within_one_grey_level(tmp_path):
    images = torch.rand(10 * N_KEPT, 1, 28, 28) * 2 - 1
    assert (load_picture(save_picture(images, tmp_path / "x.png")) - images).abs().max() <= 1 / 127.5


def test_a_missing_picture_is_named_with_its_path(tmp_path):
    with pytest.raises(FileNotFoundError, match="no picture at .*missing.png"):
        load_picture(tmp_path / "missing.png")


def test_every_regime_and_arm_has_its_picture_beside_the_table():
    for regime in REGIMES:
        for arm in (CGAN, *ARMS):
            assert load_picture(picture_path(regime, arm)).shape == (10 * N_KEPT, 1, 28, 28), (regime, arm)


def test_compare_writes_seed_0s_pictures_as_png_and_keeps_numbers_in_the_table(digits, tmp_path):
    figures = compare(TINY, digits, seed=0, rounds=2, pictures=tmp_path)
    assert set(figures) == set(REGIMES)
    assert len(list(tmp_path.glob("*.png"))) == len(REGIMES) * (1 + len(ARMS))
    for regime in REGIMES:
        assert set(figures[regime]) == {CGAN, *ARMS}
        for arm in figures[regime].values():
            assert len(arm["fd"]) == 10 and len(arm["accuracy"]) == 10
