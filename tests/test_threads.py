"""How many CPU threads training uses, and that the choice never changes the result."""

import pytest
import torch

from gan_course import device
from gan_course.experiments import get_preset
from gan_course.train import train


def test_environment_variable_wins(monkeypatch):
    monkeypatch.setenv("GAN_COURSE_THREADS", "3")
    assert device.cpu_threads() == 3


@pytest.mark.parametrize("value", ["0", "-1", "two", "1.5"])
def test_a_bad_thread_count_is_named(monkeypatch, value):
    monkeypatch.setenv("GAN_COURSE_THREADS", value)
    with pytest.raises(ValueError, match=f"GAN_COURSE_THREADS must be an integer >= 1, got '{value}'"):
        device.cpu_threads()


@pytest.mark.parametrize("busy, expected", [(0.1, 4), (0.9, 3), (3.5, 3), (None, 3)])
def test_every_core_when_idle_all_but_one_when_busy_or_unknown(monkeypatch, busy, expected):
    monkeypatch.delenv("GAN_COURSE_THREADS", raising=False)
    monkeypatch.setattr(device.os, "cpu_count", lambda: 4)
    monkeypatch.setattr(device, "_TORCH_DEFAULT_THREADS", 4)
    monkeypatch.setattr(device, "_busy_cores", lambda: busy)
    assert device.cpu_threads() == expected


def test_one_core_machine_gets_one_thread(monkeypatch):
    monkeypatch.delenv("GAN_COURSE_THREADS", raising=False)
    monkeypatch.setattr(device.os, "cpu_count", lambda: 1)
    monkeypatch.setattr(device, "_busy_cores", lambda: 0.9)
    assert device.cpu_threads() == 1


def test_busy_cores_is_a_share_of_the_machine_or_unknown():
    busy = device._busy_cores(0.05)
    assert busy is None or 0.0 <= busy <= (device.os.cpu_count() or 1) + 1e-9


def test_same_seed_gives_identical_samples_with_one_or_two_threads(monkeypatch):
    config = get_preset("vanilla").config
    samples = []
    for threads in ("1", "2"):
        monkeypatch.setenv("GAN_COURSE_THREADS", threads)
        run = train(config, seed=3, steps=60, progress=False)
        samples.append(run.snapshots[-1]["samples"])
    assert torch.equal(samples[0], samples[1])
