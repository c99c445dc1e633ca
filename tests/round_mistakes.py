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
                        "the saturating loss where the modified one was asked for"),
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
    old, new, _ = MISTAKES[name]
    assert source.count(old) == 1, f"{name}: {old!r} must occur once in the solution's round"
    return source.replace(old, new)


def define(source: str):
    """The function ``train_round`` that ``source`` defines."""
    namespace = {"torch": torch, "F": F}
    exec(compile(source, "<train_round>", "exec"), namespace)
    return namespace["train_round"]
