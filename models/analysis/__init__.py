"""Analyses on top of a fit: event windows, scenarios, model comparison."""
