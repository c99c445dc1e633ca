"""gan_course: the small shared helpers behind the GAN lecture notebooks.

The lesson code (the loss, the ``detach()``, the alternating step) lives in the
notebooks; this package holds the plumbing they share: data, models, the training
loop, metrics, plots, widgets and the command line; `gan_course.lessons` holds each notebook's own code.
"""

import os

# The same seed must give the same weights whatever the number of CPU threads. Intel MKL's matrix
# products are only bit-reproducible across thread counts in its strict "conditional numerical
# reproducibility" mode, and MKL reads this setting once, at its first call. Importing gan_course
# before any computation sets it; `gan_course.device.cpu_threads` checks that it took effect.
STRICT_MKL = "AUTO,STRICT"
os.environ.setdefault("MKL_CBWR", STRICT_MKL)

__version__ = "0.1.0"
