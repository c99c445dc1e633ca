"""The pre-trained runs shipped with the course: ``python -m tools.shipped [NAME ...]`` remakes them.

Notebooks 02, 03, 04 and 06 train runs that take 15 to 90 s each on a 2-core CPU. The course ships each one,
seed 0 (03's runs after D's head start begin from seed 0's nets after the head start), trained exactly as the notebook trains it on the data every machine has (the 5,000 offline digits,
and the ring), in ``gan_course/assets/runs/NAME``. :func:`gan_course.checkpoints.load_or_train` loads it
only when the config, the data and the seed match, says so, and trains live otherwise (``live=True`` in the
notebook always trains). ``tests/test_shipped.py`` checks that each run still matches its preset and that
training it again gives the same weights, bit for bit; when the preset or the training code changes, that
test fails and names this command.
"""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from gan_course.checkpoints import SHIPPED_RUNS, CheckpointError, config_differences, load_config, load_run, save_run
from gan_course.data import Ring, load_mnist
from gan_course.experiments import get_preset
from gan_course.train import TrainResult, train

SEED = 0
COMMAND = "python -m tools.shipped"


@dataclass(frozen=True)
class Shipped:
    """One shipped run: its preset (default: its name), the training callback its notebook passes (it may add to
    each snapshot), and where the run starts when not from the seed's fresh nets (03's D head start)."""

    name: str
    notebook: str
    callback: Callable[[Any], Callable | None] = lambda data: None
    preset: str = ""
    start: Callable[[Any, Any], Any] | None = None  # (config, data) -> the TrainState to play from

    @property
    def config(self):
        return get_preset(self.preset or self.name).config

    def data(self):
        return Ring() if self.config.dataset == "ring" else load_mnist(offline=True, verbose=False)

    def train(self, progress: bool = False) -> TrainResult:
        data = self.data()
        state = self.start(self.config, data) if self.start else None
        return train(self.config, data, seed=SEED, callback=self.callback(data), progress=progress, device="cpu",
                     state=state)


def _head_start(config, data):
    from gan_course.lessons.nb03_saturation import head_start

    return head_start(config, data, seed=SEED)


def _frames(ring):
    from gan_course.lessons.nb04_mode_collapse import frame_recorder

    return frame_recorder(ring)


SHIPPED: dict[str, Shipped] = {s.name: s for s in (
    Shipped("vanilla", "02"),
    Shipped("strong-d", "03"),
    Shipped("strong-d-saturating", "03"),
    Shipped("strong-d-after-head-start", "03", preset="strong-d", start=_head_start),
    Shipped("strong-d-saturating-after-head-start", "03", preset="strong-d-saturating", start=_head_start),
    Shipped("ring-collapse", "04", _frames),
    Shipped("ring-fast-g", "04", _frames),
    Shipped("ring", "04", _frames),
    Shipped("ring-fast-g-pacgan", "04", _frames),
    Shipped("cgan", "06"),
)}


def stale_reason(name: str) -> str | None:
    """Why the shipped run of ``name`` no longer stands for its preset (None when it does)."""
    run = SHIPPED_RUNS / name
    if not (run / "config.json").exists():
        return f"{run} is missing"
    saved, meta = load_config(run)
    changed = config_differences(saved, SHIPPED[name].config)
    if changed:
        return f"its config differs from the preset's in {', '.join(changed)}"
    if meta.get("seed") != SEED or meta.get("data") != SHIPPED[name].data().source:
        return f"it was trained with seed {meta.get('seed')} on {meta.get('data')}"
    try:
        load_run(run)
    except CheckpointError as err:
        return str(err)
    return None


def make(names: list[str] | None = None) -> None:
    """Train each shipped run (all by default) and save it over the old one."""
    for name in names or list(SHIPPED):
        if name not in SHIPPED:
            raise ValueError(f"{name!r} is not a shipped run; shipped: {', '.join(SHIPPED)}")
        start = time.perf_counter()
        result = SHIPPED[name].train(progress=True)
        out = save_run(result, SHIPPED_RUNS / name, preset=SHIPPED[name].preset or name, seed=SEED)
        size = sum(f.stat().st_size for f in Path(out).iterdir()) / 1e6
        print(f"{name}: {result.history['step'][-1]:,} rounds in {time.perf_counter() - start:.0f} s -> {out} "
              f"({size:.1f} MB)", flush=True)


def main(argv: list[str] | None = None) -> int:
    try:
        make((sys.argv[1:] if argv is None else argv) or None)
    except ValueError as err:
        print(f"{COMMAND}: error: {err}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
