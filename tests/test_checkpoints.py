"""Pre-trained mode: a notebook uses checkpoints/NAME when it is usable, else trains live."""

import pytest
import torch

from gan_course.checkpoints import CheckpointError, load_or_train, load_run, save_run
from gan_course.data import load_mnist
from gan_course.config import GANConfig
from gan_course.train import train

TINY = GANConfig(g_hidden=(32,), d_hidden=(32,), batch_size=16, steps=3, snapshot_every=2)


@pytest.fixture(scope="module")
def digits():
    return load_mnist(verbose=False)


@pytest.fixture()
def checkpoints(tmp_path, monkeypatch, digits):
    monkeypatch.setenv("GAN_COURSE_CHECKPOINTS", str(tmp_path))
    save_run(train(TINY.replace(steps=5), digits, seed=0, progress=False), tmp_path / "tiny", preset="tiny", seed=0)
    return tmp_path


def test_a_saved_run_loads_back_with_the_same_weights_and_snapshots(digits, tmp_path):
    result = train(TINY, digits, seed=1, progress=False, device="cpu")
    loaded = load_run(save_run(result, tmp_path / "run"))
    for a, b in zip(result.generator.state_dict().values(), loaded.generator.state_dict().values()):
        assert torch.equal(a, b)
    assert [s["step"] for s in loaded.snapshots] == [s["step"] for s in result.snapshots]
    assert loaded.history == result.history


def test_a_matching_checkpoint_is_used_and_announced(checkpoints, digits, capsys):
    result = load_or_train("tiny", TINY, digits, progress=False)
    assert "Using the pre-trained run" in capsys.readouterr().out
    assert result.history["step"][-1] == 5  # the checkpoint's 5 steps, not the config's 3


def test_a_missing_checkpoint_trains_live(checkpoints, digits, capsys):
    result = load_or_train("other", TINY, digits, progress=False)
    assert capsys.readouterr().out == "" and result.history["step"][-1] == 3


def test_a_corrupt_checkpoint_falls_back_with_one_line(checkpoints, digits, capsys):
    (checkpoints / "tiny" / "generator.pt").write_bytes(b"garbage")
    result = load_or_train("tiny", TINY, digits, progress=False)
    out = capsys.readouterr().out.strip()
    assert len(out.splitlines()) == 1 and "corrupt" in out and "Training live" in out
    assert result.history["step"][-1] == 3


def test_a_mismatched_checkpoint_falls_back_and_names_the_difference(checkpoints, digits, capsys):
    result = load_or_train("tiny", TINY.replace(g_hidden=(64,)), digits, progress=False)
    out = capsys.readouterr().out
    assert "differs in g_hidden" in out and "Training live" in out
    assert result.generator.net[0].out_features == 64


def test_weights_that_do_not_fit_the_config_are_named(checkpoints):
    state = torch.load(checkpoints / "tiny" / "generator.pt", weights_only=True)
    state["net.0.weight"] = torch.zeros(3, 3)
    torch.save(state, checkpoints / "tiny" / "generator.pt")
    with pytest.raises(CheckpointError, match="does not match config.json"):
        load_run(checkpoints / "tiny")


def test_notebook_03_uses_its_two_pre_trained_runs(tmp_path, monkeypatch, digits, capsys):
    from gan_course.lessons.nb03_saturation import CHECKPOINT_NAMES, compare_losses

    monkeypatch.setenv("GAN_COURSE_CHECKPOINTS", str(tmp_path))
    saved = {}
    for loss, name in CHECKPOINT_NAMES.items():
        run = train(TINY.replace(loss=loss, log_every=1, steps=12), digits, seed=5, progress=False)
        save_run(run, tmp_path / name)
        saved[loss] = run
    result = compare_losses(TINY, digits, seed=0, steps=3, window=(1, 10), pretrained=True)
    assert capsys.readouterr().out.count("Using the pre-trained run") == 2
    for loss, run in saved.items():
        loaded = getattr(result, loss).generator.state_dict()
        assert all(torch.equal(a, b) for a, b in zip(run.generator.state_dict().values(), loaded.values()))
        assert getattr(result, loss).history["step"][-1] == 12


def test_notebook_03_trains_live_without_checkpoints(tmp_path, monkeypatch, digits, capsys):
    import gan_course.checkpoints as ck
    from gan_course.lessons.nb03_saturation import compare_losses

    monkeypatch.setenv("GAN_COURSE_CHECKPOINTS", str(tmp_path))
    monkeypatch.chdir(tmp_path)  # no checkpoints/ beside the working directory either
    monkeypatch.setattr(ck, "SHIPPED_RUNS", tmp_path / "shipped")  # nor shipped with the course
    result = compare_losses(TINY, digits, seed=0, steps=12, window=(1, 10), pretrained=True)
    assert "pre-trained" not in capsys.readouterr().out
    assert result.saturating.history["step"][-1] == 12


