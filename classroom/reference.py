r"""The exercises of notebook 07 on D's objective and G's two losses, each with its catalogue of known mistakes.

The student writes each function twice:

- **probability form** (``inputs="probs"``), as on the slide: the arguments are D's
  probabilities $D(x), D(G(z)) \in (0, 1)$, shape (B,);
- **logits form** (``inputs="logits"``, the default), the one training uses: the arguments
  are D's logits $\ell$ with $D = \sigma(\ell)$, shape (B,), so that
  $\log D = \log\sigma(\ell)$ and $\log(1 - D) = \log\sigma(-\ell)$ (``F.logsigmoid``)
  stay finite even when D is certain (logits of $\pm 10^4$).

| function | returns | who optimises it |
|---|---|---|
| ``d_objective(real, fake)`` | $f_{acc} = \mathbb{E}[\log D(x)] + \mathbb{E}[\log(1 - D(G(z)))]$ | D maximises |
| ``g_loss_saturating(fake)`` | $\mathbb{E}[\log(1 - D(G(z)))]$ (the original loss) | G minimises |
| ``g_loss_non_saturating(fake)`` | $-\mathbb{E}[\log D(G(z))]$ (Goodfellow's modified loss) | G minimises |

Each result is a scalar tensor (shape ()), the mean over the batch. A wrong result is compared with a
catalogue of known mistakes (wrong sign, sum instead of mean, missing log, swapped labels, logits taken
for probabilities, ...) by :func:`gan_course.lessons.nb07_exercise.diagnosis.diagnose`; the first one it matches names the message.
``check_d_objective(fn)`` and its two siblings print that one line and return True or False (never raise
for a student's mistake); ``verdict(name, fn)`` returns (passed, line) for the grader. Only misuse of a
checker itself (an unknown ``inputs``) raises.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable

import torch
import torch.nn.functional as F

from gan_course.lessons.nb07_exercise.diagnosis import Exercise, diagnose, name_of, report

FORMS = ("logits", "probs")
_LN2, _LN10 = math.log(2.0), math.log(10.0)


# --- the two ways D's output reaches the loss -------------------------------------------

@dataclass(frozen=True)
class _Form:
    """How to get D, log D and log(1 - D) from what the function receives."""

    name: str
    D: Callable[[torch.Tensor], torch.Tensor]
    log_D: Callable[[torch.Tensor], torch.Tensor]
    log_1mD: Callable[[torch.Tensor], torch.Tensor]


LOGITS = _Form("logits", torch.sigmoid, F.logsigmoid, lambda t: F.logsigmoid(-t))
PROBS = _Form("probs", lambda t: t, torch.log, lambda t: torch.log(1 - t))


def _mean(t: torch.Tensor) -> torch.Tensor:
    return t.mean()


def _sum(t: torch.Tensor) -> torch.Tensor:
    return t.sum()


# The three objectives, written once for both forms (agg: mean, or sum for that mistake).
def _f_acc(form, real, fake, agg=_mean):
    return agg(form.log_D(real)) + agg(form.log_1mD(fake))


def _saturating(form, fake, agg=_mean):
    return agg(form.log_1mD(fake))


def _non_saturating(form, fake, agg=_mean):
    return -agg(form.log_D(fake))


# --- the exercises and their catalogues of known mistakes --------------------------------

def _confusions(form: _Form, objective: Callable) -> list[tuple[str, Callable]]:
    """Mistakes about what the function receives: logits taken for probabilities or the reverse."""
    if form is LOGITS:
        return [
            ("treats the logits as probabilities (log applied to the logits, no sigmoid): apply the sigmoid "
             "first, or better use F.logsigmoid on the logits",
             lambda *xs: objective(PROBS, *xs)),
            ("applies the sigmoid twice (sigmoid, then a function that expects logits, such as F.logsigmoid or "
             "F.binary_cross_entropy_with_logits): it receives logits, so use one of them, not both",
             lambda *xs: objective(LOGITS, *(torch.sigmoid(x) for x in xs))),
        ]
    return [
        ("treats the probabilities as logits (applies a sigmoid, F.logsigmoid or a *_with_logits loss): "
         "this version receives D's probabilities, so take torch.log directly",
         lambda *xs: objective(LOGITS, *xs)),
    ]


def _log_bases(objective: Callable, form: _Form) -> list[tuple[str, Callable]]:
    return [
        ("uses log10; the objective uses the natural log (torch.log)", lambda *xs: objective(form, *xs) / _LN10),
        ("uses log2; the objective uses the natural log (torch.log)", lambda *xs: objective(form, *xs) / _LN2),
    ]


def _exercise_d_objective(form: _Form) -> Exercise:
    f = form
    mistakes = [
        ("has the wrong sign: it returns -f_acc, D's loss (what a BCE loss gives); return f_acc itself, "
         "which D maximises (training minimises -d_objective)",
         lambda r, g: -_f_acc(f, r, g)),
        ("swaps the real and fake labels: log D belongs to the real x, log(1 - D) to the fakes G(z)",
         lambda r, g: _f_acc(f, g, r)),
        ("sums over the batch instead of averaging: E[...] is a mean, use .mean()",
         lambda r, g: _f_acc(f, r, g, _sum)),
        ("is half of f_acc: it averages over real and fake together (e.g. one BCE over torch.cat); "
         "f_acc is the sum of two means, E_x[log D(x)] + E_z[log(1 - D(G(z)))]",
         lambda r, g: _f_acc(f, r, g) / 2),
        ("is missing the log: it computes E[D(x)] + E[1 - D(G(z))]",
         lambda r, g: f.D(r).mean() + (1 - f.D(g)).mean()),
        ("is missing the fake term E[log(1 - D(G(z)))]", lambda r, g: f.log_D(r).mean()),
        ("is missing the real term E[log D(x)]", lambda r, g: f.log_1mD(g).mean()),
        ("uses G's modified term -log D(G(z)) for the fakes; D's objective keeps log(1 - D(G(z)))",
         lambda r, g: f.log_D(r).mean() - f.log_D(g).mean()),
        *_confusions(f, _f_acc),
        *_log_bases(_f_acc, f),
    ]
    return Exercise("d_objective" + ("_prob" if f is PROBS else ""), "D objective",
                     "f_acc = E[log D(x)] + E[log(1 - D(G(z)))]",
                     ("d_real", "d_fake") if f is PROBS else ("real_logits", "fake_logits"),
                     lambda r, g: _f_acc(f, r, g), tuple(mistakes), *_probes_for(f, 2))


def _exercise_saturating(form: _Form) -> Exercise:
    f = form
    mistakes = [
        ("has the wrong sign: it should be E[log(1 - D(G(z)))], which is <= 0 and G minimises "
         "(F.binary_cross_entropy_with_logits(x, zeros) is -E[log(1 - D)]: negate it)",
         lambda g: -_saturating(f, g)),
        ("is the non-saturating loss -E[log D(G(z))] (saturating and non-saturating swapped); "
         "the original, saturating loss is E[log(1 - D(G(z)))]",
         lambda g: _non_saturating(f, g)),
        ("has the wrong target label: it computes E[log D(G(z))]; the original loss uses log(1 - D(G(z))), "
         "the fake label 0",
         lambda g: f.log_D(g).mean()),
        ("sums over the batch instead of averaging: E[...] is a mean, use .mean()",
         lambda g: _saturating(f, g, _sum)),
        ("is missing the log: it computes E[1 - D(G(z))] instead of E[log(1 - D(G(z)))]",
         lambda g: (1 - f.D(g)).mean()),
        *_confusions(f, _saturating),
        *_log_bases(_saturating, f),
    ]
    return Exercise("g_loss_saturating" + ("_prob" if f is PROBS else ""), "saturating loss",
                     "E[log(1 - D(G(z)))]", ("d_fake",) if f is PROBS else ("fake_logits",),
                     lambda g: _saturating(f, g), tuple(mistakes), *_probes_for(f, 1))


def _exercise_non_saturating(form: _Form) -> Exercise:
    f = form
    mistakes = [
        ("has the wrong sign: it should be -E[log D(G(z))], which is >= 0 and G minimises",
         lambda g: -_non_saturating(f, g)),
        ("is the saturating loss E[log(1 - D(G(z)))] (saturating and non-saturating swapped); "
         "the modified loss is -E[log D(G(z))]",
         lambda g: _saturating(f, g)),
        ("has the wrong target label: it computes -E[log(1 - D(G(z)))] (BCE with target 0, 'fake'); "
         "G's modified loss uses target 1: G wants D to call its samples real",
         lambda g: -f.log_1mD(g).mean()),
        ("sums over the batch instead of averaging: E[...] is a mean, use .mean()",
         lambda g: _non_saturating(f, g, _sum)),
        ("is missing the log: it computes -E[D(G(z))] instead of -E[log D(G(z))]",
         lambda g: -f.D(g).mean()),
        *_confusions(f, _non_saturating),
        *_log_bases(_non_saturating, f),
    ]
    return Exercise("g_loss_non_saturating" + ("_prob" if f is PROBS else ""), "non-saturating loss",
                     "-E[log D(G(z))]", ("d_fake",) if f is PROBS else ("fake_logits",),
                     lambda g: _non_saturating(f, g), tuple(mistakes), *_probes_for(f, 1))


# --- probe inputs ------------------------------------------------------------------------

def _probes(form: _Form, n_args: int) -> list[tuple[torch.Tensor, ...]]:
    """Ordinary inputs, fixed and seeded-random, of several batch sizes (float32, shape (B,))."""
    g = torch.Generator().manual_seed(7)
    if form is LOGITS:  # the first batch looks like probabilities, so 'log of the logits' stays finite
        fixed = [([0.1, 0.35, 0.6, 0.85], [0.15, 0.3, 0.55, 0.8]),
                 ([2.0, -1.0, 0.5, -3.0, 1.5], [-2.0, 0.7, -0.4, 1.2, -3.5])]
        rand = (torch.randn(7, generator=g) * 2, torch.randn(7, generator=g) * 2)
    else:
        fixed = [([0.1, 0.35, 0.6, 0.85], [0.15, 0.3, 0.55, 0.8]),
                 ([0.02, 0.5, 0.97, 0.2, 0.7], [0.9, 0.05, 0.4, 0.65, 0.3])]
        rand = (torch.rand(7, generator=g) * 0.96 + 0.02, torch.rand(7, generator=g) * 0.96 + 0.02)
    batches = [tuple(torch.tensor(v) for v in pair) for pair in fixed] + [rand]
    if n_args == 2:
        return batches
    return [(b[1],) for b in batches]  # the G losses see fake batches only


EXTREME_LOGITS = (100.0, -100.0, 1e4, -1e4)


def _extremes(n_args: int) -> list[tuple[torch.Tensor, ...]]:
    """Logits where D is certain: sigmoid(±100) is exactly 1 or 0 in float32."""
    return [tuple(torch.full((3,), v) for _ in range(n_args)) for v in EXTREME_LOGITS]


def _probes_for(form: _Form, n_args: int) -> tuple[tuple, tuple]:
    """(ordinary probes, extreme logits) for an exercise of ``n_args`` arguments."""
    return tuple(_probes(form, n_args)), tuple(_extremes(n_args)) if form is LOGITS else ()




# --- the checkers -----------------------------------------------------------------------------

MAKERS = {"d_objective": _exercise_d_objective, "g_loss_saturating": _exercise_saturating,
          "g_loss_non_saturating": _exercise_non_saturating}


def exercise(name: str, inputs: str = "logits") -> Exercise:
    """The exercise ``name`` (a key of MAKERS) in the form ``inputs`` ("logits" or "probs")."""
    if inputs not in FORMS:
        raise ValueError(f"inputs must be one of {FORMS}, got {inputs!r}")
    return MAKERS[name](LOGITS if inputs == "logits" else PROBS)


def verdict(name: str, fn: Callable, inputs: str = "logits") -> tuple[bool, str]:
    """(passed, the one line a checker prints) for the student's ``fn`` for exercise ``name``."""
    ex = exercise(name, inputs)
    finite = " and stays finite, with the right gradient, at logits ±100 and ±1e4" if ex.extremes else ""
    passed = (f"{name_of(fn, ex.name)} is correct: it matches {ex.formula} and its gradient on "
              f"{len(ex.probes)} batches of {inputs}{finite}.")
    return report(passed, diagnose(ex, fn))


