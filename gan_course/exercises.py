r"""Checkers for notebook 07: students write D's objective and both generator losses.

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

Each result is a scalar tensor (shape ()), the mean over the batch.

**Checkers never raise for a student's mistake.** ``check_d_objective(fn)``,
``check_g_loss_saturating(fn)`` and ``check_g_loss_non_saturating(fn)`` print one line and
return ``True`` (correct) or ``False`` (not implemented yet, raised, wrong type or shape, or
wrong values, with the mistake named and expected vs got numbers), so a student's notebook
always runs to the end. The instructor notebook asserts ``check_...(fn) is True``.
A wrong result is compared with a catalogue of known mistakes (wrong sign, sum instead of
mean, missing log, swapped labels, logits taken for probabilities, ...); the first one it
matches names the message. Only misuse of a checker itself (an unknown ``inputs``) raises.
"""

from __future__ import annotations

import html
import inspect
import linecache
import math
import traceback
from dataclasses import dataclass
from typing import Callable, Mapping, Sequence

import torch
import torch.nn.functional as F

from gan_course.losses import loss_curves

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

@dataclass(frozen=True)
class _Exercise:
    name: str  # the function the student writes
    what: str  # how messages refer to it
    formula: str
    args: tuple[str, ...]
    reference: Callable[..., torch.Tensor]
    mistakes: tuple[tuple[str, Callable[..., torch.Tensor]], ...]  # (message, wrong version)


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


def _exercise_d_objective(form: _Form) -> _Exercise:
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
    return _Exercise("d_objective" + ("_prob" if f is PROBS else ""), "D objective",
                     "f_acc = E[log D(x)] + E[log(1 - D(G(z)))]",
                     ("d_real", "d_fake") if f is PROBS else ("real_logits", "fake_logits"),
                     lambda r, g: _f_acc(f, r, g), tuple(mistakes))


def _exercise_saturating(form: _Form) -> _Exercise:
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
    return _Exercise("g_loss_saturating" + ("_prob" if f is PROBS else ""), "saturating loss",
                     "E[log(1 - D(G(z)))]", ("d_fake",) if f is PROBS else ("fake_logits",),
                     lambda g: _saturating(f, g), tuple(mistakes))


def _exercise_non_saturating(form: _Form) -> _Exercise:
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
    return _Exercise("g_loss_non_saturating" + ("_prob" if f is PROBS else ""), "non-saturating loss",
                     "-E[log D(G(z))]", ("d_fake",) if f is PROBS else ("fake_logits",),
                     lambda g: _non_saturating(f, g), tuple(mistakes))


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


# --- calling the student's function safely -------------------------------------------------

class _Failure(Exception):
    """A problem with the student's function; its message is what the student reads."""


def _fmt(x: float) -> str:
    if not math.isfinite(x):
        return str(x)
    return f"{x:.4f}" if abs(x) < 1000 else f"{x:.6g}"


def _num(t: torch.Tensor) -> float:
    return float(t.detach())


def _show_inputs(ex: _Exercise, xs: Sequence[torch.Tensor]) -> str:
    def vals(t):
        v = [float(f"{a:.3g}") for a in t.tolist()[:5]]
        return str(v)[:-1] + (", ...]" if t.numel() > 5 else "]")
    return ", ".join(f"{name} = {vals(x)}" for name, x in zip(ex.args, xs))


def _describe_call(ex: _Exercise, xs: Sequence[torch.Tensor]) -> str:
    x = xs[0]
    return f"called with {' and '.join(ex.args)} of shape {tuple(x.shape)}, {str(x.dtype).replace('torch.', '')}"


def _student_line(err: BaseException) -> str:
    """' (line N: code)' for the deepest frame of the traceback that is the student's own code."""
    frames = [f for f in traceback.extract_tb(err.__traceback__)
              if f.filename != __file__ and "site-packages" not in f.filename and "/torch/" not in f.filename]
    if not frames:
        return ""
    frame = frames[-1]
    line = frame.line or linecache.getline(frame.filename, frame.lineno).strip()
    return f" (line {frame.lineno}: {line})" if line else ""


