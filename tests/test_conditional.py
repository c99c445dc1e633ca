"""Notebook 06, the conditional GAN: the cgan preset, its label accuracy over seeds, the shipped
classifier, the command line's labels, bad labels, D's score matrix and the class explorer.
The sharing comparison (one c-GAN against ten per-class GANs) is specified in test_sharing.py."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from gan_course.__main__ import main
from gan_course.classifier import N_TEST_PER_CLASS, accuracy, load_classifier
from gan_course.lessons.nb06_conditional.conditional import (ClassExplorer, class_grid, class_subset, d_score_matrix, diagonal_dominance,
                                    forger_discriminator, generate, label_accuracy, per_class_fd)
from gan_course.data import Digits, load_mnist
from gan_course.experiments import get_preset
from gan_course.metrics import classify
from gan_course.models import Discriminator, Generator
from gan_course.train import build_models, train
from gan_course.widgets import PROBE
from helpers import assert_table_reproduced, study_fixtures

CGAN = get_preset("cgan").config
TINY = CGAN.replace(g_hidden=(32,), d_hidden=(32,), batch_size=16, snapshot_every=5, n_snapshot=10)
FAST = ["--set", "g_hidden=32", "--set", "d_hidden=32", "--quiet"]


@pytest.fixture(scope="module")
def digits() -> Digits:
    return load_mnist(verbose=False)


@pytest.fixture(scope="module")
def tiny_run(digits):
    return train(TINY, digits, steps=10, progress=False, device="cpu")


@pytest.fixture(scope="module")
def cgan_run_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("runs") / "cgan"
    assert main(["train", "cgan", "--steps", "3", *FAST, "--out", str(out)]) == 0
    return out


# ---------------------------------------------------------------------------- the preset
def test_cgan_preset_concatenates_a_one_hot_label_to_z_for_g_and_to_x_for_d():
    generator, discriminator = build_models(CGAN)
    assert CGAN.conditional and "(notebook 06)" in get_preset("cgan").description
    assert generator.net[0].in_features == CGAN.latent_dim + 10
    assert discriminator.net[0].in_features == 784 + 10


def test_generator_output_is_the_mlp_on_z_concatenated_with_the_one_hot(tiny_run):
    z, labels = torch.randn(4, TINY.latent_dim), torch.tensor([0, 3, 7, 9])
    one_hot = torch.nn.functional.one_hot(labels, 10).float()
    with torch.no_grad():
        assert torch.allclose(tiny_run.generator(z, labels), tiny_run.generator.net(torch.cat([z, one_hot], 1)))


# ---------------------------------------------------------------------------- the judge
def test_shipped_classifier_is_at_least_97_percent_right_on_held_out_real_digits(digits):
    _, held_out = digits.split(N_TEST_PER_CLASS, seed=0)
    assert len(held_out) == 1000
    assert accuracy(load_classifier(), held_out.images, held_out.labels) >= 0.97


def test_label_accuracy_is_high_for_real_digits_with_their_own_labels(digits):
    _, held_out = digits.split(20, seed=1)
    result = label_accuracy(held_out.images, held_out.labels)
    assert result["overall"] >= 0.95 and result["per_class"].shape == (10,)


def test_label_accuracy_is_low_for_real_digits_with_the_wrong_labels(digits):
    _, held_out = digits.split(20, seed=1)
    assert label_accuracy(held_out.images, (held_out.labels + 1) % 10)["overall"] <= 0.05


def test_per_class_fd_is_small_against_the_same_class_and_large_against_another(digits):
    _, feats = classify(digits.images)
    half = torch.arange(len(digits)) % 2 == 0
    same = per_class_fd(feats[half], digits.labels[half], feats[~half], digits.labels[~half])
    shifted = per_class_fd(feats[half], digits.labels[half], feats[~half], (digits.labels[~half] + 1) % 10)
    assert same.shape == (10,) and (same * 5 < shifted).all()


# ---------------------------------------------------------------------------- helpers
def test_class_grid_row_c_is_class_c_and_column_j_shares_one_z(tiny_run):
    grid = class_grid(tiny_run.generator, n_per_class=3, seed=4)  # (30, 1, 28, 28)
    z = torch.randn(3, TINY.latent_dim, generator=torch.Generator().manual_seed(4))
    assert grid.shape == (30, 1, 28, 28)
    assert torch.allclose(grid[7 * 3 + 2], generate(tiny_run.generator, [7], z=z[2:3])[0], atol=1e-5)


def test_class_subset_keeps_only_the_requested_class(digits):
    sevens = class_subset(digits, 7)
    assert len(sevens) == int((digits.labels == 7).sum()) and (sevens.labels == 7).all()


def test_class_subset_names_a_label_outside_0_9(digits):
    with pytest.raises(ValueError, match="0..9, got 10"):
        class_subset(digits, 10)


class _LabelMatcher(torch.nn.Module):
    """A stand-in D: logit +5 when the label equals the image's class (its pixel value * 10), else < 0."""

    def __init__(self):
        super().__init__()
        self.unused = torch.nn.Parameter(torch.zeros(1))

    def forward(self, x, labels):
        return 5 - 6 * (x[:, 0] * 10 - labels.float()).abs()


