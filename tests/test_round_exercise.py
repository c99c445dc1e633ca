"""The checker of notebook 07's training round: the solution passes, each named mistake gets its own message."""

import pytest
import torch

from gan_course.config import GANConfig
from gan_course.data import load_mnist
from gan_course.lessons.nb07_exercise.round_exercise import as_round_fn, check_round, diagnose_round, verdict
from classroom.reference import f_acc, modified_loss
from gan_course.train import train, train_round as course_round
from round_mistakes import MISTAKES, define, planted, solution_source

TINY = GANConfig(g_hidden=(32,), d_hidden=(32,), batch_size=16, d_steps=2, g_steps=2, snapshot_every=10)


def edited(old: str, new: str):
    source = solution_source()
    assert source.count(old) == 1, old
    return define(source.replace(old, new))


# --- right rounds pass ---------------------------------------------------------------------------

def test_the_notebooks_solution_passes(capsys):
    assert check_round(define(solution_source())) is True
    assert capsys.readouterr().out.startswith("✓ train_round is correct")


@pytest.mark.parametrize("old, new", [
    ("fake = G(noise()).detach()", "with torch.no_grad():\n            fake = G(noise())"),
    ("        opt_g.step()\n", "        opt_g.step()\n        D.requires_grad_(True)\n"),
    ("real = real_batch()\n        fake = G(noise()).detach()", "fake = G(noise()).detach()\n        real = real_batch()"),
    ("d_loss = -d_objective(real_logits, fake_logits)", "d_loss = -d_objective(D(real), D(fake))"),
], ids=["no_grad_instead_of_detach", "unfreeze_without_freeze", "noise_drawn_first",
        "d_called_again"])
def test_equivalent_rounds_pass(old, new):
    assert diagnose_round(edited(old, new)) is None


def test_freezing_d_in_the_g_step_and_unfreezing_passes():
    fn = edited("        g_step_loss = g_loss(D(G(noise())))\n        opt_g.zero_grad()\n        g_step_loss.backward()\n"
                "        opt_g.step()\n",
                "        D.requires_grad_(False)\n        g_step_loss = g_loss(D(G(noise())))\n        opt_g.zero_grad()\n"
                "        g_step_loss.backward()\n        opt_g.step()\n        D.requires_grad_(True)\n")
    assert diagnose_round(fn) is None


# --- each named mistake ----------------------------------------------------------------------------

@pytest.mark.parametrize("name", list(MISTAKES))
def test_each_named_mistake_gets_its_own_message(name):
    message = diagnose_round(define(planted(name)))
    assert message is not None and MISTAKES[name][2] in message, message
    others = [words for other, (_, _, words) in MISTAKES.items() if other != name]
    assert not any(words in message for words in others), message


def test_a_missing_detach_names_the_d_step_that_reached_g():
    assert "in D-step 1 of round 1, D's loss sent gradient into G's weights" in diagnose_round(define(planted("missing_detach")))


def test_zero_grad_between_backward_and_step_is_named():
    fn = edited("        opt_d.zero_grad()\n        d_loss.backward()\n", "        d_loss.backward()\n        opt_d.zero_grad()\n")
    assert "zero_grad() after backward()" in diagnose_round(fn)


def test_zero_grad_after_step_lets_the_g_steps_gradient_reach_the_next_d_step():
    fn = edited("        opt_d.zero_grad()\n        d_loss.backward()\n        opt_d.step()\n",
                "        d_loss.backward()\n        opt_d.step()\n        opt_d.zero_grad()\n")
    message = diagnose_round(fn)
    assert "gradients accumulate" in message and "D-step 1 of round 2" in message and "G-step's backward()" in message


def test_a_missing_zero_grad_in_the_g_step_is_named_at_the_second_g_step():
    assert "at G-step 2 of round 1, G's .grad held more" in diagnose_round(edited("        opt_g.zero_grad()\n", ""))


def test_a_round_that_ignores_the_g_loss_it_is_given_is_named():
    message = diagnose_round(edited("g_step_loss = g_loss(D(G(noise())))", "g_step_loss = -F.logsigmoid(D(G(noise()))).mean()"))
    assert "does it call the g_loss the round is given" in message, message


