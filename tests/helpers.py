"""Helpers shared by the tests (not part of the package)."""

from __future__ import annotations

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg


def figure_pixels(fig) -> np.ndarray:
    """The rendered RGBA pixels of a figure (H, W, 4): lets tests compare pictures."""
    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    return np.asarray(canvas.buffer_rgba()).copy()
