"""The notebook-07 checkers of the losses: correct answers pass, each common mistake gets its own message, nothing raises."""


import importlib
import json
from pathlib import Path

import nbformat
import numpy as np
import pytest
import torch
import torch.nn.functional as F

from gan_course.lessons.nb07_exercise import exercises
from gan_course.lessons.nb07_exercise.diagnosis import close
from gan_course.lessons.nb07_exercise.exercises import (check_d_objective, check_g_loss_non_saturating, check_g_loss_saturating,
                                  verdict as loss_verdict)
from gan_course.lessons.nb07_exercise.gradient_gap import D_AHEAD, MIN_RATIO, gradient_report, implemented
from gan_course.losses import loss_curves
from helpers import assert_table_reproduced, study_fixture

ROOT = Path(__file__).resolve().parents[1]

bce_logits = F.binary_cross_entropy_with_logits
ones, zeros = torch.ones_like, torch.zeros_like


def verdict(capsys, check, fn, **kwargs) -> tuple[bool, str]:
    """What a checker returns and the one line it prints."""
    ok = check(fn, **kwargs)
    printed = capsys.readouterr().out.strip()
    assert "\n" not in printed, printed
    return ok, printed


def rejected(capsys, check, fn, **kwargs) -> str:
    ok, printed = verdict(capsys, check, fn, **kwargs)
    assert ok is False and printed.startswith("✗"), printed
    return printed


# --- correct answers pass ------------------------------------------------------------------

@pytest.mark.parametrize("fn", [
    lambda r, f: F.logsigmoid(r).mean() + F.logsigmoid(-f).mean(),
    lambda r, f: -(bce_logits(r, ones(r)) + bce_logits(f, zeros(f))),
    lambda r, f: -F.softplus(-r).mean() - F.softplus(f).mean(),
], ids=["logsigmoid", "bce_with_logits", "softplus"])
def test_correct_d_objectives_pass(capsys, fn):
    assert verdict(capsys, check_d_objective, fn)[0] is True


@pytest.mark.parametrize("fn", [
    lambda x: F.logsigmoid(-x).mean(),
    lambda x: -F.softplus(x).mean(),
    lambda x: -bce_logits(x, zeros(x)),
], ids=["logsigmoid", "softplus", "bce_with_logits"])
def test_correct_saturating_losses_pass(capsys, fn):
    assert verdict(capsys, check_g_loss_saturating, fn)[0] is True


@pytest.mark.parametrize("fn", [
    lambda x: -F.logsigmoid(x).mean(),
    lambda x: F.softplus(-x).mean(),
    lambda x: bce_logits(x, ones(x)),
], ids=["logsigmoid", "softplus", "bce_with_logits"])
def test_correct_non_saturating_losses_pass(capsys, fn):
    assert verdict(capsys, check_g_loss_non_saturating, fn)[0] is True


@pytest.mark.parametrize("check, fn", [
    (check_d_objective, lambda r, f: torch.log(r).mean() + torch.log1p(-f).mean()),
    (check_g_loss_saturating, lambda p: -F.binary_cross_entropy(p, zeros(p))),
    (check_g_loss_non_saturating, lambda p: -torch.log(p).mean()),
], ids=["d_objective", "saturating", "non_saturating"])
def test_correct_probability_forms_pass(capsys, check, fn):
    assert verdict(capsys, check, fn, inputs="probs")[0] is True


def test_a_pass_prints_one_line_naming_the_function(capsys):
    def g_loss_saturating(fake_logits):
        return F.logsigmoid(-fake_logits).mean()

    ok, printed = verdict(capsys, check_g_loss_saturating, g_loss_saturating)
    assert ok is True and printed.startswith("✓ g_loss_saturating is correct")


# --- each common mistake is named, with expected vs got --------------------------------------

def test_wrong_sign_is_named_with_expected_and_got(capsys):
    printed = rejected(capsys, check_g_loss_saturating, lambda x: bce_logits(x, zeros(x)))
    assert "your saturating loss has the wrong sign" in printed
    assert "expected -0.9505, got 0.9505" in printed