def test_a_loop_that_ignores_k_is_named():
    assert "asked for k = 2, your round made 3 D-steps" in diagnose_round(edited("for _ in range(k):", "for _ in range(l):"))


def test_g_left_frozen_or_d_left_frozen_is_named():
    fn = edited("        g_step_loss = g_loss(D(G(noise())))\n", "        D.requires_grad_(False)\n"
                "        g_step_loss = g_loss(D(G(noise())))\n")
    assert "D is still frozen after your round" in diagnose_round(fn)


def test_real_and_fake_swapped_in_d_objective_is_named():
    fn = edited("-d_objective(real_logits, fake_logits)", "-d_objective(fake_logits, real_logits)")
    assert "real and fake swapped" in diagnose_round(fn)


def test_probabilities_passed_to_d_objective_are_named():
    fn = edited("-d_objective(real_logits, fake_logits)",
                "-d_objective(torch.sigmoid(real_logits), torch.sigmoid(fake_logits))")
    assert "passes D's probabilities" in diagnose_round(fn)


def test_g_climbing_its_loss_is_a_wrong_sign_in_the_g_step():
    assert "wrong sign in the G-step" in diagnose_round(edited("g_step_loss = g_loss(", "g_step_loss = -g_loss("))


def test_a_fake_reused_from_the_d_step_has_no_fresh_noise():
    fn = edited("g_step_loss = g_loss(D(G(noise())))", "g_step_loss = g_loss(D(fake))")
    assert "drew no fresh noise" in diagnose_round(fn)


@pytest.mark.parametrize("old, new, words", [
    ("    return d_loss, g_step_loss, real_logits, fake_logits", "", "returned None (did you forget `return`?)"),
    ("    return d_loss, g_step_loss, real_logits, fake_logits", "    return d_loss, g_step_loss", "a tuple of 2 values"),
    ("    return d_loss, g_step_loss, real_logits, fake_logits", "    return g_step_loss, d_loss, real_logits, fake_logits",
     "the d_loss it returns is not the last D-step's loss"),
], ids=["none", "two_values", "swapped"])
def test_a_wrong_return_value_is_named(old, new, words):
    assert words in diagnose_round(edited(old, new))


# --- errors: a message, never a traceback ------------------------------------------------------------

def test_not_implemented_yet_is_a_message(capsys):
    def train_round(G, D, opt_g, opt_d, real_batch, noise, k, l, d_objective, g_loss):
        raise NotImplementedError("think about detach")

    assert check_round(train_round) is False
    assert capsys.readouterr().out.startswith("✗ not implemented yet: train_round")


def test_an_error_quotes_the_students_own_line():
    def train_round(G, D, opt_g, opt_d, real_batch, noise, k, l, d_objective, g_loss):
        return D(G(noise()).view(-1, 7))

    message = diagnose_round(train_round)
    assert "raised RuntimeError in round 1" in message and "return D(G(noise()).view(-1, 7))" in message


def test_something_that_is_not_a_function_is_named():
    assert "pass train_round itself" in diagnose_round(None)


def test_the_checker_leaves_the_notebooks_random_numbers_alone():
    torch.manual_seed(0)
    expected = torch.rand(3)
    torch.manual_seed(0)
    verdict(define(solution_source()))
    assert torch.equal(torch.rand(3), expected)


# --- the student's round in train() ----------------------------------------------------------------

@pytest.fixture(scope="module")
def digits():
    return load_mnist(verbose=False)


def test_the_solutions_round_trains_bit_for_bit_like_the_courses_train_round(digits):
    course = train(TINY, digits, seed=3, steps=12, progress=False, round_fn=course_round)
    solution = train(TINY, digits, seed=3, steps=12, progress=False,
                     round_fn=as_round_fn(define(solution_source()), f_acc, modified_loss))
    assert torch.equal(course.snapshots[-1]["samples"], solution.snapshots[-1]["samples"])
    assert course.history == {**solution.history, "time": course.history["time"]}


def test_a_conditional_config_is_refused_by_the_students_round(digits):
    with pytest.raises(ValueError, match="unconditional"):
        train(TINY.replace(conditional=True), digits, steps=1, progress=False,
              round_fn=as_round_fn(define(solution_source()), f_acc, modified_loss))
