"""``python -m gan_course seeds NAME ... --seeds 0-9 [--save]``: does a claim hold on every seed?

A *study* trains once per seed and returns the figures a notebook asserts. Every preset is a study
(modes covered and high-quality % on the ring, label accuracy and Frechet distance for the c-GAN, the
Frechet distance and the largest class for the other MNIST presets); experiments that are not one preset
register their own in :data:`STUDIES`. ``seeds`` prints one line per (study, seed); with ``--save`` it also
writes ``notebooks/results/NAME.json``, which a notebook's instructor section reads with
:func:`load_results` and renders, so that no number in a notebook's prose is typed by hand. The file
records what the figures depend on (the study's *fingerprint*, e.g. the preset's config); when that
changes, :func:`load_results` says the file is stale and gives the command that remakes it.
"""

from __future__ import annotations

import datetime
import json
from dataclasses import asdict
import platform
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import numpy as np
import torch

from gan_course.coadaptation import border_energy, border_mask, final_samples, mnist_chain, train_arm
from gan_course.coadaptation_toy import TOY_PRESETS, toy_seeds
from gan_course.conditional import generate, label_accuracy
from gan_course.config import GANConfig
from gan_course.curves import LATE, quarter_means, read_curves
from gan_course.data import N_CLASSES, load_dataset, load_mnist
from gan_course import gradient_gap
from gan_course.equilibrium import DATA, FIXED_G, GRID, SUPPORT, optimal_accuracy, optimal_value, train_to_convergence
from gan_course.experiments import PRESETS, get_preset
from gan_course import saturation
from gan_course.gradflow import freezing_effect
from gan_course.latent import COORDINATES, SWEEP, disentanglement_study
from gan_course.metrics import digit_fd, digit_quality, generated_digits, ring_metrics
from gan_course.train import train

RESULTS_DIR = Path(__file__).resolve().parents[2] / "notebooks" / "results"
MAX_SEEDS = 1000  # one training each: more would run for days


@dataclass(frozen=True)
class Study:
    """A measurement repeated over seeds: ``measure(seed, steps)`` returns a dict of numbers."""

    name: str
    notebook: str
    description: str
    measure: Callable[[int, int | None], dict[str, Any]]
    fingerprint: Callable[[], dict[str, Any]]  # what the figures depend on; JSON-serialisable
    line: Callable[[dict[str, Any]], str]  # the figures of one seed, as the table prints them


def _measure_preset(name: str, seed: int, steps: int | None = None) -> dict:
    """Train preset ``name`` with ``seed``; the figures its notebook asserts, and the training seconds."""
    config = get_preset(name).config
    data = load_dataset(config.dataset, verbose=False)
    run = train(config, data, seed=seed, steps=steps, progress=False)
    figures: dict = {"seconds": run.seconds, "steps": int(run.history["step"][-1])}
    if config.dataset == "ring":
        m = ring_metrics(run.generator, data)
        figures.update(modes=m["modes_covered"], high_quality=m["high_quality"])
    elif config.conditional:
        labels = torch.arange(100 * N_CLASSES) % N_CLASSES  # 100 of each class
        images = generate(run.generator, labels, seed=1000 + seed)
        figures.update(label_accuracy=label_accuracy(images, labels)["overall"], fd=digit_fd(images))
    else:
        q = digit_quality(generated_digits(run.generator, 2000, config.latent_dim, seed=0))
        figures.update(fd=q["fd"], largest_class=int(np.argmax(q["class_hist"])), largest_share=q["max_class_share"])
    return figures


def _preset_line(f: dict) -> str:
    head = f"{f['steps']:5d} steps {f['seconds']:6.1f} s  "
    if "modes" in f:
        return head + f"modes {f['modes']}/8  high-quality {f['high_quality']:5.1f}%"
    if "label_accuracy" in f:
        return head + f"label accuracy {f['label_accuracy']:6.1%}  FD {f['fd']:6.1f}"
    return head + f"FD {f['fd']:6.1f}  largest class {f['largest_class']} at {f['largest_share']:5.1%}"


def preset_study(name: str) -> Study:
    """The study of one preset: train it, measure what its notebook asserts."""
    preset = get_preset(name)
    return Study(name, preset.notebook, preset.description,
                 lambda seed, steps: _measure_preset(name, seed, steps),
                 lambda: {"config": get_preset(name).config.to_dict()}, _preset_line)


