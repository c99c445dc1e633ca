"""Run one submission's code in a bubblewrap sandbox, under a time limit that kills everything it started.

The sandbox (``bwrap``, Debian's ``bubblewrap``) sees the machine read-only, with no network, its own process
tree, a private ``/tmp``, and a private copy of the work folder as the only writable place. The course's
checkout (its package, the instructor's notebooks, the grader), the submissions folder and the grader's output
folders are hidden behind empty folders; the Python environment stays readable. Its address space is capped
(:data:`MAX_MEMORY_BYTES`), and so is any file it writes. The process runs in its own session; at the time limit
the whole process group is killed, and bwrap's ``--die-with-parent`` and its own PID namespace take down anything
the submission started, even a process that detached itself. There is no cap on the number of processes (the
grader may run as root, which such a cap does not bind): a fork bomb lasts until the time limit.
"""

from __future__ import annotations

import os
import resource
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

BWRAP = "bwrap"
MAX_FILE_BYTES = 64 * 2**20  # no file the submission writes grows past this
# Address space of the sandboxed process: torch's import alone maps about 3.4 GB, and a submission that asks for
# more than this gets an allocation error instead of pushing the grader's machine into swap or the OOM killer.
MAX_MEMORY_BYTES = 8 * 2**30
INSTALL = "the grader runs each submission in a bubblewrap sandbox: install it with `apt-get install bubblewrap`"


class Missing(RuntimeError):
    """No sandbox on this machine: the grader refuses to run student code without one."""


@dataclass
class Outcome:
    """How the sandboxed process ended: its exit code (None when killed at the time limit) and its stderr's tail."""

    returncode: int | None
    timed_out: bool
    seconds: float
    stderr: str


def available() -> bool:
    """True when bwrap is installed and can make a sandbox here."""
    if shutil.which(BWRAP) is None:
        return False
    probe = subprocess.run([BWRAP, "--unshare-all", "--ro-bind", "/", "/", "true"], capture_output=True, timeout=30)
    return probe.returncode == 0


def require() -> None:
    """Raise the one line an instructor needs when there is no sandbox."""
    if shutil.which(BWRAP) is None:
        raise Missing(INSTALL)


def _masked(hide: list[Path], keep: list[Path]) -> list[str]:
    """bwrap arguments that hide each folder in ``hide`` (an empty tmpfs) and bind back each path in ``keep``."""
    args: list[str] = []
    for folder in sorted({p.resolve() for p in hide if p.exists() and p.resolve() != Path("/")}, key=lambda p: len(p.parts)):
        args += ["--tmpfs", str(folder)]
    for path in keep:
        path = path.resolve()
        if any(h.resolve() in (path, *path.parents) for h in hide if h.exists()):
            args += ["--ro-bind", str(path), str(path)]
    return args


def command(work: Path, argv: list[str], hide: list[Path]) -> list[str]:
    """The bwrap command line that runs ``argv`` in the sandbox, ``work`` writable, ``hide`` hidden."""
    work = work.resolve()
    python_home = Path(sys.prefix).resolve()
    return [BWRAP, "--unshare-all", "--die-with-parent", "--new-session", "--ro-bind", "/", "/",
            "--dev", "/dev", "--proc", "/proc", "--tmpfs", "/tmp",
            *_masked(hide, [python_home]),
            "--bind", str(work), str(work), "--chdir", str(work),
            "--setenv", "HOME", str(work), "--setenv", "GAN_COURSE_OFFLINE", "1", "--unsetenv", "PYTHONPATH",
            "--setenv", "OMP_NUM_THREADS", "1",  # the probes are a few numbers; each extra thread's arena counts too
            "--", *argv]


def _limits() -> None:
    resource.setrlimit(resource.RLIMIT_FSIZE, (MAX_FILE_BYTES, MAX_FILE_BYTES))
    resource.setrlimit(resource.RLIMIT_AS, (MAX_MEMORY_BYTES, MAX_MEMORY_BYTES))


def run(work: Path, argv: list[str], hide: list[Path], seconds: float) -> Outcome:
    """Run ``argv`` in the sandbox for at most ``seconds``; the whole process group is killed at the limit."""
    start = time.monotonic()
    err_path = work / "stderr.txt"
    with open(os.devnull, "rb") as stdin, open(os.devnull, "wb") as stdout, open(err_path, "wb") as stderr:
        proc = subprocess.Popen(command(work, argv, hide), stdin=stdin, stdout=stdout, stderr=stderr,
                                start_new_session=True, preexec_fn=_limits)
        try:
            proc.wait(timeout=seconds)
            timed_out = False
        except subprocess.TimeoutExpired:
            timed_out = True
        finally:
            try:
                os.killpg(proc.pid, signal.SIGKILL)  # whatever is left of the group, finished or not
            except ProcessLookupError:
                pass
            proc.wait()
    with open(err_path, "rb") as f:
        tail = f.read(4000).decode("utf-8", "replace")
    return Outcome(None if timed_out else proc.returncode, timed_out, time.monotonic() - start, tail)
