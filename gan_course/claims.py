"""A notebook's claims, in a form a student reads: ``check(condition, "what this shows")``.

A claim that holds prints one green line, ✓ and the claim. A claim that does not hold prints one red
line, ✗, the claim and what was measured instead, and raises :class:`ClaimFailed`, so nbval (and
"Restart & Run All") stop there: a notebook never goes on teaching from a broken claim. In Jupyter the
failure shows as that one line, not as a traceback.
"""

from __future__ import annotations

GREEN, RED, RESET = "\033[32m", "\033[31m", "\033[0m"


class ClaimFailed(AssertionError):
    """A claim a notebook makes did not hold."""

    def _render_traceback_(self) -> list[str]:  # IPython shows this instead of a traceback
        return [f"{RED}✗ {self}{RESET}"]


def check(condition: bool, claim: str, measured: str = "") -> None:
    """Print ``✓ claim`` when ``condition`` holds; otherwise raise ClaimFailed("claim: measured").

    It returns nothing, so a check on a cell's last line leaves no stray ``True`` under the cell."""
    if bool(condition):
        print(f"{GREEN}✓ {claim}{RESET}")
        return
    raise ClaimFailed(f"{claim}: does not hold{' (' + measured + ')' if measured else ''}")