STUDIES: dict[str, Study] = {name: preset_study(name) for name in PRESETS}
STUDIES["gradient-gap"] = Study("gradient-gap", "07", "both G losses from one seed, k = 2: G's gradient once D is ahead",
                                gradient_gap.measure, gradient_gap.fingerprint, gradient_gap.line)


def _freeze_line(f: dict) -> str:
    grad = "empty" if f["d_grad_frozen"] is None else f"{f['d_grad_frozen']:.3f}"
    return (f"D change {f['d_change_frozen']:.0e} / {f['d_change_not_frozen']:.0e}  D .grad {grad} / "
            f"{f['d_grad_not_frozen']:.3f}  G identical {f['g_identical']}  "
            f"{1000 * f['seconds_frozen']:.2f} / {1000 * f['seconds_not_frozen']:.2f} ms (frozen / not)")


STUDIES["g-step-freeze"] = Study(
    "g-step-freeze", "01", "the G-step with D frozen and not, on the MNIST-sized nets: D's change, D's .grad, "
    "G's update, CPU ms per G-step",
    lambda seed, steps: freezing_effect(seed),
    lambda: {"config": GANConfig(d_dropout=0.0).to_dict(), "function": "gradflow.freezing_effect"}, _freeze_line)


def get_study(name: str) -> Study:
    """The study called ``name``; a ValueError lists the known names otherwise."""
    if name not in STUDIES:
        raise ValueError(f"unknown preset or study {name!r}; known: {', '.join(STUDIES)}")
    return STUDIES[name]


def parse_seeds(text: str) -> list[int]:
    """'0-9' or '0,3,5' or '4' -> a list of seeds (each from 0 to 2**63 - 1, at most 1,000 of them)."""
    seeds: list[int] = []
    for part in text.split(","):
        lo_text, dash, hi_text = part.strip().partition("-")
        try:
            lo, hi = int(lo_text), int(hi_text) if dash else int(lo_text)
        except ValueError:
            raise ValueError(f"--seeds must look like 0-9 or 0,3,5 (seeds are integers >= 0), got {text!r}") from None
        if hi < lo:
            raise ValueError(f"--seeds {part.strip()}: the range runs backwards; write {hi}-{lo}")
        if hi >= 2**63:
            raise ValueError(f"--seeds {part.strip()}: a seed must be at most 2**63 - 1")
        if len(seeds) + hi - lo + 1 > MAX_SEEDS:
            raise ValueError(f"--seeds {text}: at most {MAX_SEEDS} seeds (one training each), got more")
        seeds += range(lo, hi + 1)
    return seeds


def _plain(value: Any) -> Any:
    """Numbers as JSON numbers: NumPy and torch scalars and arrays become floats, ints and lists."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, (np.ndarray, torch.Tensor)):
        return _plain(value.tolist())
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (np.floating,)):
        return float(value)
    return value


def save_results(study: Study, per_seed: dict[int, dict], steps: int | None, directory: Path = RESULTS_DIR) -> Path:
    """Write the figures of every seed, the study's fingerprint and the command that remakes them."""
    directory.mkdir(parents=True, exist_ok=True)
    seeds = sorted(per_seed)
    command = f"python -m gan_course seeds {study.name} --seeds {','.join(map(str, seeds))}" + \
        (f" --steps {steps}" if steps else "") + " --save"
    record = {"study": study.name, "notebook": study.notebook, "command": command,
              "fingerprint": _plain(study.fingerprint()), "steps": steps,
              "machine": f"{platform.machine()} {platform.processor() or ''}".strip(),
              "torch": torch.__version__, "date": datetime.date.today().isoformat(),
              "seeds": {str(s): _plain(per_seed[s]) for s in seeds}}
    path = directory / f"{study.name}.json"
    tmp = path.with_suffix(".json.partial")
    tmp.write_text(json.dumps(record, indent=1) + "\n")
    tmp.replace(path)
    return path


class StaleResults(ValueError):
    """A results file no longer matches the code that would make it."""


