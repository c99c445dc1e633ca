r"""The engine behind notebook 07's loss checkers: observe a student's function on probe inputs, then compare
what it did with stored expected values and name the first mistake.

The engine holds no solution. An :class:`Exercise` is data: the probe inputs, the value and the gradient the
right function gives on each (``expected``), and a catalogue of known mistakes, each a message with the values
that mistake gives on the same probes. The student's edition reads those numbers from a file
(``expected.json``); the grader computes them from its reference for probes drawn afresh for each run.

Checking is two steps, so that the grader can run the first in a sandbox and the second in its own process:

1. :func:`observe` calls the student's function on each probe: its value, its gradient w.r.t. every input, or
   the one message that says why it could not (raised, returned None, not a tensor, not a scalar, ...);
2. :func:`judge` compares, in three passes: values on ordinary inputs (a wrong value is matched against the
   catalogue, else reported as expected vs got), gradients on the same inputs, then inputs where D is certain
   (logits of $\pm 100$, $\pm 10^4$): finite, same value, same gradient.

Nothing here raises for a student's mistake.
"""

from __future__ import annotations

import linecache
import math
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Sequence

import torch

PACKAGE_DIR = Path(__file__).resolve().parents[2]  # gan_course/ (or the sandbox's copy of this file)
Vector = list[float]


class Failure(Exception):
    """A problem with the student's function; its message is what the student reads."""


@dataclass(frozen=True)
class Case:
    """One probe: its inputs, the right value and gradients there, and each known mistake's value."""

    inputs: tuple[Vector, ...]
    value: float
    grads: tuple[Vector, ...]
    mistakes: tuple[float, ...] = ()  # one value per entry of Exercise.messages


@dataclass(frozen=True)
class Exercise:
    """One function a student writes, as numbers: how to tell right from wrong without the solution."""

    name: str  # the function the student writes
    what: str  # how messages refer to it
    formula: str
    args: tuple[str, ...]
    messages: tuple[str, ...]  # the known mistakes, in the order they are tried
    cases: tuple[Case, ...]  # ordinary inputs
    extremes: tuple[Case, ...] = ()  # logits where D is certain; empty for probabilities


@dataclass
class Observation:
    """What the student's function did on one probe: a value and its gradients, or why there are none."""

    value: float | None = None
    grads: list[Vector] | None = None  # None when the result is cut from the graph
    failure: str | None = None
    detail: dict = field(default_factory=dict)


def exercise_from_dict(d: dict) -> Exercise:
    """An :class:`Exercise` from its JSON form (``expected.json``, or the grader's message to itself)."""
    def case(c: dict) -> Case:
        return Case(tuple(map(list, c["inputs"])), c["value"], tuple(map(list, c["grads"])), tuple(c.get("mistakes", ())))
    return Exercise(d["name"], d["what"], d["formula"], tuple(d["args"]), tuple(d["messages"]),
                    tuple(map(case, d["cases"])), tuple(map(case, d.get("extremes", ()))))


# --- numbers and the student's code, as messages show them --------------------------------------

def fmt(x: float) -> str:
    """A number for a message: 4 decimals, or 6 significant digits when large."""
    if x is None or not math.isfinite(x):
        return str(x)
    return f"{x:.4f}" if abs(x) < 1000 else f"{x:.6g}"


def _show_inputs(ex: Exercise, xs: Sequence[Vector]) -> str:
    def vals(t: Vector) -> str:
        v = [float(f"{a:.3g}") for a in t[:5]]
        return str(v)[:-1] + (", ...]" if len(t) > 5 else "]")
    return ", ".join(f"{name} = {vals(x)}" for name, x in zip(ex.args, xs))


def _describe_call(args: Sequence[str], xs: Sequence[torch.Tensor]) -> str:
    x = xs[0]
    return f"called with {' and '.join(args)} of shape {tuple(x.shape)}, {str(x.dtype).replace('torch.', '')}"


def student_line(err: BaseException) -> str:
    """' (line N: code)' for the deepest frame of the traceback that is the student's own code."""
    here = Path(__file__).resolve().parent
    frames = [f for f in traceback.extract_tb(err.__traceback__)
              if PACKAGE_DIR not in Path(f.filename).resolve().parents and Path(f.filename).resolve().parent != here
              and "site-packages" not in f.filename and "/torch/" not in f.filename and not f.filename.endswith("runner.py")]
    if not frames:
        return ""
    frame = frames[-1]
    line = frame.line or linecache.getline(frame.filename, frame.lineno).strip()
    return f" (line {frame.lineno}: {line})" if line else ""


