"""Loaded by every pytest run of the course (``-p course_session`` in pyproject.toml), whatever paths it is given:
``pytest notebooks/05_....ipynb`` alone gets the same offline, one-thread environment as the full run.

Every test runs offline: the data loader must use the shipped digits, never the network.
"""


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
