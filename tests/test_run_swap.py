"""Replacing a run is one atomic step: a reader, an interrupt or a kill always finds a complete run at DIR."""

import os
import random
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import torch

from gan_course.checkpoints import (
    CheckpointError,
    check_out_dir,
    load_config,
    load_run,
    recover_run,
    save_run,
)
from gan_course.config import GANConfig
from gan_course.data import load_dataset
from gan_course.train import train

ROOT = Path(__file__).resolve().parents[1]
TINY = GANConfig(dataset="ring", latent_dim=2, g_hidden=(8,), d_hidden=(8,), batch_size=16, n_snapshot=4,
                 log_every=1, snapshot_every=2)
rng = random.Random(31)


@pytest.fixture(scope="module")
def runs():
    """Two small trained runs that differ: seed 0 (the old run) and seed 1 (the new one)."""
    data = load_dataset("ring", verbose=False)
    return [train(TINY, data, seed=seed, steps=3, progress=False) for seed in (0, 1)]


def _seed_of(run_dir: Path) -> int:
    return load_config(run_dir)[1]["seed"]


def _hidden(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.name.startswith("."))


def test_a_run_is_a_plain_folder_that_can_be_copied_and_force_leaves_no_leftovers(runs, tmp_path):
    out = save_run(runs[0], tmp_path / "run", seed=0)
    save_run(runs[1], out, seed=1)
    assert out.is_dir() and not out.is_symlink() and _hidden(tmp_path) == []
    shutil.copytree(out, tmp_path / "copy")  # as an instructor copies a run to the classroom's laptop
    assert torch.equal(load_run(tmp_path / "copy").generator.net[0].weight, runs[1].generator.net[0].weight)


def test_force_over_a_run_saved_as_a_symlink_replaces_it_and_its_folder(runs, tmp_path):
    hidden = tmp_path / ".run.1-1.run"  # the layout an earlier version of save_run wrote
    shutil.copytree(save_run(runs[0], tmp_path / "made", seed=0), hidden)
    os.symlink(hidden.name, tmp_path / "run")
    assert _seed_of(tmp_path / "run") == 0
    save_run(runs[1], tmp_path / "run", seed=1)
    assert _seed_of(tmp_path / "run") == 1 and not (tmp_path / "run").is_symlink() and _hidden(tmp_path) == []


def _saver(out: Path, pause: float) -> subprocess.Popen:
    """A process that saves the run in ``out`` over itself with --force's save, pausing ``pause`` s between saves."""
    saver = subprocess.Popen([sys.executable, "-c", _SAVE_FOREVER, str(out), str(pause)], stdout=subprocess.PIPE,
                             text=True, cwd=ROOT)
    assert saver.stdout.readline().strip() == "saving"
    return saver


_SAVE_FOREVER = """
import sys, time
from gan_course.checkpoints import load_run, save_run
out, pause = sys.argv[1], float(sys.argv[2])
run = load_run(out)
print("saving", flush=True)
while True:
    save_run(run, out, force=True, seed=0)
    time.sleep(pause)
"""


def test_a_reader_polling_during_force_saves_always_finds_a_run(runs, tmp_path):
    """Before the atomic swap a reader found no run in about 1 check of 60 (3,140 of 186,245)."""
    out = save_run(runs[0], tmp_path / "run", seed=0)
    saver = _saver(out, 0.0)
    checks = missing = 0
    try:
        deadline = time.monotonic() + 3
        while time.monotonic() < deadline:
            checks += 1
            missing += not ((out / "config.json").is_file() and (out / "generator.pt").is_file())
    finally:
        saver.kill()
        saver.wait()
    assert saver.returncode == -signal.SIGKILL, "the saver stopped on its own"
    assert missing == 0, f"no run at {out} in {missing} of {checks} checks"


