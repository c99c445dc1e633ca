"""``python -m gan_course seeds``: one line per preset and seed, with the figure the notebook asserts."""

import pytest

from gan_course.__main__ import main
from gan_course.seeds import parse_seeds


@pytest.mark.parametrize("text, seeds", [("0-4", [0, 1, 2, 3, 4]), ("3", [3]), ("0,3,5", [0, 3, 5]),
                                         ("1-2,7", [1, 2, 7])])
def test_seed_ranges_and_lists(text, seeds):
    assert parse_seeds(text) == seeds


@pytest.mark.parametrize("text", ["a", "0-b", "", "1,,2"])
def test_a_bad_seed_list_is_named(text):
    with pytest.raises(ValueError, match="--seeds"):
        parse_seeds(text)


def test_ring_line_reports_modes_and_high_quality(capsys):
    assert main(["seeds", "ring", "--seeds", "0,1", "--steps", "20"]) == 0
    lines = [line for line in capsys.readouterr().out.splitlines() if line.startswith("ring")]
    assert len(lines) == 2 and all("modes" in line and "/8" in line and "high-quality" in line for line in lines)
    assert "seed  0" in lines[0] and "seed  1" in lines[1] and "20 steps" in lines[0]


def test_cgan_line_reports_label_accuracy_and_fd(capsys):
    assert main(["seeds", "cgan", "--seeds", "0", "--steps", "3"]) == 0
    out = capsys.readouterr().out
    assert "label accuracy" in out and "FD" in out


def test_mnist_line_reports_fd_and_the_largest_class(capsys):
    assert main(["seeds", "vanilla", "--seeds", "2", "--steps", "3"]) == 0
    out = capsys.readouterr().out
    assert "FD" in out and "largest class" in out


def test_an_unknown_preset_fails_before_training(capsys):
    assert main(["seeds", "ring", "nope", "--steps", "5"]) == 2
    captured = capsys.readouterr()
    assert "nope" in captured.err and "ring " not in captured.out
