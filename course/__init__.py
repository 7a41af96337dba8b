"""Shared, tested code for the book's notebooks: data, models, training loops, plots.

Notebooks teach; this package holds every loop, loader and plotting helper that a
chapter needs, so that the same code is imported by the notebooks, the tests and the
benchmarks instead of being copied from notebook to notebook.
"""

__all__ = ["data", "models", "training", "plotting", "impl"]
