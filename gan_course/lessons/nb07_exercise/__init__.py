"""Notebook 07, the exercise: the checkers a student runs, and the gradient gap the exercise measures."""
