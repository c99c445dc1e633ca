r"""Notebook 07's last exercise: one training round, written by the student, checked step by step.

The student writes ``train_round(G, D, opt_g, opt_d, real_batch, noise, k, l, d_objective, g_loss)``:

1. k D-steps: each draws a real batch ``real_batch()`` and noise ``noise()``, and ascends
   ``d_objective(D(x), D(G(z)))`` (so descends ``-d_objective``) with ``opt_d``, on a fake that is detached;
2. l G-steps: each draws noise and descends ``g_loss(D(G(z)))`` with ``opt_g``, gradient flowing through D
   into G, while D's weights stay as they are;

and returns ``(d_loss, g_step_loss, real_logits, fake_logits)`` of the last D-step and G-step.

:func:`check_round` plays the round on a G and a D of a few units, twice, with two (k, l) pairs and two
different ``g_loss``: stand-in losses (:class:`~.round_steps.ProbeLoss`), since a correct round calls the losses it
is given, whatever they are. :func:`play` records every step (it can run in a sandbox, and sends back numbers
only); :func:`judge_round` recomputes what each step should have done and names the first mistake.
:func:`as_round_fn` lets :func:`gan_course.train.train` play the student's round.
"""

from __future__ import annotations

from typing import Callable, Sequence

import torch

from gan_course.lessons.nb07_exercise.diagnosis import Failure, name_of, not_implemented, raised, report
from gan_course.lessons.nb07_exercise.round_steps import (ProbeLoss, Recorder, Step, close, fill_expected,
                                                          first_problem, tiny_nets)

NAME = "train_round"
# The student edition's plays: (k, l, which g_loss), the nets' seed and the stand-in losses.
PLAYS = ((2, 3, 0), (3, 1, 1))
SEED = 0
D_OBJECTIVE = ProbeLoss(((0.8, -0.3), (-0.6, -0.2)))
G_LOSSES = (ProbeLoss(((-0.9, 0.25),)), ProbeLoss(((-0.4, -0.35),)))
RETURNS = ("d_loss", "g_step_loss", "real_logits", "fake_logits")


def _returned_shape(out: object) -> str | None:
    """None if ``out`` is four tensors, else the message."""
    shape = "(d_loss, g_step_loss, real_logits, fake_logits)"
    if not isinstance(out, (tuple, list)) or len(out) != 4:
        got = "None (did you forget `return`?)" if out is None else f"a {type(out).__name__}" + (
            f" of {len(out)} values" if isinstance(out, (tuple, list)) else "")
        return f"your round returned {got}. It should return {shape} of its last D-step and G-step"
    if not all(isinstance(t, torch.Tensor) for t in out):
        return f"your round should return four tensors {shape}, got {', '.join(type(t).__name__ for t in out)}"
    return None


def play(fn: Callable, plays: Sequence[tuple[int, int, int]], seed: int, d_objective: Callable,
         g_losses: Sequence[Callable]) -> dict:
    """Play the student's round once per (k, l, g_loss index) in ``plays`` and record it, as JSON-ready numbers."""
    record: dict = {"plays": [], "failure": None}
    if not callable(fn):
        record["failure"] = f"expected your round function, got {type(fn).__name__}: pass train_round itself"
        return record
    name = name_of(fn, NAME)
    with torch.random.fork_rng(devices=[]):  # the notebook's own random numbers stay as they were
        G, D, real_batch, noise = tiny_nets(seed)
        recorder = Recorder(G, D, real_batch, noise)
        opt_g, opt_d = recorder.optimiser("G"), recorder.optimiser("D")
        try:
            for k, l, which in plays:
                recorder.start_round()
                entry = {"k": k, "l": l, "g_loss": which, "failure": None, "returned": None, "return_problem": None}
                record["plays"].append(entry)
                try:
                    out = fn(G, D, opt_g, opt_d, recorder.real_batch, recorder.noise, k, l, d_objective, g_losses[which])
                except NotImplementedError:
                    raise not_implemented(name) from None
                except Exception as err:  # noqa: BLE001 -- any error in the student's code becomes one message
                    raise raised(name, err, f"in round {recorder.round} (k = {k}, l = {l})") from None
                entry["steps"] = [s.raw() for s in recorder.round_steps()]
                entry["frozen"], entry["d_moved"] = recorder.frozen(), recorder.d_moved_in_g_steps()
                entry["return_problem"] = _returned_shape(out)
                if entry["return_problem"] is None:
                    entry["returned"] = [[list(t.shape), t.detach().float().reshape(-1).tolist()] for t in out]
        except Failure as failure:
            entry["failure"] = str(failure)
            entry["steps"] = [s.raw() for s in recorder.round_steps()]
        except Exception as err:  # noqa: BLE001 -- a checker never ends a notebook in a traceback
            record["failure"] = f"could not check your round: {type(err).__name__}: {str(err).splitlines()[0] if str(err) else ''}"
        finally:
            recorder.close()
    return record


