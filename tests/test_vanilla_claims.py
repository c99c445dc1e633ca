"""Notebook 02's claims about a trained `vanilla` run, over seeds (the notebook checks seed 0).

The figures are the `vanilla-02` study's, read from the table notebook 02's instructor section renders
(notebooks/results/vanilla-02.json) once training seed 0 again gives its row to six significant digits; when it
does not, every seed is trained here and the first test names the command that remakes the table. The run notebook 02 loads,
shipped with the course, is checked against that same training of seed 0.
"""

import math

import pytest
import torch

from gan_course.curves import ABOVE_CHANCE
from gan_course.experiments import get_preset
from gan_course.lessons.nb02_vanilla.latent import LIKE_RANDOM, MOVES
from gan_course.metrics import digit_fd
from gan_course.seeding import seed_everything
from tools.robustness import unequal_figures
from gan_course.train import build_models
from helpers import assert_table_reproduced, study_fixtures

pytestmark = pytest.mark.slow
study, figures = study_fixtures("vanilla-02", (0, 1, 2, 3, 4), check=0)


def test_the_vanilla_02_table_is_what_training_gives_now(study):
    assert_table_reproduced(study)


def test_the_shipped_vanilla_run_is_what_training_seed_0_gives(study):
    """Notebook 02 loads the shipped `vanilla` run: its history and its G's figures (FD on 2,000 samples, the z
    sweeps) must be, to six significant digits, those of training seed 0 now."""
    from gan_course.checkpoints import SHIPPED_RUNS, load_run
    from tools.shipped import COMMAND
    from tools.studies.nb02 import vanilla_02_figures
    from helpers import same_build

    same_build("vanilla")
    differ = unequal_figures(vanilla_02_figures(load_run(SHIPPED_RUNS / "vanilla"), 0), study.rows[0])
    assert not differ, f"the shipped vanilla gives other {', '.join(differ)} than training seed 0 gives now: " \
                       f"remake it with {COMMAND} vanilla"


def test_d_stays_clear_of_the_equilibrium_s_50_percent_and_below_log_4(figures):
    seed, f = figures
    assert f["d_accuracy"] > ABOVE_CHANCE, f"seed {seed}: D's accuracy {f['d_accuracy']:.1%}"
    assert f["d_loss"] < math.log(4), f"seed {seed}: D's loss {f['d_loss']:.3f}"


def test_d_s_loss_stays_between_half_of_log_4_and_log_4_in_every_quarter(figures):
    seed, f = figures
    assert 0.5 * math.log(4) < min(f["d_loss_quarters"]) and max(f["d_loss_quarters"]) < math.log(4), (
        f"seed {seed}: {f['d_loss_quarters']}")


def test_from_the_first_quarter_to_the_last_d_s_loss_rises_and_g_s_falls(figures):
    seed, f = figures
    d, g = f["d_loss_quarters"], f["g_loss_quarters"]
    assert d[-1] > d[0] and g[-1] < g[0], f"seed {seed}: D's loss by quarter {d}, G's {g}"


def test_no_coordinate_of_z_is_a_pure_thickness_or_slant_knob_it_also_changes_the_class(figures):
    # Thickness and slant moved by >= 0.1 sd for every coordinate on 4 of seeds 0-4 (least 0.097 sd on seed 2):
    # too close to assert per seed; the notebook states that count from the vanilla-02 results.
    seed, f = figures
    assert f["z_class_changed_min"] >= MOVES, f"seed {seed}: class changed for {f['z_class_changed_min']:.0%} at the least"


def test_a_coordinate_moves_each_property_about_as_much_as_a_random_direction(figures):
    seed, f = figures
    ratios = [f[f"z_{name}_mean"] / f[f"random_{name}_mean"] for name in ("class_changed", "ink_change", "slant_change")]
    assert all(1 / LIKE_RANDOM <= r <= LIKE_RANDOM for r in ratios), f"seed {seed}: {ratios}"


def test_the_samples_cover_every_class_and_beat_an_untrained_g_five_fold(figures):
    seed, f = figures
    config = get_preset("vanilla").config
    seed_everything(seed)
    untrained, _ = build_models(config)
    with torch.no_grad():
        fd_untrained = digit_fd(untrained(torch.randn(2000, config.latent_dim)).view(-1, 1, 28, 28))
    assert f["fd"] < fd_untrained / 5, f"seed {seed}: FD {f['fd']:.0f} vs untrained {fd_untrained:.0f}"
    assert f["classes_present"] == 10 and f["largest_share"] < 0.25, f"seed {seed}: {f['classes_present']} classes"