def test_non_saturating_loss_with_wrong_sign_is_named(capsys):
    assert "has the wrong sign" in rejected(capsys, check_g_loss_non_saturating, lambda x: F.logsigmoid(x).mean())


def test_d_objective_returned_as_d_loss_is_a_wrong_sign(capsys):
    printed = rejected(capsys, check_d_objective, lambda r, f: bce_logits(r, ones(r)) + bce_logits(f, zeros(f)))
    assert "wrong sign: it returns -f_acc" in printed


def test_sum_instead_of_mean_is_named(capsys):
    assert "sums over the batch instead of averaging" in rejected(
        capsys, check_g_loss_non_saturating, lambda x: -F.logsigmoid(x).sum())


def test_missing_log_is_named(capsys):
    assert "is missing the log" in rejected(capsys, check_g_loss_saturating, lambda x: (1 - torch.sigmoid(x)).mean())


def test_log_applied_to_logits_is_named(capsys):
    printed = rejected(capsys, check_g_loss_non_saturating, lambda x: -torch.log(x).mean())
    assert "treats the logits as probabilities" in printed


def test_sigmoid_applied_twice_is_named(capsys):
    printed = rejected(capsys, check_g_loss_non_saturating, lambda x: bce_logits(torch.sigmoid(x), ones(x)))
    assert "applies the sigmoid twice" in printed


def test_sigmoid_applied_to_probabilities_is_named(capsys):
    printed = rejected(capsys, check_g_loss_saturating, lambda p: F.logsigmoid(-p).mean(), inputs="probs")
    assert "treats the probabilities as logits" in printed


def test_bce_with_target_0_for_the_non_saturating_loss_is_a_wrong_target(capsys):
    printed = rejected(capsys, check_g_loss_non_saturating, lambda x: bce_logits(x, zeros(x)))
    assert "wrong target label" in printed and "target 1" in printed


def test_log_d_in_the_saturating_loss_is_a_wrong_target(capsys):
    assert "wrong target label" in rejected(capsys, check_g_loss_saturating, lambda x: F.logsigmoid(x).mean())


@pytest.mark.parametrize("check, fn", [
    (check_g_loss_saturating, lambda x: bce_logits(x, ones(x))),
    (check_g_loss_non_saturating, lambda x: F.logsigmoid(-x).mean()),
], ids=["saturating_given_non_saturating", "non_saturating_given_saturating"])
def test_swapped_saturating_and_non_saturating_losses_are_named(capsys, check, fn):
    assert "saturating and non-saturating swapped" in rejected(capsys, check, fn)


def test_swapped_real_and_fake_labels_are_named(capsys):
    printed = rejected(capsys, check_d_objective, lambda r, f: -(bce_logits(r, zeros(r)) + bce_logits(f, ones(f))))
    assert "swaps the real and fake labels" in printed


def test_one_bce_over_real_and_fake_together_is_named_as_half(capsys):
    printed = rejected(capsys, check_d_objective,
                       lambda r, f: -bce_logits(torch.cat([r, f]), torch.cat([ones(r), zeros(f)])))
    assert "is half of f_acc" in printed


def test_missing_fake_term_is_named(capsys):
    assert "missing the fake term" in rejected(capsys, check_d_objective, lambda r, f: F.logsigmoid(r).mean())


def test_non_saturating_fake_term_in_d_objective_is_named(capsys):
    printed = rejected(capsys, check_d_objective, lambda r, f: F.logsigmoid(r).mean() - F.logsigmoid(f).mean())
    assert "uses G's modified term" in printed


def test_log10_is_named(capsys):
    assert "uses log10" in rejected(capsys, check_g_loss_saturating,
                                    lambda p: torch.log10(1 - p).mean(), inputs="probs")


def test_an_unrecognised_mistake_gets_expected_vs_got(capsys):
    printed = rejected(capsys, check_g_loss_saturating, lambda x: (0.3 * x).mean())
    assert "does not match E[log(1 - D(G(z)))]: expected -0.9505, got 0.1350" in printed


# --- D = 0 or D = 1: the logits form must stay finite -----------------------------------------

