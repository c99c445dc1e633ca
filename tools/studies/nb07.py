"""Notebook 07: both G losses from one seed, k = 2: G's gradient once D is ahead."""

from __future__ import annotations

from gan_course.lessons.nb07_exercise import gradient_gap
from tools.studies import Study

STUDIES = [Study("gradient-gap", "07", "both G losses from one seed, k = 2: G's gradient once D is ahead",
                 gradient_gap.measure, gradient_gap.fingerprint, gradient_gap.line)]
