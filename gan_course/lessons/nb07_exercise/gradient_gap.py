r"""Notebook 07's measurement: how much more gradient the modified loss gives G once D is ahead.

Two runs from the same seed differ only in G's loss: the original $\mathbb{E}[\log(1 - D(G(z)))]$ and the
modified $-\mathbb{E}[\log D(G(z))]$. Over the rounds where D is ahead (:data:`WINDOW`), :func:`gap_figures`
gives each run's mean $D(G(z))$ and median gradient norm of G, and their ratio. :func:`measure` is the
same over one seed for ``python -m tools seeds gradient-gap``. :func:`gradient_report` is the table
under the notebook's slider: each of the student's losses and its gradients at one value of $D(G(z))$.
"""

from __future__ import annotations

import html
import inspect
import statistics
from typing import Callable, Mapping

import torch

from gan_course.config import GANConfig
from gan_course.data import load_mnist
from gan_course.losses import loss_curves
from gan_course.train import TrainResult, train

CONFIG = GANConfig(d_steps=2)  # k = 2: D gets ahead early, the slide's "G poor, D fairly good"
STEPS = 400
WINDOW = (100, 400)  # rounds (exclusive, inclusive] over which D is ahead in both runs
D_AHEAD = 0.15  # "D is ahead": the mean D(G(z)) over the window is below this in both runs
MIN_RATIO = 10.0  # the claim: the modified loss's median gradient norm is at least this many times the original's
LOSSES = ("saturating", "non_saturating")


def gap_figures(runs: Mapping[str, TrainResult]) -> dict[str, float]:
    """Mean D(G(z)) and median G gradient norm of each run over :data:`WINDOW`, and the ratio of the medians."""
    figures: dict[str, float] = {}
    for kind in LOSSES:
        h = runs[kind].history
        inside = [i for i, s in enumerate(h["step"]) if WINDOW[0] < s <= WINDOW[1]]
        figures[f"d_fake_{kind}"] = statistics.mean(h["d_fake"][i] for i in inside)
        figures[f"grad_{kind}"] = statistics.median(h["g_grad_norm"][i] for i in inside)
    figures["ratio"] = figures["grad_non_saturating"] / figures["grad_saturating"]
    return figures


def measure(seed: int, steps: int | None = None) -> dict[str, float]:
    """Train both losses (the course's own) from ``seed``; :func:`gap_figures` and the training seconds."""
    digits = load_mnist(verbose=False)
    runs = {kind: train(CONFIG.replace(loss=kind), digits, seed=seed, steps=steps or STEPS, progress=False)
            for kind in LOSSES}
    return {**gap_figures(runs), "seconds": sum(run.seconds for run in runs.values())}


def fingerprint() -> dict:
    """What the figures depend on: the config, the number of rounds and the window."""
    return {"config": CONFIG.to_dict(), "steps": STEPS, "window": list(WINDOW)}


def line(f: Mapping[str, float]) -> str:
    """One seed's figures, as the seeds table prints them."""
    return (f"mean D(G(z)) {f['d_fake_saturating']:.3f} / {f['d_fake_non_saturating']:.3f}  median |grad G| "
            f"{f['grad_saturating']:.3g} / {f['grad_non_saturating']:.3g}  ratio {f['ratio']:5.1f}x  "
            f"{f['seconds']:5.1f} s")


# --- the slider's table --------------------------------------------------------------------------

def _n_args(fn: Callable) -> int:
    try:
        params = inspect.signature(fn).parameters.values()
    except (TypeError, ValueError):
        return 1
    required = [p for p in params if p.default is p.empty and p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    return max(1, len(required))


def implemented(*fns: Callable) -> bool:
    """False if any of ``fns`` raises NotImplementedError on a small batch of logits (B = 4), else True.

    Other errors count as implemented: the checkers report them.
    """
    for fn in fns:
        try:
            fn(*(torch.zeros(4) for _ in range(_n_args(fn))))
        except NotImplementedError:
            return False
        except Exception:  # noqa: BLE001 -- implemented, but broken: the checker says how
            pass
    return True


def gradient_report(d_fake: float, losses: Mapping[str, Callable]) -> str:
    r"""An HTML table of each G loss and its gradients at $D(G(z))$ = ``d_fake`` (the slider's callback).

    A loss that is not implemented yet, or fails, gets a one-line note instead of numbers.
    """
    missing = [name for name, fn in losses.items() if not implemented(fn)]
    if missing:
        return f"<p>not implemented yet: {html.escape(', '.join(missing))}. Implement the losses above first.</p>"
    if not 0.0 < d_fake < 1.0:
        return f"<p>D(G(z)) must be strictly between 0 and 1, got {d_fake!r}</p>"
    try:
        curves = loss_curves(torch.tensor([d_fake], dtype=torch.float64), losses)
    except Exception as err:  # noqa: BLE001 -- a broken student loss must not break the widget
        return f"<p>could not evaluate the losses: {html.escape(type(err).__name__)}: {html.escape(str(err))}</p>"
    rows = {name: {k: float(v[0]) for k, v in c.items()} for name, c in curves.items()}
    cells = "".join(
        f"<tr><td>{html.escape(name)}</td><td>{r['value']:.4f}</td><td>{r['d_p']:.4f}</td><td>{r['d_logit']:.4f}</td></tr>"
        for name, r in rows.items())
    magnitudes = [abs(r["d_logit"]) for r in rows.values()]
    ratio = ""
    if len(magnitudes) == 2 and min(magnitudes) > 0:
        ratio = f"<p>gradient magnitude ratio (per logit): {max(magnitudes) / min(magnitudes):.1f}×</p>"
    return (f"<p>D(G(z)) = {d_fake:.3f}</p><table><tr><th>G loss</th><th>value</th><th>dL/dD</th>"
            f"<th>dL/d logit</th></tr>{cells}</table>{ratio}")
