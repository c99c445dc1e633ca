"""The classroom, for instructors: the student edition, grading, and the notebook runner they share.

Outside the installed package: run from the course's checkout as ``python -m classroom ...``."""
