"""Notebook 05: co-adaptation on MNIST (the chain's figures, and the settings searched) and on the toys."""

from __future__ import annotations

from dataclasses import asdict

from gan_course.lessons.nb05_coadaptation.mnist import border_energy, border_mask, final_samples, mnist_chain, train_arm
from gan_course.lessons.nb05_coadaptation.toy import TOY_PRESETS, toy_seeds
from gan_course.data import load_mnist
from gan_course.experiments import get_preset
from tools.studies import Study


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


STUDIES = [
    Study("coadaptation-mnist", "05", "the `dropout` preset with / without input dropout: final border energy and "
          "every step of the co-adaptation chain", _coadaptation_mnist,
          lambda: {"config": get_preset("dropout").config.to_dict(), "samples": 2000, "shift": 4}, _coadaptation_line),
    *(_toy(name) for name in TOY_PRESETS),
    _search("coadaptation-mnist-search", list(MNIST_SEARCH)),
    _search("coadaptation-mnist-best-tried", ["input dropout 0.5, lr 0.1, momentum 0.5"]),
    # notebook 05's lecture flow reads only this row of the search: a G whose border starts black, as the original's
    _search("coadaptation-mnist-black-start", ["G's border starts black (as the original)"]),
]
