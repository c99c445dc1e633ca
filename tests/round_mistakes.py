"""The round of notebook 07's solution, and the mistakes the tests plant in it (not part of the package)."""

from __future__ import annotations

from pathlib import Path

import nbformat
import torch
import torch.nn.functional as F

NB07 = Path(__file__).resolve().parents[1] / "notebooks" / "07_exercise_original_vs_modified_loss.ipynb"

# name: (line in the solution, what a student wrote instead, the words the checker must use)
MISTAKES = {
    "missing_detach": ("fake = G(noise()).detach()", "fake = G(noise())", "missing detach()"),
    "no_gradient_into_g": ("g_step_loss = g_loss(D(G(noise())))", "g_step_loss = g_loss(D(G(noise()).detach()))",
                           "no gradient reached G"),
    "d_updated_in_g_step": ("        opt_g.step()\n", "        opt_g.step()\n        opt_d.step()\n",
                            "D was updated during the G-step"),
    "missing_zero_grad": ("        opt_d.zero_grad()\n", "", "gradients accumulate (missing zero_grad)"),
    "wrong_sign": ("d_loss = -d_objective(", "d_loss = d_objective(", "wrong sign: D minimises f_acc"),
    "saturating_loss": ("g_step_loss = g_loss(D(G(noise())))",
                        "g_step_loss = d_objective(D(real_batch()), D(G(noise())))",
                        "descends d_objective on the fakes"),
    # the six cases issue 29 found pointed the wrong way, or at no cause
    "d_step_steps_both": ("        opt_d.step()\n", "        opt_d.step()\n        opt_g.step()\n",
                          "G stepped during the D-steps"),
    "g_step_steps_opt_d": ("        opt_g.step()\n", "        opt_d.step()\n", "the G-step stepped opt_d instead of opt_g"),
    "gradient_clipping": ("        opt_d.step()\n",
                          "        torch.nn.utils.clip_grad_norm_(D.parameters(), 0.01)\n        opt_d.step()\n",
                          "gradient clipping"),
    "double_backward": ("        d_loss.backward()\n",
                        "        d_loss.backward(retain_graph=True)\n        d_loss.backward()\n",
                        "backward() ran 2 times on the same loss"),
    "detached_logits": ("real_logits, fake_logits = D(real), D(fake)",
                        "real_logits, fake_logits = D(real).detach(), D(fake)",
                        "D's logits on the real batch are cut from the graph"),
}
# What only the grader can name: it knows the real losses, the student's checker plays stand-ins.
GRADER_MISTAKES = {
    "bce_over_cat": ("d_loss = -d_objective(real_logits, fake_logits)",
                     "d_loss = F.binary_cross_entropy_with_logits(torch.cat([real_logits, fake_logits]), "
                     "torch.cat([torch.ones_like(real_logits), torch.zeros_like(fake_logits)]))",
                     "one BCE over torch.cat"),
    "ignores_g_loss": ("g_step_loss = g_loss(D(G(noise())))", "g_step_loss = -F.logsigmoid(D(G(noise()))).mean()",
                       "the round ignores the loss it is given"),
    "ignores_g_loss_saturating": ("g_step_loss = g_loss(D(G(noise())))",
                                  "g_step_loss = F.logsigmoid(-D(G(noise()))).mean()",
                                  "the round ignores the loss it is given"),
    "hard_coded_k_and_l": ("range(k)", "range(2)", "the round ignores k and l"),
}


def round_cell(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """The code cell of ``nb`` that defines train_round."""
    (cell,) = [c for c in nb.cells if c.cell_type == "code" and c.source.startswith("def train_round(")]
    return cell


def solution_source() -> str:
    """The solution's train_round, as the instructor notebook has it, without the region markers."""
    source = round_cell(nbformat.read(NB07, as_version=4)).source
    return "\n".join(line for line in source.splitlines() if not line.strip().startswith("###"))


def planted(name: str, source: str | None = None) -> str:
    """``source`` (default: the solution) with the mistake ``name`` planted."""
    source = solution_source() if source is None else source
    old, new, _ = {**MISTAKES, **GRADER_MISTAKES}[name]
    assert source.count(old) == 1, f"{name}: {old!r} must occur once in the solution's round"
    return source.replace(old, new)


def define(source: str):
    """The function ``train_round`` that ``source`` defines."""
    namespace = {"torch": torch, "F": F}
    exec(compile(source, "<train_round>", "exec"), namespace)
    return namespace["train_round"]
