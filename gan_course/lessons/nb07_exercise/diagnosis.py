r"""The engine behind every checker of notebook 07: call a student's function safely, compare it with a
reference, and name the first mistake.

An :class:`Exercise` describes one function to write: its reference, the inputs to probe it on, and a
catalogue of known wrong versions, each with the message that names it. :func:`diagnose` returns None
when the function is right, else one message for the student. It never raises for a student's mistake:
an error inside the student's code, a wrong type or shape, a cut graph, all become that one message.

The comparison runs in three passes, and the first difference found is the one reported:

1. values on ordinary inputs; a wrong value is matched against the catalogue (the first wrong version
   that gives the same values on every probe names the mistake), else reported as expected vs got;
2. gradients with respect to every input, on the same probes;
3. inputs where D is certain (logits of $\pm 100$, $\pm 10^4$): finite, same value, same gradient.
"""

from __future__ import annotations

import linecache
import math
import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Sequence

import torch

PACKAGE_DIR = Path(__file__).resolve().parents[2]  # gan_course/
Inputs = tuple[torch.Tensor, ...]


class Failure(Exception):
    """A problem with the student's function; its message is what the student reads."""


@dataclass(frozen=True)
class Exercise:
    """One function a student writes, and how to tell right from wrong."""

    name: str  # the function the student writes
    what: str  # how messages refer to it
    formula: str
    args: tuple[str, ...]
    reference: Callable[..., torch.Tensor]
    mistakes: tuple[tuple[str, Callable[..., torch.Tensor]], ...]  # (message, wrong version)
    probes: tuple[Inputs, ...]  # ordinary inputs, each (B,) per argument
    extremes: tuple[Inputs, ...] = ()  # logits where D is certain; empty for probabilities


# --- numbers and the student's code, as messages show them --------------------------------------

def fmt(x: float) -> str:
    """A number for a message: 4 decimals, or 6 significant digits when large."""
    if not math.isfinite(x):
        return str(x)
    return f"{x:.4f}" if abs(x) < 1000 else f"{x:.6g}"


def _num(t: torch.Tensor) -> float:
    return float(t.detach())


def _show_inputs(ex: Exercise, xs: Sequence[torch.Tensor]) -> str:
    def vals(t):
        v = [float(f"{a:.3g}") for a in t.tolist()[:5]]
        return str(v)[:-1] + (", ...]" if t.numel() > 5 else "]")
    return ", ".join(f"{name} = {vals(x)}" for name, x in zip(ex.args, xs))


def _describe_call(ex: Exercise, xs: Sequence[torch.Tensor]) -> str:
    x = xs[0]
    return f"called with {' and '.join(ex.args)} of shape {tuple(x.shape)}, {str(x.dtype).replace('torch.', '')}"


def student_line(err: BaseException) -> str:
    """' (line N: code)' for the deepest frame of the traceback that is the student's own code."""
    frames = [f for f in traceback.extract_tb(err.__traceback__) if PACKAGE_DIR not in Path(f.filename).resolve().parents
              and "site-packages" not in f.filename and "/torch/" not in f.filename]
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
    return name if name.isidentifier() else default


# --- calling and comparing ------------------------------------------------------------------------

def _call(ex: Exercise, fn: Callable, xs: Sequence[torch.Tensor]) -> torch.Tensor:
    """fn(*xs) as a scalar float tensor, or a Failure with a message for the student."""
    name = name_of(fn, ex.name)
    try:
        out = fn(*xs)
    except NotImplementedError:
        raise not_implemented(name) from None
    except Exception as err:  # noqa: BLE001 -- any error in the student's code becomes one message
        raise raised(name, err, f"when {_describe_call(ex, xs)}") from None
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
                      f"{hint} ({_describe_call(ex, xs)})")
    return out


def close(a: torch.Tensor, b: torch.Tensor, rtol: float = 1e-4, atol: float = 1e-5) -> bool:
    """Equal up to float32 rounding (NaN equals NaN)."""
    return bool(torch.allclose(a.detach().double(), b.detach().double(), rtol=rtol, atol=atol, equal_nan=True))


def _inputs(xs: Sequence[torch.Tensor]) -> Inputs:
    return tuple(x.clone().requires_grad_(True) for x in xs)


def _grads(out: torch.Tensor, xs: Sequence[torch.Tensor], ex: Exercise | None = None) -> list[torch.Tensor]:
    """d out / d xs (zeros where unused); for a student's ``out`` (``ex`` given), errors become a Failure."""
    try:
        grads = torch.autograd.grad(out, xs, allow_unused=True)
    except Exception as err:  # noqa: BLE001 -- e.g. an in-place op on an intermediate result
        if ex is None:
            raise
        raise Failure(f"computing the gradient of your {ex.what} failed with {type(err).__name__}: "
                      f"{str(err).splitlines()[0]}") from None
    return [torch.zeros_like(x) if g is None else g for g, x in zip(grads, xs)]


