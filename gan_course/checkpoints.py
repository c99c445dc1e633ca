"""Saving and loading trained runs: DIR/generator.pt, discriminator.pt, config.json, history.json."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import torch

from gan_course.train import GANConfig, TrainResult, build_models


class CheckpointError(ValueError):
    """A run directory is missing, incomplete, corrupt or does not match its config."""


def save_run(result: TrainResult, out_dir: str | Path, **meta: Any) -> Path:
    """Write a trained run to ``out_dir``; ``meta`` (preset name, seed, ...) goes into config.json."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    torch.save(result.generator.state_dict(), out / "generator.pt")
    torch.save(result.discriminator.state_dict(), out / "discriminator.pt")
    samples = torch.stack([s["samples"] for s in result.snapshots]) if result.snapshots else torch.empty(0)
    steps = torch.tensor([s["step"] for s in result.snapshots], dtype=torch.long)
    torch.save({"steps": steps, "samples": samples}, out / "snapshots.pt")
    config = {**result.config.to_dict(), "meta": {**meta, "data": result.data_source, "seconds": result.seconds}}
    (out / "config.json").write_text(json.dumps(config, indent=2))
    (out / "history.json").write_text(json.dumps(result.history))
    return out


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text())
    except FileNotFoundError as err:
        raise CheckpointError(f"{path.parent} is not a trained run: {path.name} is missing") from err
    except (json.JSONDecodeError, UnicodeDecodeError) as err:
        raise CheckpointError(f"{path} is corrupt: not valid JSON ({err})") from err


def _load_state(path: Path) -> dict:
    if not path.exists():
        raise CheckpointError(f"{path.parent} is not a trained run: {path.name} is missing")
    try:
        return torch.load(path, map_location="cpu", weights_only=True)
    except Exception as err:  # pickle, zip and unpickling errors all mean "not a usable checkpoint"
        raise CheckpointError(f"{path} is corrupt or not a weights-only state dict ({type(err).__name__})") from err


def load_config(run_dir: str | Path) -> tuple[GANConfig, dict]:
    """The GANConfig of a saved run and its meta dict (preset, seed, ...)."""
    run = Path(run_dir)
    if not run.is_dir():
        raise CheckpointError(f"run directory {run} does not exist")
    raw = _read_json(run / "config.json")
    if not isinstance(raw, dict):
        raise CheckpointError(f"{run / 'config.json'} is corrupt: expected a JSON object")
    meta = raw.pop("meta", {})
    try:
        return GANConfig(**raw), meta
    except (TypeError, ValueError) as err:
        raise CheckpointError(f"{run / 'config.json'} does not describe a valid config: {err}") from err


def load_run(run_dir: str | Path, with_discriminator: bool = True) -> TrainResult:
    """A saved run as a TrainResult (nets in eval mode on the CPU), loaded with ``weights_only=True``."""
    run = Path(run_dir)
    config, meta = load_config(run)
    data_dim = 2 if config.dataset == "ring" else 784
    generator, discriminator = build_models(config, data_dim)
    parts = [("generator.pt", generator)] + ([("discriminator.pt", discriminator)] if with_discriminator else [])
    for name, net in parts:
        try:
            net.load_state_dict(_load_state(run / name))
        except RuntimeError as err:  # shape or key mismatch
            raise CheckpointError(f"{run / name} does not match config.json: {str(err).splitlines()[0]}") from err
    history = _read_json(run / "history.json")
    snapshots = []
    if (run / "snapshots.pt").exists():
        snaps = _load_state(run / "snapshots.pt")
        snapshots = [{"step": int(s), "samples": x} for s, x in zip(snaps["steps"], snaps["samples"])]
    return TrainResult(config, generator.eval(), discriminator.eval(), history, snapshots,
                       seconds=float(meta.get("seconds", 0.0)), data_source=str(meta.get("data", "")))


CHECKPOINTS_ENV = "GAN_COURSE_CHECKPOINTS"


def find_checkpoint(name: str) -> Path | None:
    """``checkpoints/NAME`` under $GAN_COURSE_CHECKPOINTS, the working folder or its parent, if present."""
    import os

    roots = [Path(os.environ[CHECKPOINTS_ENV])] if os.environ.get(CHECKPOINTS_ENV) else []
    roots += [Path.cwd() / "checkpoints", Path.cwd().parent / "checkpoints"]
    for root in roots:
        if (root / name / "config.json").exists():
            return root / name
    return None


def load_or_train(name: str, config: GANConfig, data=None, *, seed: int = 0, **train_kwargs: Any) -> TrainResult:
    """A pre-trained ``checkpoints/NAME`` when one is present and matches ``config``; else train live.

    Prints one line saying which. A missing, corrupt or mismatched checkpoint falls back to
    live training.
    """
    from gan_course.train import train

    run_dir = find_checkpoint(name)
    if run_dir is not None:
        try:
            saved, _ = load_config(run_dir)
            expected = {k: v for k, v in config.to_dict().items() if k != "steps"}
            found = {k: v for k, v in saved.to_dict().items() if k != "steps"}
            if found != expected:
                changed = sorted(k for k in expected if expected[k] != found.get(k))
                raise CheckpointError(f"its config differs in {', '.join(changed)}")
            result = load_run(run_dir)
            print(f"Using the pre-trained run in {run_dir} ({saved.steps} steps).")
            return result
        except CheckpointError as err:
            print(f"Not using {run_dir}: {err}. Training live instead.")
    return train(config, data, seed=seed, **train_kwargs)
