r"""Notebook 07's last exercise: one training round, written by the student, checked step by step.

The student writes ``train_round(G, D, opt_g, opt_d, real_batch, noise, k, l, d_objective, g_loss)``:

1. k D-steps: each draws a real batch ``real_batch()`` (B, dim) and noise ``noise()`` (B, latent), and
   ascends $f_{acc}$ = ``d_objective(D(x), D(G(z)))`` (so descends ``-d_objective``) with ``opt_d``, on a fake
   that is detached: no gradient may reach G;
2. l G-steps: each draws noise and descends ``g_loss(D(G(z)))`` with ``opt_g``, gradient flowing through D
   into G, while D's weights stay as they are;

and returns ``(d_loss, g_step_loss, real_logits, fake_logits)``: the last D-step's loss and logits and the last
G-step's loss. :func:`check_round` plays two rounds (k = 2, l = 3) on a G and a D of a few units, with
optimisers that record every ``step()`` and hooks that record every gradient reaching a weight; at each
``step()`` it recomputes the gradient that step should follow, from the batches the student drew
(:mod:`gan_course.lessons.nb07_exercise.round_steps`), and names the first mistake. :func:`as_round_fn` lets
:func:`gan_course.train.train` play the student's round instead of :func:`gan_course.train.train_round`.
"""

from __future__ import annotations

from typing import Callable

import torch

from gan_course.config import GANConfig
from gan_course.lessons.nb07_exercise.diagnosis import Failure, name_of, not_implemented, raised, report
from gan_course.losses import generator_loss
from gan_course.models import Discriminator, Generator
from gan_course.lessons.nb07_exercise.round_steps import K, L, Recorder, f_acc, first_problem
from gan_course.train import Round

ROUNDS, BATCH, LATENT, DIM = 2, 6, 2, 3
NAME = "train_round"
STEPS_OK = (f"plays k = {K} D-steps on detached fakes, then l = {L} G-steps through D, each with its own "
            "optimiser and a fresh gradient, for two rounds")


def _tiny_game(seed: int = 0) -> tuple[Generator, Discriminator, Callable, Callable]:
    """A G (2 -> 3) and a D (3 -> 1 logit) of 4 hidden units, D ahead (D(G(z)) near 0.1), and two data streams."""
    torch.manual_seed(seed)
    G = Generator(LATENT, (4,), DIM, tanh=False)
    D = Discriminator(DIM, (4,))
    with torch.no_grad():
        D.net[-1].bias.fill_(-2.0)  # D(G(z)) ~ 0.1: the two G losses then give clearly different gradients
    g_real, g_noise = torch.Generator().manual_seed(seed + 1), torch.Generator().manual_seed(seed + 2)
    return (G, D, lambda: torch.randn(BATCH, DIM, generator=g_real) + 1.5,
            lambda: torch.randn(BATCH, LATENT, generator=g_noise))


def _play(fn: Callable, recorder: Recorder, opt_g, opt_d, d_objective, g_loss) -> object:
    """One call of the student's round; a Failure with a message when it raises."""
    name = name_of(fn, NAME)
    try:
        return fn(recorder.G, recorder.D, opt_g, opt_d, recorder.real_batch, recorder.noise, K, L,
                  d_objective, g_loss)
    except NotImplementedError:
        raise not_implemented(name) from None
    except Exception as err:  # noqa: BLE001 -- any error in the student's code becomes one message
        raise raised(name, err, f"in round {recorder.round} (k = {K}, l = {L})") from None


def _frozen(recorder: Recorder) -> str | None:
    for net, module in (("D", recorder.D), ("G", recorder.G)):
        if not all(p.requires_grad for p in module.parameters()):
            return (f"{net} is still frozen after your round (requires_grad is False on its weights): the next "
                    f"{'D-step' if net == 'D' else 'G-step'} cannot train it. Unfreeze it "
                    f"({net}.requires_grad_(True)) before the round returns")
    return None