def test_log_of_one_minus_sigmoid_is_named_infinite_at_d_equal_1(capsys):
    printed = rejected(capsys, check_g_loss_saturating, lambda x: torch.log(1 - torch.sigmoid(x)).mean())
    assert "-inf at fake_logits = 100, i.e. D = 1" in printed and "F.logsigmoid" in printed


def test_log_of_sigmoid_is_named_infinite_at_d_equal_0(capsys):
    printed = rejected(capsys, check_g_loss_non_saturating, lambda x: -torch.log(torch.sigmoid(x)).mean())
    assert "inf at fake_logits = -100, i.e. D = 0" in printed


def test_unstable_d_objective_is_named_infinite(capsys):
    printed = rejected(capsys, check_d_objective,
                       lambda r, f: torch.log(torch.sigmoid(r)).mean() + torch.log(1 - torch.sigmoid(f)).mean())
    assert "-inf at real_logits = fake_logits = 100, i.e. D = 1" in printed


def test_an_eps_inside_the_log_is_finite_but_wrong_at_extreme_logits(capsys):
    printed = rejected(capsys, check_g_loss_saturating, lambda x: torch.log(1 - torch.sigmoid(x) + 1e-8).mean())
    assert "finite but wrong at fake_logits = 100" in printed and "expected -100.0000, got -18.4207" in printed


def test_a_nan_gradient_at_extreme_logits_is_named(capsys):
    unsafe = lambda x: torch.where(x > 0, -x + F.logsigmoid(x), torch.log(torch.sigmoid(-x))).mean()  # noqa: E731
    assert "has a nan gradient" in rejected(capsys, check_g_loss_saturating, unsafe)


# --- wrong types, shapes, dtypes, errors: a clear line, never a traceback ---------------------

def test_not_implemented_yet_is_a_message_not_an_exception(capsys):
    def g_loss_saturating(fake_logits):
        raise NotImplementedError("use F.logsigmoid")

    printed = rejected(capsys, check_g_loss_saturating, g_loss_saturating)
    assert printed.startswith("✗ not implemented yet: g_loss_saturating")


def test_per_example_losses_are_not_a_scalar(capsys):
    printed = rejected(capsys, check_g_loss_saturating, lambda x: F.logsigmoid(-x))
    assert "returned shape (4,), expected a scalar (shape ())" in printed and ".mean()" in printed


def test_a_one_element_vector_is_not_a_scalar(capsys):
    printed = rejected(capsys, check_g_loss_saturating, lambda x: F.logsigmoid(-x).mean(0, keepdim=True))
    assert "returned shape (1,), expected a scalar" in printed


def test_a_python_float_is_not_a_tensor(capsys):
    printed = rejected(capsys, check_g_loss_saturating, lambda x: F.logsigmoid(-x).mean().item())
    assert "returned a float (-0.9505), expected a torch.Tensor" in printed


def test_returning_none_asks_about_return(capsys):
    assert "did you forget `return`?" in rejected(capsys, check_g_loss_saturating, lambda x: None)


def test_an_integer_tensor_is_named(capsys):
    assert "dtype torch.int64" in rejected(capsys, check_g_loss_saturating, lambda x: (x > 0).sum())


def test_a_detached_result_has_no_gradient(capsys):
    printed = rejected(capsys, check_g_loss_saturating, lambda x: F.logsigmoid(-x).mean().detach())
    assert "right values but no gradient" in printed


def test_a_hard_coded_batch_size_gets_the_input_shape_and_a_tip(capsys):
    printed = rejected(capsys, check_g_loss_non_saturating, lambda x: bce_logits(x, torch.ones(64)))
    assert "raised ValueError when called with fake_logits of shape (4,), float32" in printed
    assert "torch.ones_like(x)" in printed


def test_integer_targets_get_a_dtype_tip(capsys):
    printed = rejected(capsys, check_g_loss_non_saturating, lambda x: bce_logits(x, ones(x, dtype=torch.long)))
    assert "Targets must be float tensors" in printed


def test_numpy_inside_the_loss_gets_a_tip(capsys):
    printed = rejected(capsys, check_g_loss_saturating, lambda x: np.log(1 - torch.sigmoid(x).numpy()).mean())
    assert "Keep the computation in torch" in printed


