"""Command line: ``python -m gan_course {list,train,sample,bench,seeds,time-notebooks,site,student,grade}``.

Bad input gets one clear line on stderr and exit code 2; nothing is trained before the input is checked,
and nothing already saved is lost.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

import numpy as np
import torch

from gan_course.checkpoints import CheckpointError, check_out_dir, load_run, save_run
from gan_course.data import N_CLASSES
from gan_course.experiments import PRESETS, apply_overrides, get_preset
from gan_course.grading import run_grade
from gan_course.notebook_client import write_slides
from gan_course.outdir import check_out_file
from gan_course.student import main as student_main
from gan_course.tools.bench import run_bench
from gan_course.tools.nbtime import run_timing
from gan_course.tools.robustness import parse_seeds, run_seeds
from gan_course.tools.site import CACHE_DIR, SiteError, build_site
from gan_course.train import TrainingDiverged, train

MAX_SEED = 2**63 - 1
MAX_SAMPLES = 100_000  # 100,000 digits are 300 MB of float32


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # one line, exit 2, no usage dump
        self.exit(2, f"{self.prog}: error: {message}\n")


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="python -m gan_course", description="The GAN course's experiments.")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
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

    bench = sub.add_parser("bench", help="real digits, vanilla, gan.py at equal and 5x time, and cgan, side by side")
    bench.add_argument("--seconds", type=float,
                       help="train vanilla for this many seconds (default: its preset's steps, as notebook 02 does)")
    bench.add_argument("--cgan-seconds", type=float,
                       help="train cgan for this many seconds (default: its preset's steps, as notebook 06 does)")
    bench.add_argument("--baseline-factor", type=float, default=5.0,
                       help="the second gan.py row trains this many times as long as vanilla (default 5)")
    bench.add_argument("--seed", type=int, default=0)
    bench.add_argument("--try", dest="tries", action="append", nargs="+", default=[], metavar="PRESET KEY=VALUE",
                       help="add a row: vanilla or cgan with these fields changed, on the same seed and budget "
                            "(e.g. --try vanilla lr_g=2e-3 batch_size=128); repeatable")
    bench.add_argument("--skip-baseline", action="store_true", help="leave out the two gan.py rows (about half the time)")

    seeds = sub.add_parser("seeds", help="train presets or studies on several seeds; print the figures each notebook asserts")
    seeds.add_argument("names", nargs="+", metavar="NAME")
    seeds.add_argument("--seeds", default="0-4", help="e.g. 0-9 or 0,3,5 (default 0-4)")
    seeds.add_argument("--steps", type=int, help="rounds per run (default: the preset's)")
    seeds.add_argument("--save", action="store_true", help="also write notebooks/results/NAME.json for the notebooks")

    timing = sub.add_parser("time-notebooks", help="Restart & Run All each notebook in turn; print its seconds")
    timing.add_argument("notebooks", nargs="*", help="notebook paths (default: all of the course's notebooks)")
    timing.add_argument("--timeout", type=float, default=300, help="seconds allowed per cell")

    site = sub.add_parser("site", help="build the course's website (executed notebooks) with Jupyter Book")
    site.add_argument("--out", required=True, type=Path, help="folder for the HTML (replaced)")
    site.add_argument("--no-cache", action="store_true", help="execute every notebook again")

    student = sub.add_parser("student", help="write the student edition: solutions, answers and instructor cells out")
    student.add_argument("notebooks", nargs="+", help="notebooks, or folders of notebooks (e.g. notebooks/)")
    student.add_argument("--out", required=True, help="the folder for the student copies (not the instructor's)")

    slides = sub.add_parser("slides", help="execute a notebook and write its reveal.js deck (NAME.slides.html beside it)")
    slides.add_argument("notebook", type=Path)
    slides.add_argument("--out", type=Path, help="the deck's .html file")
    slides.add_argument("--timeout", type=float, default=600.0, help="seconds allowed per cell (default 600)")

    grade = sub.add_parser("grade", help="run a completed exercise notebook and grade every task")
    grade.add_argument("notebook", type=Path)
    grade.add_argument("--json", type=Path, metavar="FILE", help="also write the table as JSON")
    grade.add_argument("--timeout", type=float, default=600.0, help="seconds for the whole notebook (default 600)")
    return parser


def _check_seed(flag: str, seed: int) -> int:
    if not 0 <= seed <= MAX_SEED:
        raise ValueError(f"{flag} must be an integer from 0 to 2**63 - 1, got {seed}")
    return seed


def _check_steps(steps: int | None) -> None:
    if steps is not None and not 1 <= steps <= 10**9:
        raise ValueError(f"--steps must be from 1 to 10**9, got {steps}")


def _cmd_list() -> int:
    width = max(len(name) for name in PRESETS)
    for preset in PRESETS.values():
        print(f"{preset.name:<{width}}  {preset.description}")
    return 0


def _cmd_train(args) -> int:
    preset = get_preset(args.name)
    config = apply_overrides(preset.config, args.set)
    _check_seed("--seed", args.seed)
    _check_steps(args.steps)
    if args.seconds is not None and not 0 < args.seconds <= 10**7:
        raise ValueError(f"--seconds must be > 0 (and at most 10**7), got {args.seconds}")
    out = check_out_dir(args.out, args.force)  # before training: a run is never lost to a bad --out
    result = train(config, seed=args.seed, steps=args.steps, seconds=args.seconds, progress=not args.quiet)
    save_run(result, out, force=args.force, preset=preset.name, seed=args.seed)
    last = {k: v[-1] for k, v in result.history.items()}
    print(f"trained {preset.name} for {int(last['step'])} steps in {result.seconds:.1f} s "
          f"(d_loss {last['d_loss']:.3f}, g_loss {last['g_loss']:.3f}); saved to {out}")
    return 0


def _npz_path(out: Path) -> Path:
    """The file ``np.savez`` writes for ``--out``: with ``.npz`` added when missing; a ValueError if unusable."""
    if out.name in ("", ".", ".."):
        raise ValueError(f"--out {out} is a folder; give a file name like samples.npz")
    path = out if out.suffix == ".npz" else out.with_name(out.name + ".npz")
    check_out_file(path, ".npz")
    if path.is_dir():
        raise ValueError(f"--out {path} is a directory; give a file name like samples.npz")
    existing = next(p for p in (path.absolute().parent, *path.absolute().parents) if p.exists())
    if not existing.is_dir():
        raise ValueError(f"--out {path}: {existing} is a file, so the directory cannot be created")
    if not os.access(existing, os.W_OK | os.X_OK):
        raise ValueError(f"--out {path}: no permission to write in {existing}")
    return path


def _cmd_sample(args) -> int:
    if not 1 <= args.n <= MAX_SAMPLES:
        raise ValueError(f"--n must be from 1 to {MAX_SAMPLES:,}, got {args.n}")
    _check_seed("--seed", args.seed)
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
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".partial", dir=path.absolute().parent)
    try:
        with os.fdopen(fd, "wb") as f:
            np.savez(f, **arrays)
        os.replace(tmp, path)  # a reader sees the old file or the new one, never half of one
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)
    print(f"wrote {args.n} samples to {path}")
    return 0


def _run(args) -> int:
    if args.command == "list":
        return _cmd_list()
    if args.command == "train":
        return _cmd_train(args)
    if args.command == "sample":
        return _cmd_sample(args)
    if args.command == "bench":
        _check_seed("--seed", args.seed)
        run_bench(args.seconds, args.cgan_seconds, args.seed, args.baseline_factor, tries=args.tries,
                  baseline=not args.skip_baseline)
        return 0
    if args.command == "seeds":
        _check_steps(args.steps)
        return run_seeds(args.names, parse_seeds(args.seeds), args.steps, args.save)
    if args.command == "time-notebooks":
        return run_timing(args.notebooks, args.timeout)
    if args.command == "site":
        with tempfile.TemporaryDirectory() as fresh:
            out = build_site(args.out, cache_dir=Path(fresh) if args.no_cache else CACHE_DIR)
        print(f"built the site in {out}: open {out / 'index.html'}")
        return 0
    if args.command == "grade":
        return run_grade(args.notebook, args.json, args.timeout)
    if args.command == "slides":
        print(f"wrote {write_slides(args.notebook, args.out, args.timeout)}")
        return 0
    return student_main([*args.notebooks, "--out", args.out])


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    args = _parser().parse_args(argv)
    prefix = f"python -m gan_course {args.command}: error:"
    try:
        return _run(args)
    except (ValueError, CheckpointError, FileNotFoundError, TrainingDiverged, SiteError) as err:
        print(f"{prefix} {err}", file=sys.stderr)
    except (MemoryError, torch.OutOfMemoryError):
        print(f"{prefix} out of memory: choose a smaller batch_size, network or --n", file=sys.stderr)
    except OSError as err:  # a full disk, a permission that changed while training
        print(f"{prefix} {err.strerror or err}: {err.filename or ''}".rstrip(": "), file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
