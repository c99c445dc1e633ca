"""Saved runs: DIR/generator.pt, discriminator.pt, snapshots.pt, config.json, history.json.

A notebook's :func:`load_or_train` looks for ``checkpoints/NAME`` (the instructor's own, pre-trained before
class), then for the run of NAME shipped with the course in ``gan_course/assets/runs`` (seed 0, trained on the
offline digits by ``python -m tools.shipped``), and trains live when neither fits.

Replacing a run is one atomic step. A run is written in full to a hidden folder beside DIR, ``.DIR.<id>.run``,
then swapped with the run at DIR in one exchange rename (Linux's ``renameat2(RENAME_EXCHANGE)``, macOS's
``renamex_np(RENAME_SWAP)``; a plain rename when DIR is new), and the old run, now under the hidden name, is removed.
So a reader always finds a complete run at DIR, the old one or the new one, and an interrupt at any point (Ctrl-C,
a kill) leaves one of the two there. DIR stays a plain folder that can be copied or moved. Where there is no
exchange (Windows, a file system without it) the swap takes two renames: a kill between them leaves the old run
hidden beside DIR, and the next save to DIR (or ``train --out DIR``) puts it back. Hidden leftovers of interrupted
saves are removed at the next save to DIR. Loading reads one run: when DIR is swapped while it is being read, it is
read again. Loading checks everything a notebook reads (keys, shapes, finite weights, snapshots, history) and
raises one :class:`CheckpointError` that says what is wrong.
"""

from __future__ import annotations

import json
import os
import re
import time
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import torch

from gan_course.config import GANConfig, check_fits_memory
from gan_course.data import N_CLASSES, load_dataset
from gan_course.device import cpu_kernels, get_device
from gan_course.outdir import OutDirError, refuse_protected, remove, swap_in, write_atomic
from gan_course.train import HISTORY_KEYS, TrainResult, build_models, train

RUN_FILES = ("generator.pt", "discriminator.pt", "snapshots.pt", "config.json", "history.json")
CHECKPOINTS_ENV = "GAN_COURSE_CHECKPOINTS"
SHIPPED_RUNS = Path(__file__).resolve().parent / "assets" / "runs"


class CheckpointError(ValueError):
    """A run directory is missing, incomplete, corrupt or does not match what was asked for."""


def check_out_dir(out_dir: str | Path, force: bool = False) -> Path:
    """Where a new run may be written; CheckpointError (before any training) when it may not.

    Refused: the current folder and any protected one (:mod:`gan_course.outdir`); a file; an existing run unless
    ``force``; a non-empty directory that is not a run; a parent that cannot be created or written to. A run that
    an interrupted save left hidden is put back at ``out_dir`` first (:func:`recover_run`).
    """
    if str(out_dir) == "":
        raise CheckpointError("--out is empty; give a new folder for the run, e.g. --out runs/NAME")
    try:
        out = refuse_protected(out_dir, "runs/NAME")
    except OutDirError as err:
        raise CheckpointError(str(err)) from None
    if out.name in ("", ".", ".."):
        raise CheckpointError(f"--out {out} names no folder of its own; give one, e.g. --out runs/NAME")
    recover_run(out)
    if out.exists() and not out.is_dir():
        raise CheckpointError(f"--out {out} is a file, not a run directory")
    if out.is_dir() and any(out.iterdir()):
        if not ((out / "config.json").is_file() and (out / "generator.pt").is_file()):
            raise CheckpointError(f"--out {out} is a directory with other files in it, not a run; pick another")
        if not force:
            raise CheckpointError(f"--out {out} already holds a run; pass --force to replace it")
    parent = out.absolute().parent
    existing = next(p for p in (parent, *parent.parents) if p.exists())
    if not existing.is_dir():
        raise CheckpointError(f"--out {out}: {existing} is a file, so the directory cannot be created")
    if not os.access(existing, os.W_OK | os.X_OK):
        raise CheckpointError(f"--out {out}: no permission to write in {existing}")
    return out


def _hidden(out: Path) -> list[tuple[Path, str, int | None]]:
    """The hidden entries beside ``out`` that saves to it make: (path, kind, pid of the save that made it or None).

    Kinds: ``run`` (a complete run, or the old one after an exchange), ``partial`` (a run being written), ``old``
    (a run set aside by two renames, ``.DIR.*.old/run``, as the previous save code also left them), ``link`` (a
    symlink an earlier version swapped in).
    """
    parent = out.absolute().parent
    if not parent.is_dir():
        return []
    pattern = re.compile(rf"\.{re.escape(out.name)}\.(?:(\d+)-\d+|[^.]+)\.(run|partial|link|old)")
    found = []
    for entry in parent.iterdir():
        match = pattern.fullmatch(entry.name)
        if match:
            found.append((entry, match.group(2), int(match.group(1)) if match.group(1) else None))
    return found


