r"""Notebook 07's reference solutions and their catalogues of known mistakes: the grader's, never the student's.

This module lives in ``classroom/`` (not installed): the three objectives in both forms, G's two losses on
logits for the round, and, for each exercise, the wrong versions a student is likely to write, each with the
message that names it. :func:`exercise_data` turns them into numbers on given probes (an
:class:`~gan_course.lessons.nb07_exercise.diagnosis.Exercise`): the student edition's checkers read those
numbers for fixed probes from ``expected.json`` (``python -m classroom.reference`` rewrites it; a test keeps it
equal to what this module computes), and the grader computes them for probes drawn afresh each run.

| function | returns | who optimises it |
|---|---|---|
| ``d_objective(real, fake)`` | $f_{acc} = \mathbb{E}[\log D(x)] + \mathbb{E}[\log(1 - D(G(z)))]$ | D maximises |
| ``g_loss_saturating(fake)`` | $\mathbb{E}[\log(1 - D(G(z)))]$ (the original loss) | G minimises |
| ``g_loss_non_saturating(fake)`` | $-\mathbb{E}[\log D(G(z))]$ (Goodfellow's modified loss) | G minimises |
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable

import json
import random
from pathlib import Path

import torch
import torch.nn.functional as F

from gan_course.lessons.nb07_exercise.diagnosis import Case, Exercise


FORMS = ("logits", "probs")
EXPECTED = Path(__file__).resolve().parents[1] / "gan_course" / "lessons" / "nb07_exercise" / "expected.json"
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


@dataclass(frozen=True)
class Spec:
    """One exercise with its solution: what the student writes, the reference and its known wrong versions."""

    name: str
    what: str
    formula: str
    args: tuple[str, ...]
    reference: Callable[..., torch.Tensor]
    mistakes: tuple[tuple[str, Callable[..., torch.Tensor]], ...]  # (message, wrong version)


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


def _exercise_d_objective(form: _Form) -> Spec:
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
    return Spec("d_objective" + ("_prob" if f is PROBS else ""), "D objective",
                     "f_acc = E[log D(x)] + E[log(1 - D(G(z)))]",
                     ("d_real", "d_fake") if f is PROBS else ("real_logits", "fake_logits"),
                     lambda r, g: _f_acc(f, r, g), tuple(mistakes))


def _exercise_saturating(form: _Form) -> Spec:
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
    return Spec("g_loss_saturating" + ("_prob" if f is PROBS else ""), "saturating loss",
                     "E[log(1 - D(G(z)))]", ("d_fake",) if f is PROBS else ("fake_logits",),
                     lambda g: _saturating(f, g), tuple(mistakes))


def _exercise_non_saturating(form: _Form) -> Spec:
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
    return Spec("g_loss_non_saturating" + ("_prob" if f is PROBS else ""), "non-saturating loss",
                     "-E[log D(G(z))]", ("d_fake",) if f is PROBS else ("fake_logits",),
                     lambda g: _non_saturating(f, g), tuple(mistakes))


# --- probe inputs ------------------------------------------------------------------------

def _probes(form: _Form, n_args: int, rng: random.Random | None) -> list[tuple[list[float], ...]]:
    """Ordinary inputs (B,) per argument: fixed ones (``rng`` None, the student edition's) or drawn from ``rng``."""
    if rng is None:
        g = torch.Generator().manual_seed(7)
        if form is LOGITS:  # the first batch looks like probabilities, so 'log of the logits' stays finite
            fixed = [([0.1, 0.35, 0.6, 0.85], [0.15, 0.3, 0.55, 0.8]),
                     ([2.0, -1.0, 0.5, -3.0, 1.5], [-2.0, 0.7, -0.4, 1.2, -3.5])]
            rand = ((torch.randn(7, generator=g) * 2).tolist(), (torch.randn(7, generator=g) * 2).tolist())
        else:
            fixed = [([0.1, 0.35, 0.6, 0.85], [0.15, 0.3, 0.55, 0.8]),
                     ([0.02, 0.5, 0.97, 0.2, 0.7], [0.9, 0.05, 0.4, 0.65, 0.3])]
            rand = ((torch.rand(7, generator=g) * 0.96 + 0.02).tolist(), (torch.rand(7, generator=g) * 0.96 + 0.02).tolist())
        batches = fixed + [rand]
    else:
        def batch(n: int, kind: str) -> list[float]:
            if kind == "unit":
                return [round(rng.uniform(0.05, 0.95), 4) for _ in range(n)]
            return [round(rng.gauss(0.0, 2.0), 4) for _ in range(n)]
        kinds = ["unit", "unit", "unit"] if form is PROBS else ["unit", "normal", "normal"]
        batches = [tuple(batch(n, kind) for _ in range(2)) for n, kind in zip(rng.sample(range(3, 12), 3), kinds)]
    batches = [tuple(map(lambda v: [float(torch.tensor(x, dtype=torch.float32)) for x in v], b)) for b in batches]
    return batches if n_args == 2 else [(b[1],) for b in batches]  # the G losses see fake batches only


EXTREME_LOGITS = (100.0, -100.0, 1e4, -1e4)


def _extremes(n_args: int) -> list[tuple[list[float], ...]]:
    """Logits where D is certain: sigmoid(±100) is exactly 1 or 0 in float32."""
    return [tuple([v] * 3 for _ in range(n_args)) for v in EXTREME_LOGITS]


# --- the exercises as numbers ------------------------------------------------------------------

MAKERS = {"d_objective": _exercise_d_objective, "g_loss_saturating": _exercise_saturating,
          "g_loss_non_saturating": _exercise_non_saturating}


def spec(name: str, inputs: str = "logits") -> Spec:
    """The exercise ``name`` (a key of MAKERS) in the form ``inputs`` ("logits" or "probs"), with its solution."""
    if inputs not in FORMS:
        raise ValueError(f"inputs must be one of {FORMS}, got {inputs!r}")
    return MAKERS[name](LOGITS if inputs == "logits" else PROBS)


def _case(s: Spec, inputs: tuple[list[float], ...], with_mistakes: bool) -> Case:
    xs = tuple(torch.tensor(v, dtype=torch.float32).requires_grad_(True) for v in inputs)
    out = s.reference(*xs)
    grads = torch.autograd.grad(out, xs)
    with torch.no_grad():
        mistakes = tuple(float(wrong(*xs)) for _, wrong in s.mistakes) if with_mistakes else ()
    return Case(inputs, float(out.detach()), tuple(g.tolist() for g in grads), mistakes)


def exercise_data(name: str, inputs: str = "logits", seed: int | None = None) -> Exercise:
    """The exercise as numbers: fixed probes (``seed`` None) or probes drawn from ``seed``, with extremes for logits."""
    s = spec(name, inputs)
    form = LOGITS if inputs == "logits" else PROBS
    rng = None if seed is None else random.Random(seed)
    cases = tuple(_case(s, xs, True) for xs in _probes(form, len(s.args), rng))
    extremes = tuple(_case(s, xs, False) for xs in _extremes(len(s.args))) if form is LOGITS else ()
    return Exercise(s.name, s.what, s.formula, s.args, tuple(m for m, _ in s.mistakes), cases, extremes)


def as_dict(ex: Exercise) -> dict:
    """An Exercise in its JSON form (read back by diagnosis.exercise_from_dict)."""
    def case(c: Case) -> dict:
        return {"inputs": list(c.inputs), "value": c.value, "grads": list(c.grads), "mistakes": list(c.mistakes)}
    return {"name": ex.name, "what": ex.what, "formula": ex.formula, "args": list(ex.args),
            "messages": list(ex.messages), "cases": [case(c) for c in ex.cases], "extremes": [case(c) for c in ex.extremes]}


def stored_table() -> dict:
    """What the student edition's checkers read: every exercise in both forms on the fixed probes."""
    return {f"{name}/{inputs}": as_dict(exercise_data(name, inputs)) for name in MAKERS for inputs in FORMS}


# --- the round's losses (what the course's train_round uses) ----------------------------------------

def f_acc(real_logits: torch.Tensor, fake_logits: torch.Tensor) -> torch.Tensor:
    r"""$f_{acc} = \mathbb{E}[\log D(x)] + \mathbb{E}[\log(1 - D(G(z)))]$ on D's logits -> scalar."""
    return _f_acc(LOGITS, real_logits, fake_logits)


def modified_loss(fake_logits: torch.Tensor) -> torch.Tensor:
    r"""$-\mathbb{E}[\log D(G(z))]$ on D's logits -> scalar: G's modified (non-saturating) loss."""
    return _non_saturating(LOGITS, fake_logits)


def saturating_loss(fake_logits: torch.Tensor) -> torch.Tensor:
    r"""$\mathbb{E}[\log(1 - D(G(z)))]$ on D's logits -> scalar: G's original (saturating) loss."""
    return _saturating(LOGITS, fake_logits)


def write_expected(path: Path = EXPECTED) -> Path:
    """Rewrite the student edition's stored values from this reference."""
    path.write_text(json.dumps(stored_table(), indent=None, separators=(",", ":")) + "\n", encoding="utf-8")
    return path


if __name__ == "__main__":
    print(f"wrote {write_expected()}")
