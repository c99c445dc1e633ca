"""Saved runs: DIR/generator.pt, discriminator.pt, snapshots.pt, config.json, history.json.

A notebook's :func:`load_or_train` looks for ``checkpoints/NAME`` (the instructor's own, pre-trained before
class), then for the run of NAME shipped with the course in ``gan_course/assets/runs`` (seed 0, trained on the
offline digits by ``python -m tools.shipped``), and trains live when neither fits.

A run is written to a temporary directory beside DIR and renamed into place, so a reader finds the
old run or the new one, never a mix. Loading checks everything a notebook reads (keys, shapes, finite
weights, snapshots, history) and raises one :class:`CheckpointError` that says what is wrong.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import torch

from gan_course.config import GANConfig
from gan_course.data import N_CLASSES, load_dataset
from gan_course.device import cpu_kernels, get_device
from gan_course.outdir import OutDirError, refuse_protected
from gan_course.train import HISTORY_KEYS, TrainResult, build_models, train

RUN_FILES = ("generator.pt", "discriminator.pt", "snapshots.pt", "config.json", "history.json")
CHECKPOINTS_ENV = "GAN_COURSE_CHECKPOINTS"
SHIPPED_RUNS = Path(__file__).resolve().parent / "assets" / "runs"


class CheckpointError(ValueError):
    """A run directory is missing, incomplete, corrupt or does not match what was asked for."""


def check_out_dir(out_dir: str | Path, force: bool = False) -> Path:
    """Where a new run may be written; CheckpointError (before any training) when it may not.

    Refused: a file; an existing run unless ``force``; a non-empty directory that is not a run; a
    parent that cannot be created or written to.
    """
    try:
        out = refuse_protected(out_dir, "runs/NAME")
    except OutDirError as err:
        raise CheckpointError(str(err)) from None
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


def save_run(result: TrainResult, out_dir: str | Path, force: bool = True, **meta: Any) -> Path:
    """Write a trained run to ``out_dir`` atomically; ``meta`` (preset name, seed, ...) goes into config.json.

    config.json's ``steps`` is the number of rounds actually trained. With ``force=False`` an existing run
    is refused (:func:`check_out_dir`).
    """
    out = check_out_dir(out_dir, force)
    out.absolute().parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", suffix=".partial", dir=out.absolute().parent))
    try:
        torch.save(result.generator.state_dict(), tmp / "generator.pt")
        torch.save(result.discriminator.state_dict(), tmp / "discriminator.pt")
        samples = torch.stack([s["samples"] for s in result.snapshots]) if result.snapshots else torch.empty(0)
        steps = torch.tensor([s["step"] for s in result.snapshots], dtype=torch.long)
        # what a training callback added to each snapshot (notebook 04's frames: D's heatmap, the ring's metrics)
        extras = [_saveable({k: v for k, v in s.items() if k not in ("step", "samples")}, f"snapshot {i}")
                  for i, s in enumerate(result.snapshots)]
        torch.save({"steps": steps, "samples": samples, "extras": extras}, tmp / "snapshots.pt")
        trained = int(result.history["step"][-1]) if result.history.get("step") else result.config.steps
        config = {**result.config.replace(steps=trained).to_dict(),
                  "meta": {**meta, "data": result.data_source, "seconds": result.seconds, "torch": torch.__version__,
                           "cpu": cpu_kernels()}}
        (tmp / "config.json").write_text(json.dumps(config, indent=2))
        (tmp / "history.json").write_text(json.dumps(result.history))
        old = None
        if out.exists():
            old = Path(tempfile.mkdtemp(prefix=f".{out.name}.", suffix=".old", dir=out.absolute().parent))
            os.replace(out, old / "run")
        os.replace(tmp, out)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)  # gone already after a successful rename
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


def _load_history(path: Path) -> dict[str, list[float]]:
    history = _read_json(path)
    if not isinstance(history, dict) or not all(isinstance(history.get(k), list) for k in HISTORY_KEYS):
        raise CheckpointError(f"{path} is corrupt: expected lists for {', '.join(HISTORY_KEYS)}")
    lengths = {len(history[k]) for k in HISTORY_KEYS}
    if len(lengths) != 1 or not lengths.pop():
        raise CheckpointError(f"{path} is corrupt: its lists are empty or of different lengths")
    if not all(isinstance(v, (int, float)) and not isinstance(v, bool) for k in HISTORY_KEYS for v in history[k]):
        raise CheckpointError(f"{path} is corrupt: it holds values that are not numbers")
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


def load_run(run_dir: str | Path, with_discriminator: bool = True, with_snapshots: bool = True) -> TrainResult:
    """A saved run as a TrainResult (nets in eval mode on the CPU), loaded with ``weights_only=True`` and checked."""
    run = Path(run_dir)
    config, meta = load_config(run)
    data_dim = 2 if config.dataset == "ring" else 784
    generator, discriminator = build_models(config, data_dim, N_CLASSES)
    _load_weights(run / "generator.pt", generator)
    if with_discriminator:
        _load_weights(run / "discriminator.pt", discriminator)
    history = _load_history(run / "history.json") if with_snapshots else {}
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
