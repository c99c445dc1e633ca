r"""What a student's training round did, step by step, and the first mistake in it.

A :class:`Recorder` hands the student's round its data streams and two optimisers that note every ``step()``;
hooks on every weight note each gradient that reaches it. At each ``step()`` it keeps a :class:`Step`: the
gradient in ``.grad`` (what the step follows), the gradient the backward passes since the previous step put
there, whether any of it reached G, what was drawn, and the raw state (both nets' weights, the last batches).

:func:`fill_expected` then recomputes, from that raw state alone, the gradient each step *should* follow for the
losses the round was given (and for each catalogued mistake); it can run in another process than the round
(the grader's). The losses are any the caller passes: the checkers use :class:`ProbeLoss`, smooth functions
that are not the GAN's, so that no solution is needed here and a round that ignores its losses shows.
:func:`first_problem` reads the steps in order and returns the message of the first mistake.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Callable

import torch
from torch import nn
from torch.func import functional_call

LR = 0.1
BATCH, LATENT, DIM = 6, 2, 3


def tiny_nets(seed: int) -> tuple[nn.Module, nn.Module, Callable, Callable]:
    """A G (2 -> 3) and a D (3 -> 1 logit, shape (B,)) of 4 hidden units, D ahead, and two data streams."""
    torch.manual_seed(seed)
    G = nn.Sequential(nn.Linear(LATENT, 4), nn.LeakyReLU(0.2), nn.Linear(4, DIM))
    D = nn.Sequential(nn.Linear(DIM, 4), nn.LeakyReLU(0.2), nn.Linear(4, 1), nn.Flatten(0))
    with torch.no_grad():
        D[2].bias.fill_(-2.0)  # D(G(z)) ~ 0.1, as early in training
    g_real, g_noise = torch.Generator().manual_seed(seed + 1), torch.Generator().manual_seed(seed + 2)
    return (G, D, lambda: torch.randn(BATCH, DIM, generator=g_real) + 1.5,
            lambda: torch.randn(BATCH, LATENT, generator=g_noise))


@dataclass(frozen=True)
class ProbeLoss:
    """A smooth stand-in loss on D's logits: ``a·mean(x) + b·mean(x²)`` of each argument, summed.

    With one coefficient pair it takes ``(fake_logits)``, with two ``(real_logits, fake_logits)``.
    """

    coefficients: tuple[tuple[float, float], ...]

    def __call__(self, *logits: torch.Tensor) -> torch.Tensor:
        if len(logits) != len(self.coefficients):
            raise TypeError(f"this loss takes {len(self.coefficients)} tensor(s) of logits, got {len(logits)}")
        return sum(a * x.mean() + b * (x * x).mean() for (a, b), x in zip(self.coefficients, logits))


# The loss each step descends: the right one first, then each catalogued mistake, with its message.
# ``d`` is the d_objective the round was given, ``g`` its g_loss; r and f are D's logits on the real and fake batch.
def d_variants(d: Callable) -> list[tuple[str, Callable]]:
    return [
        ("right", lambda r, f: -d(r, f)),
        ("wrong sign: D minimises f_acc in {where}. D maximises f_acc and an optimiser descends, so the loss D's "
         "step descends is -d_objective(real_logits, fake_logits)", lambda r, f: d(r, f)),
        ("real and fake swapped in {where}: d_objective(real_logits, fake_logits) takes D's logits on the real "
         "batch first, on the fake batch second", lambda r, f: -d(f, r)),
        ("{where} passes D's probabilities (torch.sigmoid of the logits) to d_objective, which takes D's logits: "
         "give it D's outputs as they are", lambda r, f: -d(torch.sigmoid(r), torch.sigmoid(f))),
        ("{where} follows only the fake half of -f_acc: D's logits on the real batch are cut from the graph "
         "(.detach() or torch.no_grad() around D(x)); keep D's outputs connected, only the fake G(z) is detached",
         lambda r, f: -d(r.detach(), f)),
        ("{where} follows only the real half of -f_acc: D's logits on the fake batch are cut from the graph "
         "(D(fake).detach() or torch.no_grad()); detach the fake G(z) before D sees it, not D's output",
         lambda r, f: -d(r, f.detach())),
    ]


def g_variants(d: Callable, g: Callable) -> list[tuple[str, Callable]]:
    return [
        ("right", g),
        ("{where} descends d_objective on the fakes (G minimising f_acc itself, which is the saturating loss) "
         "instead of g_loss(fake_logits), the loss the round is given", lambda f: d(torch.zeros_like(f), f)),
        ("wrong sign in the G-step: {where} climbs g_loss instead of descending it. opt_g.step() descends what "
         "you call backward() on: use g_loss(fake_logits) itself", lambda f: -g(f)),
        ("{where} descends D's loss on the fakes, -d_objective: that helps D, pushing D(G(z)) down. G's "
         "step descends g_loss(fake_logits)", lambda f: -d(torch.zeros_like(f), f)),
        ("{where} passes D's probabilities (torch.sigmoid of the logits) to g_loss, which takes D's logits: give "
         "it D's outputs as they are", lambda f: g(torch.sigmoid(f))),
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
    """One optimiser step of the student's round, as the recorder saw it, with the state it started from."""

    net: str  # "D" or "G"
    round: int
    index: int  # 1, 2, ... within its net's steps of the round
    actual: torch.Tensor  # the stepped net's .grad at step(), flattened
    this_step: torch.Tensor  # what backward passes since the previous step() added to it
    g_reached: bool  # a backward pass since the previous step() reached G's weights
    draws: dict[str, int]  # real batches and noise batches drawn since the previous step()
    g_moved: bool  # (D-steps) G's weights changed since the round began
    d_params: torch.Tensor  # D's weights at step(), flattened
    g_params: torch.Tensor
    real: torch.Tensor | None  # the last real batch and noise drawn
    noise: torch.Tensor | None
    expected: dict[str, torch.Tensor] = field(default_factory=dict)  # message (or "right") -> gradient
    loss: torch.Tensor | None = None  # the right loss's value
    real_logits: torch.Tensor | None = None
    fake_logits: torch.Tensor | None = None

    @property
    def where(self) -> str:
        return f"{self.net}-step {self.index} of round {self.round}"

    def raw(self) -> dict:
        """The step as JSON-ready numbers (what the sandbox sends back), without anything expected."""
        out = {k: v for k, v in asdict(self).items() if k not in ("expected", "loss", "real_logits", "fake_logits")}
        return {k: v.tolist() if isinstance(v, torch.Tensor) else v for k, v in out.items()}

    @classmethod
    def from_raw(cls, d: dict) -> "Step":
        t = {k: torch.tensor(d[k], dtype=torch.float32) if d[k] is not None else None
             for k in ("actual", "this_step", "d_params", "g_params", "real", "noise")}
        return cls(str(d["net"]), int(d["round"]), int(d["index"]), t["actual"], t["this_step"], bool(d["g_reached"]),
                   {k: int(v) for k, v in dict(d["draws"]).items()}, bool(d["g_moved"]), t["d_params"], t["g_params"],
                   t["real"], t["noise"])


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

    def __init__(self, G: nn.Module, D: nn.Module, real_batch: Callable, noise: Callable):
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

    def round_steps(self, round_: int | None = None) -> list[Step]:
        return [s for s in self.steps if s.round == (self.round if round_ is None else round_)]

    def d_moved_in_g_steps(self) -> bool:
        return self._after_d is not None and not torch.equal(_flat(self.params["D"]), self._after_d)

    def on_step(self, net: str) -> None:
        params = self.params[net]
        index = 1 + sum(s.net == net for s in self.round_steps())
        g_moved = net == "D" and not torch.equal(_flat(self.params["G"]), self._start_g)
        self.steps.append(Step(net, self.round, index, _grads(params), _flat(self._segment[id(p)] for p in params),
                               self._g_reached, dict(self._draws), g_moved, _flat(self.params["D"]),
                               _flat(self.params["G"]), self._last["real"], self._last["noise"]))
        self._reset_segment()

    def after_step(self, net: str) -> None:
        if net == "D":
            self._after_d = _flat(self.params["D"])

    def frozen(self) -> str | None:
        """The message when the round left G or D frozen, else None."""
        for net, module in (("D", self.D), ("G", self.G)):
            if not all(p.requires_grad for p in module.parameters()):
                return (f"{net} is still frozen after your round (requires_grad is False on its weights): the next "
                        f"{'D-step' if net == 'D' else 'G-step'} cannot train it. Unfreeze it "
                        f"({net}.requires_grad_(True)) before the round returns")
        return None

    def close(self) -> None:
        for handle in self._handles:
            handle.remove()


