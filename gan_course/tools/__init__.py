"""Maintainer tools behind the command line: the sample-quality benchmark (``bench``), the notebooks'
Restart & Run All times (``time-notebooks``) and the seed-robustness table (``seeds``)."""
