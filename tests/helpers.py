"""Helpers shared by the tests (not part of the package)."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from matplotlib.backends.backend_agg import FigureCanvasAgg

from gan_course.checkpoints import SHIPPED_RUNS, load_config


def figure_pixels(fig) -> np.ndarray:
    """The rendered RGBA pixels of a figure (H, W, 4): lets tests compare pictures."""
    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    return np.asarray(canvas.buffer_rgba()).copy()


def same_build(name: str) -> None:
    """Skip unless this machine's torch and CPU kernels are the ones that trained the shipped run."""
    _, meta = load_config(SHIPPED_RUNS / name)
    here = (torch.__version__, torch.backends.cpu.get_cpu_capability())
    if (meta.get("torch"), meta.get("cpu")) != here:
        pytest.skip(f"the shipped {name!r} was trained with torch {meta.get('torch')} on {meta.get('cpu')} CPU "
                    f"kernels, this is torch {here[0]} on {here[1]}: bit-equal weights are not expected")


def unequal_nets(a, b) -> list[str]:
    """The nets ("generator", "discriminator") whose weights differ between two training results, bit for bit."""
    differ = []
    for net in ("generator", "discriminator"):
        x, y = getattr(a, net).state_dict(), getattr(b, net).state_dict()
        if x.keys() != y.keys() or not all(torch.equal(x[k], y[k]) for k in x):
            differ.append(net)
    return differ