def _alive(pid: int | None) -> bool:
    """Whether the save that made a hidden entry may still be running (never this process: its saves are done)."""
    if pid is None or pid == os.getpid():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # exists, owned by someone else
        return True
    return True


def recover_run(out: str | Path) -> None:
    """Put back a run that an interrupted save left hidden beside ``out`` (when ``out`` holds none), then remove the
    hidden leftovers of saves that are no longer running."""
    out = Path(out)
    leftovers = [(path, kind) for path, kind, pid in _hidden(out) if not _alive(pid)]
    if not leftovers:
        return
    if not out.exists():  # missing, or a symlink to a run that is gone
        complete = [(path, kind) for path, kind in leftovers if kind == "run" or (kind == "old" and (path / "run").is_dir())]
        if complete:
            path, kind = max(complete, key=lambda item: (item[0] / ("run" if item[1] == "old" else ".")).stat().st_mtime_ns)
            if out.is_symlink():
                out.unlink()
            os.replace(path / "run" if kind == "old" else path, out)
    target = os.path.realpath(out) if out.is_symlink() else None
    for path, _ in leftovers:
        if str(path.absolute()) != target:
            remove(path)


def _swap_in(out: Path, version: Path, stamp: str) -> None:
    """Put the complete run ``version`` (a hidden sibling) at ``out`` with :func:`swap_in`; where that takes two
    renames the old run waits between them in ``.DIR.STAMP.old/run``, where :func:`recover_run` finds it."""
    previous = Path(os.path.realpath(out)) if out.is_symlink() else None  # a run saved as a symlink to its folder
    parent = out.absolute().parent
    aside = parent / f".{out.name}.{stamp}.old"
    swap_in(version, out, aside / "run")
    remove(aside)
    if previous is not None and previous.parent == parent.resolve() and previous.name.startswith(f".{out.name}."):
        remove(previous)


def save_run(result: TrainResult, out_dir: str | Path, force: bool = True, **meta: Any) -> Path:
    """Write a trained run to ``out_dir`` in one atomic step (see the module's docstring); ``meta`` (preset name,
    seed, ...) goes into config.json.

    config.json's ``steps`` is the number of rounds actually trained. With ``force=False`` an existing run
    is refused (:func:`check_out_dir`).
    """
    out = check_out_dir(out_dir, force)
    parent = out.absolute().parent
    parent.mkdir(parents=True, exist_ok=True)
    stamp = f"{os.getpid()}-{time.time_ns()}"
    tmp = parent / f".{out.name}.{stamp}.partial"
    tmp.mkdir()
    try:
        torch.save(result.generator.state_dict(), tmp / "generator.pt")
        torch.save(result.discriminator.state_dict(), tmp / "discriminator.pt")
        samples = torch.stack([s["samples"] for s in result.snapshots]) if result.snapshots else torch.empty(0)
        steps = torch.tensor([s["step"] for s in result.snapshots], dtype=torch.long)
        # what a training callback added to each snapshot (notebook 04's frames: D's heatmap, the ring's metrics)
        extras = [_saveable({k: v for k, v in s.items() if k not in ("step", "samples")}, f"snapshot {i}")
                  for i, s in enumerate(result.snapshots)]
        torch.save({"steps": steps, "samples": samples, "extras": extras}, tmp / "snapshots.pt")
        logged = result.history.get("step") or []
        trained = int(logged[-1]) if logged else result.config.steps
        first = {"first_round": int(logged[0])} if logged and int(logged[0]) != 1 else {}  # a continued run
        config = {**result.config.replace(steps=trained).to_dict(),
                  "meta": {**meta, **first, "data": result.data_source, "seconds": result.seconds,
                           "torch": torch.__version__, "cpu": cpu_kernels()}}
        write_atomic(tmp / "config.json", json.dumps(config, indent=2))
        write_atomic(tmp / "history.json", json.dumps(result.history))
        version = parent / f".{out.name}.{stamp}.run"
        os.replace(tmp, version)  # complete: from here on the next save can recover it
        _swap_in(out, version, stamp)
    finally:
        remove(tmp)  # gone already after the rename
    return out


_NUMPY = "__numpy__"  # marks a numpy array saved as a tensor, so that it loads back as numpy


