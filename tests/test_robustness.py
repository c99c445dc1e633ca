"""``python -m tools seeds``: one line per preset and seed, with the figure the notebook asserts."""

import numpy as np
import pytest

from tools.__main__ import main
from tools.robustness import parse_seeds


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


def _fake_study(monkeypatch, knob: dict):
    from tools import robustness

    study = robustness.Study("fake", "00", "a study that trains nothing",
                             lambda seed, steps: {"value": seed * 2, "array": np.arange(2)},
                             lambda: dict(knob), lambda f: f"value {f['value']}")
    monkeypatch.setitem(robustness.STUDIES, "fake", study)
    return study


def test_saved_results_load_back_per_seed_with_the_command_that_made_them(monkeypatch, tmp_path, capsys):
    from tools.robustness import load_results, run_seeds

    _fake_study(monkeypatch, {"lr": 1e-3})
    assert run_seeds(["fake"], [0, 3], save=True, directory=tmp_path) == 0
    assert "fake                 seed  3  value 6" in capsys.readouterr().out
    record = load_results("fake", tmp_path)
    assert record["seeds"] == {0: {"value": 0, "array": [0, 1]}, 3: {"value": 6, "array": [0, 1]}}
    assert record["command"] == "python -m tools seeds fake --seeds 0,3 --save"


def test_results_made_with_other_settings_are_stale(monkeypatch, tmp_path):
    from tools.robustness import StaleResults, load_results, run_seeds

    knob = {"lr": 1e-3}
    _fake_study(monkeypatch, knob)
    run_seeds(["fake"], [0], save=True, directory=tmp_path)
    _fake_study(monkeypatch, {"lr": 2e-3})  # a TA changed the setting
    with pytest.raises(StaleResults, match="remake it with `python -m tools seeds fake --seeds 0 --save`"):
        load_results("fake", tmp_path)


def test_missing_results_say_how_to_make_them(tmp_path):
    from tools.robustness import load_results

    with pytest.raises(FileNotFoundError, match="python -m tools seeds ring --seeds 0-9 --save"):
        load_results("ring", tmp_path)


def test_every_saved_results_file_matches_the_code():
    """A TA who changes a preset learns here which results files to remake."""
    from tools.robustness import RESULTS_DIR, load_results

    for path in sorted(RESULTS_DIR.glob("*.json")):
        load_results(path.stem)  # raises StaleResults with the command


def test_unequal_figures_compares_every_digit_but_not_the_timings():
    from tools.robustness import unequal_figures

    saved = {"fd": 91.8, "seconds": 40.0, "arm": {"ratio": 0.5, "control_seconds": 3.0}, "steps": 6000}
    assert unequal_figures({**saved, "seconds": 41.2, "arm": {"ratio": 0.5, "control_seconds": 2.9}}, saved) == []
    assert unequal_figures({**saved, "fd": np.float64(91.8)}, saved) == []  # as JSON stores it
    assert unequal_figures({**saved, "fd": 91.8 * (1 + 1e-7)}, saved) == []  # rounding of another thread count
    assert unequal_figures({**saved, "fd": 91.8 * (1 + 1e-5)}, saved) == ["fd"]
    assert unequal_figures({**saved, "steps": 6001}, saved) == ["steps"]  # integers exactly
    assert unequal_figures({**saved, "arm": {"ratio": 0.51}}, saved) == ["arm"]
    assert unequal_figures({k: v for k, v in saved.items() if k != "steps"}, saved) == ["steps"]


def _counting_study(monkeypatch, value):
    """A fake study whose figure for a seed is ``value(seed)``; returns the list of seeds it trained."""
    from tools import robustness

    trained = []

    def measure(seed, steps):
        trained.append(seed)
        return {"value": value(seed), "seconds": 1.0}

    monkeypatch.setitem(robustness.STUDIES, "fake", robustness.Study(
        "fake", "00", "a study that trains nothing", measure, lambda: {"lr": 1e-3}, lambda f: ""))
    return trained


def test_the_check_seed_is_trained_here_and_the_other_rows_read_from_the_table(monkeypatch, tmp_path):
    from tools.robustness import run_seeds
    from helpers import assert_table_reproduced, study_figures

    trained = _counting_study(monkeypatch, lambda seed: seed * 2)
    run_seeds(["fake"], [0, 1, 2], save=True, directory=tmp_path)
    trained = _counting_study(monkeypatch, lambda seed: seed * 3)  # another CPU: other figures, the same code
    figures = study_figures("fake", (0, 1, 2), check=1, directory=tmp_path)
    assert trained == [1] and figures.checked == 1 and figures.stale is None
    assert {s: r["value"] for s, r in figures.rows.items()} == {0: 0, 1: 3, 2: 4}
    assert_table_reproduced(figures)  # a table is fresh by its fingerprint, not by equal figures


def test_a_table_made_with_other_settings_is_named_stale_with_the_command_that_remakes_it(monkeypatch, tmp_path):
    from gan_course.results import load_results
    from tools import robustness
    from helpers import assert_table_reproduced, study_figures

    _counting_study(monkeypatch, lambda seed: seed)
    robustness.run_seeds(["fake"], [0, 1], save=True, directory=tmp_path)
    study = robustness.STUDIES["fake"]
    monkeypatch.setitem(robustness.STUDIES, "fake", robustness.Study(
        "fake", "00", "", study.measure, lambda: {"lr": 2e-3}, study.line))  # a TA changed the setting
    figures = study_figures("fake", (0, 1), check=0, directory=tmp_path)
    assert "remake it with `python -m tools seeds fake --seeds 0,1 --save`" in figures.stale
    with pytest.raises(AssertionError, match="remake it with"):
        assert_table_reproduced(figures)
    assert load_results("fake", tmp_path)["seeds"][1] == {"value": 1, "seconds": 1.0}  # a notebook still reads it


def test_a_seed_the_table_lacks_is_named_with_the_command_that_remakes_it(monkeypatch, tmp_path):
    from tools.robustness import run_seeds
    from helpers import study_figures

    _counting_study(monkeypatch, lambda seed: seed)
    run_seeds(["fake"], [0, 1], save=True, directory=tmp_path)
    with pytest.raises(LookupError, match=r"fake.json has no row for seed\(s\) \[5\]; remake it with `python -m"):
        study_figures("fake", (0, 1, 5), check=0, directory=tmp_path)


def test_there_is_one_table_per_study_and_no_table_per_cpu():
    from tools.robustness import RESULTS_DIR

    assert [str(p) for p in RESULTS_DIR.rglob("*.json") if p.parent != RESULTS_DIR] == []
