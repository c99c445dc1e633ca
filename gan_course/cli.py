"""What the three command lines share (``gan_course``, ``classroom``, ``tools``): bad input is one line on stderr and
exit code 2, never a traceback or a usage dump."""

from __future__ import annotations

import argparse
import sys
from typing import Callable, Sequence

import torch


class OneLineParser(argparse.ArgumentParser):
    def error(self, message: str):  # one line, exit 2, no usage dump
        self.exit(2, f"{self.prog}: error: {message}\n")


def run_command(parser: argparse.ArgumentParser, run: Callable[[argparse.Namespace], int],
                argv: Sequence[str] | None = None, errors: tuple[type[BaseException], ...] = ()) -> int:
    """Parse ``argv`` and call ``run``; ValueError, FileNotFoundError, running out of memory and ``errors`` become
    one line and exit 2; Ctrl-C one line and exit 130."""
    args = parser.parse_args(sys.argv[1:] if argv is None else list(argv))
    prefix = f"{parser.prog} {args.command}: error:"
    try:
        return run(args)
    except (ValueError, FileNotFoundError, *errors) as err:
        print(f"{prefix} {err}", file=sys.stderr)
    except (MemoryError, torch.OutOfMemoryError):
        print(f"{prefix} out of memory: choose a smaller batch_size, network or --n", file=sys.stderr)
    except RuntimeError as err:
        if "DefaultCPUAllocator" not in str(err) and "can't allocate memory" not in str(err):  # torch's, not a MemoryError
            raise
        print(f"{prefix} out of memory: choose a smaller batch_size, network or --n", file=sys.stderr)
    except KeyboardInterrupt:
        print(f"{parser.prog} {args.command}: interrupted", file=sys.stderr)
        return 130
    except OSError as err:  # a full disk, a permission that changed while training
        print(f"{prefix} {err.strerror or err}: {err.filename or ''}".rstrip(": "), file=sys.stderr)
    return 2
