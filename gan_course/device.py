"""Where training runs: the device (CUDA, MPS or CPU) and the number of CPU threads."""

from __future__ import annotations

import ctypes
import os
import platform
import time
from contextlib import contextmanager
from functools import lru_cache
from typing import Iterator

import torch


def get_device(prefer: str | None = None) -> torch.device:
    """The best available device: CUDA, then Apple's MPS, then the CPU.

    ``prefer`` (or the environment variable ``GAN_COURSE_DEVICE``) forces one, e.g. "cpu".
    """
    name = prefer or os.environ.get("GAN_COURSE_DEVICE")
    if name:
        return torch.device(name)
    if torch.cuda.is_available():
        return torch.device("cuda")
    mps = getattr(torch.backends, "mps", None)
    if mps is not None and mps.is_available():
        return torch.device("mps")
    return torch.device("cpu")


def device_of(module: torch.nn.Module) -> torch.device:
    """The device that ``module``'s parameters are on."""
    return next(module.parameters()).device


@lru_cache(maxsize=1)
def cpu_kernels() -> str:
    """Which CPU kernels torch's results here come from, e.g. "AVX512 on AuthenticAMD": torch's vector
    instructions and the CPU's maker.

    Saved tables and runs record it as provenance: on one torch build the same seed gives bit-equal weights only where
    this matches, so a figure made elsewhere is one draw of its spread, not a value to reproduce: an AMD EPYC and an Intel Xeon that both report AVX512 train different weights from the same seed
    (`strong-d` seed 0: the logged losses part at the fourth round), and no ``MKL_CBWR`` branch forced on the Xeon gave the EPYC's.
    """
    vendor = ""
    try:
        with open("/proc/cpuinfo") as f:
            vendor = next((line.split(":", 1)[1].strip() for line in f if line.startswith("vendor_id")), "")
    except OSError:
        pass
    return f"{torch.backends.cpu.get_cpu_capability()} on {vendor or platform.processor() or 'an unknown CPU'}"


_TORCH_DEFAULT_THREADS = torch.get_num_threads()  # before any notebook changes it


def _busy_cores(interval: float = 0.15) -> float | None:
    """How many cores OTHER processes keep busy right now, from /proc/stat and /proc/self/stat; None off Linux.

    This process's own CPU time in the window is left out: its thread pool can still be spinning from the
    previous computation, and that is no reason to train on fewer threads.
    """

    def read() -> tuple[int, int, int]:
        with open("/proc/stat") as f:
            fields = [int(x) for x in f.readline().split()[1:9]]  # user nice system idle iowait irq softirq steal
        with open("/proc/self/stat") as f:
            own = f.read().rsplit(")", 1)[1].split()  # fields after the command name; utime, stime are 12, 13
        return sum(fields), fields[3] + fields[4], int(own[11]) + int(own[12])

    try:
        total0, idle0, own0 = read()
        time.sleep(interval)
        total1, idle1, own1 = read()
    except (OSError, ValueError, IndexError):
        return None
    if total1 <= total0:
        return None
    busy_share = (total1 - total0 - (idle1 - idle0) - (own1 - own0)) / (total1 - total0)
    return max(0.0, (os.cpu_count() or 1) * busy_share)


_MKL_CBWR_STRICT = 0x10000  # MKL_CBWR_STRICT in mkl_cbwr.h
_MKL_CBWR_ALL = -1  # ~0: ask for the whole mode


@lru_cache(maxsize=1)
def reproducible_threads() -> bool:
    """Whether torch's CPU results here do not depend on the number of threads.

    True when torch's MKL runs in strict conditional numerical reproducibility mode (``MKL_CBWR=...,STRICT``,
    which importing gan_course sets before MKL's first call): then matrix products are bit-identical on
    1, 2 or more threads. False when that cannot be confirmed: torch built without MKL, MKL already
    started in another mode (a computation ran before ``import gan_course``), or ``MKL_CBWR`` set otherwise.
    """
    if not torch.backends.mkl.is_available():
        return False
    lib_dir = os.path.join(os.path.dirname(torch.__file__), "lib")
    for name in ("libtorch_cpu.so", "libtorch_cpu.dylib", "torch_cpu.dll"):
        try:
            get_mode = ctypes.CDLL(os.path.join(lib_dir, name)).mkl_serv_cbwr_get
        except (OSError, AttributeError):
            continue
        get_mode.restype, get_mode.argtypes = ctypes.c_int, [ctypes.c_int]
        return bool(get_mode(_MKL_CBWR_ALL) & _MKL_CBWR_STRICT)
    return False


def cpu_threads() -> int:
    """Threads for training on the CPU: ``$GAN_COURSE_THREADS``; else every core when the machine is idle,
    all cores but one when something else is running; and 1 when results could depend on the thread count.

    Threads that outnumber the free cores make every step wait: on this course's 2-core test machine,
    with another training running, 2 threads trained about 20x slower than 1. On an idle 2-core
    machine, 2 threads train the c-GAN 1.6x faster than 1. More than one thread is used only when
    :func:`reproducible_threads` confirms that the same seed gives bit-identical weights either way, so the
    choice changes the speed and never the picture.
    """
    value = os.environ.get("GAN_COURSE_THREADS", "").strip()
    if value:
        if not value.isdigit() or int(value) < 1:
            raise ValueError(f"GAN_COURSE_THREADS must be an integer >= 1, got {value!r}")
        return int(value)
    if not reproducible_threads():
        return 1
    cores = os.cpu_count() or 1
    limit = max(1, min(_TORCH_DEFAULT_THREADS, cores))
    busy = _busy_cores()
    if busy is not None and busy < 0.5:
        return limit
    return max(1, min(limit, cores - 1))


@contextmanager
def threads(n: int | None = None) -> Iterator[int]:
    """Run the block on ``n`` CPU threads (default :func:`cpu_threads`), then restore the previous count.

    Every CPU-heavy loop of the course goes through here: torch's default, one thread per core, makes each step
    wait when something else keeps a core busy (see :func:`cpu_threads`).
    """
    before = torch.get_num_threads()
    n = cpu_threads() if n is None else n
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ValueError(f"threads must be an integer >= 1, got {n!r}")
    torch.set_num_threads(n)
    try:
        yield n
    finally:
        torch.set_num_threads(before)
