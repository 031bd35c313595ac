"""Estimation: the regression design, PyMC graphs, samplers (exact, nutpie, PyMC, numpyro),
the posterior draws as NumPy arrays (``drawset``: what the exact samplers return and a loaded
fit reads) and ``fit_model``, which turns a panel and a config into a fit."""