def test_score_matrix_rows_are_true_classes_and_columns_are_labels():
    images = (torch.arange(10).repeat_interleave(3).float() / 10).view(-1, 1, 1, 1).expand(-1, 1, 28, 28)
    scores = d_score_matrix(_LabelMatcher(), Digits(images, torch.arange(10).repeat_interleave(3), "stub"))
    assert torch.allclose(scores.diag(), torch.sigmoid(torch.tensor(5.0)).expand(10))
    assert diagonal_dominance(scores)["rows_won"] == 10 and scores[3, 7] < 0.5


def test_diagonal_dominance_counts_the_rows_whose_diagonal_is_largest():
    scores = torch.full((10, 10), 0.2) + torch.eye(10) * 0.5
    scores[4, 1] = 0.9  # row 4 prefers label 1
    report = diagonal_dominance(scores)
    assert report["rows_won"] == 9 and report["min_margin"] == pytest.approx(-0.2)
    assert report["diagonal_mean"] == pytest.approx(0.7) and report["off_diagonal_mean"] == pytest.approx(0.2 + 0.7 / 90)


# ---------------------------------------------------------------------------- command line
def test_sample_without_label_writes_labels_cycling_0_to_9(cgan_run_dir, tmp_path):
    assert main(["sample", str(cgan_run_dir), "--n", "25", "--out", str(tmp_path / "s.npz")]) == 0
    with np.load(tmp_path / "s.npz") as f:
        assert f["labels"].tolist() == [i % 10 for i in range(25)] and f["images"].shape == (25, 1, 28, 28)


def test_sample_with_label_writes_that_label_for_every_sample(cgan_run_dir, tmp_path):
    assert main(["sample", str(cgan_run_dir), "--n", "6", "--label", "7", "--out", str(tmp_path / "s.npz")]) == 0
    with np.load(tmp_path / "s.npz") as f:
        assert f["labels"].tolist() == [7] * 6


def test_sample_with_a_label_outside_0_9_is_refused_with_one_line(cgan_run_dir, tmp_path, capsys):
    assert main(["sample", str(cgan_run_dir), "--n", "3", "--label", "12", "--out", str(tmp_path / "s.npz")]) == 2
    err = capsys.readouterr().err.strip()
    assert "12" in err and "0-9" in err and len(err.splitlines()) == 1


# ---------------------------------------------------------------------------- bad labels
PLAYERS = {"generator": lambda labels: Generator(latent_dim=4, hidden=(8,), n_classes=10)(torch.randn(2, 4), labels),
           "discriminator": lambda labels: Discriminator(hidden=(8,), n_classes=10)(torch.zeros(2, 784), labels)}


@pytest.mark.parametrize("player", PLAYERS)
def test_a_label_outside_0_9_is_named(player):
    with pytest.raises(ValueError, match=r"class label 12 is outside 0\.\.9"):
        PLAYERS[player](torch.tensor([3, 12]))


@pytest.mark.parametrize("player", PLAYERS)
def test_a_non_integer_label_is_named(player):
    with pytest.raises(ValueError, match=r"must be integers in 0\.\.9, got \[2\.5, 1\.0\]"):
        PLAYERS[player](torch.tensor([2.5, 1.0]))


