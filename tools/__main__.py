"""``python -m tools {seeds,bench,time-notebooks,site}``: the maintainers' commands, run from the course's checkout.

Bad input gets one clear line on stderr and exit code 2 (:mod:`gan_course.cli`).
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from gan_course.cli import OneLineParser, run_command
from gan_course.config import check_steps
from gan_course.seeding import check_seed
from tools.bench import run_bench
from tools.nbtime import run_timing
from tools.robustness import parse_seeds, run_seeds
from tools.site import CACHE_DIR, SiteError, build_site


def _parser() -> OneLineParser:
    parser = OneLineParser(prog="python -m tools", description="The course's maintainer tools.")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=OneLineParser)
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
    site.add_argument("--edition", choices=("student", "instructor"), default="student",
                      help="student (default): no solutions, answers or instructor cells, downloads give the student "
                           "notebooks; instructor: everything, answers and instructor cells folded")

    return parser


def _run(args) -> int:
    if args.command == "bench":
        check_seed(args.seed, "--seed")
        run_bench(args.seconds, args.cgan_seconds, args.seed, args.baseline_factor, tries=args.tries,
                  baseline=not args.skip_baseline)
        return 0
    if args.command == "seeds":
        check_steps(args.steps, "--steps")
        return run_seeds(args.names, parse_seeds(args.seeds), args.steps, args.save)
    if args.command == "time-notebooks":
        return run_timing(args.notebooks, args.timeout)
    with tempfile.TemporaryDirectory() as fresh:
        out = build_site(args.out, cache_dir=Path(fresh) if args.no_cache else CACHE_DIR, edition=args.edition)
    print(f"built the site in {out}: open {out / 'index.html'}")
    return 0


def main(argv: list[str] | None = None) -> int:
    return run_command(_parser(), _run, argv, errors=(SiteError,))


if __name__ == "__main__":
    sys.exit(main())
