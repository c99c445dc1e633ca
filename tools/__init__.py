"""Maintainers' tools, outside the installed package: seed studies (``seeds``), the sample-quality benchmark
(``bench``), notebook timings (``time-notebooks``), the course site (``site``) and the shipped runs. Run from the
course's checkout as ``python -m tools ...``."""