def _unflat(module: nn.Module, flat: torch.Tensor, learn: bool) -> dict[str, torch.Tensor]:
    out, i = {}, 0
    for name, p in module.named_parameters():
        out[name] = flat[i:i + p.numel()].reshape(p.shape).clone().requires_grad_(learn)
        i += p.numel()
    return out


def fill_expected(step: Step, G: nn.Module, D: nn.Module, d_objective: Callable, g_loss: Callable,
                  extra: list[tuple[str, Callable]] = ()) -> None:
    """Fill in the gradients ``step`` should follow (and each mistake's), from its raw state and the losses given.

    ``G`` and ``D`` give the architecture only; their weights are not read. ``extra``: more (message, loss) pairs.
    """
    if step.noise is None or (step.net == "D" and step.real is None):
        return
    mine = _unflat(D, step.d_params, step.net == "D")
    g_params = _unflat(G, step.g_params, step.net == "G")
    learner = mine if step.net == "D" else g_params
    variants = d_variants(d_objective) if step.net == "D" else g_variants(d_objective, g_loss)
    for message, loss_of in [*variants, *extra]:
        try:
            fake_logits = functional_call(D, mine, (functional_call(G, g_params, (step.noise,)),))
            if step.net == "D":
                real_logits = functional_call(D, mine, (step.real,))
                loss = loss_of(real_logits, fake_logits)
            else:
                loss = loss_of(fake_logits)
            grads = torch.autograd.grad(loss, list(learner.values()), allow_unused=True)
        except RuntimeError:  # e.g. a variant whose loss does not reach the learner at all
            continue
        step.expected[message] = _flat([torch.zeros_like(p) if g is None else g for g, p in zip(grads, learner.values())])
        if message == "right":
            step.loss, step.fake_logits = loss.detach(), fake_logits.detach()
            step.real_logits = real_logits.detach() if step.net == "D" else None