def _saveable(value: Any, where: str) -> Any:
    """``value`` in the types ``torch.load(weights_only=True)`` reads back: tensors, numbers, strings, lists and
    dicts; a numpy array becomes a marked tensor and a numpy number a Python one. Anything else: a ValueError."""
    if isinstance(value, np.generic):  # before float: numpy's float64 is a float too
        return value.item()
    if isinstance(value, (torch.Tensor, str, bool, int, float)) or value is None:
        return value
    if isinstance(value, np.ndarray):
        return {_NUMPY: torch.from_numpy(np.ascontiguousarray(value))}
    if isinstance(value, dict) and all(isinstance(k, str) for k in value):
        return {k: _saveable(v, f"{where}[{k!r}]") for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_saveable(v, f"{where}[{i}]") for i, v in enumerate(value)]
    raise ValueError(f"{where}: a {type(value).__name__} cannot be saved with a run (tensors, numbers, strings, "
                     "lists, dicts and numpy arrays can)")


def _restored(value: Any) -> Any:
    """The inverse of :func:`_saveable`."""
    if isinstance(value, dict):
        if set(value) == {_NUMPY} and isinstance(value[_NUMPY], torch.Tensor):
            return value[_NUMPY].numpy()
        return {k: _restored(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_restored(v) for v in value]
    return value


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text())
    except FileNotFoundError as err:
        raise CheckpointError(f"{path.parent} is not a trained run: {path.name} is missing") from err
    except (json.JSONDecodeError, UnicodeDecodeError, IsADirectoryError) as err:
        raise CheckpointError(f"{path} is corrupt: not valid JSON") from err


def _load_tensors(path: Path) -> Any:
    if not path.is_file():
        raise CheckpointError(f"{path.parent} is not a trained run: {path.name} is missing")
    try:
        with warnings.catch_warnings():  # torch warns about a plain pickle's protocol before refusing it
            warnings.simplefilter("ignore")
            return torch.load(path, map_location="cpu", weights_only=True)
    except Exception as err:  # pickle, zip and unpickling errors all mean "not a usable checkpoint"
        raise CheckpointError(f"{path} is corrupt or not a weights-only checkpoint ({type(err).__name__})") from err


def _load_weights(path: Path, net: torch.nn.Module) -> None:
    state = _load_tensors(path)
    if not isinstance(state, dict) or not all(isinstance(v, torch.Tensor) for v in state.values()):
        raise CheckpointError(f"{path} is corrupt: expected a state dict of tensors, got {type(state).__name__}")
    try:
        net.load_state_dict(state)
    except RuntimeError as err:  # missing or unexpected keys, wrong shapes
        raise CheckpointError(f"{path} does not match config.json: {str(err).splitlines()[0]}") from err
    bad = [name for name, value in state.items() if value.is_floating_point() and not torch.isfinite(value).all()]
    if bad:
        raise CheckpointError(f"{path} holds NaN or infinite weights (in {bad[0]}): the run diverged")


def load_config(run_dir: str | Path) -> tuple[GANConfig, dict]:
    """The GANConfig of a saved run and its meta dict (preset, seed, ...)."""
    run = Path(run_dir)
    if run.exists() and not run.is_dir():
        raise CheckpointError(f"{run} is a file, not a run directory")
    if not run.is_dir():
        raise CheckpointError(f"run directory {run} does not exist")
    raw = _read_json(run / "config.json")
    if not isinstance(raw, dict):
        raise CheckpointError(f"{run / 'config.json'} is corrupt: expected a JSON object")
    meta = raw.pop("meta", {})
    if not isinstance(meta, dict):
        raise CheckpointError(f"{run / 'config.json'} is corrupt: 'meta' is not an object")
    if not isinstance(raw.get("conditional", False), bool):
        raise CheckpointError(f"{run / 'config.json'} does not describe a valid config: conditional must be true "
                              f"or false, got {raw['conditional']!r}")
    try:
        return GANConfig(**raw), meta
    except (TypeError, ValueError) as err:
        raise CheckpointError(f"{run / 'config.json'} does not describe a valid config: {err}") from err