def tip(err: BaseException) -> str:
    """A sentence that helps with a common error, or ''."""
    text = str(err).lower()
    if "numpy" in text:
        return " Keep the computation in torch (no .numpy()), so autograd can backpropagate."
    if "in-place" in text or "inplace" in text:
        return " Do not modify the input in place (x = torch.sigmoid(x), not x.sigmoid_())."
    if "size" in text or "shape" in text:
        return (" Targets must match any batch size: build them with torch.ones_like(x) or torch.zeros_like(x), "
                "not with a fixed size.")
    if "dtype" in text or "scalar type" in text or "result type" in text:
        return " Targets must be float tensors like the logits: use torch.ones_like(x) or torch.zeros_like(x)."
    return ""


def raised(name: str, err: BaseException, when: str) -> Failure:
    """The message for an exception in the student's ``name``: type, first line, their line, a tip."""
    text = str(err).splitlines()[0].rstrip(".") if str(err) else "(no message)"
    return Failure(f"your {name} raised {type(err).__name__} {when}: {text}{student_line(err)}.{tip(err)}")


def not_implemented(name: str) -> Failure:
    return Failure(f"not implemented yet: {name} (replace the `raise NotImplementedError(...)` line with your code)")


def name_of(fn: Callable, default: str) -> str:
    """The name the student gave ``fn`` (a lambda gets ``default``)."""
    name = getattr(fn, "__name__", "")
    return name if isinstance(name, str) and name.isidentifier() else default


# --- step 1: observe -----------------------------------------------------------------------------

def call(fn: Callable, name: str, args: Sequence[str], xs: Sequence[torch.Tensor]) -> torch.Tensor:
    """fn(*xs) as a scalar float tensor, or a Failure with a message for the student."""
    try:
        out = fn(*xs)
    except NotImplementedError:
        raise not_implemented(name) from None
    except Exception as err:  # noqa: BLE001 -- any error in the student's code becomes one message
        raise raised(name, err, f"when {_describe_call(args, xs)}") from None
    if out is None:
        raise Failure(f"your {name} returned None: did you forget `return`?")
    if not isinstance(out, torch.Tensor):
        try:
            shown = f" ({fmt(float(out))})"
        except (TypeError, ValueError):
            shown = ""
        raise Failure(f"your {name} returned a {type(out).__name__}{shown}, expected a torch.Tensor: "
                      "keep the result a tensor (no .item(), math or numpy) so autograd can backpropagate")
    if not out.is_floating_point():
        raise Failure(f"your {name} returned a tensor of dtype {out.dtype}, expected a floating-point scalar")
    if out.dim() != 0:
        hint = " one value per example: average over the batch with .mean()" if out.numel() > 1 else \
            " use .mean() with no keepdim, so the result has shape ()"
        raise Failure(f"your {name} returned shape {tuple(out.shape)}, expected a scalar (shape ()):"
                      f"{hint} ({_describe_call(args, xs)})")
    return out


def _observe_one(fn: Callable, name: str, what: str, args: Sequence[str], inputs: Sequence[Vector]) -> Observation:
    xs = tuple(torch.tensor(v, dtype=torch.float32).requires_grad_(True) for v in inputs)
    try:
        out = call(fn, name, args, xs)
        value = float(out.detach())
        if not out.requires_grad:
            return Observation(value, None)
        try:
            grads = torch.autograd.grad(out, xs, allow_unused=True)
        except Exception as err:  # noqa: BLE001 -- e.g. an in-place op on an intermediate result
            raise Failure(f"computing the gradient of your {what} failed with {type(err).__name__}: "
                          f"{str(err).splitlines()[0] if str(err) else ''}") from None
        return Observation(value, [[0.0] * len(x) if g is None else g.tolist() for g, x in zip(grads, inputs)])
    except Failure as failure:
        return Observation(failure=str(failure))
    except Exception as err:  # noqa: BLE001 -- a checker never ends a notebook in a traceback
        return Observation(failure=f"could not check your {what}: {type(err).__name__}: "
                                   f"{str(err).splitlines()[0] if str(err) else ''}")


def observe(ex: Exercise, fn: Callable) -> tuple[list[Observation], list[Observation]]:
    """The student's ``fn`` on every ordinary probe, then on every extreme one (stops at the first failure)."""
    name = name_of(fn, ex.name)
    seen: tuple[list[Observation], list[Observation]] = ([], [])
    for cases, out in ((ex.cases, seen[0]), (ex.extremes, seen[1])):
        for case in cases:
            out.append(_observe_one(fn, name, ex.what, ex.args, case.inputs))
            if out[-1].failure:
                return seen
    return seen


# --- step 2: judge -------------------------------------------------------------------------------

def close(a: float | None, b: float | None, rtol: float = 1e-4, atol: float = 1e-5) -> bool:
    """Equal up to float32 rounding (NaN equals NaN)."""
    if a is None or b is None:
        return a is b
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    if math.isinf(a) or math.isinf(b):
        return a == b
    return abs(a - b) <= atol + rtol * abs(b)