def load_results(name: str, directory: Path = RESULTS_DIR) -> dict[str, Any]:
    """The saved figures of study ``name``: ``{"seeds": {seed: figures}, "command": ..., ...}``, checked fresh.

    Raises FileNotFoundError or :class:`StaleResults` with the command that (re)makes the file.
    """
    study = get_study(name)
    path = directory / f"{name}.json"
    remake = f"python -m gan_course seeds {name} --seeds 0-9 --save"
    if not path.is_file():
        raise FileNotFoundError(f"no saved results for {name!r} at {path}; make them with `{remake}`")
    record = json.loads(path.read_text())
    if record.get("fingerprint") != _plain(study.fingerprint()) or record.get("steps") is not None:
        raise StaleResults(f"{path} was made with other settings than the code now has; remake it with "
                           f"`{record.get('command', remake)}`")
    record["seeds"] = {int(s): figures for s, figures in record["seeds"].items()}
    return record


def run_seeds(names: list[str], seeds: list[int], steps: int | None = None, save: bool = False,
              directory: Path = RESULTS_DIR) -> int:
    """Print one line per (study, seed); with ``save``, write each study's results file."""
    studies = [get_study(name) for name in names]  # an unknown name fails before any training
    start = time.perf_counter()
    for study in studies:
        per_seed = {}
        for seed in seeds:
            per_seed[seed] = study.measure(seed, steps)
            print(f"{study.name:<20s} seed {seed:2d}  {study.line(per_seed[seed])}", flush=True)
        if save:
            print(f"saved {save_results(study, per_seed, steps, directory)}")
    print(f"{len(names) * len(seeds)} runs in {time.perf_counter() - start:.0f} s")
    return 0


def _saturation_line(f: dict) -> str:
    c, head, scratch = f["chain"], f["fd_head_start"], f["fd_scratch"]
    return (f"D {c['d']:.4f}  |dl/dx| {c['dl_dx']:.2f}  |dD/dx| {c['dD_dx']:.4f}  at x {c['ratio']:.0f}x  "
            f"grad ratio {f['grad_ratio']:.1f}x  FD start {f['fd_start']:.0f}  scratch {scratch['non_saturating']:.0f}/"
            f"{scratch['saturating']:.0f}  head start {head['non_saturating']:.0f}/{head['saturating']:.0f}  "
            f"{f['seconds']:.0f} s")


STUDIES["saturation"] = Study(
    "saturation", "03", "the chain before and after D's head start; both G losses from scratch and after the head "
    "start: gradient ratios and FD",
    lambda seed, steps: saturation.saturation_figures(seed, steps),
    lambda: {"config": saturation.strong_d_config().to_dict(), "head_start": saturation.HEAD_START,
             "after_head_start": saturation.AFTER_HEAD_START, "window": list(saturation.WINDOW),
             "probe_seed": saturation.PROBE_SEED, "function": "saturation.saturation_figures"},
    _saturation_line)


# ------------------------------------------------------------------ notebook 04: ring settings that are not presets
def _ring_line(f: dict) -> str:
    return _preset_line(f) + f"  reached {f['modes_reached']}/8  median {f['median_sd']:6.1f} sd"


def _ring_study(name: str, description: str, make_config: Callable[[], Any]) -> Study:
    """Train ``make_config()`` on the ring: modes covered, high-quality %, and where the samples lie at any distance."""

    def measure(seed: int, steps: int | None) -> dict:
        from gan_course.metrics import RING_METRIC_SEED
        from gan_course.modecollapse import where_samples_lie  # widgets load only when this study runs
        from gan_course.seeding import fixed_noise

        config = make_config()
        data = load_dataset("ring", verbose=False)
        run = train(config, data, seed=seed, steps=steps, progress=False)
        m = ring_metrics(run.generator, data)
        with torch.no_grad():
            z = fixed_noise(2500, config.latent_dim, RING_METRIC_SEED)  # the z behind ring_metrics
            points = run.generator(z.to(next(run.generator.parameters()).device))  # (2500, 2)
        return {"seconds": run.seconds, "steps": int(run.history["step"][-1]), "modes": m["modes_covered"],
                "high_quality": m["high_quality"], **where_samples_lie(points.cpu(), data)}

    return Study(name, "04", description, measure, lambda: {"config": make_config().to_dict()}, _ring_line)


def _ring_variant(preset: str, **changes: Any) -> Callable[[], Any]:
    return lambda: get_preset(preset).config.replace(**changes)


