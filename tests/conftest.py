"""Every test runs offline: the data loader must use the shipped digits, never the network."""

import os

os.environ["GAN_COURSE_OFFLINE"] = "1"  # kernels started by nbval inherit it
os.environ.setdefault("MPLBACKEND", "Agg")
# Two xdist workers share the CPU: one training thread each, so they never oversubscribe the cores
# (results do not depend on the thread count; only speed does).
os.environ.setdefault("GAN_COURSE_THREADS", "1")
# As `import gan_course` does, before any test computes anything: MKL bit-reproducible on any thread count.
os.environ.setdefault("MKL_CBWR", "AUTO,STRICT")
