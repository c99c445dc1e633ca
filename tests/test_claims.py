"""check(): the one line a notebook states each claim with."""

import pytest

from gan_course.claims import ClaimFailed, check


def test_a_claim_that_holds_prints_one_green_tick(capsys):
    assert check(3 > 2, "three beats two") is None  # nothing for Jupyter to echo under the cell
    assert capsys.readouterr().out == "\033[32m✓ three beats two\033[0m\n"


def test_a_claim_that_fails_raises_with_the_measurement():
    with pytest.raises(ClaimFailed, match=r"D beats chance: does not hold \(accuracy 0.49\)"):
        check(0.49 > 0.55, "D beats chance", "accuracy 0.49")


def test_a_failed_claim_shows_as_one_red_line_in_jupyter_and_fails_nbval():
    err = ClaimFailed("x: does not hold")
    assert isinstance(err, AssertionError)  # nbval reports an error output
    assert err._render_traceback_() == ["\033[31m✗ x: does not hold\033[0m"]
