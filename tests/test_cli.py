"""The command line: python -m gan_course {list,train,sample}. Bad input: one line, exit 2."""

import json
import os
import random
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import torch

from gan_course.__main__ import main as course_main
from gan_course.experiments import PRESETS
from tools.__main__ import main as tools_main

FAST = ["--set", "g_hidden=32", "--set", "d_hidden=32", "--set", "log_every=1", "--quiet"]


ROOT = Path(__file__).resolve().parents[1]
MODULE = {"bench": "tools", "seeds": "tools", "site": "tools", "time-notebooks": "tools",
          "student": "classroom", "grade": "classroom", "slides": "classroom"}  # the rest: gan_course's own


def main(argv: list[str]) -> int:
    """The command line that has ``argv[0]``, called in this process: the tools' or gan_course's."""
    return (tools_main if MODULE.get(argv[0]) == "tools" else course_main)(argv)


def run_cli(*args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "GAN_COURSE_OFFLINE": "1"}
    module = MODULE.get(args[0], "gan_course") if args else "gan_course"
    return subprocess.run([sys.executable, "-m", module, *args], capture_output=True, text=True, env=env,
                          cwd=ROOT, timeout=300)


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
    (["train", "vanilla", "--set", "d_steps=0", "--out", "X"], "d_steps must be an integer from 1 to 100"),
    (["train", "vanilla", "--set", "g_steps=0", "--out", "X"], "g_steps must be an integer from 1 to 100"),
    (["train", "vanilla", "--steps", "0", "--out", "X"], "--steps must be an integer from 1 to 10**9, got 0"),
    (["sample", "/nonexistent/run", "--n", "3", "--out", "X.npz"], "does not exist"),
    (["bench", "--try", "vanilla", "d_steps=0"], "--try vanilla: d_steps must be an integer from 1 to 100"),
    (["bench", "--try", "ring", "lr_d=1e-3"], "--try expects a preset (vanilla or cgan)"),
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


# --- runs are never lost or mixed ---------------------------------------------------------------

def _no_training(monkeypatch):
    import gan_course.__main__ as cli

    def refuse(*args, **kwargs):
        raise AssertionError("training started although --out was unusable")

    monkeypatch.setattr(cli, "train", refuse)