def _playground(pack: int = 1) -> Callable[[], Any]:
    def make_config() -> Any:
        from gan_course.modecollapse import playground_config  # widgets load only when this study runs

        return playground_config().replace(pack=pack)

    return make_config


for _study in (
    *(_ring_study(name, get_preset(name).description, _ring_variant(name))  # the ring presets, measured in full
      for name in ("ring", "ring-fast-g", "ring-fast-g-pacgan")),
    _ring_study("ring-playground", "notebook 04's playground as it starts: ring-fast-g, constant lr, 4,000 rounds",
                _playground()),
    _ring_study("ring-playground-pacgan", "the playground with the remedy switched on (pack=2)", _playground(2)),
    _ring_study("ring-fast-g-constant", "ring-fast-g with a constant lr schedule (8,000 rounds): the schedule's part",
                _ring_variant("ring-fast-g", lr_schedule="constant")),
    _ring_study("ring-fast-g-l1", "ring-fast-g with l = 1 (G still at 6x D's lr): the part of l = 2",
                _ring_variant("ring-fast-g", g_steps=1)),
    _ring_study("ring-fast-g-equal-lr", "ring-fast-g with G's lr equal to D's (l = 2 kept): the part of the 6x lr",
                _ring_variant("ring-fast-g", lr_g=1e-3)),
):
    STUDIES[_study.name] = _study


# ------------------------------------------------------------------ notebook 05: co-adaptation
def _coadaptation_mnist(seed: int, steps: int | None) -> dict:
    """The `dropout` preset with and without input dropout, and without it on shifted digits: the chain's figures."""
    config = get_preset("dropout").config
    data = load_mnist(verbose=False)
    return mnist_chain(config.replace(steps=steps or config.steps), data, seed, border_mask(data.images))


def _coadaptation_line(f: dict) -> str:
    return (f"border energy {f['dropout_border_energy']:.4f} with / {f['control_border_energy']:.4f} without input "
            f"dropout, ratio {f['ratio']:.2f} | D's border weights evenly lit (1 = random signs, 0 = +a/-a pairs): "
            f"untrained {f['untrained_evenly_lit']:.1f}, control {f['control_evenly_lit']:.1f}, dropout "
            f"{f['dropout_evenly_lit']:.1f}, shifted digits {f['shifted_evenly_lit']:.1f} | G's noise corr "
            f"neighbours {f['control_noise_corr']:.2f}, random pairs {f['control_noise_corr_random']:.2f} | D's "
            f"gradient evenly lit {f['control_grad_evenly_lit']:.0f} (1 = chance)")


def _toy(name: str, rate: float = 0.2) -> Study:
    """A toy preset, ``rate`` input dropout against none: the chain's figures of both arms."""
    def measure(seed: int, steps: int | None) -> dict:
        config = TOY_PRESETS[name]
        return toy_seeds(config.replace(steps=steps or config.steps), [seed], rate)[0]

    def line(f: dict) -> str:
        c, d = f["control"], f["dropout"]
        return (f"D's frame pairs {c['pairs_trained']:.2f} / {d['pairs_trained']:.2f} | feedback on correlated noise "
                f"{c['feedback_correlated']:.3f} / {d['feedback_correlated']:.3f} | frame energy "
                f"{c['frame_energy']:.4f} / {d['frame_energy']:.4f} (without / with input dropout), ratio {f['ratio']:.3f}")

    return Study(name, "05", f"toy {name}: the co-adaptation chain with {rate:g} input dropout and without", measure,
                 lambda: {"config": asdict(TOY_PRESETS[name]), "rate": rate}, line)