# --- pre-trained mode never breaks a notebook: anything unusable falls back with one line ------------

def _falls_back(checkpoints, digits, capsys, reason: str, **kwargs) -> None:
    result = load_or_train("tiny", TINY, digits, progress=False, **kwargs)
    out = capsys.readouterr().out.strip()
    assert len(out.splitlines()) == 1 and reason in out and "Training live instead" in out, out
    assert result.history["step"][-1] == kwargs.get("steps", TINY.steps)  # trained live


def test_a_run_shorter_than_live_training_falls_back(checkpoints, digits, capsys):
    _falls_back(checkpoints, digits, capsys, "it trained 5 rounds, fewer than the 8 trained live here", steps=8)


def test_a_run_without_snapshots_falls_back(checkpoints, digits, capsys):
    (checkpoints / "tiny" / "snapshots.pt").unlink()
    _falls_back(checkpoints, digits, capsys, "snapshots.pt is missing")


def test_snapshots_without_their_keys_fall_back(checkpoints, digits, capsys):
    torch.save({"steps": torch.tensor([0, 2])}, checkpoints / "tiny" / "snapshots.pt")
    _falls_back(checkpoints, digits, capsys, "expected tensors 'steps' and 'samples'")


def test_a_generator_file_holding_a_list_falls_back(checkpoints, digits, capsys):
    torch.save([1, 2, 3], checkpoints / "tiny" / "generator.pt")
    _falls_back(checkpoints, digits, capsys, "expected a state dict of tensors, got list")


def test_nan_weights_fall_back(checkpoints, digits, capsys):
    state = torch.load(checkpoints / "tiny" / "discriminator.pt", weights_only=True)
    state["net.0.bias"][:] = float("nan")
    torch.save(state, checkpoints / "tiny" / "discriminator.pt")
    _falls_back(checkpoints, digits, capsys, "NaN or infinite weights")


def test_a_config_with_wrongly_typed_fields_falls_back(checkpoints, digits, capsys):
    import json

    path = checkpoints / "tiny" / "config.json"
    path.write_text(json.dumps({**json.loads(path.read_text()), "batch_size": "16"}))
    _falls_back(checkpoints, digits, capsys, "batch_size must be an integer")


def test_a_history_missing_a_key_falls_back(checkpoints, digits, capsys):
    import json

    path = checkpoints / "tiny" / "history.json"
    history = json.loads(path.read_text())
    del history["d_fake"]
    path.write_text(json.dumps(history))
    _falls_back(checkpoints, digits, capsys, "history.json is corrupt")


def test_the_announced_rounds_are_the_rounds_trained(checkpoints, digits, capsys):
    load_or_train("tiny", TINY, digits, progress=False)
    assert "(5 rounds, seed 0," in capsys.readouterr().out


def test_notebook_03_with_a_short_pre_trained_run_trains_live(tmp_path, monkeypatch, digits, capsys):
    from gan_course.lessons.nb03_saturation import CHECKPOINT_NAMES, compare_losses

    monkeypatch.setenv("GAN_COURSE_CHECKPOINTS", str(tmp_path))
    for loss, name in CHECKPOINT_NAMES.items():
        save_run(train(TINY.replace(loss=loss, log_every=1, steps=4), digits, seed=5, progress=False), tmp_path / name)
    result = compare_losses(TINY, digits, seed=0, steps=12, window=(5, 10), pretrained=True)
    assert capsys.readouterr().out.count("fewer than the 12 trained live here") == 2
    assert result.saturating.history["step"][-1] == 12


# --- which saved run stands in for a live one: same data, same seed; the instructor's before the shipped one ----

def test_a_run_trained_on_other_data_is_not_used_and_both_data_are_named(checkpoints, digits, capsys):
    from gan_course.data import Digits

    other = Digits(digits.images, digits.labels, "MNIST via torchvision (60,000 training digits)")
    result = load_or_train("tiny", TINY, other, progress=False)
    out = capsys.readouterr().out.strip()
    assert out == (f"Not using the pre-trained run in {checkpoints / 'tiny'}: it was trained on {digits.source}, and "
                   f"this notebook's data is {other.source}. Training live instead.")
    assert result.history["step"][-1] == TINY.steps


def test_a_run_trained_with_another_seed_is_not_used(checkpoints, digits, capsys):
    _falls_back(checkpoints, digits, capsys, "it was trained with seed 0, and this notebook's seed is 4", seed=4)


def test_live_true_trains_even_when_a_run_is_usable(checkpoints, digits, capsys):
    result = load_or_train("tiny", TINY, digits, progress=False, live=True)
    assert capsys.readouterr().out == "" and result.history["step"][-1] == TINY.steps


