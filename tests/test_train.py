import math
from functools import partial

import pytest
import torch

from gan_course.data import load_mnist
from gan_course.config import GANConfig
from gan_course.train import HISTORY_KEYS, TrainingDiverged, train, train_round

TINY = GANConfig(g_hidden=(32,), d_hidden=(32,), batch_size=16, log_every=5, snapshot_every=10)


@pytest.fixture(scope="module")
def digits():
    return load_mnist(verbose=False)


def test_same_seed_gives_bit_identical_samples_on_cpu(digits):
    a = train(TINY, digits, seed=7, steps=20, device="cpu", progress=False)
    b = train(TINY, digits, seed=7, steps=20, device="cpu", progress=False)
    assert torch.equal(a.snapshots[-1]["samples"], b.snapshots[-1]["samples"])
    assert a.history["d_loss"] == b.history["d_loss"]


def test_another_seed_gives_other_samples(digits):
    a = train(TINY, digits, seed=7, steps=5, device="cpu", progress=False)
    b = train(TINY, digits, seed=8, steps=5, device="cpu", progress=False)
    assert not torch.equal(a.snapshots[-1]["samples"], b.snapshots[-1]["samples"])


def test_history_starts_at_the_first_step_and_has_every_key(digits):
    result = train(TINY, digits, steps=12, progress=False)
    assert result.history["step"] == [1, 5, 10, 12]
    assert set(HISTORY_KEYS) <= set(result.history)
    assert all(len(v) == 4 for v in result.history.values())
    assert all(0 <= p <= 1 for p in result.history["d_real"] + result.history["d_fake"])


def test_snapshots_come_from_the_fixed_latent_batch(digits):
    result = train(TINY, digits, steps=20, progress=False)
    assert [s["step"] for s in result.snapshots] == [0, 10, 20]
    assert result.snapshots[0]["samples"].shape == (64, 1, 28, 28)
    with torch.no_grad():
        again = result.generator(result.fixed_z).view(-1, 1, 28, 28)
    assert torch.allclose(again, result.snapshots[-1]["samples"])


def test_k_d_steps_and_l_g_steps_per_round(digits):
    counts = {"d": 0, "g": 0}

    def d_loss(real, fake):
        counts["d"] += 1
        return -(torch.nn.functional.logsigmoid(real).mean() + torch.nn.functional.logsigmoid(-fake).mean())

    def g_loss(fake):
        counts["g"] += 1
        return -torch.nn.functional.logsigmoid(fake).mean()

    train(TINY.replace(d_steps=3, g_steps=2), digits, steps=4, progress=False,
          round_fn=partial(train_round, d_loss_fn=d_loss, g_loss_fn=g_loss))
    assert counts == {"d": 12, "g": 8}


def test_a_seconds_budget_stops_training(digits):
    result = train(TINY, digits, seconds=0.5, progress=False)
    assert 0.5 <= result.seconds < 5 and result.history["step"][-1] > 1


def test_nan_loss_stops_with_a_clear_error(digits):
    with pytest.raises(TrainingDiverged, match="generator loss became nan at step 1"):
        train(TINY, digits, steps=3, progress=False,
              round_fn=partial(train_round, g_loss_fn=lambda fake: fake.mean() * math.nan))


def test_d_is_unfrozen_after_training_so_it_can_be_trained_again(digits):
    result = train(TINY, digits, steps=2, progress=False, device="cpu")
    assert all(p.requires_grad for p in result.discriminator.parameters())


@pytest.mark.parametrize("field, value, message", [
    ("lr_d", 0.0, "lr_d .* must be > 0, got 0.0"),
    ("lr_g", -1e-3, "lr_g .* must be > 0"),
    ("d_steps", 0, "d_steps must be an integer from 1 to 100 .*k.*got 0"),
    ("g_steps", 0, "g_steps must be an integer from 1 to 100 .*l.*got 0"),
    ("loss", "minimax", "loss must be one of"),
    ("input_dropout", 1.0, "input_dropout must be a number in"),
    ("pack", 3, "multiple of pack"),
])
def test_bad_config_values_are_named(field, value, message):
    with pytest.raises(ValueError, match=message):
        TINY.replace(**{field: value})


def test_unknown_config_field_is_named():
    with pytest.raises(ValueError, match="unknown config field.*'lr'"):
        TINY.replace(lr=1e-3)


def test_history_logs_the_two_terms_of_f_acc(digits):
    """E[log D(x)] + E[log(1 - D(G(z)))] = f_acc = -(D's loss) in the last D-step of a round."""
    result = train(TINY, digits, steps=5, progress=False)
    h = result.history
    for real_term, fake_term, d_loss in zip(h["log_d_real"], h["log_1m_d_fake"], h["d_loss"]):
        assert real_term <= 0 and fake_term <= 0
        assert real_term + fake_term == pytest.approx(-d_loss, rel=1e-5)


def test_train_round_is_the_round_train_plays(digits):
    """Playing train_round by hand from a run's state continues it exactly as train() does."""
    from gan_course.train import new_state, train_round

    state = new_state(TINY, 784, seed=3)
    by_train = train(TINY, digits, seed=3, steps=2, progress=False, device="cpu")
    rng, config = state.rng, TINY
    real_batch = lambda: (digits.sample(config.batch_size, rng)[0], None)  # noqa: E731
    noise = lambda n: (torch.randn(n, config.latent_dim, generator=rng), None)  # noqa: E731
    for _ in range(2):
        train_round(state.generator, state.discriminator, state.opt_g, state.opt_d, real_batch, noise, config)
    for a, b in zip(state.generator.parameters(), by_train.generator.parameters()):
        assert torch.equal(a, b)


@pytest.mark.parametrize("budget, message", [({"steps": True}, "steps must be an integer from 1 to 10\\*\\*9, got True"),
                                             ({"steps": 2.5}, "steps must be an integer"),
                                             ({"seconds": float("nan")}, "seconds must be > 0")])
def test_a_bad_budget_is_named_by_the_one_shared_check(digits, budget, message):
    with pytest.raises(ValueError, match=message):
        train(GANConfig(), digits, progress=False, **budget)