def test_load_run_during_force_saves_reads_one_complete_run(runs, tmp_path):
    out = save_run(runs[0], tmp_path / "run", seed=0)
    saver = _saver(out, 0.02)
    loads = 0
    try:
        deadline = time.monotonic() + 2
        while time.monotonic() < deadline:
            run = load_run(out)  # every file from one run, whatever the saver does meanwhile
            assert run.history["step"][-1] == 3 and len(run.snapshots) == 3
            loads += 1
    finally:
        saver.kill()
        saver.wait()
    assert saver.returncode == -signal.SIGKILL and loads > 10


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_a_kill_at_any_point_of_a_save_leaves_a_complete_run_and_the_next_save_cleans_up(runs, tmp_path):
    out = tmp_path / "run"
    save_run(runs[0], tmp_path / "made", seed=0)
    for i in range(20):
        if i % 4 == 0:  # now and then back to the old run
            _replace_with_plain_copy(out, tmp_path / "made")
        pid = os.fork()
        if pid == 0:  # the child saves over and over until it is killed
            try:
                while True:
                    save_run(runs[1], out, force=True, seed=1)
            finally:
                os._exit(1)
        time.sleep(rng.uniform(0.0, 0.15))
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        recover_run(out)  # what the next save does first
        assert _seed_of(out) in (0, 1) and load_run(out).history["step"][-1] == 3
    save_run(runs[0], out, seed=0)
    assert _hidden(tmp_path) == []


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
@pytest.mark.parametrize("exchange", [True, False], ids=["exchange", "two renames"])
def test_a_kill_before_each_step_of_a_save_leaves_a_complete_run(runs, tmp_path, exchange):
    """Killed just before each rename, exchange or removal that a save makes, in turn. Before the exchange, a kill
    between the two renames left no run at DIR; where there is no exchange, the next save puts the old run back."""
    from gan_course import checkpoints, outdir
    out = tmp_path / "run"
    save_run(runs[0], tmp_path / "made", seed=0)
    killed_at = []
    for step in range(1, 12):
        _replace_with_plain_copy(out, tmp_path / "made")
        pid = os.fork()
        if pid == 0:
            calls = [0]

            def kill_before(fn, calls=calls, step=step):
                def wrapped(*args, **kwargs):
                    calls[0] += 1
                    if calls[0] == step:
                        os.kill(os.getpid(), signal.SIGKILL)
                    return fn(*args, **kwargs)
                return wrapped

            try:
                for module, name in ((os, "replace"), (os, "symlink"), (checkpoints, "remove"),
                                     (outdir, "remove"), (outdir, "exchange")):
                    setattr(module, name, kill_before(getattr(module, name)))
                if not exchange:  # as on Windows
                    outdir.exchange = lambda a, b: False
                save_run(runs[1], out, force=True, seed=1)
            finally:
                os._exit(0)
        _, status = os.waitpid(pid, 0)
        if os.WIFSIGNALED(status):
            killed_at.append(step)
        recover_run(out)
        assert _seed_of(out) in (0, 1) and load_run(out).history["step"][-1] == 3, f"killed before step {step}"
    assert len(killed_at) >= 3  # the save has at least a rename into place, a swap and a removal to be killed at


def test_without_an_exchange_rename_the_site_and_a_run_are_swapped_in_by_two_renames(runs, tmp_path, monkeypatch):
    """As on Windows: the new site or run ends up at DIR, and nothing else is left beside it."""
    from gan_course import outdir
    from tools.site import _replace_folder
    swaps = []
    monkeypatch.setattr(outdir, "exchange", lambda a, b: swaps.append(b) or False)
    (tmp_path / "built").mkdir()
    for version in ("old", "new"):
        (tmp_path / "built" / "index.html").write_text(version)
        _replace_folder(tmp_path / "built", tmp_path / "sites" / "site")
    assert (tmp_path / "sites" / "site" / "index.html").read_text() == "new"
    save_run(runs[0], tmp_path / "runs" / "run", seed=0)
    save_run(runs[1], tmp_path / "runs" / "run", seed=1)
    assert _seed_of(tmp_path / "runs" / "run") == 1 and len(swaps) == 2
    assert os.listdir(tmp_path / "sites") == ["site"] and os.listdir(tmp_path / "runs") == ["run"]


def _replace_with_plain_copy(out: Path, source: Path) -> None:
    shutil.rmtree(out, ignore_errors=True)
    shutil.copytree(source, out)


def test_ctrl_c_at_any_point_of_a_save_leaves_the_old_run_or_the_new_one(runs, tmp_path):
    out = save_run(runs[0], tmp_path / "run", seed=0)
    main = threading.main_thread().ident
    for i in range(20):
        timer = threading.Timer(rng.uniform(0.005, 0.05), signal.pthread_kill, (main, signal.SIGINT))
        with pytest.raises(KeyboardInterrupt):
            timer.start()
            while True:
                save_run(runs[i % 2], out, force=True, seed=i % 2)
        timer.join()
        assert _seed_of(out) in (0, 1) and load_run(out).history["step"][-1] == 3


def test_a_run_the_old_two_renames_left_hidden_is_put_back(runs, tmp_path):
    made = save_run(runs[0], tmp_path / "made", seed=0)
    hidden = tmp_path / ".run.k3j2h1.old"  # where an interrupted save of the previous layout left the old run
    hidden.mkdir()
    shutil.copytree(os.path.realpath(made), hidden / "run")
    with pytest.raises(CheckpointError, match="already holds a run; pass --force"):
        check_out_dir(tmp_path / "run")
    assert _seed_of(tmp_path / "run") == 0 and not hidden.exists()


def test_the_newest_complete_hidden_run_with_nothing_at_dir_is_put_back(runs, tmp_path):
    made = save_run(runs[0], tmp_path / "made", seed=0)
    (tmp_path / ".made.999999999-1.old").mkdir()
    os.replace(made, tmp_path / ".made.999999999-1.old" / "run")  # a kill between the two renames leaves the
    shutil.copytree(save_run(runs[1], tmp_path / "new", seed=1), tmp_path / ".made.999999999-2.run")  # old and new
    recover_run(tmp_path / "made")
    assert _seed_of(tmp_path / "made") == 1 and _hidden(tmp_path) == []


def test_a_half_written_hidden_run_is_removed_and_never_linked(runs, tmp_path):
    partial = tmp_path / ".run.999999999-1.partial"
    partial.mkdir()
    (partial / "generator.pt").write_bytes(b"half")
    recover_run(tmp_path / "run")
    assert not (tmp_path / "run").exists() and _hidden(tmp_path) == []


def test_every_shipped_run_still_loads():
    from gan_course.checkpoints import SHIPPED_RUNS
    names = sorted(p.name for p in SHIPPED_RUNS.iterdir() if not p.name.startswith("."))
    assert names and all(load_run(SHIPPED_RUNS / name).history["step"] for name in names)