def _tip(err: BaseException) -> str:
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


def _call(ex: _Exercise, fn: Callable, xs: Sequence[torch.Tensor]) -> torch.Tensor:
    """fn(*xs) as a scalar float tensor, or a _Failure with a message for the student."""
    try:
        out = fn(*xs)
    except NotImplementedError:
        raise _Failure(f"not implemented yet: {_name(ex, fn)} (replace the `raise NotImplementedError(...)` "
                       "line with your code)") from None
    except Exception as err:  # noqa: BLE001 -- any error in the student's code becomes one message
        text = str(err).splitlines()[0].rstrip(".") if str(err) else "(no message)"
        raise _Failure(f"your {_name(ex, fn)} raised {type(err).__name__} when {_describe_call(ex, xs)}: "
                       f"{text}{_student_line(err)}.{_tip(err)}") from None
    if out is None:
        raise _Failure(f"your {_name(ex, fn)} returned None: did you forget `return`?")
    if not isinstance(out, torch.Tensor):
        try:
            shown = f" ({_fmt(float(out))})"
        except (TypeError, ValueError):
            shown = ""
        raise _Failure(f"your {_name(ex, fn)} returned a {type(out).__name__}{shown}, expected a torch.Tensor: "
                       "keep the result a tensor (no .item(), math or numpy) so autograd can backpropagate")
    if not out.is_floating_point():
        raise _Failure(f"your {_name(ex, fn)} returned a tensor of dtype {out.dtype}, expected a floating-point "
                       "scalar")
    if out.dim() != 0:
        hint = " one value per example: average over the batch with .mean()" if out.numel() > 1 else \
            " use .mean() with no keepdim, so the result has shape ()"
        raise _Failure(f"your {_name(ex, fn)} returned shape {tuple(out.shape)}, expected a scalar (shape ()):"
                       f"{hint} ({_describe_call(ex, xs)})")
    return out


def _name(ex: _Exercise, fn: Callable) -> str:
    name = getattr(fn, "__name__", "")
    return name if name.isidentifier() else ex.name


def _close(a: torch.Tensor, b: torch.Tensor) -> bool:
    return bool(torch.allclose(a.detach().double(), b.detach().double(), rtol=1e-4, atol=1e-5, equal_nan=True))


def _inputs(xs: Sequence[torch.Tensor]) -> tuple[torch.Tensor, ...]:
    return tuple(x.clone().requires_grad_(True) for x in xs)


def _grads(out: torch.Tensor, xs: Sequence[torch.Tensor], ex: _Exercise | None = None) -> list[torch.Tensor]:
    """d out / d xs (zeros where unused); for a student's ``out`` (``ex`` given), errors become a _Failure."""
    try:
        grads = torch.autograd.grad(out, xs, allow_unused=True)
    except Exception as err:  # noqa: BLE001 -- e.g. an in-place op on an intermediate result
        if ex is None:
            raise
        raise _Failure(f"computing the gradient of your {ex.what} failed with {type(err).__name__}: "
                       f"{str(err).splitlines()[0]}") from None
    return [torch.zeros_like(x) if g is None else g for g, x in zip(grads, xs)]


