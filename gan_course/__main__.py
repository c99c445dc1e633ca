"""Command line: ``python -m gan_course {list,train,sample,bench,seeds,time-notebooks,student}``.

Bad input gets one clear line on stderr and exit code 2.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # one line, exit 2, no usage dump
        self.exit(2, f"{self.prog}: error: {message}\n")


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="python -m gan_course", description="The GAN course's experiments.")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    sub.add_parser("list", help="one line per experiment preset")

    train = sub.add_parser("train", help="train a preset and save it to --out")
    train.add_argument("name")
    train.add_argument("--seed", type=int, default=0)
    budget = train.add_mutually_exclusive_group()
    budget.add_argument("--steps", type=int, help="number of rounds (k D-steps + l G-steps); default: the preset's")
    budget.add_argument("--seconds", type=float, help="train for this many seconds instead")
    train.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="override a config field")
    train.add_argument("--out", required=True, type=Path)
    train.add_argument("--quiet", action="store_true", help="no progress bar")

    sample = sub.add_parser("sample", help="write samples of a trained run to an .npz file")
    sample.add_argument("run_dir", type=Path)
    sample.add_argument("--n", type=int, required=True)
    sample.add_argument("--seed", type=int, default=0)
    sample.add_argument("--label", type=int)
    sample.add_argument("--out", required=True, type=Path)

    bench = sub.add_parser("bench", help="vanilla vs a baseline recipe on the same time budget")
    bench.add_argument("--seconds", type=float, default=60.0, help="training seconds for each recipe")
    bench.add_argument("--baseline-seconds", type=float, help="seconds for the baseline (default: --seconds)")
    bench.add_argument("--seed", type=int, default=0)

    seeds = sub.add_parser("seeds", help="train presets on several seeds; print the figure each notebook asserts")
    seeds.add_argument("names", nargs="+", metavar="NAME")
    seeds.add_argument("--seeds", default="0-4", help="e.g. 0-9 or 0,3,5 (default 0-4)")
    seeds.add_argument("--steps", type=int, help="rounds per run (default: the preset's)")

    timing = sub.add_parser("time-notebooks", help="Restart & Run All each notebook in turn; print its seconds")
    timing.add_argument("notebooks", nargs="*", help="notebook paths (default: all of the course's notebooks)")
    timing.add_argument("--timeout", type=float, default=300, help="seconds allowed per cell")

    student = sub.add_parser("student", help="write student versions of notebooks (solutions removed)")
    student.add_argument("notebooks", nargs="+")
    student.add_argument("--out", required=True)
    return parser


def _cmd_list() -> int:
    from gan_course.experiments import PRESETS

    width = max(len(name) for name in PRESETS)
    for preset in PRESETS.values():
        print(f"{preset.name:<{width}}  {preset.description}")
    return 0


def _cmd_train(args) -> int:
    from gan_course.checkpoints import save_run
    from gan_course.experiments import apply_overrides, get_preset
    from gan_course.train import train

    preset = get_preset(args.name)
    config = apply_overrides(preset.config, args.set)
    if args.steps is not None and args.steps < 1:
        raise ValueError(f"--steps must be >= 1, got {args.steps}")
    if args.seconds is not None and not args.seconds > 0:
        raise ValueError(f"--seconds must be > 0, got {args.seconds}")
    result = train(config, seed=args.seed, steps=args.steps, seconds=args.seconds, progress=not args.quiet)
    out = save_run(result, args.out, preset=preset.name, seed=args.seed)
    last = {k: v[-1] for k, v in result.history.items()}
    print(f"trained {preset.name} for {int(last['step'])} steps in {result.seconds:.1f} s "
          f"(d_loss {last['d_loss']:.3f}, g_loss {last['g_loss']:.3f}); saved to {out}")
    return 0


def _cmd_sample(args) -> int:
    import torch

    from gan_course.checkpoints import load_run

    if args.n < 1:
        raise ValueError(f"--n must be >= 1, got {args.n}")
    run = load_run(args.run_dir, with_discriminator=False)
    config = run.config
    if args.label is not None and not config.conditional:
        raise ValueError(f"--label {args.label}: this run ({args.run_dir}) is unconditional; it takes no label")
    if args.label is not None and not 0 <= args.label <= 9:
        raise ValueError(f"--label must be a digit class in 0-9, got {args.label}")
    g = torch.Generator().manual_seed(args.seed)
    z = torch.randn(args.n, config.latent_dim, generator=g)
    arrays = {}
    labels = None
    if config.conditional:
        labels = torch.full((args.n,), args.label) if args.label is not None else torch.arange(args.n) % 10
        arrays["labels"] = labels.numpy().astype(np.int64)
    with torch.no_grad():
        x = run.generator(z, labels).float()
    if config.dataset == "ring":
        arrays["points"] = x.numpy().astype(np.float32)
    else:
        arrays["images"] = x.view(-1, 1, 28, 28).clamp(-1, 1).numpy().astype(np.float32)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    np.savez(args.out, **arrays)
    print(f"wrote {args.n} samples to {args.out}")
    return 0


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    args = _parser().parse_args(argv)
    from gan_course.checkpoints import CheckpointError

    try:
        if args.command == "list":
            return _cmd_list()
        if args.command == "train":
            return _cmd_train(args)
        if args.command == "sample":
            return _cmd_sample(args)
        if args.command == "bench":
            from gan_course.bench import run_bench

            return run_bench(args.seconds, args.baseline_seconds, args.seed)
        if args.command == "seeds":
            from gan_course.seeds import parse_seeds, run_seeds

            if args.steps is not None and args.steps < 1:
                raise ValueError(f"--steps must be >= 1, got {args.steps}")
            return run_seeds(args.names, parse_seeds(args.seeds), args.steps)
        if args.command == "time-notebooks":
            from gan_course.nbtime import run_timing

            return run_timing(args.notebooks, args.timeout)
        if args.command == "student":
            from gan_course.student import main as student_main

            return student_main([*args.notebooks, "--out", args.out])
    except (ValueError, CheckpointError, FileNotFoundError) as err:
        print(f"python -m gan_course {args.command}: error: {err}", file=sys.stderr)
        return 2
    return 2


if __name__ == "__main__":
    sys.exit(main())