def _returned(out: object, recorder: Recorder) -> str | None:
    """None if ``out`` is (d_loss, g_step_loss, real_logits, fake_logits) of the round's last steps."""
    shape = "(d_loss, g_step_loss, real_logits, fake_logits)"
    if not isinstance(out, (tuple, list)) or len(out) != 4:
        got = "None (did you forget `return`?)" if out is None else f"a {type(out).__name__}" + (
            f" of {len(out)} values" if isinstance(out, (tuple, list)) else "")
        return f"your round returned {got}. It should return {shape} of its last D-step and G-step"
    if not all(isinstance(t, torch.Tensor) for t in out):
        return f"your round should return four tensors {shape}, got {', '.join(type(t).__name__ for t in out)}"
    d_loss, g_step_loss, real_logits, fake_logits = out
    last_d = [s for s in recorder.steps if s.net == "D"][-1]
    last_g = [s for s in recorder.steps if s.net == "G"][-1]
    checks = [("d_loss", d_loss, last_d.loss, "the last D-step's loss, -f_acc"),
              ("g_step_loss", g_step_loss, last_g.loss, "the last G-step's loss"),
              ("real_logits", real_logits, last_d.real_logits, "D's logits on the last D-step's real batch"),
              ("fake_logits", fake_logits, last_d.fake_logits, "D's logits on the last D-step's fake batch")]
    for name, got, expected, what in checks:
        if got.shape != expected.shape:
            return (f"your round's steps are right, but the {name} it returns has shape {tuple(got.shape)}; "
                    f"expected {tuple(expected.shape)}, {what}")
        if not torch.allclose(got.detach(), expected, rtol=1e-4, atol=1e-6):
            return (f"your round's steps are right, but the {name} it returns is not {what} (computed before "
                    "that step's update); it should return " + shape)
    return None


def diagnose_round(fn: Callable) -> str | None:
    """None when the student's round is right, else the one message naming its first mistake (never raises)."""
    if not callable(fn):
        return f"expected your round function, got {type(fn).__name__}: pass train_round itself, not its result"
    with torch.random.fork_rng(devices=[]):  # the notebook's own random numbers stay as they were
        G, D, real_batch, noise = _tiny_game()
        recorder = Recorder(G, D, real_batch, noise)
        opt_g, opt_d = recorder.optimiser("G"), recorder.optimiser("D")
        try:
            for _ in range(ROUNDS):
                recorder.start_round()
                out = _play(fn, recorder, opt_g, opt_d, f_acc, generator_loss)
                problem = first_problem(recorder) or _frozen(recorder) or _returned(out, recorder)
                if problem:
                    return problem
        except Failure as failure:
            return first_problem(recorder, complete=False) or str(failure)
        except Exception as err:  # noqa: BLE001 -- a checker never ends a notebook in a traceback
            return f"could not check your round: {type(err).__name__}: {str(err).splitlines()[0] if str(err) else ''}"
        finally:
            recorder.close()
    return None


def verdict(fn: Callable) -> tuple[bool, str]:
    """(passed, the one line :func:`check_round` prints)."""
    return report(f"{name_of(fn, NAME)} is correct: it {STEPS_OK}.", diagnose_round(fn))


def check_round(fn: Callable) -> bool:
    """Play the student's round on tiny nets; print one line (✓, or ✗ and the first mistake); True if right."""
    ok, line = verdict(fn)
    print(line)
    return ok


def as_round_fn(fn: Callable, d_objective: Callable, g_loss: Callable) -> Callable:
    """The student's round ``fn`` with ``d_objective`` and ``g_loss``, as ``train(..., round_fn=...)`` calls it.

    Unconditional GANs only: the real batches and the noise reach ``fn`` without labels.
    """
    def round_fn(generator, discriminator, opt_g, opt_d, real_batch, noise, config: GANConfig, *_) -> Round:
        if config.conditional:
            raise ValueError("the exercise's round is unconditional: use a config with conditional=False")
        d_loss, g_step_loss, real_logits, fake_logits = fn(
            generator, discriminator, opt_g, opt_d, lambda: real_batch()[0], lambda: noise(config.batch_size)[0],
            config.d_steps, config.g_steps, d_objective, g_loss)
        return Round(d_loss, g_step_loss, real_logits, fake_logits)

    return round_fn
