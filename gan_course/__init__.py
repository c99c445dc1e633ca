"""gan_course: the small shared helpers behind the GAN lecture notebooks.

The lesson code (the loss, the ``detach()``, the alternating step) lives in the
notebooks; this package holds the plumbing they share: data, models, the training
loop, metrics, plots, widgets, exercises and the command line.
"""

__version__ = "0.1.0"
