"""Notebook 03: the chain before and after D's head start; both G losses from scratch and after it."""

from __future__ import annotations

from gan_course.lessons import nb03_saturation as saturation
from tools.studies import Study


def _saturation_line(f: dict) -> str:
    c, head, scratch = f["chain"], f["fd_head_start"], f["fd_scratch"]
    return (f"D {c['d']:.4f}  |dl/dx| {c['dl_dx']:.2f}  |dD/dx| {c['dD_dx']:.4f}  at x {c['ratio']:.0f}x  "
            f"grad ratio {f['grad_ratio']:.1f}x  FD start {f['fd_start']:.0f}  scratch {scratch['non_saturating']:.0f}/"
            f"{scratch['saturating']:.0f}  head start {head['non_saturating']:.0f}/{head['saturating']:.0f}  "
            f"{f['seconds']:.0f} s")


STUDIES = [Study(
    "saturation", "03", "the chain before and after D's head start; both G losses from scratch and after the head "
    "start: gradient ratios and FD",
    lambda seed, steps: saturation.saturation_figures(seed, steps),
    lambda: {"config": saturation.strong_d_config().to_dict(), "head_start": saturation.HEAD_START,
             "after_head_start": saturation.AFTER_HEAD_START, "window": list(saturation.WINDOW),
             "probe_seed": saturation.PROBE_SEED, "function": "saturation.saturation_figures"},
    _saturation_line)]