@pytest.mark.parametrize("player", PLAYERS)
def test_a_one_hot_of_the_wrong_width_is_named(player):
    with pytest.raises(ValueError, match=r"width 10 .*got shape \(2, 9\)"):
        PLAYERS[player](torch.nn.functional.one_hot(torch.tensor([1, 2]), 9))


# ---------------------------------------------------------------------------- the widget
def test_class_picker_draws_the_picked_class(tiny_run):
    explorer = ClassExplorer(tiny_run.generator, n=5)
    before = explorer.shown["one_class"]
    explorer.picker.value = 7
    expected = generate(tiny_run.generator, torch.full((5,), 7), z=explorer.z_at(explorer.noise.value))
    assert torch.allclose(explorer.shown["one_class"], expected, atol=1e-5) and not torch.allclose(before, expected)


def test_noise_slider_moves_one_z_through_all_ten_classes(tiny_run):
    explorer = ClassExplorer(tiny_run.generator, n=5)
    before = explorer.shown["every_class"]
    explorer.noise.value = 1.0
    expected = generate(tiny_run.generator, torch.arange(10), z=explorer.z1[:1].expand(10, -1))
    assert torch.allclose(explorer.shown["every_class"], expected, atol=1e-5) and not torch.allclose(before, expected)


def test_noise_slider_is_the_control_the_browser_test_moves(tiny_run):
    explorer = ClassExplorer(tiny_run.generator)
    assert PROBE in explorer.noise._dom_classes and PROBE not in explorer.picker._dom_classes


def test_class_explorer_refuses_an_unconditional_generator():
    with pytest.raises(ValueError, match="conditional generator"):
        ClassExplorer(Generator(latent_dim=4, hidden=(8,)))


# ---------------------------------------------------------------------------- the claims, over seeds
# The cgan preset's study (notebooks/results/cgan.json), seed 0 trained again here (tests/helpers.py).
study, figures = study_fixtures("cgan", (0, 1, 2, 3, 4), check=0)


@pytest.mark.slow
def test_the_cgan_table_is_fresh(study):
    assert_table_reproduced(study)


@pytest.mark.slow
def test_cgan_generates_the_requested_class_at_least_95_percent_of_the_time(figures):
    seed, f = figures
    assert f["label_accuracy"] >= 0.95, \
        f"seed {seed}: {f['label_accuracy']:.1%}, per class {np.round(f['per_class'], 2)}"


@pytest.mark.slow
def test_trained_cgan_discriminator_barely_prefers_the_true_label(figures):
    seed, f = figures
    assert abs(f["d_diagonal_mean"] - f["d_off_diagonal_mean"]) < 0.1, f


@pytest.mark.slow
def test_the_shipped_cgan_run_is_what_training_seed_0_gives(digits, study):
    """Notebook 06 loads the cgan run shipped with the course: its G's label accuracy and FD and its D's score
    matrix must be, to six significant digits, those of training seed 0 now."""
    from gan_course.checkpoints import SHIPPED_RUNS, load_run
    from tools.robustness import unequal_figures
    from tools.shipped import COMMAND
    from tools.studies.presets import preset_figures
    from helpers import same_build

    same_build("cgan")
    shipped = load_run(SHIPPED_RUNS / "cgan")
    if shipped.data_source != digits.source:
        pytest.skip(f"the shipped cgan was trained on {shipped.data_source}; these tests train on {digits.source}")
    differ = unequal_figures(preset_figures(shipped, digits, 0), study.rows[0])
    assert not differ, f"the shipped cgan gives other {', '.join(differ)} than training seed 0 gives now: " \
                       f"remake it with {COMMAND} cgan"


@pytest.mark.parametrize("seed", (0, 1, 2))
def test_d_trained_against_a_label_ignoring_forger_prefers_the_true_label_in_every_row(digits, seed):
    discriminator = forger_discriminator(CGAN, digits, seed=seed)
    report = diagonal_dominance(d_score_matrix(discriminator, digits))
    assert report["rows_won"] == 10 and report["diagonal_mean"] - report["off_diagonal_mean"] > 0.3, report
