r"""What a GAN's training curves say, read against the values the equilibrium predicts.

At the equilibrium $p_g = p_{data}$, $D^* = \tfrac12$, so each term of $f_{acc}$ is $\log\tfrac12$, D's loss
$-f_{acc}$ is $\log 4$, the non-saturating G loss $-\mathbb{E}[\log D(G(z))]$ is $\log 2$, and D is right half
the time. Away from it, two bounds turn a measured curve into a statement about $p_g$: no D is more accurate
than $\tfrac12(1 + \mathrm{TV}(p_{data}, p_g))$, and no D has $f_{acc}$ above $-\log 4 + 2\,\mathrm{JSD}$.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

LATE = 0.25  # the curves are read over the last quarter of the logged rounds
ABOVE_CHANCE = 0.55  # notebook 02's claim: D's late accuracy is above this, clear of the equilibrium's 50%


def equilibrium_values(loss: str = "non_saturating") -> dict[str, float]:
    """Each logged curve's value at the equilibrium (D = 1/2 everywhere), by history key."""
    g_loss = math.log(2) if loss == "non_saturating" else -math.log(2)  # -log(1/2), or log(1 - 1/2)
    return {"d_loss": math.log(4), "g_loss": g_loss, "d_acc": 0.5, "d_real": 0.5, "d_fake": 0.5,
            "log_d_real": -math.log(2), "log_1m_d_fake": -math.log(2)}


def late_mean(history: dict[str, list[float]], key: str, fraction: float = LATE) -> float:
    """Mean of ``history[key]`` over the last ``fraction`` of the logged rounds."""
    values = history[key]
    if not values:
        raise ValueError(f"the history holds no logged rounds of {key!r}")
    tail = values[-max(1, round(len(values) * fraction)):]
    return sum(tail) / len(tail)


def quarter_means(history: dict[str, list[float]], key: str) -> list[float]:
    """Mean of ``history[key]`` over each quarter of the logged rounds (4 values, first to last)."""
    values = history[key]
    if len(values) < 4:
        raise ValueError(f"the history holds {len(values)} logged rounds of {key!r}; at least 4 are needed")
    cuts = [round(len(values) * i / 4) for i in range(5)]
    return [sum(values[a:b]) / (b - a) for a, b in zip(cuts[:-1], cuts[1:])]


@dataclass
class CurveReading:
    """The curves over the last quarter, and what they imply about $p_g$ (lower bounds; 0 means none)."""

    d_accuracy: float  # D's accuracy on a batch that is half real, half fake
    d_acc_real: float
    d_acc_fake: float
    d_loss: float  # -f_acc
    g_loss: float
    log_d_real: float  # E[log D(x)]: the log-likelihood that D calls real data real
    log_1m_d_fake: float  # E[log(1 - D(G(z)))]: that D calls fake data fake
    tv_at_least: float  # 2 * accuracy - 1
    jsd_at_least: float  # (log 4 - d_loss) / 2, in nats (at most log 2)

    def as_dict(self) -> dict[str, float]:
        return asdict(self)


def read_curves(history: dict[str, list[float]], fraction: float = LATE) -> CurveReading:
    r"""The late curves and the bounds $\mathrm{TV} \ge 2\,acc - 1$ and $\mathrm{JSD} \ge (\log 4 - L_D) / 2$."""
    m = {key: late_mean(history, key, fraction) for key in
         ("d_acc_real", "d_acc_fake", "d_loss", "g_loss", "log_d_real", "log_1m_d_fake")}
    accuracy = (m["d_acc_real"] + m["d_acc_fake"]) / 2
    return CurveReading(accuracy, m["d_acc_real"], m["d_acc_fake"], m["d_loss"], m["g_loss"], m["log_d_real"],
                        m["log_1m_d_fake"], max(0.0, 2 * accuracy - 1), max(0.0, (math.log(4) - m["d_loss"]) / 2))