# Settings tried on MNIST in search of a robust effect: changes to the `dropout` preset (both arms), and whether
# G's border starts black as the original's did.
MNIST_SEARCH: dict[str, tuple[dict, bool]] = {
    "input dropout 0.5": ({"input_dropout": 0.5}, False),
    "lr 0.1, momentum 0.5": ({"lr_d": 0.1, "lr_g": 0.1, "momentum": 0.5}, False),
    "input dropout 0.3, lr 0.1, momentum 0.5": ({"input_dropout": 0.3, "lr_d": 0.1, "lr_g": 0.1, "momentum": 0.5}, False),
    "input dropout 0.5, lr 0.1, momentum 0.5": ({"input_dropout": 0.5, "lr_d": 0.1, "lr_g": 0.1, "momentum": 0.5}, False),
    "input dropout 0.5, lr 0.1, momentum 0.5, 1,200 rounds": ({"input_dropout": 0.5, "lr_d": 0.1, "lr_g": 0.1, "momentum": 0.5, "steps": 1200}, False),
    "input dropout 0.5, no hidden dropout": ({"input_dropout": 0.5, "d_dropout": 0.0}, False),
    "D (64, 64)": ({"d_hidden": (64, 64)}, False),
    "D (512, 256)": ({"d_hidden": (512, 256)}, False),
    "cosine schedule": ({"lr_schedule": "cosine"}, False),
    "cosine, input dropout 0.5": ({"lr_schedule": "cosine", "input_dropout": 0.5}, False),
    "cosine, input dropout 0.5, lr 0.1, momentum 0.5": ({"lr_schedule": "cosine", "input_dropout": 0.5, "lr_d": 0.1,
                                                        "lr_g": 0.1, "momentum": 0.5}, False),
    "Adam, lr 2e-4, beta1 0.5": ({"optimizer": "adam", "lr_d": 2e-4, "lr_g": 2e-4, "beta1": 0.5}, False),
    "G's border starts black (as the original)": ({}, True),
}


def _search(name: str, variants: list[str]) -> Study:
    """Final border energy with and without input dropout for each setting of ``variants`` (keys of MNIST_SEARCH)."""
    def measure(seed: int, steps: int | None) -> dict:
        data = load_mnist(verbose=False)
        mask, preset = border_mask(data.images), get_preset("dropout").config
        figures = {}
        for variant in variants:
            changes, black_start = MNIST_SEARCH[variant]
            config = preset.replace(**changes)
            config = config.replace(steps=steps or config.steps)
            energy = {arm: border_energy(final_samples(train_arm(config.replace(input_dropout=rate), data, seed,
                                                                 black_start).generator, config.latent_dim), mask)
                      for arm, rate in (("dropout", config.input_dropout), ("control", 0.0))}
            figures[variant] = {**energy, "ratio": energy["dropout"] / energy["control"]}
        return figures

    return Study(name, "05", "settings tried on MNIST: final border energy with / without input dropout", measure,
                 lambda: {"preset": get_preset("dropout").config.to_dict(),
                          "variants": {v: [MNIST_SEARCH[v][0], MNIST_SEARCH[v][1]] for v in variants}},
                 lambda f: " | ".join(f"{v}: {x['ratio']:.2f}" for v, x in f.items()))


STUDIES.update({
    "coadaptation-mnist": Study("coadaptation-mnist", "05", "the `dropout` preset with / without input dropout: final "
                                "border energy and every step of the co-adaptation chain", _coadaptation_mnist,
                                lambda: {"config": get_preset("dropout").config.to_dict(), "samples": 2000,
                                         "shift": 4}, _coadaptation_line),
    **{name: _toy(name) for name in TOY_PRESETS},
    "coadaptation-mnist-search": _search("coadaptation-mnist-search", list(MNIST_SEARCH)),
    "coadaptation-mnist-best-tried": _search("coadaptation-mnist-best-tried", ["input dropout 0.5, lr 0.1, momentum 0.5"]),
    # notebook 05's lecture flow reads only this row of the search: a G whose border starts black, as the original's
    "coadaptation-mnist-black-start": _search("coadaptation-mnist-black-start",
                                              ["G's border starts black (as the original)"]),
})


# Notebook 02: the optimal D on the 1-D toy (no GAN trained), and everything 02 asserts about one `vanilla` run.

def _measure_equilibrium_toy(seed: int, steps: int | None = None) -> dict:
    """Train the toy's D against a G unlike the data and against G = data; how close each comes to D*."""
    apart = train_to_convergence(DATA, FIXED_G, steps=steps or 500, seed=seed)
    equal = train_to_convergence(DATA, DATA, steps=steps or 500, seed=seed)
    return {"max_gap": apart.max_gap(), "value_gap": optimal_value(DATA, FIXED_G) - apart.value(),
            "accuracy": apart.accuracy(), "optimal_accuracy": optimal_accuracy(DATA, FIXED_G),
            "equal_max_gap": equal.max_gap(), "equal_value": equal.value(), "equal_accuracy": equal.accuracy()}