def _diagnose(ex: _Exercise, fn: Callable, form: _Form) -> str | None:
    """None when ``fn`` is correct, else the one message that names its first problem."""
    if not callable(fn):
        return (f"expected a function for {ex.name}, got {fn!r:.40} ({type(fn).__name__}): pass the function "
                f"itself, check_...({ex.name}), not its result")
    probes = _probes(form, len(ex.args))
    got = []
    for xs in probes:
        xs = _inputs(xs)
        got.append((xs, _call(ex, fn, xs)))

    # (1) values on ordinary inputs
    for xs, out in got:
        expected = ex.reference(*xs)
        if _close(out, expected):
            continue
        numbers = f"expected {_fmt(_num(expected))}, got {_fmt(_num(out))} for {_show_inputs(ex, xs)}"
        for message, wrong in ex.mistakes:
            if all(_close(o, wrong(*x)) for x, o in got):
                return f"your {ex.what} {message}: {numbers}"
        if not math.isfinite(_num(out)):
            return f"your {ex.what} is {_fmt(_num(out))} on ordinary inputs: {numbers}"
        return f"your {ex.what} does not match {ex.formula}: {numbers}"

    # (2) gradients on ordinary inputs
    for xs, out in got:
        if not out.requires_grad:
            return (f"your {ex.what} has the right values but no gradient: the result is cut from the graph "
                    "(.item(), .detach(), torch.no_grad() or numpy); G and D learn only through autograd")
        expected = _grads(ex.reference(*xs), xs)
        actual = _grads(out, xs, ex)
        for name, e, a in zip(ex.args, expected, actual):
            if not _close(a, e):
                return (f"your {ex.what} has the right values but the wrong gradient w.r.t. {name}: expected "
                        f"{[round(v, 4) for v in e.tolist()[:4]]}, got {[round(v, 4) for v in a.tolist()[:4]]}")

    # (3) logits where D is certain: stays finite, same value, same gradient
    if form is LOGITS:
        for xs in _extremes(len(ex.args)):
            xs = _inputs(xs)
            v = _num(xs[0][0])
            where = f"{' = '.join(ex.args)} = {v:g}, i.e. D = {'1' if v > 0 else '0'}"
            out = _call(ex, fn, xs)
            expected = ex.reference(*xs)
            if not math.isfinite(_num(out)):
                return (f"your {ex.what} is {_fmt(_num(out))} at {where}: log(sigmoid(x)) and log(1 - sigmoid(x)) "
                        "overflow when D is certain; use F.logsigmoid(x) for log D and F.logsigmoid(-x) for "
                        f"log(1 - D) (expected {_fmt(_num(expected))})")
            if not _close(out, expected):
                return (f"your {ex.what} is finite but wrong at {where}: expected {_fmt(_num(expected))}, got "
                        f"{_fmt(_num(out))}. Clamping the log or adding an eps (or F.binary_cross_entropy, which "
                        "clamps at -100) changes the value and the gradient; use F.logsigmoid")
            if not out.requires_grad:
                return f"your {ex.what} has no gradient at {where}: keep the result connected to the logits"
            for name, e, a in zip(ex.args, _grads(expected, xs), _grads(out, xs, ex)):
                if not torch.isfinite(a).all():
                    return (f"your {ex.what} has a {float(a[~torch.isfinite(a)][0])} gradient w.r.t. {name} at "
                            f"{where}; use F.logsigmoid, whose gradient is finite everywhere")
                if not _close(a, e):
                    return (f"your {ex.what} has the wrong gradient w.r.t. {name} at {where}: expected "
                            f"{_fmt(float(e[0]))} per example, got {_fmt(float(a[0]))}. Clamping the log or adding "
                            "an eps kills or changes the gradient; use F.logsigmoid")
    return None


def _check(make: Callable[[_Form], _Exercise], fn: Callable, inputs: str) -> bool:
    if inputs not in FORMS:
        raise ValueError(f"inputs must be one of {FORMS}, got {inputs!r}")
    form = LOGITS if inputs == "logits" else PROBS
    ex = make(form)
    try:
        problem = _diagnose(ex, fn, form)
    except _Failure as failure:
        problem = str(failure)
    except Exception as err:  # noqa: BLE001 -- a checker must never end a student's notebook in a traceback
        problem = f"could not check your {ex.what}: {type(err).__name__}: {str(err).splitlines()[0] if str(err) else ''}"
    if problem is None:
        finite = " and stays finite, with the right gradient, at logits ±100 and ±1e4" if form is LOGITS else ""
        print(f"✓ {_name(ex, fn)} is correct: it matches {ex.formula} and its gradient on "
              f"{len(_probes(form, len(ex.args)))} batches of {form.name}{finite}.")
        return True
    print(f"✗ {problem}")
    return False