def test_an_existing_run_is_refused_without_force(vanilla_run, monkeypatch, capsys):
    _no_training(monkeypatch)
    before = (vanilla_run / "generator.pt").read_bytes()
    assert main(["train", "cgan", "--steps", "2", "--out", str(vanilla_run)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.endswith(f"--out {vanilla_run} already holds a run; pass --force to replace it")
    assert (vanilla_run / "generator.pt").read_bytes() == before


def test_force_replaces_a_run_as_a_whole(tmp_path):
    out = tmp_path / "run"
    assert main(["train", "vanilla", "--steps", "2", *FAST, "--out", str(out)]) == 0
    assert main(["train", "vanilla", "--steps", "3", *FAST, "--set", "g_hidden=16", "--force", "--out", str(out)]) == 0
    assert json.loads((out / "config.json").read_text())["g_hidden"] == [16]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run"]  # no temporary or old copies left


def test_an_out_under_a_file_is_refused_before_training(tmp_path, monkeypatch, capsys):
    _no_training(monkeypatch)
    (tmp_path / "afile").write_text("x")
    assert main(["train", "vanilla", "--out", str(tmp_path / "afile" / "run")]) == 2
    assert f"{tmp_path / 'afile'} is a file, so the directory cannot be created" in capsys.readouterr().err


def test_an_out_that_is_a_file_is_refused_before_training(tmp_path, monkeypatch, capsys):
    _no_training(monkeypatch)
    (tmp_path / "afile").write_text("x")
    assert main(["train", "vanilla", "--out", str(tmp_path / "afile")]) == 2
    assert "is a file, not a run directory" in capsys.readouterr().err


@pytest.mark.skipif(os.geteuid() == 0, reason="root may write anywhere")
def test_an_out_without_write_permission_is_refused_before_training(tmp_path, monkeypatch, capsys):
    _no_training(monkeypatch)
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o500)
    assert main(["train", "vanilla", "--out", str(locked / "run")]) == 2
    assert "no permission to write" in capsys.readouterr().err


def test_an_interrupted_save_leaves_the_old_run_whole(vanilla_run, tmp_path, monkeypatch):
    import shutil

    from gan_course import checkpoints
    from gan_course.checkpoints import load_run, save_run
    from gan_course.train import train

    run_dir = tmp_path / "run"
    shutil.copytree(vanilla_run, run_dir)
    old = load_run(run_dir).generator.state_dict()
    new = train(load_run(run_dir).config, seed=9, steps=2, progress=False)
    calls, real_save = [], torch.save

    def interrupted_save(obj, path):
        calls.append(path)
        if len(calls) == 2:
            raise KeyboardInterrupt  # Ctrl-C after the new generator, before the discriminator
        real_save(obj, path)

    monkeypatch.setattr(checkpoints.torch, "save", interrupted_save)
    with pytest.raises(KeyboardInterrupt):
        save_run(new, run_dir)
    monkeypatch.undo()
    again = load_run(run_dir).generator.state_dict()
    assert all(torch.equal(again[k], v) for k, v in old.items())
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run"]


def test_config_json_records_the_rounds_actually_trained(tmp_path):
    out = tmp_path / "short"
    assert main(["train", "vanilla", "--steps", "4", *FAST, "--out", str(out)]) == 0
    assert json.loads((out / "config.json").read_text())["steps"] == 4


# --- one line for every bad input, never a traceback ----------------------------------------------

@pytest.mark.parametrize("args, message", [
    (["train", "vanilla", "--set", "batch_size=1000000000", "--out", "X"], "batch_size must be an integer from 1 to 10,000"),
    (["train", "vanilla", "--set", "lr_g=1e39", "--out", "X"], "lr_g (learning rate) must be at most 10, got 1e+39"),
    (["train", "dropout", "--set", "lr_g=1e6", "--set", "lr_d=1e6", "--out", "X"], "must be at most 10"),
    (["train", "vanilla", "--seed", str(2**70), "--out", "X"], "--seed must be an integer from 0 to 2**63 - 1, got"),
    (["train", "vanilla", "--seed", "-1", "--out", "X"], "--seed must be an integer from 0 to 2**63 - 1, got -1"),
    (["seeds", "ring", "--seeds", "0-1000000000000"], "at most 1000 seeds"),
    (["seeds", "ring", "--seeds", "-3"], "--seeds must look like 0-9 or 0,3,5"),
])
def test_hostile_input_gets_one_line_and_exit_code_2(args, message, capsys, tmp_path):
    args = [a.replace("X", str(tmp_path / "x")) for a in args]
    assert main(args) == 2
    err = capsys.readouterr().err.strip()
    assert message in err and len(err.splitlines()) == 1, err


def test_divergence_gets_one_line_not_a_traceback(tmp_path):
    result = run_cli("train", "vanilla", "--steps", "200", "--set", "optimizer=sgd", "--set", "lr_d=10",
                     "--set", "lr_g=10", "--quiet", "--out", str(tmp_path / "nan"))
    assert result.returncode == 2
    assert "training diverged" in result.stderr and len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert not (tmp_path / "nan").exists()


def test_sample_asks_for_a_sane_number_of_samples(vanilla_run, capsys, tmp_path):
    assert main(["sample", str(vanilla_run), "--n", str(10**8), "--out", str(tmp_path / "s.npz")]) == 2
    assert "--n must be from 1 to 100,000, got 100000000" in capsys.readouterr().err


def test_sample_reports_the_file_it_wrote(vanilla_run, capsys, tmp_path):
    assert main(["sample", str(vanilla_run), "--n", "2", "--out", str(tmp_path / "s_noext")]) == 0
    assert f"to {tmp_path / 's_noext.npz'}" in capsys.readouterr().out
    assert (tmp_path / "s_noext.npz").is_file() and not (tmp_path / "s_noext").exists()


def test_sample_of_a_file_says_it_is_not_a_run_directory(tmp_path, capsys):
    (tmp_path / "afile").write_text("x")
    assert main(["sample", str(tmp_path / "afile"), "--n", "2", "--out", str(tmp_path / "s.npz")]) == 2
    assert "is a file, not a run directory" in capsys.readouterr().err


@pytest.mark.parametrize("damage, message", [
    (lambda run: torch.save(torch.zeros(3), run / "generator.pt"), "expected a state dict of tensors, got Tensor"),
    (lambda run: torch.save([1, 2], run / "generator.pt"), "expected a state dict of tensors, got list"),
    (lambda run: _edit_config(run, latent_dim="abc"), "latent_dim must be an integer"),
    (lambda run: _edit_config(run, conditional="yes"), "conditional must be true or false"),
    (lambda run: _edit_config(run, g_hidden="wide"), "g_hidden must be layer sizes"),
    (lambda run: _nan_weights(run), "NaN or infinite weights"),
])
def test_sample_names_each_damaged_file_in_one_line(vanilla_run, tmp_path, capsys, damage, message):
    import shutil

    broken = tmp_path / "broken"
    shutil.copytree(vanilla_run, broken)
    damage(broken)
    assert main(["sample", str(broken), "--n", "3", "--out", str(tmp_path / "s.npz")]) == 2
    err = capsys.readouterr().err.strip()
    assert message in err and len(err.splitlines()) == 1, err


def _edit_config(run, **changes):
    config = json.loads((run / "config.json").read_text())
    (run / "config.json").write_text(json.dumps({**config, **changes}))


def _nan_weights(run):
    state = torch.load(run / "generator.pt", weights_only=True)
    state["net.0.weight"][0, 0] = float("nan")
    torch.save(state, run / "generator.pt")


# --- issue 31: runs that vanish, Ctrl-C, sizes that do not fit -----------------------------------

@pytest.mark.parametrize("out", [".", ""])
def test_train_out_the_current_folder_or_empty_is_refused_before_training(out, tmp_path, monkeypatch, capsys):
    """Before, `train --out .` in an empty folder trained the whole budget, then failed to rename '.'."""
    _no_training(monkeypatch)
    monkeypatch.chdir(tmp_path)
    assert main(["train", "vanilla", "--out", out]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and ("is the current folder" in err or "--out is empty" in err), err
    assert list(tmp_path.iterdir()) == [] and list(tmp_path.parent.glob(f".{tmp_path.name}*")) == []


def _wait_for_training(proc: subprocess.Popen) -> None:
    """Until ``proc`` (a `train`) has loaded its data, i.e. is training."""
    for line in proc.stdout:
        if line.startswith("Data:"):
            return
    raise AssertionError("train stopped before training")


def test_ctrl_c_while_training_is_one_line_exit_130_and_the_old_run_stays(vanilla_run, tmp_path):
    """Before, Ctrl-C printed a 28-line traceback."""
    import shutil
    import signal
    out = tmp_path / "run"
    shutil.copytree(vanilla_run, out)
    before = (out / "generator.pt").read_bytes()
    proc = subprocess.Popen([sys.executable, "-m", "gan_course", "train", "vanilla", "--steps", str(10**8), *FAST,
                             "--seed", "5", "--force", "--out", str(out)], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, cwd=ROOT, env={**os.environ, "GAN_COURSE_OFFLINE": "1"})
    _wait_for_training(proc)
    time.sleep(random.uniform(0.0, 0.7))  # at some round
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, err
    assert err.strip() == (f"python -m gan_course train: training was interrupted; nothing was saved, and {out} is "
                           "as it was")
    assert (out / "generator.pt").read_bytes() == before


def test_ctrl_c_while_saving_lets_the_save_finish_and_says_so(vanilla_run, tmp_path, monkeypatch, capsys):
    import shutil
    import signal

    import gan_course.__main__ as cli
    out = tmp_path / "run"
    shutil.copytree(vanilla_run, out)
    real_save = cli.save_run

    def save_with_ctrl_c(*args, **kwargs):
        signal.raise_signal(signal.SIGINT)  # Ctrl-C as the save starts
        return real_save(*args, **kwargs)

    monkeypatch.setattr(cli, "save_run", save_with_ctrl_c)
    assert main(["train", "vanilla", "--steps", "2", *FAST, "--seed", "5", "--force", "--out", str(out)]) == 130
    assert capsys.readouterr().err.strip() == (f"python -m gan_course train: interrupted while saving; the run was "
                                               f"saved to {out} all the same")
    assert json.loads((out / "config.json").read_text())["meta"]["seed"] == 5
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler  # Ctrl-C works as before afterwards


def test_more_hidden_layers_than_the_bound_are_refused(capsys, tmp_path):
    layers = ",".join(["10000"] * 15)
    assert main(["train", "vanilla", "--set", f"g_hidden={layers}", "--out", str(tmp_path / "x")]) == 2
    err = capsys.readouterr().err.strip()
    assert err.endswith("g_hidden must have at most 8 hidden layers, got 15") and len(err.splitlines()) == 1


def test_sizes_that_do_not_fit_in_memory_are_refused_before_allocating(capsys, tmp_path, monkeypatch):
    from gan_course import config
    monkeypatch.setattr(config, "_memory_free", lambda: 2 * 10**9)  # a laptop with 2 GB free
    _no_training(monkeypatch)
    layers = ",".join(["10000"] * 8)
    argv = ["train", "vanilla", "--set", "batch_size=10000", "--set", f"g_hidden={layers}", "--set",
            f"d_hidden={layers}", "--out", str(tmp_path / "x")]
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert "g_hidden, d_hidden and batch_size need about" in err and "2.0 GB free" in err and "\n" not in err, err


def test_torchs_allocator_error_is_one_line(capsys, tmp_path, monkeypatch):
    import gan_course.__main__ as cli

    def allocate(*args, **kwargs):
        raise RuntimeError("[enforce fail at alloc_cpu.cpp:117] data. DefaultCPUAllocator: can't allocate memory: "
                           "you tried to allocate 400000000000 bytes. Error code 12 (Cannot allocate memory)")

    monkeypatch.setattr(cli, "train", allocate)
    assert main(["train", "vanilla", "--out", str(tmp_path / "x")]) == 2
    err = capsys.readouterr().err.strip()
    assert err == "python -m gan_course train: error: out of memory: choose a smaller batch_size, network or --n"


def test_sample_of_a_config_with_300_layers_is_one_line(vanilla_run, tmp_path, capsys):
    import shutil
    run = tmp_path / "run"
    shutil.copytree(vanilla_run, run)
    _edit_config(run, g_hidden=[10_000] * 300)
    assert main(["sample", str(run), "--n", "2", "--out", str(tmp_path / "s.npz")]) == 2
    err = capsys.readouterr().err.strip()
    assert "g_hidden must have at most 8 hidden layers, got 300" in err and "\n" not in err, err


def test_a_plain_pickle_generator_is_refused_in_one_line(vanilla_run, tmp_path):
    import pickle
    import shutil
    run = tmp_path / "run"
    shutil.copytree(vanilla_run, run)
    (run / "generator.pt").write_bytes(pickle.dumps({"weight": [1.0, 2.0]}))
    done = run_cli("sample", str(run), "--n", "2", "--out", str(tmp_path / "s.npz"))
    assert done.returncode == 2
    line = (f"python -m gan_course sample: error: {run / 'generator.pt'} is corrupt or not a weights-only "
            "checkpoint (UnpicklingError)")
    assert done.stderr.strip().splitlines() == [line]
