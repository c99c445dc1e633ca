r"""What a student's training round did, step by step, and the first mistake in it.

A :class:`Recorder` hands the student's round its data streams and two optimisers that note every
``step()``; hooks on every weight note each gradient that reaches it. At each ``step()`` the recorder
keeps a :class:`Step`: the gradient in ``.grad`` (what the step follows), the gradient the backward passes
since the previous step put there, whether any of it reached G, what was drawn, and the gradients the
step *should* follow, recomputed from the batches drawn: the right one and each catalogued mistake's.

For D the right step descends $-f_{acc} = -\mathbb{E}[\log D(x)] - \mathbb{E}[\log(1 - D(G(z)))]$ on a
detached fake; for G it descends the modified loss $-\mathbb{E}[\log D(G(z))]$ through D.
:func:`first_problem` reads the steps in order and returns the message of the first mistake.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import torch
import torch.nn.functional as F
from torch.func import functional_call

K, L = 2, 3  # D-steps and G-steps per round in the check: loops that ignore k or l show
LR = 0.1


def f_acc(real_logits: torch.Tensor, fake_logits: torch.Tensor) -> torch.Tensor:
    r"""$f_{acc} = \mathbb{E}[\log D(x)] + \mathbb{E}[\log(1 - D(G(z)))]$ on D's logits (B,), (B,) -> scalar."""
    return F.logsigmoid(real_logits).mean() + F.logsigmoid(-fake_logits).mean()


def modified_loss(fake_logits: torch.Tensor) -> torch.Tensor:
    r"""$-\mathbb{E}[\log D(G(z))]$ on D's logits (B,) -> scalar: G's modified (non-saturating) loss."""
    return -F.logsigmoid(fake_logits).mean()


# The loss each step descends: the right one first, then each catalogued mistake, with its message.
D_VARIANTS: list[tuple[str, Callable]] = [
    ("right", lambda r, f: -f_acc(r, f)),
    ("wrong sign: D minimises f_acc in {where}. D maximises f_acc and an optimiser descends, so the loss D's "
     "step descends is -d_objective(real_logits, fake_logits)", lambda r, f: f_acc(r, f)),
    ("real and fake swapped in {where}: d_objective(real_logits, fake_logits) takes D's logits on the real "
     "batch first, on the fake batch second", lambda r, f: -f_acc(f, r)),
    ("{where} passes D's probabilities (torch.sigmoid of the logits) to d_objective, which takes D's logits: "
     "give it D's outputs as they are", lambda r, f: -f_acc(torch.sigmoid(r), torch.sigmoid(f))),
]
G_VARIANTS: list[tuple[str, Callable]] = [
    ("right", modified_loss),
    ("the saturating loss where the modified one was asked for: {where} follows E[log(1 - D(G(z)))] (the "
     "original loss; G minimising f_acc itself gives the same). G's step descends g_loss(fake_logits), here "
     "the modified loss -E[log D(G(z))]", lambda f: F.logsigmoid(-f).mean()),
    ("wrong sign in the G-step: {where} climbs g_loss instead of descending it. opt_g.step() descends what "
     "you call backward() on: use g_loss(fake_logits) itself", lambda f: F.logsigmoid(f).mean()),
    ("{where} descends D's loss on the fakes, -E[log(1 - D(G(z)))]: that helps D, pushing D(G(z)) down. G's "
     "step descends g_loss(fake_logits)", lambda f: -F.logsigmoid(-f).mean()),
    ("{where} passes D's probabilities (torch.sigmoid of the logits) to g_loss, which takes D's logits: give "
     "it D's outputs as they are", lambda f: modified_loss(torch.sigmoid(f))),
]


def _flat(tensors) -> torch.Tensor:
    return torch.cat([t.detach().reshape(-1) for t in tensors]).clone()


def _grads(params) -> torch.Tensor:
    return _flat([p.grad if p.grad is not None else torch.zeros_like(p) for p in params])


def close(a: torch.Tensor, b: torch.Tensor) -> bool:
    """Equal up to float32 rounding, relative to the size of ``b``."""
    return bool((a - b).norm() <= 1e-4 * b.norm() + 1e-7)