def check_d_objective(fn: Callable, inputs: str = "logits") -> bool:
    r"""Check ``fn(real, fake)`` $= \mathbb{E}[\log D(x)] + \mathbb{E}[\log(1 - D(G(z)))]$ (f_acc, D maximises).

    ``inputs="logits"``: ``fn(real_logits, fake_logits)``; ``inputs="probs"``: ``fn(d_real, d_fake)``,
    each of shape (B,). Prints one line; returns True if correct, else False (never raises).
    """
    return _check(_exercise_d_objective, fn, inputs)


def check_g_loss_saturating(fn: Callable, inputs: str = "logits") -> bool:
    r"""Check ``fn(fake)`` $= \mathbb{E}[\log(1 - D(G(z)))]$, the original (saturating) loss G minimises.

    ``inputs="logits"``: ``fn(fake_logits)``; ``inputs="probs"``: ``fn(d_fake)``, shape (B,).
    Prints one line; returns True if correct, else False (never raises).
    """
    return _check(_exercise_saturating, fn, inputs)


def check_g_loss_non_saturating(fn: Callable, inputs: str = "logits") -> bool:
    r"""Check ``fn(fake)`` $= -\mathbb{E}[\log D(G(z))]$, Goodfellow's modified loss G minimises.

    ``inputs="logits"``: ``fn(fake_logits)``; ``inputs="probs"``: ``fn(d_fake)``, shape (B,).
    Prints one line; returns True if correct, else False (never raises).
    """
    return _check(_exercise_non_saturating, fn, inputs)


# --- guards and the notebook's slider ---------------------------------------------------

def _n_args(fn: Callable) -> int:
    try:
        params = inspect.signature(fn).parameters.values()
    except (TypeError, ValueError):
        return 1
    required = [p for p in params if p.default is p.empty and p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    return max(1, len(required))


def implemented(*fns: Callable) -> bool:
    """False if any of ``fns`` raises NotImplementedError on a small batch of logits (B = 4), else True.

    Other errors count as implemented: the checkers report them.
    """
    for fn in fns:
        try:
            fn(*(torch.zeros(4) for _ in range(_n_args(fn))))
        except NotImplementedError:
            return False
        except Exception:  # noqa: BLE001 -- implemented, but broken: the checker says how
            pass
    return True


def gradient_report(d_fake: float, losses: Mapping[str, Callable]) -> str:
    r"""An HTML table of each G loss and its gradients at $D(G(z))$ = ``d_fake`` (the slider's callback).

    A loss that is not implemented yet, or fails, gets a one-line note instead of numbers.
    """
    missing = [name for name, fn in losses.items() if not implemented(fn)]
    if missing:
        return f"<p>not implemented yet: {html.escape(', '.join(missing))}. Implement the losses above first.</p>"
    if not 0.0 < d_fake < 1.0:
        return f"<p>D(G(z)) must be strictly between 0 and 1, got {d_fake!r}</p>"
    try:
        curves = loss_curves(torch.tensor([d_fake], dtype=torch.float64), losses)
    except Exception as err:  # noqa: BLE001 -- a broken student loss must not break the widget
        return f"<p>could not evaluate the losses: {html.escape(type(err).__name__)}: {html.escape(str(err))}</p>"
    rows = {name: {k: float(v[0]) for k, v in c.items()} for name, c in curves.items()}
    cells = "".join(
        f"<tr><td>{html.escape(name)}</td><td>{r['value']:.4f}</td><td>{r['d_p']:.4f}</td><td>{r['d_logit']:.4f}</td></tr>"
        for name, r in rows.items())
    magnitudes = [abs(r["d_logit"]) for r in rows.values()]
    ratio = ""
    if len(magnitudes) == 2 and min(magnitudes) > 0:
        ratio = f"<p>gradient magnitude ratio: {max(magnitudes) / min(magnitudes):.1f}×</p>"
    return (f"<p>D(G(z)) = {d_fake:.3f}</p><table><tr><th>G loss</th><th>value</th><th>dL/dD</th>"
            f"<th>dL/d logit</th></tr>{cells}</table>{ratio}")