def test_an_error_quotes_the_students_own_line(capsys):
    def g_loss_saturating(fake_logits):
        return fake_logits.undefined_method()

    assert "(line" in rejected(capsys, check_g_loss_saturating, g_loss_saturating)
    assert "fake_logits.undefined_method()" in rejected(capsys, check_g_loss_saturating, g_loss_saturating)


def test_a_gradient_broken_by_an_in_place_op_is_a_message(capsys):
    def g_loss_saturating(fake_logits):
        d = torch.sigmoid(fake_logits)
        loss = torch.log(1 - d).mean()
        d.mul_(1.0)  # modifies a tensor autograd saved
        return loss

    assert "computing the gradient of your saturating loss failed" in rejected(
        capsys, check_g_loss_saturating, g_loss_saturating)


def test_a_wrong_number_of_arguments_is_a_message(capsys):
    printed = rejected(capsys, check_d_objective, lambda fake_logits: fake_logits.mean())
    assert "raised TypeError when called with real_logits and fake_logits" in printed


def test_passing_a_result_instead_of_the_function_is_named(capsys):
    printed = rejected(capsys, check_g_loss_saturating, torch.tensor(0.5))
    assert "pass the function itself" in printed


def test_an_unknown_inputs_form_is_a_checker_misuse():
    with pytest.raises(ValueError, match="inputs must be one of"):
        check_g_loss_saturating(lambda x: x.mean(), inputs="probabilities")


def test_verdict_gives_the_line_a_checker_prints(capsys):
    ok, line = loss_verdict("g_loss_saturating", lambda x: F.logsigmoid(-x).mean())
    assert ok is True and line.startswith("✓") and capsys.readouterr().out == ""


def test_every_catalogued_mistake_is_reachable():
    """Each known-wrong variant differs from the reference and from every other variant on the stored probes."""
    for name in ("d_objective", "g_loss_saturating", "g_loss_non_saturating"):
        for inputs in exercises.FORMS:
            ex = exercises.exercise(name, inputs)
            rows = [("the reference", [c.value for c in ex.cases])]
            rows += [(m, [c.mistakes[i] for c in ex.cases]) for i, m in enumerate(ex.messages)]
            for i, (name_a, a) in enumerate(rows):
                for name_b, b in rows[i + 1:]:
                    assert not all(close(x, y) for x, y in zip(a, b)), f"{ex.name}: {name_a!r} and {name_b!r} agree"


# --- no solution in the package ------------------------------------------------------------------

def test_the_stored_values_are_what_the_reference_computes():
    from classroom.reference import stored_table

    assert json.loads(exercises.EXPECTED.read_text()) == json.loads(json.dumps(stored_table()))


def _solution_lines() -> list[str]:
    nb = nbformat.read(ROOT / "notebooks" / "07_exercise_original_vs_modified_loss.ipynb", as_version=4)
    lines, inside = [], False
    for cell in nb.cells:
        for line in cell.source.splitlines() if cell.cell_type == "code" else []:
            if line.strip() in ("### BEGIN SOLUTION", "### END SOLUTION"):
                inside = line.strip() == "### BEGIN SOLUTION"
            elif inside and not line.strip().startswith("###") and len(line.strip()) > 12:
                lines.append(line.strip())
    return lines


def test_no_solution_line_of_notebook_07_is_in_the_exercises_package():
    lines = _solution_lines()
    assert len(lines) >= 10
    sources = {p: p.read_text() for p in (ROOT / "gan_course" / "lessons" / "nb07_exercise").glob("*")}
    leaks = [(p.name, line) for line in lines for p, text in sources.items() if line in text]
    assert not leaks, leaks


def test_no_loss_of_the_solution_is_written_out_in_the_package_but_the_gans_own():
    """The GAN the package trains keeps its losses (gan_course/losses.py); no other module writes them out."""
    losses = [line for line in _solution_lines() if "log" in line]
    assert len(losses) >= 6
    own = {ROOT / "gan_course" / "losses.py"}
    leaks = [(str(p.relative_to(ROOT)), line) for p in (ROOT / "gan_course").rglob("*.py") if p not in own
             for line in losses if line in p.read_text()]
    assert not leaks, leaks