def sequence_problem(steps: list[Step], round_: int, k: int, l: int) -> str | None:
    """The message when the round's steps are not k D-steps then l G-steps, else None."""
    order = [s.net for s in steps]
    if order == ["D"] * k + ["G"] * l:
        return None
    shown = " ".join(order) or "none"
    n_d, n_g = order.count("D"), order.count("G")
    g_then_d = "G" in order and "D" in order[order.index("G"):]  # a D-step after a G-step
    if n_g == 0 and l > 0 and n_d == k + l:
        return (f"the G-step stepped opt_d instead of opt_g: in round {round_}, with k = {k} and l = {l}, "
                f"the G-steps called opt_d.step() (the steps, in order: {shown}). In the G-step "
                "opt_g steps, and D stays as it is")
    if n_d > k and n_g == l and g_then_d:
        return (f"D was updated during the G-step: in round {round_}, opt_d.step() ran after G's steps began "
                f"(the steps, in order: {shown}). While G learns, D stays as it is: only opt_g steps there")
    after_d = [b for a, b in zip(steps, steps[1:]) if a.net == "D" and b.net == "G"]
    in_d_step = bool(after_d) and all(sum(b.draws.values()) == 0 for b in after_d)  # G stepped on D's batch
    if n_d == k and n_g > l and (g_then_d or in_d_step):
        return (f"G stepped during the D-steps: in round {round_}, opt_g.step() ran more often than the l = {l} "
                f"G-steps (the steps, in order: {shown}). In a D-step only opt_d steps")
    for net, n, letter in (("D", k, "k"), ("G", l, "l")):
        if order.count(net) != n:
            return (f"the round ignores k and l: asked for {letter} = {n}, your round made {order.count(net)} "
                    f"{net}-steps in round {round_} (the steps, in order: {shown}): loop {letter} times, "
                    f"one opt_{net.lower()}.step() in each")
    return f"G stepped before D in round {round_} (the steps, in order: {shown}): first the k D-steps, then the l G-steps"


