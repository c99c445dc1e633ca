"""Reading a GAN's training curves against the equilibrium's values."""

import math

import pytest

from gan_course.curves import equilibrium_values, late_mean, quarter_means, read_curves


def history(n: int = 8, **curves):
    base = {key: [0.0] * n for key in ("d_acc_real", "d_acc_fake", "d_loss", "g_loss", "log_d_real", "log_1m_d_fake")}
    base.update(curves)
    return base


def test_at_the_equilibrium_d_loss_is_log_4_each_term_log_half_and_g_loss_log_2():
    values = equilibrium_values("non_saturating")
    assert values["d_loss"] == pytest.approx(math.log(4))
    assert values["log_d_real"] == values["log_1m_d_fake"] == pytest.approx(-math.log(2))
    assert values["g_loss"] == pytest.approx(math.log(2))
    assert equilibrium_values("saturating")["g_loss"] == pytest.approx(-math.log(2))


def test_late_mean_reads_the_last_quarter_of_the_logged_rounds():
    assert late_mean({"x": [0, 0, 0, 0, 0, 0, 4, 8]}, "x") == 6


def test_late_mean_names_an_empty_curve():
    with pytest.raises(ValueError, match="no logged rounds of 'x'"):
        late_mean({"x": []}, "x")


def test_quarter_means_averages_each_quarter():
    assert quarter_means({"x": [1, 1, 2, 2, 3, 3, 4, 4]}, "x") == [1, 2, 3, 4]


def test_an_accuracy_of_75_percent_means_a_total_variation_of_at_least_one_half():
    reading = read_curves(history(d_acc_real=[0.7] * 8, d_acc_fake=[0.8] * 8, d_loss=[math.log(4)] * 8))
    assert reading.d_accuracy == pytest.approx(0.75)
    assert reading.tv_at_least == pytest.approx(0.5)
    assert reading.jsd_at_least == 0.0


def test_a_d_loss_below_log_4_bounds_the_jensen_shannon_divergence():
    reading = read_curves(history(d_loss=[math.log(4) - 0.2] * 8))
    assert reading.jsd_at_least == pytest.approx(0.1)