@pytest.mark.parametrize("module, names", [
    ("gan_course.lessons.nb07_exercise.exercises", ("MAKERS", "spec", "reference")),
    ("gan_course.lessons.nb07_exercise.round_steps", ("f_acc", "modified_loss", "saturating_loss")),
    ("gan_course.lessons.nb07_exercise.round_exercise", ("f_acc", "modified_loss", "generator_loss")),
])
def test_no_reference_solution_is_importable_from_the_package(module, names):
    loaded = importlib.import_module(module)
    assert not [n for n in names if hasattr(loaded, n)]
    for name in ("d_objective", "g_loss_saturating", "g_loss_non_saturating"):
        for inputs in exercises.FORMS:
            assert not any(callable(v) for v in vars(exercises.exercise(name, inputs)).values())


# --- the guard and the slider's callback -------------------------------------------------------

def test_implemented_is_false_only_for_not_implemented_error():
    def todo(fake_logits):
        raise NotImplementedError

    def broken(real_logits, fake_logits):
        raise ValueError("bug")

    assert implemented(todo) is False
    assert implemented(lambda x: F.logsigmoid(x).mean(), broken) is True
    assert implemented(lambda x: x.mean(), todo) is False


@pytest.mark.parametrize("d", [0.001, 0.01, 0.5, 0.99])
def test_a_students_losses_get_the_slides_gradients(d):
    """d/dl log(1 - D) = -D and d/dl -log D = -(1 - D); w.r.t. D: -1/(1 - D) and -1/D."""
    curves = loss_curves(torch.tensor([d]), {"sat": lambda x: F.logsigmoid(-x).mean(),
                                             "non": lambda x: -F.logsigmoid(x).mean()})
    assert float(curves["sat"]["d_logit"][0]) == pytest.approx(-d, rel=1e-3)
    assert float(curves["non"]["d_logit"][0]) == pytest.approx(-(1 - d), rel=1e-3)
    assert float(curves["sat"]["d_p"][0]) == pytest.approx(-1 / (1 - d), rel=1e-3)
    assert float(curves["non"]["d_p"][0]) == pytest.approx(-1 / d, rel=1e-3)


def test_gradient_report_names_a_d_outside_0_1():
    assert "strictly between 0 and 1, got 1.0" in gradient_report(1.0, {"sat": lambda x: F.logsigmoid(-x).mean()})


def test_gradient_report_shows_both_gradients_and_their_ratio():
    html = gradient_report(0.01, {"sat": lambda x: F.logsigmoid(-x).mean(), "non": lambda x: -F.logsigmoid(x).mean()})
    assert "D(G(z)) = 0.010" in html and "-0.0100" in html and "-0.9900" in html and "99.0×" in html


def test_gradient_report_changes_with_the_slider_value():
    losses = {"sat": lambda x: F.logsigmoid(-x).mean(), "non": lambda x: -F.logsigmoid(x).mean()}
    assert gradient_report(0.01, losses) != gradient_report(0.9, losses)


def test_gradient_report_says_not_implemented_instead_of_raising():
    def todo(fake_logits):
        raise NotImplementedError

    assert "not implemented yet: sat" in gradient_report(0.5, {"sat": todo})


# --- the measured claim of notebook 07, across seeds ---------------------------------------------

study = study_fixture("gradient-gap", tuple(range(10)), check=0)


@pytest.mark.slow
def test_the_gradient_gap_table_is_fresh(study):
    assert_table_reproduced(study)


@pytest.mark.slow
def test_non_saturating_g_gets_10x_the_gradient_once_d_is_ahead_for_10_seeds(study):
    """Notebook 07: k = 2, 400 rounds; over rounds 100-400 the mean D(G(z)) < 0.15 in both runs and the
    median G gradient norm of the non-saturating run is >= 10x the saturating run's. Read from
    notebooks/results/gradient-gap.json once training seed 0 again gives its row (every seed is trained here
    otherwise)."""
    gaps = list(study.rows.values())
    assert max(max(g["d_fake_saturating"], g["d_fake_non_saturating"]) for g in gaps) < D_AHEAD
    assert min(g["ratio"] for g in gaps) >= MIN_RATIO, [round(g["ratio"], 1) for g in gaps]