def _check(name: str, fn: Callable, inputs: str) -> bool:
    ok, line = verdict(name, fn, inputs)
    print(line)
    return ok


def check_d_objective(fn: Callable, inputs: str = "logits") -> bool:
    r"""Check ``fn(real, fake)`` $= \mathbb{E}[\log D(x)] + \mathbb{E}[\log(1 - D(G(z)))]$ (f_acc, D maximises).

    ``inputs="logits"``: ``fn(real_logits, fake_logits)``; ``inputs="probs"``: ``fn(d_real, d_fake)``,
    each of shape (B,). Prints one line; returns True if correct, else False (never raises).
    """
    return _check("d_objective", fn, inputs)


def check_g_loss_saturating(fn: Callable, inputs: str = "logits") -> bool:
    r"""Check ``fn(fake)`` $= \mathbb{E}[\log(1 - D(G(z)))]$, the original (saturating) loss G minimises.

    ``inputs="logits"``: ``fn(fake_logits)``; ``inputs="probs"``: ``fn(d_fake)``, shape (B,).
    Prints one line; returns True if correct, else False (never raises).
    """
    return _check("g_loss_saturating", fn, inputs)


def check_g_loss_non_saturating(fn: Callable, inputs: str = "logits") -> bool:
    r"""Check ``fn(fake)`` $= -\mathbb{E}[\log D(G(z))]$, Goodfellow's modified loss G minimises.

    ``inputs="logits"``: ``fn(fake_logits)``; ``inputs="probs"``: ``fn(d_fake)``, shape (B,).
    Prints one line; returns True if correct, else False (never raises).
    """
    return _check("g_loss_non_saturating", fn, inputs)
