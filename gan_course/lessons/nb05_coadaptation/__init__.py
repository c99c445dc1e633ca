"""Notebook 05, co-adaptation and input dropout: the MNIST study, the two-pixel toy and their figures."""
