"""The order the test files run in. The environment every run gets is set in tests/course_session.py, loaded by
``-p course_session`` in pyproject.toml; imported here too, so a run whose addopts are overridden still gets it."""

import course_session  # noqa: F401

# xdist gives each worker one file at a time (--dist loadfile), in collection order (--no-loadscope-reorder in
# pyproject.toml). Its default order, most tests first, started both browser files last on one worker, which ran 3
# minutes after the other went idle. The files that take longest go first, so no long file starts when the other
# worker is nearly done. Seconds measured in full runs on the 2-core Intel Xeon, with nothing else running; only the
# order depends on them.
LONGEST_FIRST = (
    "tests/browser/test_site_in_browser.py",  # ~215 (30 of them Jupyter Book): it executes the seven notebooks
    "tests/browser/test_notebooks_in_browser.py",  # 300
    "tests/test_grading.py",  # 147
    "tests/test_conditional.py",  # 128
    "tests/test_vanilla_claims.py",  # 120
    "tests/test_saturation.py",  # 113
    "tests/test_ring.py",  # 101
    "notebooks/03_saturating_vs_non_saturating.ipynb",  # 62
    "tests/test_threads.py",  # 60
    "tests/test_coadaptation_toy.py",  # 47
    "tests/test_nbtime.py",  # 39
    "notebooks/05_coadaptation_and_input_dropout.ipynb",  # 35
    "notebooks/07_exercise_original_vs_modified_loss.ipynb",  # 24
    "notebooks/06_conditional_gan.ipynb",  # 17
    "notebooks/02_vanilla_gan.ipynb",  # 15
    "notebooks/01_detach_and_gradient_flow.ipynb",  # 7
    "notebooks/04_mode_collapse.ipynb",  # 6
)
# The site's build executes the seven notebooks itself (its own cache, keyed by each notebook's content, is empty on
# a fresh machine): the longest file of all, so it starts first, while the other worker takes the rest.
LAST = ()


def pytest_collection_modifyitems(items):
    rank = {path: i for i, path in enumerate(LONGEST_FIRST + (None,) + LAST)}  # None: the files named in neither

    def place(item) -> int:
        return rank.get(item.nodeid.split("::")[0], rank[None])

    items.sort(key=place)  # stable: the files named in neither keep their order, between the two
