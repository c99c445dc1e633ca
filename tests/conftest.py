"""Every test runs offline: the data loader must use the shipped digits, never the network."""

import os

os.environ["GAN_COURSE_OFFLINE"] = "1"  # kernels started by nbval inherit it
os.environ.setdefault("MPLBACKEND", "Agg")
# Two xdist workers share the CPU: one training thread each, so they never oversubscribe the cores
# (results do not depend on the thread count; only speed does).
os.environ.setdefault("GAN_COURSE_THREADS", "1")
# The same for every torch operation outside train() (features for the FD, D's score matrices, notebook 06's forger
# D): torch's default is a thread per core, and with both workers busy the second thread only waits (06's forger
# cell took 472 s under nbval in CI, against a few seconds alone). Kernels started by nbval and by the site build
# inherit it; the browser tests and the thread tests start theirs without it, as a user's would be.
os.environ.setdefault("OMP_NUM_THREADS", "1")
# As `import gan_course` does, before any test computes anything: MKL bit-reproducible on any thread count.
os.environ.setdefault("MKL_CBWR", "AUTO,STRICT")

# xdist gives each worker one file at a time (--dist loadfile), in collection order (--no-loadscope-reorder in
# pyproject.toml). Its default order, most tests first, started both browser files last on one worker, which ran 3
# minutes after the other went idle. The files that take longest go first, so no long file starts when the other
# worker is nearly done; the two browser files are kept apart in time (run side by side, the site's build and the
# notebooks in JupyterLab slowed each other from 211 s to 370 s). Seconds measured in full runs on the 2-core Intel
# Xeon, with nothing else running; only the order depends on them.
LONGEST_FIRST = (
    "tests/browser/test_notebooks_in_browser.py",  # 211
    "tests/test_grading.py",  # 128
    "tests/test_conditional.py",  # 100
    "tests/browser/test_site_in_browser.py",  # 27 from the site's cache, about 215 with its build
    "tests/test_saturation.py",  # 94
    "tests/test_vanilla_claims.py",  # 91
    "tests/test_ring.py",  # 86
    "notebooks/03_saturating_vs_non_saturating.ipynb",  # 54
    "tests/test_coadaptation_toy.py",  # 46
    "tests/test_nbtime.py",  # 39
)


def pytest_collection_modifyitems(items):
    rank = {path: i for i, path in enumerate(LONGEST_FIRST)}
    items.sort(key=lambda item: rank.get(item.nodeid.split("::")[0], len(rank)))  # stable: the rest keep their order