def _equilibrium_line(f: dict) -> str:
    return (f"G unlike data: max |D - D*| {f['max_gap']:.3f}, f_acc {f['value_gap']:.4f} below f_acc(D*)  "
            f"G = data: max |D - 1/2| {f['equal_max_gap']:.4f}, f_acc {f['equal_value']:.4f}")


def _measure_vanilla_02(seed: int, steps: int | None = None) -> dict:
    """Train `vanilla`; its curves read against the equilibrium, its sample quality, and the z sweeps."""
    config = get_preset("vanilla").config
    data = load_dataset("mnist", verbose=False)
    run = train(config, data, seed=seed, steps=steps, progress=False)
    q = digit_quality(generated_digits(run.generator, 2000, config.latent_dim, seed=0))
    z = disentanglement_study(run.generator, config.latent_dim, COORDINATES, seed=seed)
    coords, randoms = z["coordinates"], z["random"]
    figures = {"seconds": run.seconds, "steps": int(run.history["step"][-1]), **read_curves(run.history).as_dict(),
               "fd": q["fd"], "classes_present": q["classes_present"], "largest_share": q["max_class_share"]}
    for name in ("class_changed", "ink_change", "slant_change", "ink_same_way", "slant_same_way"):
        figures[f"z_{name}_min"] = min(getattr(e, name) for e in coords)
        figures[f"z_{name}_max"] = max(getattr(e, name) for e in coords)
        figures[f"z_{name}_mean"] = float(np.mean([getattr(e, name) for e in coords]))
        figures[f"random_{name}_mean"] = float(np.mean([getattr(e, name) for e in randoms]))
    for key in ("d_loss", "g_loss", "d_acc_real", "d_acc_fake"):
        figures[f"{key}_quarters"] = quarter_means(run.history, key)
    figures["z_coordinates"] = [vars(e) for e in coords]
    figures["z_random"] = [vars(e) for e in randoms]
    return figures


def _vanilla_02_line(f: dict) -> str:
    return (f"{f['steps']:5d} steps {f['seconds']:6.1f} s  D acc {f['d_accuracy']:5.1%}  D loss {f['d_loss']:.3f}  "
            f"FD {f['fd']:5.1f}  z: class changes {f['z_class_changed_min']:.0%}-{f['z_class_changed_max']:.0%}, "
            f"ink >= {f['z_ink_change_min']:.2f} sd, slant >= {f['z_slant_change_min']:.2f} sd")


STUDIES["equilibrium-toy"] = Study(
    "equilibrium-toy", "02", "the optimal D on a 1-D toy: a D trained to convergence against a fixed G, beside "
    "D* = p_data / (p_data + p_g)", _measure_equilibrium_toy,
    lambda: {"data": repr(DATA), "g": repr(FIXED_G), "support": SUPPORT,
             "grid": [float(GRID[0]), float(GRID[-1]), len(GRID)]},
    _equilibrium_line)
STUDIES["vanilla-02"] = Study(
    "vanilla-02", "02", "vanilla: D's accuracy and loss late in training against the equilibrium, sample quality, "
    "and what moving one coordinate of z changes", _measure_vanilla_02,
    lambda: {"config": get_preset("vanilla").config.to_dict(), "late": LATE, "sweep": list(SWEEP),
             "coordinates": list(COORDINATES)}, _vanilla_02_line)


# ------------------------------------------------------------------ notebook 06: one c-GAN against ten per-class GANs
def _cgan_sharing(seed: int, steps: int | None) -> dict:
    """The cgan preset's recipe as one c-GAN and as ten per-class GANs under an equal budget (gan_course.sharing)."""
    from gan_course import sharing

    return sharing.compare(get_preset("cgan").config, load_mnist(verbose=False), seed, steps)


def _cgan_sharing_fingerprint() -> dict:
    from gan_course import sharing

    return sharing.fingerprint(get_preset("cgan").config)


def _cgan_sharing_line(f: dict) -> str:
    from gan_course import sharing

    return sharing.summary_line(f)


STUDIES["cgan-sharing"] = Study(
    "cgan-sharing", "06", "one c-GAN against ten per-class GANs on the same total compute (same rounds on a tenth of "
    "the batch; a tenth of the rounds), with all training digits and with 50 a class; per class, on held-out digits",
    _cgan_sharing, _cgan_sharing_fingerprint, _cgan_sharing_line)
