"""Where a command may write: no command deletes or replaces a folder it did not make.

Every command that writes a folder (``site``, ``student``, ``train``) or a file (``slides``, ``sample``) checks its
``--out`` here before doing any work. Refused, with one line that names the folder and why:

- the file system's root, the home folder, the current folder or any folder that contains it;
- a folder that holds a git repository or the course's project (its ``pyproject.toml`` or ``notebooks/``);
- a non-empty folder that the command did not make: a folder a command makes holds its marker file,
  ``.gan_course-<kind>``, and only such a folder (or a new or empty one) is ever replaced or written into.
"""

from __future__ import annotations

import ctypes
import os
import shutil
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import IO

# The folder of the course's project (the checkout this package was installed from), when there is one.
_HERE = Path(__file__).resolve().parent.parent
PROJECT_ROOT = _HERE if (_HERE / "pyproject.toml").is_file() and (_HERE / "gan_course").is_dir() else None


class OutDirError(ValueError):
    """``--out`` names a place the command may not write to; the message says which and why."""


def marker(kind: str) -> str:
    """The name of the file that marks a folder as made by the command of this kind (site, student, ...)."""
    return f".gan_course-{kind}"


def _protected(path: Path) -> str | None:
    """Why ``path`` (resolved) may never be written over, or None."""
    here = Path.cwd().resolve()
    if path == Path(path.anchor):
        return "is the file system's root"
    if path == Path.home().resolve():
        return "is your home folder"
    if path == here or path in here.parents:
        return "is the current folder or contains it"
    if PROJECT_ROOT is not None and (path == PROJECT_ROOT or path in PROJECT_ROOT.parents):
        return "holds the course's project"
    if (path / ".git").exists():
        return "holds a git repository"
    if (path / "pyproject.toml").exists() or (path / "notebooks").is_dir():
        return "holds a project or a notebooks folder"
    return None


def refuse_protected(out: str | Path, kind: str, flag: str = "--out") -> Path:
    """``out``, or an OutDirError when it is a folder no command may write over (see the module's docstring)."""
    out = Path(out)
    reason = _protected(out.resolve())
    if reason:
        raise OutDirError(f"{flag} {out} {reason}; give a new folder of its own, e.g. {flag} {kind}/")
    return out


def check_out_dir(out: str | Path, kind: str, flag: str = "--out") -> Path:
    """``out`` if the command of this ``kind`` may make it or write into it; an OutDirError otherwise.

    Allowed: a folder that does not exist yet, an empty folder, or one that holds ``marker(kind)``.
    """
    out = refuse_protected(out, kind, flag)
    resolved = out.resolve()
    if resolved.exists() and not resolved.is_dir():
        raise OutDirError(f"{flag} {out} is a file; give a folder")
    if resolved.is_dir() and any(resolved.iterdir()) and not (resolved / marker(kind)).is_file():
        raise OutDirError(f"{flag} {out} is a folder with other files in it, not one that `{kind}` made; "
                          f"give a new or empty folder")
    return out


def mark(folder: str | Path, kind: str) -> None:
    """Mark ``folder`` as made by the command of this ``kind``, so that the command may replace it later."""
    write_atomic(Path(folder) / marker(kind), f"made by python -m gan_course {kind}; it may replace this folder\n")


def write_atomic(path: str | Path, content: bytes | str | Callable[[IO[bytes]], object], mode: int = 0o644) -> Path:
    """Write ``content`` (bytes, UTF-8 text, or a function that writes to a binary file) to ``path`` in one step.

    The file is written beside ``path`` under a hidden name, flushed to disk and renamed over ``path``: a reader
    sees the old file or the new one, never half of one, and an interrupt leaves the old file as it was.
    """
    path = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".partial", dir=path.absolute().parent)
    try:
        with os.fdopen(fd, "wb") as f:
            if callable(content):
                content(f)
            else:
                f.write(content.encode("utf-8") if isinstance(content, str) else content)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)
    return path


def check_out_file(out: str | Path, suffix: str, flag: str = "--out") -> Path:
    """``out`` if a command may write the file there: it ends in ``suffix``, is not a folder, and its folder is
    not a protected one (see the module's docstring)."""
    out = Path(out)
    if not out.name.endswith(suffix):
        raise OutDirError(f"{flag} {out}: expected a file name ending in {suffix}")
    resolved = out.resolve()
    if resolved.is_dir():
        raise OutDirError(f"{flag} {out} is a folder; give a file name ending in {suffix}")
    if resolved.parent == Path(resolved.anchor):
        raise OutDirError(f"{flag} {out} is in the file system's root; give a file in a folder of its own")
    return out


def exchange(a: Path, b: Path) -> bool:
    """Swap the names ``a`` and ``b`` in one atomic step (Linux's renameat2 RENAME_EXCHANGE, macOS's renamex_np
    RENAME_SWAP); False where the system or the file system has none. Replacing a folder so, a reader finds the old
    folder or the new one at ``b``, never none; the old one is then at ``a``, to be removed."""
    at_cwd, linux, mac = -100, sys.platform.startswith("linux"), sys.platform == "darwin"
    if not (linux or mac):
        return False
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        swap = libc.renameat2 if linux else libc.renamex_np
    except (OSError, AttributeError):
        return False
    if linux:
        swap.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
        done = swap(at_cwd, os.fsencode(a), at_cwd, os.fsencode(b), 2)  # RENAME_EXCHANGE
    else:
        swap.argtypes = [ctypes.c_char_p, ctypes.c_char_p, ctypes.c_uint]
        done = swap(os.fsencode(a), os.fsencode(b), 2)  # RENAME_SWAP
    if done == 0:
        return True
    errno = ctypes.get_errno()
    if errno in (22, 38, 45, 95, 102):  # EINVAL, ENOSYS, ENOTSUP, EOPNOTSUPP: this file system cannot swap
        return False
    raise OSError(errno, os.strerror(errno), str(b))


def remove(path: Path) -> None:
    """Remove a file, a symlink (never what it points to) or a folder, as far as it can; nothing if it is gone."""
    if path.is_symlink() or path.is_file():
        path.unlink(missing_ok=True)
    else:
        shutil.rmtree(path, ignore_errors=True)


def swap_in(new: Path, out: Path, aside: Path) -> None:
    """Put the complete folder ``new`` (a hidden sibling) at ``out`` and remove what was there: one rename when
    ``out`` is free, else one :func:`exchange`; without one (Windows), two renames, the old one moved to ``aside``
    (its folder made if missing) in between."""
    if not out.exists() and not out.is_symlink():
        os.replace(new, out)
    elif exchange(new, out):
        remove(new)  # the old one, now at ``new``
    else:
        aside.parent.mkdir(exist_ok=True)
        os.replace(out, aside)
        os.replace(new, out)
        remove(aside)
