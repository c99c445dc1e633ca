"""Every test runs offline: the data loader must use the shipped digits, never the network."""

import os

os.environ["GAN_COURSE_OFFLINE"] = "1"  # kernels started by nbval inherit it
os.environ.setdefault("MPLBACKEND", "Agg")
