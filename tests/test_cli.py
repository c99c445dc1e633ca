"""The command line: python -m gan_course {list,train,sample}. Bad input: one line, exit 2."""

import json
import os
import subprocess
import sys

import numpy as np
import pytest
import torch

from gan_course.__main__ import main
from gan_course.experiments import PRESETS

FAST = ["--set", "g_hidden=32", "--set", "d_hidden=32", "--set", "log_every=1", "--quiet"]


def run_cli(*args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "GAN_COURSE_OFFLINE": "1"}
    return subprocess.run([sys.executable, "-m", "gan_course", *args], capture_output=True, text=True, env=env,
                          timeout=300)


@pytest.fixture(scope="module")
def vanilla_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("runs") / "vanilla"
    assert main(["train", "vanilla", "--steps", "3", "--seed", "1", *FAST, "--out", str(out)]) == 0
    return out


def test_list_prints_one_line_per_preset():
    result = run_cli("list")
    assert result.returncode == 0
    lines = result.stdout.strip().splitlines()
    assert len(lines) == len(PRESETS)
    assert all(line.split()[0] in PRESETS and len(line.split()) > 2 for line in lines)


def test_train_writes_a_weights_only_state_dict_config_and_history(vanilla_run):
    state = torch.load(vanilla_run / "generator.pt", weights_only=True)
    assert isinstance(state, dict) and all(isinstance(v, torch.Tensor) for v in state.values())
    config = json.loads((vanilla_run / "config.json").read_text())
    assert config["g_hidden"] == [32] and config["loss"] == "non_saturating"
    history = json.loads((vanilla_run / "history.json").read_text())
    for key in ("step", "d_loss", "g_loss", "g_grad_norm", "d_real", "d_fake"):
        assert len(history[key]) == 3
    assert history["step"] == [1, 2, 3]


def test_sample_writes_float32_images_in_minus_one_to_one(vanilla_run, tmp_path):
    assert main(["sample", str(vanilla_run), "--n", "7", "--out", str(tmp_path / "s.npz")]) == 0
    with np.load(tmp_path / "s.npz") as f:
        assert set(f.files) == {"images"}
        assert f["images"].dtype == np.float32 and f["images"].shape == (7, 1, 28, 28)
        assert f["images"].min() >= -1 and f["images"].max() <= 1


def test_sample_with_the_same_seed_is_reproducible(vanilla_run, tmp_path):
    for name in ("a", "b"):
        main(["sample", str(vanilla_run), "--n", "4", "--seed", "3", "--out", str(tmp_path / f"{name}.npz")])
    assert np.array_equal(np.load(tmp_path / "a.npz")["images"], np.load(tmp_path / "b.npz")["images"])


def test_set_overrides_any_config_field(tmp_path):
    out = tmp_path / "k2"
    assert main(["train", "vanilla", "--steps", "2", *FAST, "--set", "d_steps=2", "--set", "lr_g=0.001",
                 "--out", str(out)]) == 0
    config = json.loads((out / "config.json").read_text())
    assert config["d_steps"] == 2 and config["lr_g"] == 0.001


@pytest.mark.parametrize("args, message", [
    (["train", "nope", "--out", "X"], "unknown preset 'nope'"),
    (["train", "vanilla", "--set", "colour=red", "--out", "X"], "unknown config key"),
    (["train", "vanilla", "--set", "batch_size=big", "--out", "X"], "batch_size=big: expected an integer"),
    (["train", "vanilla", "--set", "lr_d=0", "--out", "X"], "lr_d (learning rate) must be > 0"),
    (["train", "vanilla", "--set", "lr_g=-1", "--out", "X"], "lr_g (learning rate) must be > 0"),
    (["train", "vanilla", "--set", "d_steps=0", "--out", "X"], "d_steps must be an integer >= 1"),
    (["train", "vanilla", "--set", "g_steps=0", "--out", "X"], "g_steps must be an integer >= 1"),
    (["train", "vanilla", "--steps", "0", "--out", "X"], "--steps must be >= 1"),
    (["sample", "/nonexistent/run", "--n", "3", "--out", "X.npz"], "does not exist"),
])
def test_bad_input_gets_one_clear_line_and_exit_code_2(args, message, capsys, tmp_path):
    args = [a.replace("X", str(tmp_path / "x")) for a in args]
    assert main(args) == 2
    err = capsys.readouterr().err.strip()
    assert message in err and len(err.splitlines()) == 1 and "Traceback" not in err


def test_label_for_an_unconditional_preset_is_refused(vanilla_run, capsys, tmp_path):
    assert main(["sample", str(vanilla_run), "--n", "3", "--label", "3", "--out", str(tmp_path / "s.npz")]) == 2
    assert "unconditional" in capsys.readouterr().err


@pytest.mark.parametrize("corrupt", ["generator.pt", "config.json"])
def test_a_corrupt_run_directory_is_named(vanilla_run, corrupt, tmp_path, capsys):
    import shutil

    broken = tmp_path / "broken"
    shutil.copytree(vanilla_run, broken)
    (broken / corrupt).write_bytes(b"\x00 not what it should be")
    assert main(["sample", str(broken), "--n", "3", "--out", str(tmp_path / "s.npz")]) == 2
    err = capsys.readouterr().err
    assert corrupt in err and "corrupt" in err


def test_a_corrupt_history_is_named(vanilla_run, tmp_path):
    import shutil

    from gan_course.checkpoints import CheckpointError, load_run

    broken = tmp_path / "broken"
    shutil.copytree(vanilla_run, broken)
    (broken / "history.json").write_text("{not json")
    with pytest.raises(CheckpointError, match="history.json is corrupt"):
        load_run(broken)


def test_argument_errors_are_one_line_with_exit_code_2():
    result = run_cli("train", "vanilla")  # --out missing
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0 and "--out" in result.stderr