def close_all(a: Sequence[float], b: Sequence[float]) -> bool:
    return len(a) == len(b) and all(close(x, y) for x, y in zip(a, b))


def _check_values(ex: Exercise, seen: list[Observation]) -> str | None:
    for case, obs in zip(ex.cases, seen):
        if close(obs.value, case.value):
            continue
        numbers = f"expected {fmt(case.value)}, got {fmt(obs.value)} for {_show_inputs(ex, case.inputs)}"
        for i, message in enumerate(ex.messages):
            if all(close(o.value, c.mistakes[i]) for c, o in zip(ex.cases, seen)):
                return f"your {ex.what} {message}: {numbers}"
        if not math.isfinite(obs.value):
            return f"your {ex.what} is {fmt(obs.value)} on ordinary inputs: {numbers}"
        return f"your {ex.what} does not match {ex.formula}: {numbers}"
    return None


def _check_gradients(ex: Exercise, seen: list[Observation]) -> str | None:
    for case, obs in zip(ex.cases, seen):
        if obs.grads is None:
            return (f"your {ex.what} has the right values but no gradient: the result is cut from the graph "
                    "(.item(), .detach(), torch.no_grad() or numpy); G and D learn only through autograd")
        for name, e, a in zip(ex.args, case.grads, obs.grads):
            if not close_all(a, e):
                return (f"your {ex.what} has the right values but the wrong gradient w.r.t. {name}: expected "
                        f"{[round(v, 4) for v in e[:4]]}, got {[round(v, 4) for v in a[:4]]}")
    return None


def _check_extremes(ex: Exercise, seen: list[Observation]) -> str | None:
    for case, obs in zip(ex.extremes, seen):
        if obs.failure:
            return obs.failure
        v = case.inputs[0][0]
        where = f"{' = '.join(ex.args)} = {v:g}, i.e. D = {'1' if v > 0 else '0'}"
        if not math.isfinite(obs.value):
            return (f"your {ex.what} is {fmt(obs.value)} at {where}: log(sigmoid(x)) and log(1 - sigmoid(x)) "
                    "overflow when D is certain; use F.logsigmoid(x) for log D and F.logsigmoid(-x) for "
                    f"log(1 - D) (expected {fmt(case.value)})")
        if not close(obs.value, case.value):
            return (f"your {ex.what} is finite but wrong at {where}: expected {fmt(case.value)}, got "
                    f"{fmt(obs.value)}. Clamping the log or adding an eps (or F.binary_cross_entropy, which "
                    "clamps at -100) changes the value and the gradient; use F.logsigmoid")
        if obs.grads is None:
            return f"your {ex.what} has no gradient at {where}: keep the result connected to the logits"
        for name, e, a in zip(ex.args, case.grads, obs.grads):
            bad = [x for x in a if not math.isfinite(x)]
            if bad:
                return (f"your {ex.what} has a {bad[0]} gradient w.r.t. {name} at {where}; use F.logsigmoid, "
                        "whose gradient is finite everywhere")
            if not close_all(a, e):
                return (f"your {ex.what} has the wrong gradient w.r.t. {name} at {where}: expected "
                        f"{fmt(e[0])} per example, got {fmt(a[0])}. Clamping the log or adding "
                        "an eps kills or changes the gradient; use F.logsigmoid")
    return None


def judge(ex: Exercise, seen: list[Observation], extremes: list[Observation]) -> tuple[str | None, str | None]:
    """(problem on ordinary inputs, problem where D is certain): None where the student's function is right."""
    failed = next((o.failure for o in seen if o.failure), None)
    if failed or len(seen) < len(ex.cases):
        return failed or "the checker got no answer on some inputs", None if not ex.extremes else "not reached"
    ordinary = _check_values(ex, seen) or _check_gradients(ex, seen)
    if not ex.extremes:
        return ordinary, None
    if len(extremes) < len(ex.extremes) and not any(o.failure for o in extremes):
        return ordinary, "the checker got no answer where D is certain"
    return ordinary, _check_extremes(ex, extremes)


def diagnose(ex: Exercise, fn: Callable) -> str | None:
    """None when ``fn`` is correct, else the one message that names its first problem (never raises)."""
    if not callable(fn):
        return (f"expected a function for {ex.name}, got {fn!r:.40} ({type(fn).__name__}): pass the function "
                f"itself, check_...({ex.name}), not its result")
    ordinary, certain = judge(ex, *observe(ex, fn))
    return ordinary or certain


def report(passed_message: str, problem: str | None) -> tuple[bool, str]:
    """(True, '✓ ...') or (False, '✗ problem'): the line a checker prints."""
    return (True, f"✓ {passed_message}") if problem is None else (False, f"✗ {problem}")
