"""What every notebook's widgets share: redrawing a figure in an output, and showing a widget object.

Every widget is a small class (in its notebook's lesson, :mod:`gan_course.lessons`): ``.widget`` is what the
notebook displays, the callbacks are plain methods (tested in pytest without a browser), and ``.shown`` keeps
what was drawn last so a test can see that moving a control changed the picture.
"""

from __future__ import annotations

from typing import Any, Callable

import ipywidgets as w
import matplotlib.pyplot as plt
from IPython.display import display


PROBE = "gan-course-probe"  # CSS class of the control the browser tests move


def redraw(output: w.Output, draw: Callable[[], Any]) -> Any:
    """Clear ``output``, run ``draw`` (which makes one matplotlib figure) and show the figure there; ``draw``'s result.

    The figures ``draw`` made are closed once shown: the notebook's inline backend does so itself, but elsewhere
    (a script, the tests) every slider move would keep one more figure open."""
    with output:
        output.clear_output(wait=True)
        before = set(plt.get_fignums())
        result = draw()
        plt.show()
        for number in set(plt.get_fignums()) - before:
            plt.close(number)
    return result


def show(widget_object) -> None:
    """Display a widget object's ``.widget``."""
    display(widget_object.widget)