# --- the three passes ------------------------------------------------------------------------------

def _check_values(ex: Exercise, got: list[tuple[Inputs, torch.Tensor]]) -> str | None:
    for xs, out in got:
        expected = ex.reference(*xs)
        if close(out, expected):
            continue
        numbers = f"expected {fmt(_num(expected))}, got {fmt(_num(out))} for {_show_inputs(ex, xs)}"
        for message, wrong in ex.mistakes:
            if all(close(o, wrong(*x)) for x, o in got):
                return f"your {ex.what} {message}: {numbers}"
        if not math.isfinite(_num(out)):
            return f"your {ex.what} is {fmt(_num(out))} on ordinary inputs: {numbers}"
        return f"your {ex.what} does not match {ex.formula}: {numbers}"
    return None


def _check_gradients(ex: Exercise, got: list[tuple[Inputs, torch.Tensor]]) -> str | None:
    for xs, out in got:
        if not out.requires_grad:
            return (f"your {ex.what} has the right values but no gradient: the result is cut from the graph "
                    "(.item(), .detach(), torch.no_grad() or numpy); G and D learn only through autograd")
        for name, e, a in zip(ex.args, _grads(ex.reference(*xs), xs), _grads(out, xs, ex)):
            if not close(a, e):
                return (f"your {ex.what} has the right values but the wrong gradient w.r.t. {name}: expected "
                        f"{[round(v, 4) for v in e.tolist()[:4]]}, got {[round(v, 4) for v in a.tolist()[:4]]}")
    return None


def _check_extremes(ex: Exercise, fn: Callable) -> str | None:
    for raw in ex.extremes:
        xs = _inputs(raw)
        v = _num(xs[0][0])
        where = f"{' = '.join(ex.args)} = {v:g}, i.e. D = {'1' if v > 0 else '0'}"
        out, expected = _call(ex, fn, xs), ex.reference(*xs)
        if not math.isfinite(_num(out)):
            return (f"your {ex.what} is {fmt(_num(out))} at {where}: log(sigmoid(x)) and log(1 - sigmoid(x)) "
                    "overflow when D is certain; use F.logsigmoid(x) for log D and F.logsigmoid(-x) for "
                    f"log(1 - D) (expected {fmt(_num(expected))})")
        if not close(out, expected):
            return (f"your {ex.what} is finite but wrong at {where}: expected {fmt(_num(expected))}, got "
                    f"{fmt(_num(out))}. Clamping the log or adding an eps (or F.binary_cross_entropy, which "
                    "clamps at -100) changes the value and the gradient; use F.logsigmoid")
        if not out.requires_grad:
            return f"your {ex.what} has no gradient at {where}: keep the result connected to the logits"
        for name, e, a in zip(ex.args, _grads(expected, xs), _grads(out, xs, ex)):
            if not torch.isfinite(a).all():
                return (f"your {ex.what} has a {float(a[~torch.isfinite(a)][0])} gradient w.r.t. {name} at "
                        f"{where}; use F.logsigmoid, whose gradient is finite everywhere")
            if not close(a, e):
                return (f"your {ex.what} has the wrong gradient w.r.t. {name} at {where}: expected "
                        f"{fmt(float(e[0]))} per example, got {fmt(float(a[0]))}. Clamping the log or adding "
                        "an eps kills or changes the gradient; use F.logsigmoid")
    return None


def diagnose(ex: Exercise, fn: Callable) -> str | None:
    """None when ``fn`` is correct, else the one message that names its first problem (never raises)."""
    if not callable(fn):
        return (f"expected a function for {ex.name}, got {fn!r:.40} ({type(fn).__name__}): pass the function "
                f"itself, check_...({ex.name}), not its result")
    try:
        got = [(xs, _call(ex, fn, xs)) for xs in map(_inputs, ex.probes)]
        return _check_values(ex, got) or _check_gradients(ex, got) or _check_extremes(ex, fn)
    except Failure as failure:
        return str(failure)
    except Exception as err:  # noqa: BLE001 -- a checker must never end a student's notebook in a traceback
        return f"could not check your {ex.what}: {type(err).__name__}: {str(err).splitlines()[0] if str(err) else ''}"


def report(passed_message: str, problem: str | None) -> tuple[bool, str]:
    """(True, '✓ ...') or (False, '✗ problem'): the line a checker prints."""
    return (True, f"✓ {passed_message}") if problem is None else (False, f"✗ {problem}")
