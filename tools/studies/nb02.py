"""Notebook 02: the optimal D on the 1-D toy (no GAN trained), everything 02 asserts about one `vanilla` run, and
what its k-and-l widget's run does with k = 5 D-steps."""

from __future__ import annotations

import numpy as np

from gan_course.curves import LATE, late_mean, quarter_means, read_curves
from gan_course.data import load_dataset
from gan_course.lessons.nb02_vanilla.equilibrium import DATA, FIXED_G, GRID, SUPPORT, optimal_accuracy, optimal_value, train_to_convergence
from gan_course.experiments import get_preset
from gan_course.lessons.nb02_vanilla.latent import COORDINATES, SWEEP, disentanglement_study
from gan_course.metrics import digit_quality, generated_digits
from tools.studies import Study
from gan_course.train import TrainResult, train
from gan_course.lessons.nb02_vanilla.widgets import RETRAIN_STEPS


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
    """Train `vanilla` and measure :func:`vanilla_02_figures`."""
    config = get_preset("vanilla").config
    data = load_dataset("mnist", verbose=False)
    return vanilla_02_figures(train(config, data, seed=seed, steps=steps, progress=False), seed)


def vanilla_02_figures(run: TrainResult, seed: int) -> dict:
    """A trained `vanilla` run (of ``seed``): its curves read against the equilibrium, its sample quality, and the
    z sweeps (whose directions ``seed`` draws)."""
    config = run.config
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


K_STEPS = (1, 5)  # the k-and-l widget's first value and its largest: Question 5's k = 5, l = 1


def _measure_k_steps(seed: int, steps: int | None = None) -> dict:
    """The widget's run (`vanilla`, RETRAIN_STEPS rounds, l = 1) with each k of K_STEPS: D's late curves, G's
    gradient norm (median over the logged rounds) and the samples' FD."""
    config = get_preset("vanilla").config
    data = load_dataset("mnist", verbose=False)
    figures = {}
    for k in K_STEPS:
        run = train(config.replace(d_steps=k, g_steps=1), data, seed=seed, steps=steps or RETRAIN_STEPS, progress=False)
        curves = read_curves(run.history)
        q = digit_quality(generated_digits(run.generator, 2000, config.latent_dim, seed=0))
        figures[f"k{k}"] = {"seconds": run.seconds, "d_accuracy": curves.d_accuracy, "d_loss": curves.d_loss,
                            "d_fake": late_mean(run.history, "d_fake"),
                            "g_grad_median": float(np.median(run.history["g_grad_norm"])),
                            "fd": q["fd"], "classes_present": q["classes_present"]}
    return figures


def _k_steps_line(f: dict) -> str:
    def one(k: int, r: dict) -> str:
        return (f"k={k}: D acc {r['d_accuracy']:5.1%} D loss {r['d_loss']:.3f} D(G(z)) {r['d_fake']:.2f} "
                f"|grad G| {r['g_grad_median']:.2f} FD {r['fd']:5.1f} {r['seconds']:4.0f} s")

    return "  ".join(one(k, f[f"k{k}"]) for k in K_STEPS)


STUDIES = [Study(
    "equilibrium-toy", "02", "the optimal D on a 1-D toy: a D trained to convergence against a fixed G, beside "
    "D* = p_data / (p_data + p_g)", _measure_equilibrium_toy,
    lambda: {"data": repr(DATA), "g": repr(FIXED_G), "support": SUPPORT,
             "grid": [float(GRID[0]), float(GRID[-1]), len(GRID)]},
    _equilibrium_line), Study(
    "vanilla-02", "02", "vanilla: D's accuracy and loss late in training against the equilibrium, sample quality, "
    "and what moving one coordinate of z changes", _measure_vanilla_02,
    lambda: {"config": get_preset("vanilla").config.to_dict(), "late": LATE, "sweep": list(SWEEP),
             "coordinates": list(COORDINATES)}, _vanilla_02_line), Study(
    "k-steps-02", "02", "vanilla for the k-and-l widget's 1,000 rounds with k = 1 and k = 5 D-steps a round (l = 1): "
    "D's late accuracy, loss and D(G(z)), G's gradient norm, FD", _measure_k_steps,
    lambda: {"config": get_preset("vanilla").config.to_dict(), "k": list(K_STEPS), "steps": RETRAIN_STEPS,
             "late": LATE}, _k_steps_line)]