def _scaled(s: Step, right: torch.Tensor) -> str | None:
    """A message when the step's gradient is a multiple of the right one (double backward, clipping, BCE over cat)."""
    if right.norm() == 0 or s.this_step.norm() == 0:
        return None
    c = float(s.this_step @ right / (right @ right))
    if not close(s.this_step, c * right):
        return None
    if c > 1.5 and abs(c - round(c)) < 1e-3:
        return (f"backward() ran {round(c)} times on the same loss before {s.where} (retain_graph=True?): its "
                f"gradient is {round(c)}× the step's. Call backward() once per step")
    if abs(c - 0.5) < 1e-3 and s.net == "D":
        return (f"{s.where} follows half the gradient of -f_acc: one mean over the real and fake batches together "
                "(e.g. one BCE over torch.cat) is half of -f_acc, which is the sum of two means; call "
                "-d_objective(real_logits, fake_logits)")
    return None


def _gradient_problem(s: Step) -> str | None:
    opt = f"opt_{s.net.lower()}"
    if not close(s.actual, s.this_step):
        if s.actual.norm() == 0:
            return (f"zero_grad() after backward(): {s.net}'s gradient was erased before {s.where}, so the step "
                    f"did nothing. Call {opt}.zero_grad() before backward(), not between backward() and step()")
        c = float(s.actual @ s.this_step / (s.this_step @ s.this_step)) if s.this_step.norm() > 0 else math.inf
        if c < 1 and close(s.actual, c * s.this_step):
            return (f"the gradient was shrunk before {s.where}: .grad held {c:.2g}× what backward() put there "
                    f"(gradient clipping such as clip_grad_norm_?). The exercise's round steps on the gradient as "
                    f"backward() leaves it: no clipping")
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
    scaled = _scaled(s, right)
    if scaled:
        return scaled
    what = "-d_objective on a detached fake" if s.net == "D" else "g_loss(D(G(z)))"
    given = "d_objective" if s.net == "D" else "g_loss"
    return (f"{s.where} follows a gradient that is not that of {what} on the batch drawn in that step (relative "
            f"difference {float((s.this_step - right).norm() / right.norm()):.2g}): does it call the {given} the "
            "round is given, on that step's own batch?")


def step_problem(s: Step) -> str | None:
    """The first mistake in one step, else None."""
    if s.g_moved:
        return (f"G's weights moved during the D-steps (before {s.where}): only opt_d may step in a D-step, and "
                "D's loss must not reach G")
    missing = [kind for kind in (("real", "noise") if s.net == "D" else ("noise",)) if s.draws.get(kind, 0) == 0]
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


def first_problem(steps: list[Step], round_: int, k: int, l: int, complete: bool = True,
                  d_moved: bool = False) -> str | None:
    """The first mistake in one round: its order of steps (if ``complete``), then each step, then D's weights."""
    problem = sequence_problem(steps, round_, k, l) if complete else None
    problem = problem or next((p for s in steps if (p := step_problem(s))), None)
    if problem or not complete:
        return problem
    if d_moved:
        return "D's weights moved during the G-steps: while G learns, D stays as it is (only opt_g steps there)"
    return None