@dataclass
class Step:
    """One optimiser step of the student's round, as the recorder saw it."""

    net: str  # "D" or "G"
    round: int
    index: int  # 1, 2, ... within its net's steps of the round
    actual: torch.Tensor  # the stepped net's .grad at step(), flattened
    this_step: torch.Tensor  # what backward passes since the previous step() added to it
    g_reached: bool  # a backward pass since the previous step() reached G's weights
    draws: dict[str, int]  # real batches and noise batches drawn since the previous step()
    g_moved: bool  # (D-steps) G's weights changed since the round began
    expected: dict[str, torch.Tensor]  # message (or "right") -> the gradient that step would follow
    loss: torch.Tensor | None = None  # the right loss's value
    real_logits: torch.Tensor | None = None
    fake_logits: torch.Tensor | None = None

    @property
    def where(self) -> str:
        return f"{self.net}-step {self.index} of round {self.round}"


class _Spy(torch.optim.SGD):
    """SGD that tells the recorder before and after each step."""

    def __init__(self, params, net: str, recorder: "Recorder"):
        super().__init__(params, lr=LR)
        self._net, self._recorder = net, recorder

    def step(self, closure=None):
        self._recorder.on_step(self._net)
        out = super().step(closure)
        self._recorder.after_step(self._net)
        return out


class Recorder:
    """Hands out data and optimisers for the student's round and records every step it takes."""

    def __init__(self, G: torch.nn.Module, D: torch.nn.Module, real_batch: Callable, noise: Callable):
        self.G, self.D, self._sources = G, D, {"real": real_batch, "noise": noise}
        self.params = {"G": list(G.parameters()), "D": list(D.parameters())}
        self.steps: list[Step] = []
        self.round = 0
        self._last: dict[str, torch.Tensor | None] = {"real": None, "noise": None}
        self._reset_segment()
        self._handles = [p.register_hook(self._hook(p, net)) for net, ps in self.params.items() for p in ps]
        self._start_g = self._after_d = None

    def _hook(self, p: torch.Tensor, net: str) -> Callable:
        def on_grad(grad: torch.Tensor) -> None:
            self._segment[id(p)] = self._segment[id(p)] + grad.detach()
            self._g_reached |= net == "G"
        return on_grad

    def _reset_segment(self) -> None:
        self._segment = {id(p): torch.zeros_like(p) for ps in self.params.values() for p in ps}
        self._g_reached, self._draws = False, {"real": 0, "noise": 0}

    def _draw(self, kind: str) -> torch.Tensor:
        self._draws[kind] += 1
        batch = self._sources[kind]()
        self._last[kind] = batch.clone()
        return batch

    def real_batch(self) -> torch.Tensor:
        """A real batch (B, dim)."""
        return self._draw("real")

    def noise(self) -> torch.Tensor:
        """Noise z (B, latent)."""
        return self._draw("noise")

    def optimiser(self, net: str) -> torch.optim.Optimizer:
        return _Spy(self.params[net], net, self)

    def start_round(self) -> None:
        self.round += 1
        self._start_g, self._after_d = _flat(self.params["G"]), None

    def round_steps(self) -> list[Step]:
        return [s for s in self.steps if s.round == self.round]

    def d_moved_in_g_steps(self) -> bool:
        return self._after_d is not None and not torch.equal(_flat(self.params["D"]), self._after_d)

    def on_step(self, net: str) -> None:
        params = self.params[net]
        index = 1 + sum(s.net == net for s in self.round_steps())
        g_moved = net == "D" and not torch.equal(_flat(self.params["G"]), self._start_g)
        step = Step(net, self.round, index, _grads(params), _flat(self._segment[id(p)] for p in params),
                    self._g_reached, dict(self._draws), g_moved, {})
        if self._last["noise"] is not None and (net == "G" or self._last["real"] is not None):
            self._expect(step)
        self.steps.append(step)
        self._reset_segment()

    def after_step(self, net: str) -> None:
        if net == "D":
            self._after_d = _flat(self.params["D"])

    def _expect(self, step: Step) -> None:
        """Fill in the gradients ``step`` should follow, from the last batches drawn and the weights now."""
        z = self._last["noise"]
        mine = {n: p.detach().clone().requires_grad_(step.net == "D") for n, p in self.D.named_parameters()}
        g_params = {n: p.detach().clone().requires_grad_(step.net == "G") for n, p in self.G.named_parameters()}
        learner = mine if step.net == "D" else g_params
        for message, loss_of in (D_VARIANTS if step.net == "D" else G_VARIANTS):
            fake_logits = functional_call(self.D, mine, (functional_call(self.G, g_params, (z,)),))
            if step.net == "D":
                real_logits = functional_call(self.D, mine, (self._last["real"],))
                loss = loss_of(real_logits, fake_logits)
            else:
                loss = loss_of(fake_logits)
            step.expected[message] = _flat(torch.autograd.grad(loss, list(learner.values())))
            if message == "right":
                step.loss, step.fake_logits = loss.detach(), fake_logits.detach()
                step.real_logits = real_logits.detach() if step.net == "D" else None

    def close(self) -> None:
        for handle in self._handles:
            handle.remove()