def logged_rounds(steps: int, log_every: int, first: int = 1) -> list[int]:
    """The rounds :func:`gan_course.train.train` logs when it trains rounds ``first`` to ``steps``: the first, every
    ``log_every``-th and the last."""
    return sorted({first, steps, *range(-(-first // log_every) * log_every, steps + 1, log_every)})


def _load_history(path: Path, config: GANConfig, first: int) -> dict[str, list[float]]:
    history = _read_json(path)
    if not isinstance(history, dict) or not all(isinstance(history.get(k), list) for k in HISTORY_KEYS):
        raise CheckpointError(f"{path} is corrupt: expected lists for {', '.join(HISTORY_KEYS)}")
    lengths = {len(history[k]) for k in HISTORY_KEYS}
    if len(lengths) != 1 or not lengths.pop():
        raise CheckpointError(f"{path} is corrupt: its lists are empty or of different lengths")
    if not all(isinstance(v, (int, float)) and not isinstance(v, bool) for k in HISTORY_KEYS for v in history[k]):
        raise CheckpointError(f"{path} is corrupt: it holds values that are not numbers")
    expected = logged_rounds(config.steps, config.log_every, first)
    if history["step"] != expected:
        raise CheckpointError(f"{path} is incomplete: {config.steps:,} rounds logged every {config.log_every} give "
                              f"{len(expected):,} rows (rounds {expected[0]} to {expected[-1]}), and it holds "
                              f"{len(history['step']):,}")
    return history


def _load_snapshots(path: Path, config: GANConfig, data_dim: int) -> list[dict]:
    snaps = _load_tensors(path)
    if not isinstance(snaps, dict) or not isinstance(snaps.get("steps"), torch.Tensor) \
            or not isinstance(snaps.get("samples"), torch.Tensor):
        raise CheckpointError(f"{path} is corrupt: expected tensors 'steps' and 'samples'")
    steps, samples = snaps["steps"], snaps["samples"]
    shape = (config.n_snapshot, 1, 28, 28) if data_dim == 784 else (config.n_snapshot, data_dim)
    if steps.dim() != 1 or len(steps) == 0 or tuple(samples.shape) != (len(steps), *shape):
        raise CheckpointError(f"{path} is corrupt: expected samples of shape (snapshots, {', '.join(map(str, shape))}) "
                              f"for {len(steps)} steps, got {tuple(samples.shape)}")
    if not torch.isfinite(samples).all():
        raise CheckpointError(f"{path} holds NaN or infinite samples")
    extras = snaps.get("extras", [{}] * len(steps))  # runs saved before extras were kept have none
    if not isinstance(extras, list) or len(extras) != len(steps) or not all(isinstance(e, dict) for e in extras):
        raise CheckpointError(f"{path} is corrupt: expected one dict of extras per snapshot ({len(steps)})")
    extras = [_restored(e) for e in extras]
    return [{**e, "step": int(s), "samples": x} for s, x, e in zip(steps, samples, extras)]


def _identity(run: Path) -> tuple | None:
    """What changes when a save swaps the run at ``run``: the folder it resolves to and that folder's inode."""
    try:
        st = os.stat(run)
    except OSError:
        return None
    return os.path.realpath(run), st.st_dev, st.st_ino, st.st_ctime_ns


def load_run(run_dir: str | Path, with_discriminator: bool = True, with_snapshots: bool = True) -> TrainResult:
    """A saved run as a TrainResult (nets in eval mode on the CPU), loaded with ``weights_only=True`` and checked.

    All its files come from one run: when a save replaces the run while it is read, it is read again.
    """
    run = Path(run_dir)
    for _ in range(5):
        before = _identity(run)
        # a symlinked run is read from the folder it points to now, which no save changes (it may only remove it)
        pinned = Path(before[0]) if before is not None and run.is_symlink() else run
        try:
            result = _load_run(pinned, with_discriminator, with_snapshots)
        except CheckpointError as err:
            if _identity(run) == before:
                raise CheckpointError(str(err).replace(str(pinned), str(run))) from err.__cause__
            continue  # replaced while it was read: read the new run
        if pinned != run or _identity(run) == before:
            return result
    raise CheckpointError(f"{run} was replaced 5 times while it was read; try again when the save is over")


def _load_run(run: Path, with_discriminator: bool, with_snapshots: bool) -> TrainResult:
    config, meta = load_config(run)
    data_dim = 2 if config.dataset == "ring" else 784
    try:
        check_fits_memory(config, data_dim, training=False)
    except ValueError as err:
        raise CheckpointError(f"{run / 'config.json'}: {err}") from None
    generator, discriminator = build_models(config, data_dim, N_CLASSES)
    _load_weights(run / "generator.pt", generator)
    if with_discriminator:
        _load_weights(run / "discriminator.pt", discriminator)
    first = meta.get("first_round", 1)
    if isinstance(first, bool) or not isinstance(first, int) or not 1 <= first <= config.steps:
        raise CheckpointError(f"{run / 'config.json'} is corrupt: meta's first_round must be a round from 1 to "
                              f"{config.steps}, got {first!r}")
    history = _load_history(run / "history.json", config, first) if with_snapshots else {}
    snapshots = _load_snapshots(run / "snapshots.pt", config, data_dim) if with_snapshots else []
    seconds = meta.get("seconds", 0.0)
    return TrainResult(config, generator.eval(), discriminator.eval(), history, snapshots,
                       seconds=float(seconds) if isinstance(seconds, (int, float)) else 0.0,
                       data_source=str(meta.get("data", "")))


def find_checkpoints(name: str) -> list[Path]:
    """Every saved run of NAME, in the order :func:`load_or_train` tries them: ``checkpoints/NAME`` under
    $GAN_COURSE_CHECKPOINTS, the working folder or its parent (the instructor's own), then the run shipped with
    the course."""
    roots = [Path(os.environ[CHECKPOINTS_ENV])] if os.environ.get(CHECKPOINTS_ENV) else []
    roots += [Path.cwd() / "checkpoints", Path.cwd().parent / "checkpoints", SHIPPED_RUNS]
    return [root / name for root in roots if (root / name / "config.json").exists()]


def config_differences(saved: GANConfig, wanted: GANConfig, ignore: tuple[str, ...] = ()) -> list[str]:
    """The fields, sorted, in which ``saved`` differs from ``wanted`` (``ignore``'s left out)."""
    a, b = saved.to_dict(), wanted.to_dict()
    return sorted(k for k in b if k not in ignore and a.get(k) != b[k])


def _usable(run_dir: Path, config: GANConfig, source: str, seed: int, steps: int | None) -> TrainResult:
    """The run in ``run_dir`` if it can stand in for training ``config`` on ``source`` with ``seed``; else a
    CheckpointError that says why not."""
    saved, meta = load_config(run_dir)
    changed = config_differences(saved, config, ignore=("steps",))
    if changed:
        raise CheckpointError(f"its config differs in {', '.join(changed)}")
    if meta.get("data") and source and meta["data"] != source:
        raise CheckpointError(f"it was trained on {meta['data']}, and this notebook's data is {source}")
    if "seed" in meta and meta["seed"] != seed:
        raise CheckpointError(f"it was trained with seed {meta['seed']}, and this notebook's seed is {seed}")
    needed = steps if steps is not None else config.steps
    if saved.steps < needed:
        raise CheckpointError(f"it trained {saved.steps:,} rounds, fewer than the {needed:,} trained live here")
    result = load_run(run_dir)
    if result.history["step"][-1] != saved.steps:
        raise CheckpointError(f"its history ends at round {result.history['step'][-1]}, not {saved.steps}")
    return result


def load_or_train(name: str, config: GANConfig, data=None, *, seed: int = 0, steps: int | None = None,
                  live: bool = False, **train_kwargs: Any) -> TrainResult:
    """A saved run of NAME when one is usable for ``config`` (see :func:`find_checkpoints`); else train live.

    Usable: its config equals ``config`` in every field but ``steps``; it was trained on the same data (a run
    trained on the offline digits never stands in for real MNIST) with the same seed; it trained at least as
    many rounds as live training would (``steps``, default ``config.steps``); and every file loads and checks
    out. Prints one line saying which run was loaded, or one line per run passed over and why. ``live=True``
    always trains. A loaded run plays no rounds, so ``train_kwargs``' callback is not called.
    """
    data = load_dataset(config.dataset) if data is None else data
    source = getattr(data, "source", "")
    passed_over = []
    for run_dir in [] if live else find_checkpoints(name):
        shipped = run_dir.parent == SHIPPED_RUNS
        where = f"the pre-trained run of {name!r} shipped with the course" if shipped else f"the pre-trained run in {run_dir}"
        try:
            result = _usable(run_dir, config, source, seed, steps)
        except CheckpointError as err:
            passed_over.append(f"Not using {where}: {err}.")
            continue
        device = torch.device(train_kwargs["device"]) if train_kwargs.get("device") else get_device()
        result.generator.to(device), result.discriminator.to(device)  # where live training would have left them
        took = f", trained in {result.seconds:.0f} s" if result.seconds else ""
        print(*passed_over, f"Using {where} ({result.history['step'][-1]:,} rounds, seed {seed}, on "
              f"{source or 'its data'}{took}); pass live=True to train here instead.", sep="\n")
        return result
    if passed_over:
        print(*passed_over[:-1], passed_over[-1] + " Training live instead.", sep="\n")
    return train(config, data, seed=seed, steps=steps, **train_kwargs)
