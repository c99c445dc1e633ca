r"""Notebook 07's loss checkers: D's objective and G's two losses, each in the probability and the logits form.

| function | returns | who optimises it |
|---|---|---|
| ``d_objective(real, fake)`` | $f_{acc} = \mathbb{E}[\log D(x)] + \mathbb{E}[\log(1 - D(G(z)))]$ | D maximises |
| ``g_loss_saturating(fake)`` | $\mathbb{E}[\log(1 - D(G(z)))]$ (the original loss) | G minimises |
| ``g_loss_non_saturating(fake)`` | $-\mathbb{E}[\log D(G(z))]$ (Goodfellow's modified loss) | G minimises |

``inputs="probs"``: the arguments are D's probabilities (B,); ``inputs="logits"`` (the default): D's logits
(B,), and the function must stay finite at logits of $\pm 100$ and $\pm 10^4$. Each result is a scalar (shape ()).

The checkers hold no solution: they compare the student's values and gradients on fixed probes with the
values stored in ``expected.json`` (written from the instructor's reference, which is not installed), and name a
known mistake by the values it gives there. Each ``check_*`` prints one line and returns True or False; it
never raises for a student's mistake.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Callable

from gan_course.lessons.nb07_exercise.diagnosis import Exercise, diagnose, exercise_from_dict, name_of, report

FORMS = ("logits", "probs")
EXPECTED = Path(__file__).with_name("expected.json")


@lru_cache(maxsize=None)
def _table() -> dict:
    return json.loads(EXPECTED.read_text(encoding="utf-8"))


def exercise(name: str, inputs: str = "logits") -> Exercise:
    """The exercise ``name`` in the form ``inputs`` ("logits" or "probs"), as stored numbers."""
    if inputs not in FORMS:
        raise ValueError(f"inputs must be one of {FORMS}, got {inputs!r}")
    key = f"{name}/{inputs}"
    if key not in _table():
        raise ValueError(f"no exercise {name!r}: expected one of d_objective, g_loss_saturating, g_loss_non_saturating")
    return exercise_from_dict(_table()[key])


def verdict(name: str, fn: Callable, inputs: str = "logits") -> tuple[bool, str]:
    """(passed, the one line a checker prints) for the student's ``fn`` for exercise ``name``."""
    ex = exercise(name, inputs)
    finite = " and stays finite, with the right gradient, at logits ±100 and ±1e4" if ex.extremes else ""
    passed = (f"{name_of(fn, ex.name)} is correct: it matches {ex.formula} and its gradient on "
              f"{len(ex.cases)} batches of {inputs}{finite}.")
    return report(passed, diagnose(ex, fn))


def _check(name: str, fn: Callable, inputs: str) -> bool:
    ok, line = verdict(name, fn, inputs)
    print(line)
    return ok


def check_d_objective(fn: Callable, inputs: str = "logits") -> bool:
    r"""Check ``fn(real, fake)`` $= \mathbb{E}[\log D(x)] + \mathbb{E}[\log(1 - D(G(z)))]$ (f_acc, D maximises).

    Prints one line; returns True if correct, else False (never raises).
    """
    return _check("d_objective", fn, inputs)


def check_g_loss_saturating(fn: Callable, inputs: str = "logits") -> bool:
    r"""Check ``fn(fake)`` $= \mathbb{E}[\log(1 - D(G(z)))]$, the original (saturating) loss G minimises.

    Prints one line; returns True if correct, else False (never raises).
    """
    return _check("g_loss_saturating", fn, inputs)


def check_g_loss_non_saturating(fn: Callable, inputs: str = "logits") -> bool:
    r"""Check ``fn(fake)`` $= -\mathbb{E}[\log D(G(z))]$, Goodfellow's modified loss G minimises.

    Prints one line; returns True if correct, else False (never raises).
    """
    return _check("g_loss_non_saturating", fn, inputs)