def _sequence_problem(steps: list[Step], round_: int) -> str | None:
    order = [s.net for s in steps]
    if order == ["D"] * K + ["G"] * L:
        return None
    shown = " ".join(order) or "none"
    if "G" in order and "D" in order[order.index("G"):]:
        return (f"D was updated during the G-step: in round {round_}, opt_d.step() ran after G's steps began "
                f"(the steps, in order: {shown}). While G learns, D stays as it is: only opt_g steps there")
    for net, n, letter in (("D", K, "k"), ("G", L, "l")):
        if order.count(net) != n:
            return (f"your round made {order.count(net)} {net}-steps with {letter} = {n} (the steps, in order: "
                    f"{shown}): one opt_{net.lower()}.step() in each of the {letter} {net}-steps")
    return f"G stepped before D in round {round_} (the steps, in order: {shown}): first the k D-steps, then the l G-steps"


def _gradient_problem(s: Step) -> str | None:
    opt = f"opt_{s.net.lower()}"
    if not close(s.actual, s.this_step):
        if s.actual.norm() == 0:
            return (f"zero_grad() after backward(): {s.net}'s gradient was erased before {s.where}, so the step "
                    f"did nothing. Call {opt}.zero_grad() before backward(), not between backward() and step()")
        also = " The G-step's backward() fills D's .grad too, unless D is frozen." if s.net == "D" else ""
        return (f"gradients accumulate (missing zero_grad): at {s.where}, {s.net}'s .grad held more than that "
                f"step's gradient, left over from an earlier backward().{also} backward() adds to .grad, so call "
                f"{opt}.zero_grad() before each backward()")
    if s.this_step.norm() == 0:
        return f"{s.where} had no gradient: call backward() on {s.net}'s loss before {opt}.step()"
    for message, grad in s.expected.items():
        if close(s.this_step, grad):
            return None if message == "right" else message.format(where=s.where)
    right = s.expected["right"]
    what = "-f_acc on a detached fake" if s.net == "D" else "g_loss(D(G(z)))"
    return (f"{s.where} follows a gradient that is not that of {what} on the batch drawn in that step (relative "
            f"difference {float((s.this_step - right).norm() / right.norm()):.2g})")


def _step_problem(s: Step) -> str | None:
    if s.g_moved:
        return (f"G's weights moved during the D-steps (before {s.where}): only opt_d may step in a D-step, and "
                "D's loss must not reach G")
    missing = [kind for kind in (("real", "noise") if s.net == "D" else ("noise",)) if s.draws[kind] == 0]
    if missing:
        what = " and ".join({"real": "real batch (real_batch())", "noise": "noise (noise())"}[m] for m in missing)
        return (f"{s.where} drew no fresh {what}: every step draws its own batch inside the loop"
                + (" (a fake left over from the D-step is detached, or made by an older G)" if s.net == "G" else ""))
    if s.net == "D" and s.g_reached:
        return (f"missing detach(): in {s.where}, D's loss sent gradient into G's weights. The fake that the "
                "D-step shows D must be cut from G (G(z).detach()), so that D's step cannot reach G")
    if s.net == "G" and not s.g_reached:
        return (f"no gradient reached G in {s.where}: the fake there must stay connected to G (no detach(), no "
                "torch.no_grad()), so that backward() flows through D into G")
    return _gradient_problem(s)


def first_problem(recorder: Recorder, complete: bool = True) -> str | None:
    """The first mistake in the current round: its order of steps (if ``complete``), then each step, then D's weights."""
    steps = recorder.round_steps()
    problem = _sequence_problem(steps, recorder.round) if complete else None
    problem = problem or next((p for s in steps if (p := _step_problem(s))), None)
    if problem or not complete:
        return problem
    if recorder.d_moved_in_g_steps():
        return "D's weights moved during the G-steps: while G learns, D stays as it is (only opt_g steps there)"
    return None
