"""``python -m tools bench`` on tiny budgets: every row, every column, the baseline's time budgets."""

import pytest

from tools.bench import format_table, run_bench

ROW_NAMES = ["real digits (training set)", "vanilla", "gan.py, equal time", "gan.py, 5x time", "cgan"]


@pytest.fixture(scope="module")
def bench():
    lines: list[str] = []
    rows = run_bench(vanilla_steps=3, cgan_steps=3, n_eval=100, echo=lines.append)
    return rows, lines


def test_bench_has_one_row_each_for_real_digits_vanilla_gan_py_twice_and_cgan(bench):
    rows, _ = bench
    assert [r["name"] for r in rows] == ROW_NAMES


def test_every_row_has_fd_classes_shares_and_nearest_neighbour_ratio(bench):
    rows, _ = bench
    for r in rows:
        assert r["fd"] >= 0 and 0 <= r["classes"] <= 10 and 0 <= r["min_share"] <= r["max_share"] <= 1
        assert r["nn_ratio"] >= 0


def test_real_digits_are_copies_of_the_training_set(bench):
    real = bench[0][0]
    assert real["nn_ratio"] < 1e-3 and real["steps"] is None


def test_presets_train_their_given_steps_and_report_steps_per_second(bench):
    rows = {r["name"]: r for r in bench[0]}
    for name in ("vanilla", "cgan"):
        assert rows[name]["steps"] == 3
        assert rows[name]["steps_per_s"] == pytest.approx(3 / rows[name]["seconds"])


def test_gan_py_trains_as_long_as_vanilla_and_five_times_longer(bench):
    rows = {r["name"]: r for r in bench[0]}
    vanilla = rows["vanilla"]["seconds"]
    assert rows["gan.py, equal time"]["seconds"] >= vanilla
    assert rows["gan.py, 5x time"]["seconds"] >= 5 * vanilla
    assert rows["gan.py, 5x time"]["steps"] >= rows["gan.py, equal time"]["steps"] >= 1


def test_fd_ratio_is_relative_to_gan_py_at_equal_time(bench):
    rows = bench[0]
    assert rows[2]["fd_ratio"] == 1.0
    assert rows[1]["fd_ratio"] == pytest.approx(rows[1]["fd"] / rows[2]["fd"])


def test_only_cgan_has_a_label_accuracy(bench):
    rows = bench[0]
    assert [r["label_accuracy"] is not None for r in rows] == [False] * 4 + [True]


def test_the_printout_names_the_machine_and_has_a_line_per_row(bench):
    rows, lines = bench
    assert lines[0].startswith("machine: ") and "threads" in lines[0]
    table = format_table(rows)
    assert lines[-len(table):] == table
    for name in ROW_NAMES:
        assert sum(line.startswith(name) for line in table) == 1


@pytest.mark.parametrize("kwargs, message", [
    ({"seconds": 0}, "--seconds must be > 0"),
    ({"baseline_factor": -1}, "--baseline-factor must be > 0"),
    ({"baseline_factor": 1e308}, r"--baseline-factor must be > 0 and at most 20 \(times vanilla's seconds\), got 1e\+308"),
    ({"seconds": 1e308}, r"--seconds must be > 0 \(and at most 10\*\*7\)"),
    ({"vanilla_steps": 0}, r"vanilla_steps must be an integer from 1 to 10\*\*9"),
])
def test_bad_budgets_are_named_before_any_training(kwargs, message):
    with pytest.raises(ValueError, match=message):
        run_bench(**kwargs, echo=lambda line: None)


@pytest.fixture(scope="module")
def tried():
    lines: list[str] = []
    rows = run_bench(vanilla_steps=3, cgan_steps=3, n_eval=100, echo=lines.append, baseline=False,
                     tries=[["vanilla", "d_steps=2", "g_hidden=64,128"], ["cgan", "conditional=false"]])
    return rows, lines


def test_a_tried_recipe_is_a_row_under_its_preset_on_the_same_seed_and_budget(tried):
    rows, lines = tried
    names = [r["name"] for r in rows]
    assert names == ["real digits (training set)", "vanilla", "vanilla d_steps=2 g_hidden=64,128", "cgan",
                     "cgan conditional=false"]
    by_name = {r["name"]: r for r in rows}
    assert by_name["vanilla d_steps=2 g_hidden=64,128"]["steps"] == by_name["vanilla"]["steps"] == 3
    assert by_name["vanilla d_steps=2 g_hidden=64,128"]["fd"] != by_name["vanilla"]["fd"]  # other nets, other digits
    # an unconditional change of cgan is scored without labels; the preset's own row keeps its label accuracy
    assert by_name["cgan conditional=false"]["label_accuracy"] is None and by_name["cgan"]["label_accuracy"] is not None
    assert any(line.startswith("vanilla d_steps=2 g_hidden=64,128 ") for line in lines)


def test_without_the_baseline_there_are_no_gan_py_rows_and_no_ratio_to_it(tried):
    rows, lines = tried
    assert not any(r["name"].startswith("gan.py") for r in rows)
    assert all(r["fd_ratio"] is None for r in rows)
    vanilla_line = next(line for line in lines if line.startswith("vanilla "))
    assert vanilla_line.split()[5] == "-"  # steps, s, steps/s, FD, then the empty FD/gan.py column


@pytest.mark.parametrize("tries, message", [
    ([["dropout", "lr_d=1"]], r"--try expects a preset \(vanilla or cgan\) and KEY=VALUE changes, got 'dropout lr_d=1'"),
    ([["vanilla"]], "--try vanilla: give at least one KEY=VALUE change"),
    ([["vanilla", "lr_gg=1e-3"]], "--try vanilla: lr_gg: unknown config key"),
    ([["vanilla", "g_hidden=wide"]], "--try vanilla: g_hidden=wide: expected integers like 256,512"),
    ([["cgan", "lr_g=0"]], r"--try cgan: lr_g \(learning rate\) must be > 0, got 0.0"),
])
def test_a_bad_tried_recipe_is_named_before_any_training(tries, message):
    lines: list[str] = []
    with pytest.raises(ValueError, match=message):
        run_bench(tries=tries, echo=lines.append)
    assert lines == []  # nothing was loaded or trained