def test_the_shipped_run_is_the_last_resort_after_the_instructor_s(checkpoints, digits, capsys, tmp_path_factory,
                                                                   monkeypatch):
    import gan_course.checkpoints as ck

    shipped = tmp_path_factory.mktemp("shipped")
    save_run(train(TINY.replace(steps=7), digits, seed=0, progress=False), shipped / "tiny", preset="tiny", seed=0)
    monkeypatch.setattr(ck, "SHIPPED_RUNS", shipped)
    monkeypatch.chdir(shipped)  # no checkpoints/ beside the working folder
    assert load_or_train("tiny", TINY, digits, progress=False).history["step"][-1] == 5  # the instructor's
    assert "Using the pre-trained run in" in capsys.readouterr().out
    (checkpoints / "tiny" / "history.json").write_text("{}")  # the instructor's breaks: the shipped one stands in
    result = load_or_train("tiny", TINY, digits, progress=False)
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 2 and "Not using the pre-trained run in" in lines[0] and "history.json is corrupt" in lines[0]
    assert lines[1].startswith("Using the pre-trained run of 'tiny' shipped with the course (7 rounds, seed 0, on ")
    assert result.history["step"][-1] == 7


def test_what_a_callback_adds_to_the_snapshots_is_saved_and_loaded(digits, tmp_path):
    import numpy as np

    def callback(step, g, d):  # what notebook 04's frames hold: tensors, numpy maps, numbers, lists in a dict
        return {"fake": torch.full((3, 2), float(step)), "heatmap": np.full((3, 3), step, dtype=np.float32),
                "lim": 1.5, "metrics": {"modes": step % 3, "share": np.float64(0.25), "per_mode": [1, 2]}}

    result = train(TINY, digits, seed=0, progress=False, callback=callback)
    loaded = load_run(save_run(result, tmp_path / "run"))
    for a, b in zip(loaded.snapshots, result.snapshots):
        assert torch.equal(a["fake"], b["fake"]) and a["lim"] == b["lim"] and a["metrics"] == b["metrics"]
        assert isinstance(a["heatmap"], np.ndarray) and np.array_equal(a["heatmap"], b["heatmap"])


def test_a_snapshot_extra_that_cannot_be_saved_is_named_and_nothing_is_written(digits, tmp_path):
    result = train(TINY, digits, seed=0, progress=False, callback=lambda step, g, d: {"figure": object()})
    with pytest.raises(ValueError, match=r"snapshot 0\['figure'\]: a object cannot be saved with a run"):
        save_run(result, tmp_path / "run")
    assert not (tmp_path / "run").exists()


def test_snapshot_extras_that_do_not_fit_fall_back(checkpoints, digits, capsys):
    path = checkpoints / "tiny" / "snapshots.pt"
    torch.save({**torch.load(path, weights_only=True), "extras": [{}]}, path)
    _falls_back(checkpoints, digits, capsys, "expected one dict of extras per snapshot")


def test_a_history_that_keeps_only_its_last_row_is_refused(digits, tmp_path):
    """Before, a strong-d run so cut was accepted and notebook 03 then failed with 'no logged steps in (101, 400)'."""
    import json
    run = save_run(train(TINY.replace(log_every=1), digits, seed=0, progress=False), tmp_path / "run")
    history = json.loads((run / "history.json").read_text())
    (run / "history.json").write_text(json.dumps({k: v[-1:] for k, v in history.items()}))
    with pytest.raises(CheckpointError, match=r"history.json is incomplete: 3 rounds logged every 1 give 3 rows "
                                              r"\(rounds 1 to 3\), and it holds 1"):
        load_run(run)


def test_the_rounds_a_run_logs_are_the_first_every_log_every_th_and_the_last():
    from gan_course.checkpoints import logged_rounds
    assert logged_rounds(25, 10) == [1, 10, 20, 25]
    assert logged_rounds(20, 10) == [1, 10, 20]
    assert logged_rounds(3, 1) == [1, 2, 3]
    assert logged_rounds(35, 10, first=21) == [21, 30, 35]  # a run continued from round 20


def test_a_continued_run_saves_and_loads_with_its_own_first_round(digits, tmp_path):
    first = train(TINY.replace(log_every=2), digits, seed=0, steps=3, progress=False)
    more = train(TINY.replace(log_every=2), digits, steps=4, progress=False, state=first.state)
    assert load_run(save_run(more, tmp_path / "run")).history["step"] == [4, 6, 7]


def test_a_plain_pickle_generator_is_refused_without_torchs_warning(digits, tmp_path):
    import pickle
    import warnings
    run = save_run(train(TINY, digits, seed=0, progress=False), tmp_path / "run")
    (run / "generator.pt").write_bytes(pickle.dumps({"weight": [1.0]}, protocol=4))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with pytest.raises(CheckpointError, match="corrupt or not a weights-only checkpoint"):
            load_run(run)
    assert [str(w.message) for w in caught] == []
