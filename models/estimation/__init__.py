"""Estimation: the regression design, PyMC graphs, samplers (exact, nutpie, PyMC, numpyro) and
``fit_model``, which turns a panel and a config into a fit."""