def _returned(entry: dict, steps: list[Step]) -> str | None:
    """None if the round returned (d_loss, g_step_loss, real_logits, fake_logits) of its last steps."""
    if entry.get("return_problem"):
        return entry["return_problem"]
    last_d = [s for s in steps if s.net == "D"][-1]
    last_g = [s for s in steps if s.net == "G"][-1]
    expected = [(last_d.loss, "the last D-step's loss, -d_objective"), (last_g.loss, "the last G-step's loss"),
                (last_d.real_logits, "D's logits on the last D-step's real batch"),
                (last_d.fake_logits, "D's logits on the last D-step's fake batch")]
    for name, (shape, values), (want, what) in zip(RETURNS, entry["returned"], expected):
        if want is None:
            return "the checker could not recompute the last steps"
        if tuple(shape) != tuple(want.shape):
            return (f"your round's steps are right, but the {name} it returns has shape {tuple(shape)}; "
                    f"expected {tuple(want.shape)}, {what}")
        if not torch.allclose(torch.tensor(values).reshape(want.shape), want, rtol=1e-4, atol=1e-6):
            return (f"your round's steps are right, but the {name} it returns is not {what} (computed before "
                    "that step's update); it should return (d_loss, g_step_loss, real_logits, fake_logits)")
    return None


def judge_round(record: dict, seed: int, d_objective: Callable, g_losses: Sequence[Callable],
                extra_d: Sequence[tuple[str, Callable]] = (), extra_g: Sequence[tuple[str, Callable]] = ()
                ) -> tuple[str | None, str | None]:
    """(the first mistake in the steps, the first in what the round returns) from a :func:`play` record."""
    if record.get("failure"):
        return record["failure"], None
    with torch.random.fork_rng(devices=[]):  # the notebook's own random numbers stay as they were
        G, D, _, _ = tiny_nets(seed)
    for number, entry in enumerate(record["plays"], start=1):
        steps = [Step.from_raw(s) for s in entry.get("steps", [])]
        for step in steps:
            fill_expected(step, G, D, d_objective, g_losses[entry["g_loss"]],
                          list(extra_d) if step.net == "D" else list(extra_g))
        k, l = entry["k"], entry["l"]
        if entry.get("failure"):
            return first_problem(steps, number, k, l, complete=False) or entry["failure"], None
        problem = first_problem(steps, number, k, l, d_moved=entry["d_moved"]) or entry.get("frozen")
        if problem:
            return problem, None
        problem = _returned(entry, steps)
        if problem:
            return None, problem
    return None, None


def diagnose_round(fn: Callable) -> str | None:
    """None when the student's round is right, else the one message naming its first mistake (never raises)."""
    record = play(fn, PLAYS, SEED, D_OBJECTIVE, G_LOSSES)
    steps, returns = judge_round(record, SEED, D_OBJECTIVE, G_LOSSES)
    return steps or returns


def _plays_text(plays: Sequence[tuple[int, int, int]]) -> str:
    return ", then ".join(f"k = {k}, l = {l}" for k, l, _ in plays)


def verdict(fn: Callable) -> tuple[bool, str]:
    """(passed, the one line :func:`check_round` prints)."""
    ok = (f"{name_of(fn, NAME)} is correct: played with {_plays_text(PLAYS)} and two different g_loss, it makes k "
          "D-steps on detached fakes, then l G-steps through D, each with its own optimiser and a fresh gradient, "
          "following the losses it is given.")
    return report(ok, diagnose_round(fn))


def check_round(fn: Callable) -> bool:
    """Play the student's round on tiny nets; print one line (✓, or ✗ and the first mistake); True if right."""
    ok, line = verdict(fn)
    print(line)
    return ok


def as_round_fn(fn: Callable, d_objective: Callable, g_loss: Callable) -> Callable:
    """The student's round ``fn`` with ``d_objective`` and ``g_loss``, as ``train(..., round_fn=...)`` calls it.

    Unconditional GANs only: the real batches and the noise reach ``fn`` without labels.
    """
    from gan_course.train import Round

    def round_fn(generator, discriminator, opt_g, opt_d, real_batch, noise, config, *_) -> Round:
        if config.conditional:
            raise ValueError("the exercise's round is unconditional: use a config with conditional=False")
        d_loss, g_step_loss, real_logits, fake_logits = fn(
            generator, discriminator, opt_g, opt_d, lambda: real_batch()[0], lambda: noise(config.batch_size)[0],
            config.d_steps, config.g_steps, d_objective, g_loss)
        return Round(d_loss, g_step_loss, real_logits, fake_logits)

    return round_fn


__all__ = ["as_round_fn", "check_round", "close", "diagnose_round", "judge_round", "play", "verdict"]
