"""Command line: ``python -m gan_course {list,train,sample}``; the instructors' commands are ``python -m classroom
{student,grade,slides}``, the maintainers' ``python -m tools {seeds,bench,time-notebooks,site}`` (from the checkout).

Bad input gets one clear line on stderr and exit code 2; nothing is trained before the input is checked,
and nothing already saved is lost.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
from pathlib import Path


def _interrupted_at_start(*_) -> None:
    print("python -m gan_course: interrupted before it started; nothing was saved", file=sys.stderr)
    sys.exit(130)


if __name__ == "__main__":  # Ctrl-C while torch is imported, before the command starts: one line, no traceback
    signal.signal(signal.SIGINT, _interrupted_at_start)

import numpy as np
import torch

from gan_course.checkpoints import CheckpointError, check_out_dir, load_run, save_run
from gan_course.cli import OneLineParser, run_command
from gan_course.config import check_fits_memory, check_seconds, check_steps
from gan_course.data import N_CLASSES
from gan_course.experiments import PRESETS, apply_overrides, get_preset
from gan_course.outdir import check_out_file, write_atomic
from gan_course.seeding import check_seed
from gan_course.train import TrainingDiverged, train

MAX_SAMPLES = 100_000  # 100,000 digits are 300 MB of float32


MOVED = {"student": "classroom", "grade": "classroom", "slides": "classroom",
         "seeds": "tools", "bench": "tools", "time-notebooks": "tools", "site": "tools"}


def _parser() -> OneLineParser:
    parser = OneLineParser(prog="python -m gan_course", description="The GAN course's experiments.")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=OneLineParser)
    sub.add_parser("list", help="one line per experiment preset")

    train_cmd = sub.add_parser("train", help="train a preset and save it to --out")
    train_cmd.add_argument("name")
    train_cmd.add_argument("--seed", type=int, default=0, help="an integer from 0 to 2**63 - 1 (default 0)")
    budget = train_cmd.add_mutually_exclusive_group()
    budget.add_argument("--steps", type=int, help="number of rounds (k D-steps + l G-steps); default: the preset's")
    budget.add_argument("--seconds", type=float, help="train for this many seconds instead")
    train_cmd.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="override a config field")
    train_cmd.add_argument("--out", required=True, type=Path)
    train_cmd.add_argument("--force", action="store_true", help="replace a run already in --out")
    train_cmd.add_argument("--quiet", action="store_true", help="no progress bar")

    sample = sub.add_parser("sample", help="write samples of a trained run to an .npz file")
    sample.add_argument("run_dir", type=Path)
    sample.add_argument("--n", type=int, required=True, help=f"number of samples, 1 to {MAX_SAMPLES:,}")
    sample.add_argument("--seed", type=int, default=0)
    sample.add_argument("--label", type=int, help="digit class 0-9, for a conditional run")
    sample.add_argument("--out", required=True, type=Path, help="FILE.npz (.npz is added when missing)")

    return parser


def _cmd_list() -> int:
    width = max(len(name) for name in PRESETS)
    for preset in PRESETS.values():
        print(f"{preset.name:<{width}}  {preset.description}")
    return 0


def _cmd_train(args) -> int:
    preset = get_preset(args.name)
    config = apply_overrides(preset.config, args.set)
    check_seed(args.seed, "--seed")
    check_steps(args.steps, "--steps")
    check_seconds(args.seconds, "--seconds")
    check_fits_memory(config, 2 if config.dataset == "ring" else 784)
    out = check_out_dir(args.out, args.force)  # before training: a run is never lost to a bad --out
    try:
        result = train(config, seed=args.seed, steps=args.steps, seconds=args.seconds, progress=not args.quiet)
    except KeyboardInterrupt:
        return _interrupted(f"training was interrupted; nothing was saved, and {out} is as it was")
    interrupted = []  # Ctrl-C while saving waits for the save, which takes a moment: the run is never half-saved
    main_thread = threading.current_thread() is threading.main_thread()  # only there can a signal be handled
    before = signal.signal(signal.SIGINT, lambda *_: interrupted.append(True)) if main_thread else None
    try:
        save_run(result, out, force=args.force, preset=preset.name, seed=args.seed)
    finally:
        if main_thread:
            signal.signal(signal.SIGINT, before)
    if interrupted:
        return _interrupted(f"interrupted while saving; the run was saved to {out} all the same")
    last = {k: v[-1] for k, v in result.history.items()}
    print(f"trained {preset.name} for {int(last['step'])} steps in {result.seconds:.1f} s "
          f"(d_loss {last['d_loss']:.3f}, g_loss {last['g_loss']:.3f}); saved to {out}")
    return 0


def _interrupted(message: str) -> int:
    print(f"python -m gan_course train: {message}", file=sys.stderr)
    return 130


def _npz_path(out: Path) -> Path:
    """The file ``np.savez`` writes for ``--out``: with ``.npz`` added when missing; a ValueError if unusable."""
    if out.name in ("", ".", ".."):
        raise ValueError(f"--out {out} is a folder; give a file name like samples.npz")
    path = out if out.suffix == ".npz" else out.with_name(out.name + ".npz")
    check_out_file(path, ".npz")  # a folder there is refused too
    existing = next(p for p in (path.absolute().parent, *path.absolute().parents) if p.exists())
    if not existing.is_dir():
        raise ValueError(f"--out {path}: {existing} is a file, so the directory cannot be created")
    if not os.access(existing, os.W_OK | os.X_OK):
        raise ValueError(f"--out {path}: no permission to write in {existing}")
    return path


def _cmd_sample(args) -> int:
    if not 1 <= args.n <= MAX_SAMPLES:
        raise ValueError(f"--n must be from 1 to {MAX_SAMPLES:,}, got {args.n}")
    check_seed(args.seed, "--seed")
    path = _npz_path(args.out)
    run = load_run(args.run_dir, with_discriminator=False, with_snapshots=False)
    config = run.config
    if args.label is not None and not config.conditional:
        raise ValueError(f"--label {args.label}: this run ({args.run_dir}) is unconditional; it takes no label")
    if args.label is not None and not 0 <= args.label < N_CLASSES:
        raise ValueError(f"--label must be a digit class in 0-9, got {args.label}")
    z = torch.randn(args.n, config.latent_dim, generator=torch.Generator().manual_seed(args.seed))
    arrays = {}
    labels = None
    if config.conditional:
        labels = torch.full((args.n,), args.label) if args.label is not None else torch.arange(args.n) % N_CLASSES
        arrays["labels"] = labels.numpy().astype(np.int64)
    with torch.no_grad():
        x = run.generator(z, labels).float()
    if config.dataset == "ring":
        arrays["points"] = x.numpy().astype(np.float32)
    else:
        arrays["images"] = x.view(-1, 1, 28, 28).clamp(-1, 1).numpy().astype(np.float32)
    path.absolute().parent.mkdir(parents=True, exist_ok=True)
    write_atomic(path, lambda f: np.savez(f, **arrays))  # a reader sees the old file or the new one, never half
    print(f"wrote {args.n} samples to {path}")
    return 0


def _run(args) -> int:
    if args.command == "list":
        return _cmd_list()
    if args.command == "train":
        return _cmd_train(args)
    return _cmd_sample(args)


def main(argv: list[str] | None = None) -> int:
    signal.signal(signal.SIGINT, signal.default_int_handler)  # from here on Ctrl-C is a KeyboardInterrupt
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] in MOVED:  # the instructors' and maintainers' commands live beside the package
        print(f"python -m gan_course {argv[0]}: this is now `python -m {MOVED[argv[0]]} {argv[0]}`, run from the "
              "course's checkout", file=sys.stderr)
        return 2
    return run_command(_parser(), _run, argv, errors=(CheckpointError, TrainingDiverged))

if __name__ == "__main__":
    sys.exit(main())
