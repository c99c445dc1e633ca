"""Notebook 06: one c-GAN against ten per-class GANs on the same compute (gan_course.lessons.nb06_conditional.sharing)."""

from __future__ import annotations

from gan_course.data import load_mnist
from gan_course.experiments import get_preset
from tools.studies import Study


def _cgan_sharing(seed: int, steps: int | None) -> dict:
    """The cgan preset's recipe as one c-GAN and as ten per-class GANs under an equal budget (gan_course.lessons.nb06_conditional.sharing);
    seed 0 writes its pictures as PNGs into notebooks/results/cgan-sharing/, beside the table."""
    from gan_course.lessons.nb06_conditional import sharing
    from tools.robustness import RESULTS_DIR

    return sharing.compare(get_preset("cgan").config, load_mnist(verbose=False), seed, steps,
                           pictures=RESULTS_DIR / sharing.PICTURES)


def _cgan_sharing_fingerprint() -> dict:
    from gan_course.lessons.nb06_conditional import sharing

    return sharing.fingerprint(get_preset("cgan").config)


def _cgan_sharing_line(f: dict) -> str:
    from gan_course.lessons.nb06_conditional import sharing

    return sharing.summary_line(f)


STUDIES = [Study(
    "cgan-sharing", "06", "one c-GAN against ten per-class GANs on the same total compute (same rounds on a tenth of "
    "the batch; a tenth of the rounds), with all training digits and with 50 a class; per class, on held-out digits",
    _cgan_sharing, _cgan_sharing_fingerprint, _cgan_sharing_line)]
