"""Notebook 01: the G-step with D frozen and not, on the MNIST-sized nets."""

from __future__ import annotations

from gan_course.config import GANConfig
from gan_course.lessons.nb01_gradient_flow import freezing_effect
from tools.studies import Study


def _freeze_line(f: dict) -> str:
    grad = "empty" if f["d_grad_frozen"] is None else f"{f['d_grad_frozen']:.3f}"
    return (f"D change {f['d_change_frozen']:.0e} / {f['d_change_not_frozen']:.0e}  D .grad {grad} / "
            f"{f['d_grad_not_frozen']:.3f}  G identical {f['g_identical']}  "
            f"{1000 * f['seconds_frozen']:.2f} / {1000 * f['seconds_not_frozen']:.2f} ms (frozen / not)")


STUDIES = [Study(
    "g-step-freeze", "01", "the G-step with D frozen and not, on the MNIST-sized nets: D's change, D's .grad, "
    "G's update, CPU ms per G-step",
    lambda seed, steps: freezing_effect(seed),
    lambda: {"config": GANConfig(d_dropout=0.0).to_dict(), "function": "gradflow.freezing_effect"}, _freeze_line)]
